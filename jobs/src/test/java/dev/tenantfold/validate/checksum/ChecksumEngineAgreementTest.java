package dev.tenantfold.validate.checksum;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.extract.ColumnSpec;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.TestPostgres;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SQL checksum in PostgreSQL and the Spark checksum over a Parquet export agree bit for bit.
 */
class ChecksumEngineAgreementTest {
  private static String url;
  private static SparkSession spark;
  private static List<ColumnSpec> columns;

  @TempDir static Path dir;

  @BeforeAll
  static void setUp() throws Exception {
    url = TestPostgres.createDatabase("checksum_agree");
    TestPostgres.execute(url, ChecksumFixtures.CORPUS);
    spark = LocalSpark.session();
    columns = ChecksumFixtures.columns(url, "corpus");
  }

  @Test
  void corpusChecksumsAgreeBetweenPostgresAndSpark() throws Exception {
    ChecksumSpec spec = new ChecksumSpec(columns, List.of("id"), 16);
    Dataset<Row> exported = ChecksumFixtures.parquetExport(spark, url, "corpus", columns, dir);
    List<Integer> all = IntStream.range(0, spec.buckets()).boxed().toList();
    ChecksumSql sql = new ChecksumSql(spec, "corpus", null);

    List<DrillDownRow> pgRows;
    TableChecksum pg;
    try (Connection conn = TestPostgres.connect(url)) {
      pgRows = PostgresChecksum.drillDown(conn, sql, all);
      pg = PostgresChecksum.checksum(conn, sql);
    }
    List<DrillDownRow> sparkRows = SparkChecksum.drillDown(exported, spec, all);

    // Column by column first: a disagreement names the column and both canonical values.
    assertThat(pgRows).as("rows in PostgreSQL").hasSize(10);
    assertThat(canonicalValues(spec, sparkRows))
        .as("canonical values from Spark vs PostgreSQL")
        .containsExactlyInAnyOrderElementsOf(canonicalValues(spec, pgRows));
    assertThat(sparkRows)
        .as("drill-down rows from Spark")
        .containsExactlyInAnyOrderElementsOf(pgRows);
    TableChecksum fromSpark = SparkChecksum.checksum(exported, spec);
    assertThat(fromSpark).as("per-bucket checksum from Spark").isEqualTo(pg);
    assertThat(ChecksumComparison.compare(pg, fromSpark).matches())
        .as("comparison verdict")
        .isTrue();
    assertThat(pg.totalRows()).as("rows counted").isEqualTo(10);
  }

  @Test
  void keylessChecksumsAgreeBetweenPostgresAndSpark() throws Exception {
    List<ColumnSpec> noId = columns.stream().filter(c -> !c.name().equals("id")).toList();
    ChecksumSpec spec = new ChecksumSpec(noId, List.of(), ChecksumSpec.DEFAULT_BUCKETS);
    Dataset<Row> exported = ChecksumFixtures.parquetExport(spark, url, "corpus", noId, dir);
    TableChecksum pg;
    try (Connection conn = TestPostgres.connect(url)) {
      pg = PostgresChecksum.checksum(conn, new ChecksumSql(spec, "corpus", null));
    }
    assertThat(SparkChecksum.checksum(exported, spec))
        .as("keyless per-bucket checksum from Spark")
        .isEqualTo(pg);
  }

  @Test
  void subqueryRelationAndDrillDownInByteOrder() throws Exception {
    // A target missing a column reads it as NULL through a parenthesised subquery with an alias.
    List<ColumnSpec> some =
        columns.stream().filter(c -> List.of("id", "t", "vc", "ta").contains(c.name())).toList();
    ChecksumSpec spec = new ChecksumSpec(some, List.of("t"), 4);
    ChecksumSql plain =
        new ChecksumSql(
            spec, "(SELECT \"id\", \"t\", \"vc\", \"ta\" FROM \"public\".\"corpus\") src", null);
    ChecksumSql withNull =
        new ChecksumSql(
            spec,
            "(SELECT \"id\", \"t\", NULL::varchar(32) AS \"vc\", \"ta\" FROM \"public\".\"corpus\")"
                + " src",
            "\"id\" <> 3");
    List<Integer> all = IntStream.range(0, spec.buckets()).boxed().toList();
    try (Connection conn = TestPostgres.connect(url)) {
      assertThat(PostgresChecksum.checksum(conn, plain))
          .as("checksum through a subquery")
          .isEqualTo(PostgresChecksum.checksum(conn, new ChecksumSql(spec, "corpus", null)));
      List<DrillDownRow> rows = PostgresChecksum.drillDown(conn, withNull, all);
      assertThat(rows).as("rows through a subquery with a predicate").hasSize(9);
      List<String> order = rows.stream().map(r -> r.key() + "\u0000" + r.rowDigest()).toList();
      List<String> byteOrder =
          order.stream()
              .sorted(
                  java.util.Comparator.comparing(
                      (String s) -> s.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                      java.util.Arrays::compareUnsigned))
              .toList();
      assertThat(order)
          .as("drill-down ordered by key_text, row_digest in byte order")
          .isEqualTo(byteOrder);
    }
  }

