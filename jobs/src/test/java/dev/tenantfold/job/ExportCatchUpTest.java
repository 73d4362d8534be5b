package dev.tenantfold.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.typesafe.config.ConfigFactory;
import dev.tenantfold.config.ConfigError;
import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.report.RunResult;
import dev.tenantfold.testing.AwsApi;
import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.LogCapture;
import dev.tenantfold.testing.Postgres13;
import dev.tenantfold.testing.RdsExportFixture;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Catch-up of a tenant read from a snapshot export (issue 19, docs/catch-up.md "Snapshot exports"):
 * {@code tenantfold export} creates the slot on production (an embedded PostgreSQL with {@code
 * wal_level = logical}) first, then takes a fresh snapshot (CreateDBSnapshot, served by WireMock)
 * and exports it. The test writes the export's Parquet files from production's rows as they are
 * once the slot exists and some rows changed after it, then hands out that moment as the snapshot's
 * creation time. Rows changed after the slot, before and after the export's point, arrive exactly
 * after the run loads the export, catch-up and cutover.
 */
class ExportCatchUpTest {
  private static final SparkSession spark = LocalSpark.session();
  private static final String TASK = "tf-acme-20261206-050000";
  private static final List<String> TABLES = List.of("customers", "orders", "tags", "scratch");
  private AwsApi api;
  @TempDir Path tmp;

  @BeforeEach
  void startApi() {
    api = new AwsApi();
    api.rds("CreateDBSnapshot", snapshot("creating", "2020-01-01T00:00:00Z"));
    api.rdsInState(
        "DescribeDBSnapshots",
        "snapshot",
        Scenario.STARTED,
        "<DBSnapshots>" + snapshot("creating", "2020-01-01T00:00:00Z") + "</DBSnapshots>");
    api.rds("StartExportTask", task("STARTING", 0, null));
    api.rds("DeleteDBSnapshot", snapshot("deleted", "2020-01-01T00:00:00Z"));
  }

  @AfterEach
  void stopApi() {
    api.close();
  }

  private static String snapshot(String status, String created) {
    return "<DBSnapshot><DBSnapshotIdentifier>tf-acme-snap</DBSnapshotIdentifier>"
        + "<DBSnapshotArn>arn:aws:rds:eu-west-1:123456789012:snapshot:tf-acme-snap</DBSnapshotArn>"
        + "<DBInstanceIdentifier>acme-prod</DBInstanceIdentifier><Status>"
        + status
        + "</Status><SnapshotCreateTime>"
        + created
        + "</SnapshotCreateTime></DBSnapshot>";
  }

  private static String task(String status, int percent, String failureCause) {
    return "<ExportTaskIdentifier>"
        + TASK
        + "</ExportTaskIdentifier><SourceArn>arn:aws:rds:eu-west-1:123456789012:snapshot:tf-acme-snap</SourceArn>"
        + "<S3Bucket>tenant-exports</S3Bucket><S3Prefix>tenantfold</S3Prefix><Status>"
        + status
        + "</Status><PercentProgress>"
        + percent
        + "</PercentProgress>"
        + (failureCause == null ? "" : "<FailureCause>" + failureCause + "</FailureCause>");
  }

  /** The snapshot is available, created at {@code point}; the export task ends as {@code end}. */
  private void snapshotReadyAt(Instant point, String end) {
    api.rdsInState(
        "DescribeDBSnapshots",
        "snapshot",
        "ready",
        "<DBSnapshots>" + snapshot("available", point.toString()) + "</DBSnapshots>");
    api.rdsSequence(
        "DescribeExportTasks",
        List.of(
            "<ExportTasks><ExportTask>"
                + task("IN_PROGRESS", 40, null)
                + "</ExportTask></ExportTasks>",
            "<ExportTasks><ExportTask>" + end + "</ExportTask></ExportTasks>"));
    api.server().setScenarioState("snapshot", "ready");
  }

