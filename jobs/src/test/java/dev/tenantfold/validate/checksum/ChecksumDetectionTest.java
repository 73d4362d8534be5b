package dev.tenantfold.validate.checksum;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.extract.ColumnSpec;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.sql.Connection;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.postgresql.copy.CopyManager;
import org.postgresql.core.BaseConnection;

/**
 * The SQL checksum of a tenant's rows in a shared target against its source: every kind of damage
 * is caught and the drill-down names the key, the kind and the column; safe widenings and row order
 * raise no alarm.
 */
class ChecksumDetectionTest {
  private static final String SOURCE =
      """
      CREATE TABLE items (id bigint PRIMARY KEY, note text, amount numeric(10,2), qty integer, ratio real, score double precision,
                          at timestamptz, blob bytea, doc json, tags text[], sku varchar(32));
      INSERT INTO items
      SELECT g, CASE WHEN g = 8 THEN NULL ELSE 'note ' || g END, g * 1.25, g, g / 3.0::real, CASE WHEN g = 9 THEN 0.1 ELSE g / 7.0 END,
             timestamptz '2024-01-01 00:00:00.000001+00' + g * interval '1 hour 0.5 s', decode(md5(g::text), 'hex'),
             ('{"g": ' || g || '}')::json, ARRAY['t' || g, NULL], 'SKU-' || g
        FROM generate_series(1, 200) g;
      CREATE TABLE items_target (tenant_id text NOT NULL, id bigint, note text, amount numeric(10,2), qty integer, ratio real,
                                 score double precision, at timestamptz, blob bytea, doc json, tags text[], sku varchar(32));
      CREATE TABLE events (occurred_at timestamp, kind text);
      INSERT INTO events SELECT timestamp '2024-01-01' + g * interval '1 minute', 'k' || (g % 5) FROM generate_series(1, 100) g;
      INSERT INTO events VALUES ('2024-01-01', 'twin'), ('2024-01-01', 'twin');
      CREATE TABLE events_target (tenant_id text NOT NULL, occurred_at timestamp, kind text);
      CREATE TABLE shifty (id bigint PRIMARY KEY, "select" text, "user" text, "users" text[], "where" text);
      CREATE TABLE shifty_target (tenant_id text NOT NULL, id bigint, "select" text, "user" text, "users" text[], "where" text);
      CREATE TABLE docs (id bigint PRIMARY KEY, doc xml, docs xml[]);
      CREATE TABLE docs_target (tenant_id text NOT NULL, id bigint, doc xml, docs xml[]);
      CREATE TABLE docs_reloaded (tenant_id text NOT NULL, id bigint, doc xml, docs xml[]);
      INSERT INTO docs VALUES
        (1, '<?xml version="1.0"?><r/>', ARRAY['<?xml version="1.0"?><r/>', NULL, '<a>x y</a>']::xml[]),
        (2, '<?xml version="1.0" encoding="UTF-8"?><r>é</r>', ARRAY[E'<?xml version="1.0"?>\n<r/>']::xml[]),
        (3, E'<?xml version="1.0"?>\n<r/>', NULL),
        (4, E'<?xml version="1.0"?>\n\n<r/>', ARRAY[E'<?xml version="1.0"?>\n\n<r/>', E'\n<r/>']::xml[]),
        (5, $$<?xml version='1.0'  standalone='yes' ?><r/>$$, ARRAY['<?xml version="1.0" standalone="no"?><r/>']::xml[]),
        (6, '<?xml version="1.1"?><r/>', '{}'),
        (7, '<r/>', ARRAY['<r/>']::xml[]),
        (8, E'\n<r/>', NULL),
        (9, 'text only, no element', ARRAY['', 'NULL']::xml[]),
        (10, NULL, ARRAY[NULL]::xml[]),
        (11, E'<?xml version="1.0"?>\r\n<r/>', NULL),
        (12, '<?xml version="1.0"?><!DOCTYPE r><r/>', NULL),
        (13, '<?xml version="1.0"?><?xml-stylesheet href="s.xsl"?><r/>', NULL);
      """;
  private static final String RESET =
      """
      TRUNCATE items_target, events_target;
      INSERT INTO items_target SELECT 'acme', * FROM items ORDER BY id DESC;
      INSERT INTO items_target SELECT 'other', * FROM items WHERE id < 50;
      INSERT INTO events_target SELECT 'acme', * FROM events;
      """;
  private static final String TENANT = "\"tenant_id\" = 'acme'";
  private static String url;
  private static List<ColumnSpec> itemColumns;
  private static List<ColumnSpec> eventColumns;
  private static List<ColumnSpec> shiftyColumns;
  private static List<ColumnSpec> docColumns;