  @Test
  void xmlCanonicalTextAgreesWithPostgresForTheStoredText() throws Exception {
    // The stored text (xml::text keeps the declaration COPY drops) rendered in Java must equal the
    // SQL canonical expression over the xml value, for every form a declaration can take.
    String values =
"""
        ('<?xml version="1.0"?><r/>'), ('<?xml version="1.0" encoding="UTF-8"?><r>é</r>'), (E'<?xml version="1.0"?>\\n<r/>'),
        (E'<?xml version="1.0"?>\\n\\n<r/>'), (E'<?xml version="1.0"?>\\r\\n<r/>'), ($$<?xml version='1.0'  standalone='yes' ?><r/>$$),
        ($$<?xml version="1.0" encoding='latin1' standalone="no"?>
<r/>$$), ('<?xml version="1.1"?><r/>'), (E'<?xml\\tversion="1.0"?><r/>'),
        ('<?xml version="1.0"?>'), ('<?xml version="1.0"?><!DOCTYPE r><r/>'), ('<?xml-stylesheet href="s.xsl"?><r/>'),
        (E'\\n\\n<r/>'), (E' \\n<r/>'), (''), ('plain'), ('<r>é 東京</r>'), (NULL)
""";
    ColumnSpec xml = new ColumnSpec("v", "xml", false, null, false);
    List<String> javaRendered = new ArrayList<>();
    List<String> sqlRendered = new ArrayList<>();
    try (Connection conn = TestPostgres.connect(url);
        Statement st = conn.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT \"v\"::text, "
                    + ChecksumSql.columnExpression(xml)
                    + " FROM (SELECT column1::xml AS \"v\" FROM (VALUES "
                    + values
                    + ") t) s")) {
      while (rs.next()) {
        javaRendered.add(
            rs.getString(1) + " -> " + CanonicalRow.render(CanonicalType.of(xml), rs.getString(1)));
        sqlRendered.add(rs.getString(1) + " -> " + rs.getString(2));
      }
    }
    assertThat(javaRendered)
        .as("xml canonical text from Java vs PostgreSQL")
        .hasSize(18)
        .containsExactlyElementsOf(sqlRendered);
  }

  @Test
  void xmlChecksumsAgreeWhetherSparkGetsTheStoredTextOrTheOutputText() throws Exception {
    List<ColumnSpec> xmlColumns =
        columns.stream().filter(c -> List.of("id", "x", "xa").contains(c.name())).toList();
    ChecksumSpec spec = new ChecksumSpec(xmlColumns, List.of("id"), 4);
    TableChecksum pg;
    try (Connection conn = TestPostgres.connect(url)) {
      pg = PostgresChecksum.checksum(conn, new ChecksumSql(spec, "corpus", null));
    }
    // An export that carries xml as its stored text keeps the declarations the output text drops.
    TestPostgres.execute(
        url,
        "DROP VIEW IF EXISTS corpus_stored_xml; CREATE VIEW corpus_stored_xml AS SELECT id, x::text"
            + " AS x, xa::text[] AS xa FROM corpus");
    Dataset<Row> stored =
        ChecksumFixtures.parquetExport(spark, url, "corpus_stored_xml", xmlColumns, dir);
    Dataset<Row> output = ChecksumFixtures.parquetExport(spark, url, "corpus", xmlColumns, dir);
    assertThat(stored.filter("x LIKE '<?xml version=\"1.0\"?>%'").count())
        .as("stored texts with a declaration")
        .isPositive();
    assertThat(SparkChecksum.checksum(stored, spec)).as("Spark over the stored text").isEqualTo(pg);
    assertThat(SparkChecksum.checksum(output, spec)).as("Spark over the output text").isEqualTo(pg);
  }

  @Test
  void postgresChecksumDoesNotDependOnSessionSettings() throws Exception {
    ChecksumSpec spec = ChecksumSpec.of(columns, List.of("id"));
    ChecksumSql sql = new ChecksumSql(spec, "corpus", null);
    TableChecksum plain;
    TableChecksum tweaked;
    try (Connection conn = TestPostgres.connect(url)) {
      plain = PostgresChecksum.checksum(conn, sql);
      try (Statement st = conn.createStatement()) {
        st.execute(
            "SET TimeZone = 'Pacific/Chatham'; SET DateStyle = 'ISO, DMY'; SET IntervalStyle ="
                + " 'iso_8601'; SET extra_float_digits = 0; SET bytea_output = 'escape'");
      }
      tweaked = PostgresChecksum.checksum(conn, sql);
    }
    assertThat(tweaked)
        .as(
            "checksum under other TimeZone, DateStyle, IntervalStyle, extra_float_digits,"
                + " bytea_output")
        .isEqualTo(plain);
  }

  private static List<String> canonicalValues(ChecksumSpec spec, List<DrillDownRow> rows) {
    List<String> out = new ArrayList<>();
    for (DrillDownRow row : rows) {
      for (int i = 0; i < spec.columnNames().size(); i++) {
        out.add(row.key() + " " + spec.columnNames().get(i) + " = " + row.values().get(i));
      }
    }
    return out;
  }
}