  private TenantfoldConfig config(String warehouse, String production, String tenantExtra) {
    return config(warehouse, production, tenantExtra, tmp.resolve("export"));
  }

  private TenantfoldConfig config(
      String warehouse, String production, String tenantExtra, Path exportRoot) {
    String database = production.substring(production.lastIndexOf('/') + 1);
    return TenantfoldConfig.fromConfig(
        ConfigFactory.parseString(
            """
            tenantfold {
              aws { region = %s, rds-endpoint = "%s", poll-interval = 50ms
                export { bucket = tenant-exports, prefix = tenantfold,
                  iam-role = "arn:aws:iam::123456789012:role/rds-s3-export",
                  kms-key = "arn:aws:kms:eu-west-1:123456789012:key/1111" } }
              target { url = "%s", user = postgres, password = postgres }
              report.dir = "%s"
              tenants = [ { id = acme, instance = acme-prod
                export { path = "%s", database = %s
                  catalog { url = "%s", user = postgres, password = postgres } }
                %s } ]
            }
            """
                .formatted(
                    AwsApi.REGION,
                    api.endpoint(),
                    warehouse,
                    tmp.resolve("reports"),
                    exportRoot,
                    database,
                    production,
                    tenantExtra)));
  }

  private static final String LOGICAL = "catch-up { mode = logical }";

  /** Rows the cases below act on alone. */
  private static final String OWN_ROWS =
      """
      INSERT INTO customers (id, name, notes)
        SELECT g, 'own ' || g, (SELECT string_agg(md5(g::text || s::text), '') FROM generate_series(1, 120) s)
          FROM generate_series(5001, 5008) g;
      INSERT INTO orders (id, customer_id, amount, status)
        SELECT g, 1, g, 'own' FROM generate_series(50001, 50004) g;
      """;

  /** Changed after the slot, before the export's point: the export holds their outcome. */
  private static final String BEFORE_POINT =
      """
      DELETE FROM orders WHERE id = 50001;
      UPDATE orders SET id = 60002 WHERE id = 50002;
      UPDATE customers SET name = name || '+' WHERE id = 5003;
      DELETE FROM customers WHERE id = 5003;
      UPDATE customers SET name = name || '+' WHERE id = 5004;
      UPDATE customers SET id = 6004 WHERE id = 5004;
      UPDATE customers SET name = 'renamed' WHERE id = 5005;
      INSERT INTO customers (id, name, notes)
        VALUES (5009, 'new', (SELECT string_agg(md5(s::text), '') FROM generate_series(1, 120) s));
      UPDATE customers SET name = 'new+' WHERE id = 5009;
      TRUNCATE scratch;
      INSERT INTO scratch VALUES (7, 'before the point');
      UPDATE tags SET label = 'relabelled' WHERE lang = 'fr' AND code LIKE 'c1%';
      """;

  /** Changed after the export's point: only the slot has them. */
  private static final String AFTER_POINT =
      """
      DELETE FROM customers WHERE id = 6004;
      UPDATE customers SET name = name || '!' WHERE id = 5006;
      UPDATE customers SET id = 7007 WHERE id = 5007;
      DELETE FROM orders WHERE id = 60002;
      INSERT INTO scratch VALUES (8, 'after the point');
      INSERT INTO orders (customer_id, amount, status) VALUES (3, 9.5, 'late');
      DELETE FROM tags WHERE code = 'c2';
      """;

  private static Instant now(String production) throws Exception {
    try (Connection conn = TestPostgres.connect(production);
        Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery("SELECT clock_timestamp()")) {
      rs.next();
      return rs.getObject(1, OffsetDateTime.class).toInstant();
    }
  }