  @BeforeAll
  static void setUp() throws Exception {
    url = TestPostgres.createDatabase("checksum_detect");
    TestPostgres.execute(url, SOURCE);
    itemColumns = ChecksumFixtures.columns(url, "items");
    eventColumns = ChecksumFixtures.columns(url, "events");
    shiftyColumns = ChecksumFixtures.columns(url, "shifty");
    docColumns = ChecksumFixtures.columns(url, "docs");
  }

  static Stream<Arguments> damage() {
    return Stream.of(
        Arguments.of(
            "one changed value",
            "UPDATE items_target SET qty = 999 WHERE id = 3",
            List.of(3L),
            RowDifference.Kind.CHANGED,
            List.of("qty")),
        Arguments.of(
            "two values swapped",
            "UPDATE items_target t SET note = CASE t.id WHEN 4 THEN 'note 5' ELSE 'note 4' END "
                + "WHERE tenant_id = 'acme' AND t.id IN (4, 5)",
            List.of(4L, 5L),
            RowDifference.Kind.CHANGED,
            List.of("note")),
        Arguments.of(
            "missing row",
            "DELETE FROM items_target WHERE tenant_id = 'acme' AND id = 6",
            List.of(6L),
            RowDifference.Kind.MISSING_IN_TARGET,
            List.of()),
        Arguments.of(
            "extra row",
            "INSERT INTO items_target (tenant_id, id, note) VALUES ('acme', 1000, 'new')",
            List.of(1000L),
            RowDifference.Kind.EXTRA_IN_TARGET,
            List.of()),
        Arguments.of(
            "duplicated row",
            "INSERT INTO items_target SELECT * FROM items_target WHERE tenant_id = 'acme' AND id ="
                + " 7",
            List.of(7L),
            RowDifference.Kind.DUPLICATED_IN_TARGET,
            List.of()),
        Arguments.of(
            "NULL became ''",
            "UPDATE items_target SET note = '' WHERE id = 8",
            List.of(8L),
            RowDifference.Kind.CHANGED,
            List.of("note")),
        Arguments.of(
            "timestamp shifted one hour",
            "UPDATE items_target SET at = at + interval '1 hour' WHERE id = 10",
            List.of(10L),
            RowDifference.Kind.CHANGED,
            List.of("at")),
        Arguments.of(
            "numeric changed in the last decimal",
            "UPDATE items_target SET amount = amount + 0.01 WHERE id = 11",
            List.of(11L),
            RowDifference.Kind.CHANGED,
            List.of("amount")),
        Arguments.of(
            "float changed by one ulp",
            "UPDATE items_target SET score = '0.10000000000000002' WHERE id = 9",
            List.of(9L),
            RowDifference.Kind.CHANGED,
            List.of("score")),
        Arguments.of(
            "bytea byte flipped",
            "UPDATE items_target SET blob = set_byte(blob, 3, get_byte(blob, 3) # 1) WHERE id = 12",
            List.of(12L),
            RowDifference.Kind.CHANGED,
            List.of("blob")),
        Arguments.of(
            "whitespace inside json",
            "UPDATE items_target SET doc = '{\"g\":  13}' WHERE id = 13",
            List.of(13L),
            RowDifference.Kind.CHANGED,
            List.of("doc")),
        Arguments.of(
            "NULL element of an array became ''",
            "UPDATE items_target SET tags = ARRAY['t14', ''] WHERE id = 14",
            List.of(14L),
            RowDifference.Kind.CHANGED,
            List.of("tags")),
        Arguments.of(
            "-0 became 0",
            "UPDATE items_target SET ratio = '-0' WHERE id = 15; UPDATE items SET ratio = '0' WHERE"
                + " id = 15",
            List.of(15L),
            RowDifference.Kind.CHANGED,
            List.of("ratio")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("damage")
  void sqlChecksumDetectsDamageAndDrillDownNamesIt(
      String name,
      String damage,
      List<Long> keys,
      RowDifference.Kind kind,
      List<String> changedColumns)
      throws Exception {
    TestPostgres.execute(url, "UPDATE items SET ratio = 15 / 3.0::real WHERE id = 15;" + RESET);
    TestPostgres.execute(url, damage);
    ChecksumSpec spec = new ChecksumSpec(itemColumns, List.of("id"), 64);
    ChecksumSql source = new ChecksumSql(spec, "items", null);
    ChecksumSql target = new ChecksumSql(spec, "items_target", TENANT);

    RowComparison rows = compare(source, target, 10);

    assertThat(rows.listed())
        .as(name + ": differences listed")
        .containsExactlyElementsOf(
            keys.stream()
                .map(
                    k ->
                        new RowDifference(
                            key(k), kind, sourceRows(kind), targetRows(kind), changedColumns))
                .toList());
    assertThat(rows.totalDifferences()).as(name + ": differences counted").isEqualTo(keys.size());
  }

  @Test
  void keylessTableDetectsDuplicatedAndMissingRows() throws Exception {
    TestPostgres.execute(
        url,
        RESET
            + """
            DELETE FROM events_target WHERE kind = 'twin';
            INSERT INTO events_target VALUES ('acme', '2024-01-01', 'twin');
            INSERT INTO events_target SELECT * FROM events_target WHERE kind = 'k1' AND occurred_at = '2024-01-01 00:01:00';
            """);
    ChecksumSpec spec = ChecksumSpec.of(eventColumns, List.of());
    RowComparison rows =
        compare(
            new ChecksumSql(spec, "events", null),
            new ChecksumSql(spec, "events_target", TENANT),
            10);

    assertThat(rows.counts())
        .as("differences by kind")
        .containsEntry(RowDifference.Kind.MISSING_IN_TARGET, 1L)
        .containsEntry(RowDifference.Kind.DUPLICATED_IN_TARGET, 1L)
        .containsEntry(RowDifference.Kind.CHANGED, 0L);
    assertThat(rows.listed())
        .extracting(RowDifference::sourceRows, RowDifference::targetRows)
        .as("copies per side")
        .containsExactlyInAnyOrder(
            org.assertj.core.api.Assertions.tuple(2, 1),
            org.assertj.core.api.Assertions.tuple(1, 2));
  }

  @Test
  void safeWideningAndRowOrderRaiseNoAlarm() throws Exception {
    TestPostgres.execute(
        url,
        """
        CREATE TABLE narrow (id integer PRIMARY KEY, amount numeric(10,2), sku varchar(32), qty integer, ratio real, code char(2));
        INSERT INTO narrow SELECT g, g * 1.5 - 7.25, 'SKU ' || g, g * 1000, g / 3.0::real, CASE WHEN g % 2 = 0 THEN 'x' END
          FROM generate_series(1, 500) g;
        INSERT INTO narrow VALUES (0, NULL, '', NULL, '-Infinity', '');
        CREATE TABLE wide (tenant_id text, id bigint, amount numeric(12,4), sku text, qty bigint, ratio double precision, code char(5));
        INSERT INTO wide SELECT 'acme', * FROM narrow ORDER BY md5(id::text);
        """);
    ChecksumSpec narrow = ChecksumSpec.of(ChecksumFixtures.columns(url, "narrow"), List.of("id"));
    ChecksumSpec wide =
        ChecksumSpec.of(ChecksumFixtures.columns(url, "wide", "tenant_id"), List.of("id"));
    TableChecksum source;
    TableChecksum target;
    try (Connection conn = TestPostgres.connect(url)) {
      source = PostgresChecksum.checksum(conn, new ChecksumSql(narrow, "narrow", null));
      target = PostgresChecksum.checksum(conn, new ChecksumSql(wide, "wide", TENANT));
    }
    ChecksumComparison comparison = ChecksumComparison.compare(source, target);
    assertThat(comparison.mismatches())
        .as(
            "buckets differing after numeric(10,2)->numeric(12,4), varchar->text, integer->bigint, "
                + "real->double precision, char(2)->char(5) and a shuffled row order")
        .isEmpty();
    assertThat(comparison.targetRows()).as("rows compared").isEqualTo(501);
  }

  /**
   * Noncharacters U+FFFF and U+FFFE moved across a field boundary: each pair of rows is different
   * data that once produced the same row text. Columns in digest order: select, user, users, where.
   */
  static Stream<Arguments> noncharacterShifts() {
    return Stream.of(
        Arguments.of(
            "U+FFFF moved from the end of one text column to the start of the next",
            "U&'s\\FFFF', 'u', ARRAY['x'], 'w'",
            "'s', U&'\\FFFFu', ARRAY['x'], 'w'",
            List.of("select", "user")),
        Arguments.of(
            "NULL next to U+FFFE and a shifted U+FFFF",
            "NULL, U&'u\\FFFFv', ARRAY['x'], 'w'",
            "U&'\\FFFEu', 'v', ARRAY['x'], 'w'",
            List.of("select", "user")),
        Arguments.of(
            "U+FFFE text against NULL and a shifted U+FFFF",
            "U&'\\FFFE', 'u', NULL, 'w'",
            "NULL, U&'\\FFFFu', NULL, 'w'",
            List.of("select", "user")),
        Arguments.of(
            "array text moved through U+FFFF into the neighbouring text columns",
            "'s', U&'u\\FFFF{a}', ARRAY['b'], 'w'",
            "'s', 'u', ARRAY['a'], U&'{b}\\FFFFw'",
            List.of("user", "users", "where")),
        Arguments.of(
            "U+FFFF moved between array elements",
            "'s', 'u', ARRAY[U&'a\\FFFF', 'b'], 'w'",
            "'s', 'u', ARRAY['a', U&'\\FFFFb'], 'w'",
            List.of("users")),
        Arguments.of(
            "U+FFFE element instead of a NULL element",
            "'s', 'u', ARRAY[U&'\\FFFE', 'b'], 'w'",
            "'s', 'u', ARRAY[NULL, 'b'], 'w'",
            List.of("users")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("noncharacterShifts")
  void noncharactersShiftedBetweenFieldsAreChanged(
      String name, String source, String target, List<String> changedColumns) throws Exception {
    TestPostgres.execute(
        url,
        "TRUNCATE shifty, shifty_target; INSERT INTO shifty VALUES (1, "
            + source
            + "), (2, 'same', NULL, NULL, '');"
            + "INSERT INTO shifty_target VALUES ('acme', 1, "
            + target
            + "), ('acme', 2, 'same', NULL, NULL, '')");
    ChecksumSpec spec = new ChecksumSpec(shiftyColumns, List.of("id"), 8);

    RowComparison rows =
        compare(
            new ChecksumSql(spec, "shifty", null),
            new ChecksumSql(spec, "shifty_target", TENANT),
            10);

    assertThat(rows.listed())
        .as(name + ": differences listed")
        .containsExactly(
            new RowDifference(key(1), RowDifference.Kind.CHANGED, 1, 1, changedColumns));
    assertThat(rows.totalDifferences()).as(name + ": differences counted").isEqualTo(1);
  }

  @Test
  void xmlWithDeclarationMatchesWhatCopyLoadedAndAChangedXmlIsCaught() throws Exception {
    // The load path: COPY TO STDOUT on the source piped into COPY FROM STDIN on the target, twice
    // (a target loaded from a loaded target must still match: the canonical form is a fixpoint).
    copy("SELECT 'acme', * FROM docs", "docs_target");
    copy("SELECT * FROM docs_target", "docs_reloaded");
    ChecksumSpec spec = new ChecksumSpec(docColumns, List.of("id"), 4);
    ChecksumSql source = new ChecksumSql(spec, "docs", null);
    try (Connection conn = TestPostgres.connect(url)) {
      assertThat(
              RowSets.rows(
                  url,
                  "SELECT id::text FROM docs s JOIN docs_target t USING (id) WHERE s.doc::text <>"
                      + " t.doc::text ORDER BY id"))
          .as("values whose stored text COPY changed")
          .containsExactlyInAnyOrder("1", "2", "3", "4", "5", "8", "11", "12", "13");
      TableChecksum expected = PostgresChecksum.checksum(conn, source);
      assertThat(PostgresChecksum.checksum(conn, new ChecksumSql(spec, "docs_target", TENANT)))
          .as("xml after one COPY")
          .isEqualTo(expected);
      assertThat(PostgresChecksum.checksum(conn, new ChecksumSql(spec, "docs_reloaded", TENANT)))
          .as("xml after two COPYs")
          .isEqualTo(expected);
    }

    TestPostgres.execute(
        url,
        "UPDATE docs_target SET doc = '<r a=\"1\"/>' WHERE id = 1; UPDATE docs_target SET docs ="
            + " ARRAY['<r/>']::xml[] WHERE id = 4");
    RowComparison rows = compare(source, new ChecksumSql(spec, "docs_target", TENANT), 10);
    assertThat(rows.listed())
        .as("changed xml values")
        .containsExactly(
            new RowDifference(key(1), RowDifference.Kind.CHANGED, 1, 1, List.of("doc")),
            new RowDifference(key(4), RowDifference.Kind.CHANGED, 1, 1, List.of("docs")));
  }

  @Test
  void textUnderANondeterministicCollationIsDigestedAndACaseChangeCaught() throws Exception {
    try {
      TestPostgres.execute(
          url,
          "CREATE COLLATION IF NOT EXISTS case_insensitive (provider = icu, locale ="
              + " 'und-u-ks-level2', deterministic = false)");
    } catch (IllegalStateException e) {
      Assumptions.abort("this PostgreSQL has no ICU: " + e.getMessage());
    }
    TestPostgres.execute(
        url,
        """
        DROP TABLE IF EXISTS mails, mails_target;
        CREATE TABLE mails (id bigint PRIMARY KEY, email text COLLATE case_insensitive, tags text[] COLLATE case_insensitive);
        CREATE TABLE mails_target (tenant_id text NOT NULL, id bigint, email text COLLATE case_insensitive, tags text[] COLLATE case_insensitive);
        INSERT INTO mails VALUES (1, 'Ann@Example.com', ARRAY['A']), (2, 'bob@example.com', ARRAY['b']);
        INSERT INTO mails_target VALUES ('acme', 1, 'ann@example.com', ARRAY['A']), ('acme', 2, 'bob@example.com', ARRAY['B']);
        """);
    ChecksumSpec spec = new ChecksumSpec(ChecksumFixtures.columns(url, "mails"), List.of("id"), 4);

    RowComparison rows =
        compare(
            new ChecksumSql(spec, "mails", null),
            new ChecksumSql(spec, "mails_target", TENANT),
            10);

    assertThat(rows.listed())
        .as("case changes the collation calls equal")
        .containsExactly(
            new RowDifference(key(1), RowDifference.Kind.CHANGED, 1, 1, List.of("email")),
            new RowDifference(key(2), RowDifference.Kind.CHANGED, 1, 1, List.of("tags")));
  }

  /**
   * Runs {@code COPY (query) TO STDOUT} and pipes it into {@code COPY table FROM STDIN}, as the
   * loader does.
   */
  private static void copy(String query, String table) throws Exception {
    TestPostgres.execute(url, "TRUNCATE " + table);
    try (Connection in = TestPostgres.connect(url);
        Connection out = TestPostgres.connect(url)) {
      ByteArrayOutputStream text = new ByteArrayOutputStream();
      new CopyManager(in.unwrap(BaseConnection.class))
          .copyOut("COPY (" + query + ") TO STDOUT", text);
      new CopyManager(out.unwrap(BaseConnection.class))
          .copyIn("COPY " + table + " FROM STDIN", new ByteArrayInputStream(text.toByteArray()));
    }
  }

  @Test
  void cappedListingKeepsExactCounts() throws Exception {
    TestPostgres.execute(
        url, RESET + "UPDATE items_target SET qty = -qty WHERE tenant_id = 'acme' AND id <= 40");
    ChecksumSpec spec = new ChecksumSpec(itemColumns, List.of("id"), 64);
    RowComparison rows =
        compare(
            new ChecksumSql(spec, "items", null), new ChecksumSql(spec, "items_target", TENANT), 5);

    assertThat(rows.count(RowDifference.Kind.CHANGED)).as("changed keys counted").isEqualTo(40);
    assertThat(rows.listed()).as("changed keys listed").hasSize(5);
  }

  private static RowComparison compare(ChecksumSql source, ChecksumSql target, int maxListed)
      throws Exception {
    try (Connection conn = TestPostgres.connect(url)) {
      ChecksumComparison buckets =
          ChecksumComparison.compare(
              PostgresChecksum.checksum(conn, source), PostgresChecksum.checksum(conn, target));
      assertThat(buckets.matches()).as("bucket checksums match").isFalse();
      return RowComparison.classify(
          source.spec(),
          PostgresChecksum.drillDown(conn, source, buckets.mismatchedBuckets()),
          PostgresChecksum.drillDown(conn, target, buckets.mismatchedBuckets()),
          maxListed);
    }
  }

  private static String key(long id) {
    return "{\"id\": " + id + "}";
  }

  private static int sourceRows(RowDifference.Kind kind) {
    return kind == RowDifference.Kind.EXTRA_IN_TARGET ? 0 : 1;
  }

  private static int targetRows(RowDifference.Kind kind) {
    return switch (kind) {
      case MISSING_IN_TARGET -> 0;
      case DUPLICATED_IN_TARGET -> 2;
      default -> 1;
    };
  }
}
