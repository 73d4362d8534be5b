package dev.tenantfold.catchup;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.job.CatchUpJob;
import dev.tenantfold.job.MigrationJob;
import dev.tenantfold.job.PlanJob;
import dev.tenantfold.report.RunResult;
import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code catch-up.mode = cursor} end to end (issue 19, docs/catch-up.md "cursor"): inserts, updates
 * and deletes made on the source after the base copy arrive through a cursor column (a timestamp by
 * default, a bigint for one table by its rule) and the key comparison; the documented limits hold
 * (a row changed without touching its cursor is missed; a row committed behind the watermark is
 * read within the overlap); catch-up is idempotent and exactly once across a failure before commit;
 * {@code plan} refuses what it cannot catch up, naming tenant, table, column and key.
 */
class CursorCatchUpTest {
  private final SparkSession spark = LocalSpark.session();

  @TempDir Path reports;

  @AfterEach
  void noHook() {
    CursorCatchUp.beforeCommit = () -> {};
  }

  static final String SCHEMA =
      """
      CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT clock_timestamp());
      CREATE INDEX ON customers (updated_at);
      CREATE SEQUENCE order_versions;
      CREATE TABLE orders (id bigint PRIMARY KEY, customer_id int NOT NULL REFERENCES customers,
        amount numeric(12,2), version bigint NOT NULL DEFAULT nextval('order_versions'));
      CREATE TABLE tags (code text, lang text, label text,
        updated_at timestamptz NOT NULL DEFAULT clock_timestamp(), PRIMARY KEY (code, lang));
      INSERT INTO customers (id, name, updated_at)
        SELECT g, 'customer ' || g, timestamptz '2020-01-01 00:00+00' + g * interval '1 minute'
        FROM generate_series(1, 100) g;
      INSERT INTO orders (id, customer_id, amount) SELECT g, 1 + g % 100, g * 1.25
        FROM generate_series(1, 500) g;
      INSERT INTO tags (code, lang, label, updated_at) SELECT 'c' || g, l, 'label ' || g,
          timestamptz '2020-01-01 00:00+00' + g * interval '1 second'
        FROM generate_series(1, 20) g, unnest(ARRAY['en', 'fr']) l;
      """;

  private TenantfoldConfig config(String warehouse, String url, String catchUp, String rules) {
    return TenantfoldConfig.fromConfig(
        ConfigFactory.parseString(
            """
            tenantfold {
              target { url = "%s", user = postgres, password = postgres }
              report.dir = "%s"
              tenants = [ { id = acme, jdbc { url = "%s", user = postgres, password = postgres },
                catch-up { %s } } ]
              rules { %s }
            }
            """
                .formatted(warehouse, reports.toString(), url, catchUp, rules)));
  }

  private TenantfoldConfig cursorConfig(String warehouse, String url) {
    return config(
        warehouse,
        url,
        "mode = cursor, cursor-column = updated_at",
        "orders { cursor-column = version }");
  }