  private void awaitRequest(String action) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    while (api.requests(action).isEmpty()) {
      assertThat(System.nanoTime()).as("the export command calls " + action).isLessThan(deadline);
      Thread.sleep(20);
    }
  }

  private static long slots(String production) {
    return RowSets.count(
        production,
        "SELECT count(*) FROM pg_replication_slots WHERE database = current_database()");
  }

  private static int export(TenantfoldConfig config, Optional<String> snapshot, PrintStream out)
      throws InterruptedException {
    return new ExportTaskJob(config).execute("acme", snapshot, out);
  }

  @Test
  void changesBeforeAndAfterTheExportsPointArriveExactlyAfterCatchUpAndCutover() throws Exception {
    caughtUpExactly(TestPostgres.createDatabase("ecu_acme"));
  }

  /** The same on a PostgreSQL 13 production, the oldest Tenantfold reads. */
  @Test
  void aPostgres13ProductionIsCaughtUpExactlyToo() throws Exception {
    String production = Postgres13.createDatabase("ecu13_acme");
    assertThat(RowSets.count(production, "SHOW server_version_num"))
        .as("production runs PostgreSQL 13")
        .isBetween(130000L, 139999L);
    caughtUpExactly(production);
  }

  private void caughtUpExactly(String production) throws Exception {
    TestPostgres.execute(production, CatchUpTest.SCHEMA + OWN_ROWS);
    String database = production.substring(production.lastIndexOf('/') + 1);
    String warehouse = Fixtures.emptyWarehouse();
    TenantfoldConfig config = config(warehouse, production, LOGICAL);

    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    CompletableFuture<Integer> exporting =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return export(
                    config,
                    Optional.empty(),
                    new PrintStream(printed, true, StandardCharsets.UTF_8));
              } catch (InterruptedException e) {
                throw new java.util.concurrent.CompletionException(e);
              }
            });
    awaitRequest("CreateDBSnapshot");
    assertThat(slots(production))
        .as("the slot exists on production before the snapshot is requested")
        .isEqualTo(1);
    assertThat(api.requests("CreateDBSnapshot").get(0))
        .containsEntry("DBInstanceIdentifier", "acme-prod");
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT status || ' ' || (base_read_from IS NULL) FROM tenantfold.catchup_state"
                    + " WHERE tenant_id = 'acme'"))
        .as("the slot is recorded in the target's catch-up state, no export yet")
        .containsExactly("catching-up true");
    ByteArrayOutputStream midExport = new ByteArrayOutputStream();
    new CleanupJob(config, false).execute(new PrintStream(midExport, true, StandardCharsets.UTF_8));
    assertThat(midExport.toString(StandardCharsets.UTF_8))
        .as("cleanup while the export task runs")
        .contains("no run has caught up from it yet");
    assertThat(slots(production))
        .as("cleanup leaves the slot of an export in progress")
        .isEqualTo(1);
    TestPostgres.execute(production, BEFORE_POINT);
    Instant point = now(production);
    RdsExportFixture.write(
        spark,
        production,
        tmp.resolve("export"),
        database,
        TABLES,
        RdsExportFixture.Options.defaults().taskId(TASK).snapshotTime(point));
    TestPostgres.execute(production, AFTER_POINT);
    snapshotReadyAt(point, task("COMPLETE", 100, null));

    assertThat(exporting.get(2, TimeUnit.MINUTES))
        .as("export: %s", printed.toString(StandardCharsets.UTF_8))
        .isZero();
    assertThat(printed.toString(StandardCharsets.UTF_8))
        .contains("Created replication slot tenantfold_acme")
        .contains("Export task " + TASK + " COMPLETE")
        .contains("catch-up { mode = logical }")
        .doesNotContain("password = postgres");
    assertThat(api.requests("StartExportTask").get(0))
        .containsEntry("SourceArn", "arn:aws:rds:eu-west-1:123456789012:snapshot:tf-acme-snap");
    assertThat(api.requests("DeleteDBSnapshot"))
        .as("the snapshot taken for the export is deleted once the task ended")
        .singleElement()
        .satisfies(
            r ->
                assertThat(r)
                    .containsEntry(
                        "DBSnapshotIdentifier",
                        api.requests("CreateDBSnapshot").get(0).get("DBSnapshotIdentifier")));
    assertThat(printed.toString(StandardCharsets.UTF_8)).contains("Deleted snapshot tf-acme-");
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT base_read_from || ' ' || (base_point = '"
                    + point
                    + "'::timestamptz) || ' ' || (slot_created_at < base_point) FROM"
                    + " tenantfold.catchup_state WHERE tenant_id = 'acme'"))
        .as("the export and its snapshot's creation, after the slot's, recorded as the base point")
        .containsExactly(TASK + " true true");

    RdsExportFixture.write(
        spark,
        production,
        tmp.resolve("other"),
        database,
        TABLES,
        RdsExportFixture.Options.defaults().taskId("tf-acme-other").snapshotTime(point));
    RunResult other =
        new MigrationJob(config(warehouse, production, LOGICAL, tmp.resolve("other")), spark)
            .execute();
    assertThat(other.tenants().get(0).published()).as("another export is refused").isFalse();
    assertThat(other.tenants().get(0).message())
        .contains("Cannot catch up tenant acme from export tf-acme-other")
        .contains("the export taken after its replication slot is " + TASK);

    RunResult run = new MigrationJob(config, spark).execute();
    assertThat(run.exitCode()).as("run: %s", run.tenants()).isZero();
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT id::text FROM public.scratch WHERE tenant_id = 'acme' ORDER BY id"))
        .as("the base copy is the export's (7 before its point, 8 after)")
        .containsExactly("7");
    ByteArrayOutputStream cleaned = new ByteArrayOutputStream();
    new CleanupJob(config, false).execute(new PrintStream(cleaned, true, StandardCharsets.UTF_8));
    assertThat(slots(production))
        .as(
            "cleanup leaves the slot of a loaded export before catch-up applied anything: %s",
            cleaned.toString(StandardCharsets.UTF_8))
        .isEqualTo(1);

    try (LogCapture logs = LogCapture.start()) {
      assertThat(CatchUpTest.run(new CatchUpJob(config))).as("catch-up").startsWith("0|");
      assertThat(logs.log())
          .as("the overlap's changes the export held already, counted")
          .contains("deletes of rows the target does not hold");
    }
    RunResult again = new MigrationJob(config, spark).execute();
    assertThat(again.tenants().get(0).published())
        .as("a reload once catch-up confirmed changes is refused: the slot no longer holds them")
        .isFalse();
    assertThat(again.tenants().get(0).message()).contains("catch-up already applied changes");
    String verdict = CatchUpTest.cutover(new CatchUpJob(config), "acme");
    assertThat(verdict).as("cutover").startsWith("0|").contains("CUT OVER");
    CatchUpTest.assertSameTables(production, warehouse, "acme");
    CatchUpTest.assertSequencesPastSource(production, warehouse, "acme");
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT id || ' ' || name FROM public.customers WHERE tenant_id = 'acme' AND id >"
                    + " 5000 ORDER BY id"))
        .as("the rows the cases acted on")
        .containsExactly(
            "5001 own 5001",
            "5002 own 5002",
            "5005 renamed",
            "5006 own 5006!",
            "5008 own 5008",
            "5009 new+",
            "7007 own 5007");
    assertThat(slots(production)).as("cutover drops the slot").isZero();
  }

  @Test
  void aFailedExportDropsTheSlotItMadeAndTheRunRefusesTheTenant() throws Exception {
    String production = TestPostgres.createDatabase("ecu_failed");
    TestPostgres.execute(production, CatchUpTest.SCHEMA);
    String database = production.substring(production.lastIndexOf('/') + 1);
    String warehouse = Fixtures.emptyWarehouse();
    TenantfoldConfig config = config(warehouse, production, LOGICAL);
    snapshotReadyAt(Instant.now().plusSeconds(60), task("FAILED", 10, "S3 access denied"));

    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    assertThat(
            export(
                config, Optional.empty(), new PrintStream(printed, true, StandardCharsets.UTF_8)))
        .isEqualTo(1);
    assertThat(printed.toString(StandardCharsets.UTF_8)).contains("S3 access denied");
    assertThat(api.requests("DeleteDBSnapshot"))
        .as("a failed export's snapshot is deleted too")
        .hasSize(1);
    assertThat(slots(production)).as("no export follows: the slot is dropped").isZero();
    assertThat(RowSets.count(production, "SELECT count(*) FROM pg_publication"))
        .as("and the publication it made")
        .isZero();

    // An export of production that no slot precedes (here: written by hand) is refused by the run.
    RdsExportFixture.write(
        spark,
        production,
        tmp.resolve("export"),
        database,
        TABLES,
        RdsExportFixture.Options.defaults().taskId(TASK));
    RunResult run = new MigrationJob(config, spark).execute();
    assertThat(run.tenants().get(0).published()).isFalse();
    assertThat(run.tenants().get(0).message())
        .contains("Cannot catch up tenant acme from export " + TASK)
        .contains("its replication slot is dropped")
        .contains("tenantfold export --tenant acme");
  }

  @Test
  void anExportNoSlotPrecedesIsRefusedByTheRun() throws Exception {
    String production = TestPostgres.createDatabase("ecu_noslot");
    TestPostgres.execute(production, CatchUpTest.SCHEMA);
    String database = production.substring(production.lastIndexOf('/') + 1);
    String warehouse = Fixtures.emptyWarehouse();
    RdsExportFixture.write(
        spark,
        production,
        tmp.resolve("export"),
        database,
        TABLES,
        RdsExportFixture.Options.defaults().taskId(TASK));

    TenantfoldConfig config = config(warehouse, production, LOGICAL);
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    PlanJob.Outcome plan =
        new PlanJob(config, spark)
            .execute(new PrintStream(printed, true, StandardCharsets.UTF_8), Optional.empty());
    assertThat(plan.clean()).as("the plan refuses the tenant").isFalse();
    assertThat(printed.toString(StandardCharsets.UTF_8))
        .contains("Cannot catch up tenant acme from export " + TASK)
        .contains("run tenantfold export --tenant acme");

    RunResult run = new MigrationJob(config, spark).execute();

    assertThat(run.tenants().get(0).published()).isFalse();
    assertThat(run.tenants().get(0).message())
        .contains("Cannot catch up tenant acme from export " + TASK)
        .contains("no replication slot was created for it")
        .contains("run tenantfold export --tenant acme");
    assertThat(
            RowSets.count(
                warehouse,
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename ="
                    + " 'customers'"))
        .as("nothing published")
        .isZero();
  }

  @Test
  // Were the refusal to break, the export would wait out the six-hour snapshot timeout.
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void anExistingSnapshotWithCatchUpIsRefusedWithWhatToDo() throws Exception {
    String production = TestPostgres.createDatabase("ecu_snap");
    TestPostgres.execute(production, CatchUpTest.SCHEMA);
    TenantfoldConfig config = config(Fixtures.emptyWarehouse(), production, LOGICAL);

    assertThatThrownBy(
            () ->
                export(
                    config,
                    Optional.of("before-migration"),
                    new PrintStream(new ByteArrayOutputStream())))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining(
            "Cannot export snapshot before-migration of tenant acme with catch-up")
        .hasMessageContaining("leave out --snapshot");
    assertThat(slots(production)).as("no slot made").isZero();
    assertThat(api.requests("StartExportTask")).isEmpty();
  }

  @Test
  void catchUpOfAnExportTenantNeedsItsCatalogConnection() {
    assertThatThrownBy(
            () ->
                TenantfoldConfig.fromConfig(
                    ConfigFactory.parseString(
                        """
                        tenantfold {
                          target { url = "jdbc:postgresql://localhost:1/w" }
                          tenants = [ { id = acme, export { path = "/tmp/x", database = acme }
                            catch-up { mode = logical } } ]
                        }
                        """)))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("Cannot catch up tenant acme")
        .hasMessageContaining("export.catalog")
        .hasMessageContaining("or set mode = none");
  }
}