  private static String catchUp(CatchUpJob job) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int code = job.catchUp(List.of(), new PrintStream(bytes, true, StandardCharsets.UTF_8));
    return code + "|" + bytes.toString(StandardCharsets.UTF_8);
  }

  private static String cutover(CatchUpJob job) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int code = job.cutover("acme", new PrintStream(bytes, true, StandardCharsets.UTF_8));
    return code + "|" + bytes.toString(StandardCharsets.UTF_8);
  }

  private static List<String> rows(String url, String table, String columns, boolean target) {
    return RowSets.rows(
        url,
        "SELECT ROW("
            + columns
            + ")::text FROM "
            + (target ? "public." + table + " WHERE tenant_id = 'acme'" : table)
            + " ORDER BY 1");
  }

  private static void assertSame(String source, String warehouse, String table, String columns) {
    assertThat(rows(warehouse, table, columns, true))
        .as("table %s: target equals source", table)
        .containsExactlyElementsOf(rows(source, table, columns, false));
  }

  private static void assertAllSame(String source, String warehouse) {
    assertSame(source, warehouse, "customers", "id, name, updated_at");
    assertSame(source, warehouse, "orders", "id, customer_id, amount, version");
    assertSame(source, warehouse, "tags", "code, lang, label, updated_at");
  }

  private String baseCopy(String name, TenantfoldConfig[] config) throws Exception {
    String url = TestPostgres.createDatabase(name);
    TestPostgres.execute(url, SCHEMA);
    String warehouse = Fixtures.emptyWarehouse();
    config[0] = cursorConfig(warehouse, url);
    RunResult result = new MigrationJob(config[0], spark).execute();
    assertThat(result.exitCode()).as("run: %s", result.tenants()).isZero();
    return warehouse + "|" + url;
  }

  @Test
  void insertsUpdatesAndDeletesAfterTheBaseCopyArriveAndTheCutoverPrintsItsKeyComparison()
      throws Exception {
    TenantfoldConfig[] config = new TenantfoldConfig[1];
    String[] both = baseCopy("cursor_e2e", config).split("\\|");
    String warehouse = both[0];
    String url = both[1];
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT table_name || ' ' || cursor_column || ' ' || (watermark IS NOT NULL)"
                    + " FROM tenantfold.catchup_cursor WHERE tenant_id = 'acme' ORDER BY 1"))
        .as("the base copy recorded each table's starting watermark")
        .containsExactly(
            "customers updated_at true", "orders version true", "tags updated_at true");
    TestPostgres.execute(
        url,
        """
        INSERT INTO customers (id, name) VALUES (101, 'new customer');
        INSERT INTO orders (id, customer_id, amount) VALUES (501, 101, 9.99);
        UPDATE customers SET name = 'renamed', updated_at = clock_timestamp() WHERE id IN (5, 6);
        UPDATE orders SET amount = 0, version = nextval('order_versions') WHERE id = 7;
        DELETE FROM orders WHERE customer_id = 9;
        DELETE FROM customers WHERE id = 9;
        DELETE FROM tags WHERE code = 'c3';
        UPDATE tags SET label = 'relabelled', updated_at = clock_timestamp() WHERE code = 'c4';
        INSERT INTO tags (code, lang, label, updated_at) VALUES ('old', 'en', 'stamped long ago',
          '2001-01-01');
        """);
    CatchUpJob job = new CatchUpJob(config[0]);
    ByteArrayOutputStream refused = new ByteArrayOutputStream();
    assertThat(
            job.follow(
                List.of(),
                java.util.Optional.of(java.time.Duration.ofSeconds(30)),
                () -> false,
                new PrintStream(refused, true, StandardCharsets.UTF_8)))
        .as("--until-lag with a cursor tenant is a usage error, before any pass")
        .isEqualTo(2);
    assertThat(refused.toString(StandardCharsets.UTF_8))
        .contains("[acme] have catch-up.mode = cursor, whose lag is not measured");
    String out = catchUp(job);
    assertThat(out)
        .as("catch-up output")
        .startsWith("0|")
        .contains("tenant acme: caught up by cursor")
        .contains("deletes (key comparison)")
        .contains("inserts the cursor missed (key comparison)")
        .contains("keys compared: customers 100 keys");
    assertAllSame(url, warehouse);
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT p.status || ' ' || (p.changes > 0) || ' ' || (SELECT sum(inserts + updates"
                    + " + deletes) > 0 FROM tenantfold.catchup_applied a WHERE a.pass_id ="
                    + " p.pass_id) FROM tenantfold.catchup_passes p WHERE p.tenant_id = 'acme'"))
        .as("the cursor pass is in the report's passes, with its changes per table")
        .containsExactly("caught-up true true");

    // The documented limit: a row changed without touching its cursor column is missed.
    TestPostgres.execute(url, "UPDATE customers SET name = 'silently changed' WHERE id = 20");
    assertThat(catchUp(job)).startsWith("0|");
    assertThat(RowSets.rows(warehouse, "SELECT name FROM public.customers WHERE id = 20"))
        .as("an update that leaves the cursor alone is missed (docs/catch-up.md, cursor limits)")
        .containsExactly("customer 20");
    TestPostgres.execute(url, "UPDATE customers SET name = 'customer 20' WHERE id = 20");

    TestPostgres.execute(
        url,
        "INSERT INTO customers (id, name) VALUES (102, 'last'); UPDATE orders SET amount = 1,"
            + " version = nextval('order_versions') WHERE id = 8");
    String cut = cutover(job);
    assertThat(cut)
        .as("cutover output")
        .startsWith("0|")
        .contains("CUT OVER")
        .contains("no slot to drop (cursor mode)")
        .containsPattern(
            "key comparison \\(cursor mode; grows with the tenant's tables\\): customers 101"
                + " keys in \\d+\\.\\d s, orders \\d+ keys in \\d+\\.\\d s, tags 39 keys in"
                + " \\d+\\.\\d s; \\d+ source keys compared with the target's in \\d+\\.\\d s in"
                + " all");
    assertAllSame(url, warehouse);
    assertThat(catchUp(job)).as("a cut-over tenant is not caught up again").startsWith("1|");
  }

  @Test
  void aRowCommittedBehindTheWatermarkIsReadWithinTheOverlap() throws Exception {
    TenantfoldConfig[] config = new TenantfoldConfig[1];
    String[] both = baseCopy("cursor_overlap", config).split("\\|");
    String warehouse = both[0];
    String url = both[1];
    CatchUpJob job = new CatchUpJob(config[0]);
    TestPostgres.execute(
        url, "UPDATE customers SET name = 'late', updated_at = clock_timestamp() WHERE id = 1");
    assertThat(catchUp(job)).startsWith("0|");
    // A transaction that took its timestamp a minute before the last catch-up's read and
    // committed after it: its cursor is below the watermark, within the 5-minute overlap.
    TestPostgres.execute(
        url,
        "UPDATE customers SET name = 'committed out of order', updated_at = (SELECT max(updated_at)"
            + " FROM customers) - interval '1 minute' WHERE id = 2");
    assertThat(catchUp(job)).startsWith("0|");
    assertThat(RowSets.rows(warehouse, "SELECT name FROM public.customers WHERE id = 2"))
        .as("re-read within catch-up.cursor-overlap")
        .containsExactly("committed out of order");
    assertAllSame(url, warehouse);
  }

  @Test
  void catchUpIsIdempotentAndAFailureBeforeCommitAppliesNothing() throws Exception {
    TenantfoldConfig[] config = new TenantfoldConfig[1];
    String[] both = baseCopy("cursor_idem", config).split("\\|");
    String warehouse = both[0];
    String url = both[1];
    CatchUpJob job = new CatchUpJob(config[0]);
    TestPostgres.execute(
        url,
        """
        UPDATE customers SET name = 'changed', updated_at = clock_timestamp() WHERE id <= 10;
        DELETE FROM orders WHERE id <= 5;
        INSERT INTO orders (id, customer_id, amount) VALUES (600, 1, 1);
        """);
    String watermarks =
        "SELECT string_agg(table_name || '=' || coalesce(watermark, ''), ',' ORDER BY table_name)"
            + " FROM tenantfold.catchup_cursor";
    List<String> before = RowSets.rows(warehouse, watermarks);
    CursorCatchUp.beforeCommit =
        () -> {
          throw new IllegalStateException("crash between apply and commit");
        };
    assertThat(catchUp(job)).startsWith("1|").contains("crash between apply and commit");
    assertThat(RowSets.rows(warehouse, watermarks)).as("no watermark moved").isEqualTo(before);
    assertThat(RowSets.rows(warehouse, "SELECT count(*) FROM public.orders WHERE id <= 5"))
        .as("no delete applied")
        .containsExactly("5");
    assertThat(
            RowSets.rows(warehouse, "SELECT count(*) FROM public.customers WHERE name = 'changed'"))
        .as("no update applied")
        .containsExactly("0");
    CursorCatchUp.beforeCommit = () -> {};
    assertThat(catchUp(job)).startsWith("0|");
    assertAllSame(url, warehouse);
    long applied = RowSets.count(warehouse, "SELECT applied_changes FROM tenantfold.catchup_state");
    assertThat(catchUp(job)).as("again, with nothing new").startsWith("0|");
    assertAllSame(url, warehouse);
    assertThat(RowSets.count(warehouse, "SELECT applied_changes FROM tenantfold.catchup_state"))
        .as("the second catch-up re-read the overlap (idempotent upserts) and deleted nothing")
        .isGreaterThanOrEqualTo(applied);
  }

  @Test
  void deletesFoundByTheKeyComparisonPassTheShrinkGuard() throws Exception {
    TenantfoldConfig[] config = new TenantfoldConfig[1];
    String[] both = baseCopy("cursor_shrink", config).split("\\|");
    String warehouse = both[0];
    String url = both[1];
    TestPostgres.execute(url, "DELETE FROM tags WHERE code <> 'c1'");
    String out = catchUp(new CatchUpJob(config[0]));
    assertThat(out)
        .startsWith("1|")
        .contains(
            "Cannot catch up tenant acme: its changes would take table tags from 40 rows to 2");
    assertThat(RowSets.count(warehouse, "SELECT count(*) FROM public.tags")).isEqualTo(40);
    assertThat(catchUp(new CatchUpJob(config[0]).allowingShrink(List.of("acme")))).startsWith("0|");
    assertAllSame(url, warehouse);
  }

  @Test
  void planRefusesTablesCursorCatchUpCannotFollowAndPrintsEachTablesLimits() throws Exception {
    String url = TestPostgres.createDatabase("cursor_plan");
    TestPostgres.execute(
        url,
        """
        CREATE TABLE good (id int PRIMARY KEY, updated_at timestamptz);
        CREATE TABLE keyless (v text, updated_at timestamptz);
        CREATE TABLE nocursor (id int PRIMARY KEY, v text);
        CREATE TABLE texty (id int PRIMARY KEY, updated_at text);
        """);
    // (A rule naming a table of a tenant the plan refuses fails the plan as a configuration
    // error, whatever the rule: the per-table override is exercised by the end-to-end test.)
    TenantfoldConfig config =
        config(Fixtures.emptyWarehouse(), url, "mode = cursor, cursor-column = updated_at", "");
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PlanJob.Outcome outcome =
        new PlanJob(config, null)
            .execute(new PrintStream(bytes, true, StandardCharsets.UTF_8), Optional.empty());
    String out = String.join("\n", outcome.unreadable().values());
    assertThat(outcome.clean()).as("plan is refused").isFalse();
    assertThat(out)
        .contains(
            "Cannot catch up tenant acme (catch-up.mode = cursor): table public.keyless has"
                + " no primary key")
        .contains("finds deleted rows by comparing the key sets of source and target")
        .contains(
            "table public.nocursor has no column updated_at (the cursor column"
                + " tenants[].catch-up.cursor-column names)")
        .contains(
            "table public.texty column updated_at (tenants[].catch-up.cursor-column) is of type"
                + " text, which is not a cursor catch-up can compare");
    assertThat(out).doesNotContain("table public.good");

    TestPostgres.execute(
        url,
        "DROP TABLE keyless; DROP TABLE texty; ALTER TABLE nocursor ADD COLUMN updated_at"
            + " timestamp");
    bytes.reset();
    config =
        config(Fixtures.emptyWarehouse(), url, "mode = cursor, cursor-column = updated_at", "");
    outcome =
        new PlanJob(config, null)
            .execute(new PrintStream(bytes, true, StandardCharsets.UTF_8), Optional.empty());
    assertThat(outcome.unreadable()).as("plan accepts").isEmpty();
    assertThat(bytes.toString(StandardCharsets.UTF_8))
        .contains(
            "tenant acme table good: cursor updated_at (timestamp with time zone), key [id]."
                + " Misses rows changed without setting updated_at")
        .contains("updated_at >= watermark - 300 s (the default)")
        .contains("each catch-up and the cutover read every key of the table on both sides")
        .contains("tenant acme table nocursor: cursor updated_at (timestamp without time zone)");
  }

  @Test
  void aTableUnderACastRuleIsCaughtUpAsAFreshRunWouldPublishIt() throws Exception {
    String url = TestPostgres.createDatabase("cursor_rules");
    TestPostgres.execute(
        url,
        """
        CREATE TABLE prices (id int PRIMARY KEY, amount text, updated_at timestamptz NOT NULL);
        INSERT INTO prices SELECT g, (g * 1.5)::text, timestamptz '2020-01-01' + g * interval '1 s'
          FROM generate_series(1, 10) g;
        """);
    String warehouse = Fixtures.emptyWarehouse();
    TenantfoldConfig config =
        config(
            warehouse,
            url,
            "mode = cursor, cursor-column = updated_at",
            "prices { max-rejected-rows = 5, columns { amount { cast = numeric } } }");
    RunResult result = new MigrationJob(config, spark).execute();
    assertThat(result.exitCode()).as("run: %s", result.tenants()).isZero();
    TestPostgres.execute(
        url,
        """
        UPDATE prices SET amount = 'not a number', updated_at = clock_timestamp() WHERE id = 2;
        UPDATE prices SET amount = '99.5', updated_at = clock_timestamp() WHERE id = 3;
        INSERT INTO prices VALUES (11, '7.25', clock_timestamp());
        DELETE FROM prices WHERE id = 4;
        """);
    assertThat(catchUp(new CatchUpJob(config))).startsWith("0|");
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT id || '=' || amount FROM public.prices WHERE tenant_id = 'acme' ORDER BY"
                    + " id"))
        .as("the cast rule applied: a value that no longer casts leaves the partition")
        .containsExactlyInAnyOrder(
            "1=1.5", "3=99.5", "5=7.5", "6=9.0", "7=10.5", "8=12.0", "9=13.5", "10=15.0",
            "11=7.25");
  }
}
