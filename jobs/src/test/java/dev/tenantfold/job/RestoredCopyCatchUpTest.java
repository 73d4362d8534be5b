package dev.tenantfold.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.typesafe.config.ConfigFactory;
import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.report.RunResult;
import dev.tenantfold.testing.AwsApi;
import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.LogCapture;
import dev.tenantfold.testing.Postgres13;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

/**
 * Catch-up of a tenant read from a restored copy (issue 19, docs/catch-up.md "Restored copies"):
 * the run creates the slot on production (an embedded PostgreSQL with {@code wal_level = logical}),
 * then waits until the instance's latest restorable time (the RDS API, served by WireMock) is past
 * the slot's creation, and restores to it. The "copy" is a second PostgreSQL server filled, by the
 * test, with production as one snapshot taken after the slot was created; the test then hands out
 * that snapshot's time as the latest restorable time. Rows changed on production after the slot and
 * before the copy's point (the copy holds them already: deletes and key updates of rows the copy no
 * longer holds, updates leaving TOASTed values unchanged), and after it, all arrive in the target
 * after catch-up and cutover, exactly, while a writer runs.
 */
class RestoredCopyCatchUpTest {
  private static final SparkSession spark = LocalSpark.session();
  private static final String EARLIER = "2020-01-01T00:00:00Z";
  private static final List<String> TABLES =
      List.of("customers", "orders", "tags", "scratch", "parents", "children", "accounts");
  private static EmbeddedPostgres copyServer;
  private AwsApi api;
  @TempDir Path reports;

  @BeforeAll
  static void startCopyServer() throws Exception {
    copyServer = EmbeddedPostgres.builder().start();
  }

  @AfterAll
  static void stopCopyServer() throws Exception {
    copyServer.close();
  }

  @BeforeEach
  void startApi() {
    api = new AwsApi();
    // The sweep at the start of a run: nothing left by earlier runs.
    api.rds("DescribeDBInstances", AwsApi.instances(null));
    api.rds(
        "RestoreDBInstanceToPointInTime",
        AwsApi.instance("tf-acme", "creating", null, 0, Map.of()));
    api.rds("DeleteDBInstance", AwsApi.instance("tf-acme", "deleting", null, 0, Map.of()));
  }

  @AfterEach
  void stopApi() {
    api.close();
  }

  private static String instanceAt(String id, String status, String host, int port, String time) {
    return AwsApi.instances(
        null,
        AwsApi.instance(id, status, host, port, Map.of()).replace("2026-11-29T14:55:00Z", time));
  }

  /**
   * Until the test moves scenario {@code restorable} on ({@link #readyAt}): production's latest
   * restorable time lies before any slot, and the copy is still being created.
   */
  private void restorableEarlier() {
    api.rdsInState(
        "DescribeDBInstances",
        "restorable",
        Scenario.STARTED,
        instanceAt("acme-prod", "available", "acme-prod.example", 5432, EARLIER),
        "DBInstanceIdentifier=acme-prod");
    api.rdsInState(
        "DescribeDBInstances",
        "restorable",
        Scenario.STARTED,
        instanceAt("tf-acme", "creating", null, 0, EARLIER),
        "DBInstanceIdentifier=tf-acme-");
  }

  /**
   * From now on production's latest restorable time is {@code point}, and the copy is available on
   * the copy server.
   */
  private void readyAt(String point) {
    api.rdsInState(
        "DescribeDBInstances",
        "restorable",
        "ready",
        instanceAt("acme-prod", "available", "acme-prod.example", 5432, point),
        "DBInstanceIdentifier=acme-prod");
    api.rdsInState(
        "DescribeDBInstances",
        "restorable",
        "ready",
        instanceAt("tf-acme", "available", "localhost", copyServer.getPort(), point),
        "DBInstanceIdentifier=tf-acme-");
    api.server().setScenarioState("restorable", "ready");
  }

  private TenantfoldConfig config(String warehouse, String production, String from) {
    return config(warehouse, production, from, "3m");
  }

  private TenantfoldConfig config(
      String warehouse, String production, String from, String waitTimeout) {
    return TenantfoldConfig.fromConfig(
        ConfigFactory.parseString(
            """
            tenantfold {
              aws { region = %s, rds-endpoint = "%s", poll-interval = 50ms }
              target { url = "%s", user = postgres, password = postgres }
              report.dir = "%s"
              # The writer's TRUNCATE of scratch takes it from about 50 rows to 1: past the shrink
              # guard catch-up applies, allowed here.
              publish.allow-shrink = [acme]
              tenants = [ { id = acme, jdbc { url = "%s", user = postgres, password = postgres }
                restore { source-instance = acme-prod, from = %s, wait-timeout = %s }
                catch-up { mode = logical } } ]
            }
            """
                .formatted(
                    AwsApi.REGION,
                    api.endpoint(),
                    warehouse,
                    reports,
                    production,
                    from,
                    waitTimeout)));
  }

  /** Tables under a foreign key and a unique key the writer leaves alone. */
  private static final String KEYED =
      """
      CREATE TABLE parents (id int PRIMARY KEY, name text);
      CREATE TABLE children (id int PRIMARY KEY, parent_id int NOT NULL REFERENCES parents (id), v text);
      CREATE TABLE accounts (id int PRIMARY KEY, email text NOT NULL UNIQUE);
      """;

  /** Rows the writer never picks: the cases below act on them alone. */
  private static final String OWN_ROWS =
      """
      INSERT INTO parents VALUES (1, 'p1'), (2, 'p2');
      INSERT INTO children VALUES (1, 2, 'c1');
      INSERT INTO accounts VALUES (1, 'x'), (2, 'q');
      INSERT INTO customers (id, name, notes)
        SELECT g, 'own ' || g, (SELECT string_agg(md5(g::text || s::text), '') FROM generate_series(1, 120) s)
          FROM generate_series(5001, 5008) g;
      INSERT INTO orders (id, customer_id, amount, status)
        SELECT g, 1, g, 'own' FROM generate_series(50001, 50004) g;
      """;

  /** Changed after the slot, before the copy's point: the copy holds their outcome. */
  private static final String BEFORE_POINT =
      """
      DELETE FROM orders WHERE id = 50001;
      UPDATE orders SET id = 60002 WHERE id = 50002;
      UPDATE customers SET name = name || '+' WHERE id = 5003;
      DELETE FROM customers WHERE id = 5003;
      UPDATE customers SET name = name || '+' WHERE id = 5004;
      UPDATE customers SET id = 6004 WHERE id = 5004;
      UPDATE customers SET name = 'renamed' WHERE id = 5005;
      UPDATE customers SET id = 6008 WHERE id = 5008;
      INSERT INTO customers (id, name, notes)
        VALUES (5009, 'new', (SELECT string_agg(md5(s::text), '') FROM generate_series(1, 120) s));
      UPDATE customers SET name = 'new+' WHERE id = 5009;
      TRUNCATE scratch;
      INSERT INTO scratch VALUES (7, 'after truncate');
      INSERT INTO children VALUES (10, 1, 'short-lived');
      DELETE FROM children WHERE id = 10;
      DELETE FROM parents WHERE id = 1;
      UPDATE accounts SET email = 'y' WHERE id = 1;
      INSERT INTO accounts VALUES (3, 'x');
      UPDATE accounts SET email = 'z' WHERE id = 3;
      UPDATE accounts SET email = 'w' WHERE id = 1;
      INSERT INTO accounts VALUES (4, 'y');
      """;

  /** Changed after the copy's point: only the slot has them. */
  private static final String AFTER_POINT =
      """
      DELETE FROM customers WHERE id = 6004;
      UPDATE customers SET name = name || '!' WHERE id = 5006;
      UPDATE customers SET id = 7007 WHERE id = 5007;
      DELETE FROM orders WHERE id = 60002;
      INSERT INTO scratch VALUES (8, 'after the point');
      INSERT INTO children VALUES (11, 2, 'after');
      UPDATE accounts SET email = 'x' WHERE id = 2;
      """;

  /**
   * Fills the copy server's database {@code database} with production's rows as one snapshot sees
   * them; returns the snapshot's time on production (the copy's point in time).
   */
  private static Instant copyProduction(String production, String database) throws Exception {
    try (Connection admin =
            DriverManager.getConnection(copyServer.getJdbcUrl("postgres", "postgres"));
        Statement st = admin.createStatement()) {
      st.execute("CREATE DATABASE " + database);
    }
    String copyUrl = copyServer.getJdbcUrl("postgres", database);
    try (Connection copy = DriverManager.getConnection(copyUrl);
        Statement st = copy.createStatement()) {
      st.execute(CatchUpTest.SCHEMA + KEYED);
      st.execute("TRUNCATE customers, orders, tags, scratch");
    }
    try (Connection prod = TestPostgres.connect(production);
        Connection copy = DriverManager.getConnection(copyUrl)) {
      prod.setAutoCommit(false);
      prod.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
      Instant point;
      try (Statement st = prod.createStatement();
          ResultSet rs = st.executeQuery("SELECT clock_timestamp()")) {
        rs.next();
        point = rs.getObject(1, OffsetDateTime.class).toInstant();
      }
      CopyManager out = prod.unwrap(PGConnection.class).getCopyAPI();
      CopyManager in = copy.unwrap(PGConnection.class).getCopyAPI();
      for (String table : TABLES) {
        ByteArrayOutputStream rows = new ByteArrayOutputStream();
        out.copyOut("COPY " + table + " TO STDOUT", rows);
        in.copyIn(
            "COPY " + table + " FROM STDIN", new java.io.ByteArrayInputStream(rows.toByteArray()));
      }
      prod.commit();
      return point;
    }
  }

  private static void awaitSlot(String production) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    while (RowSets.count(
            production,
            "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'tenantfold_acme' AND"
                + " database = current_database()")
        == 0) {
      assertThat(System.nanoTime())
          .as("the run creates the slot on production")
          .isLessThan(deadline);
      Thread.sleep(20);
    }
  }

  private long productionDescribes() {
    return api.requests("DescribeDBInstances").stream()
        .filter(r -> "acme-prod".equals(r.get("DBInstanceIdentifier")))
        .count();
  }

  @Test
  void changesBeforeAndAfterTheCopysPointArriveExactlyAfterCatchUpAndCutover() throws Exception {
    caughtUpExactly(TestPostgres.createDatabase("rcc_acme"));
  }

  /** The same on a PostgreSQL 13 production, the oldest Tenantfold reads. */
  @Test
  void aPostgres13ProductionIsCaughtUpExactlyToo() throws Exception {
    String production = Postgres13.createDatabase("rcc13_acme");
    assertThat(RowSets.count(production, "SHOW server_version_num"))
        .as("production runs PostgreSQL 13")
        .isBetween(130000L, 139999L);
    caughtUpExactly(production);
  }

  private void caughtUpExactly(String production) throws Exception {
    TestPostgres.execute(production, CatchUpTest.SCHEMA + KEYED + OWN_ROWS);
    String database = production.substring(production.lastIndexOf('/') + 1);
    String warehouse = Fixtures.emptyWarehouse();
    TenantfoldConfig config = config(warehouse, production, "latest-restorable-time");
    restorableEarlier();

    try (CatchUpTest.Writer writer = new CatchUpTest.Writer(production, 7)) {
      writer.awaitMore(30);
      CompletableFuture<RunResult> run =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return new MigrationJob(config, spark).execute();
                } catch (Exception e) {
                  throw new java.util.concurrent.CompletionException(e);
                }
              });
      awaitSlot(production);
      // The run asks for the latest restorable time, finds it before the slot, and waits.
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
      while (productionDescribes() < 3
          && api.requests("RestoreDBInstanceToPointInTime").isEmpty()) {
        assertThat(System.nanoTime()).as("the run polls the restorable time").isLessThan(deadline);
        Thread.sleep(20);
      }
      assertThat(api.requests("RestoreDBInstanceToPointInTime"))
          .as("no restore while the latest restorable time is before the slot")
          .isEmpty();
      TestPostgres.execute(production, BEFORE_POINT);
      writer.awaitMore(50);
      Instant point = copyProduction(production, database);
      TestPostgres.execute(production, AFTER_POINT);
      readyAt(point.toString());

      RunResult result = run.get(5, TimeUnit.MINUTES);
      assertThat(result.exitCode()).as("run: %s", result.tenants()).isZero();
      List<Map<String, String>> restores = api.requests("RestoreDBInstanceToPointInTime");
      assertThat(restores).hasSize(1);
      assertThat(restores.get(0))
          .as("restored to the latest restorable time past the slot")
          .containsEntry("RestoreTime", point.toString());
      Instant slotCreated =
          Instant.parse(
              RowSets.rows(
                      warehouse,
                      "SELECT to_char(slot_created_at AT TIME ZONE 'UTC',"
                          + " 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM tenantfold.catchup_state"
                          + " WHERE tenant_id = 'acme'")
                  .get(0));
      assertThat(point).as("the copy's point is past the slot's creation").isAfter(slotCreated);
      assertThat(
              RowSets.rows(
                  warehouse,
                  "SELECT id::text FROM public.scratch WHERE tenant_id = 'acme' ORDER BY id"))
          .as(
              "the base copy is the copy's (7 inserted before its point, 8 after), not"
                  + " production's")
          .containsExactly("7");

      writer.awaitMore(200);
      try (LogCapture logs = LogCapture.start()) {
        assertThat(CatchUpTest.run(new CatchUpJob(config))).as("catch-up").startsWith("0|");
        assertThat(logs.log())
            .as("the overlap's changes the copy held already, counted")
            .contains("deletes of rows the target does not hold")
            .contains("updates of rows the target does not hold, taken from the source")
            .contains("updates of rows neither the target nor the source holds")
            .contains("changes the copy's later state conflicts with");
      }
      writer.awaitMore(100);
    }
    String verdict = CatchUpTest.cutover(new CatchUpJob(config), "acme");
    assertThat(verdict).as("cutover").startsWith("0|").contains("CUT OVER");
    CatchUpTest.assertSameTables(production, warehouse, "acme");
    assertThat(verdict)
        .as("counts of a copy read after the slot's start are not carried (inexact)")
        .contains("rows not carried: the base copy was read at a later point")
        .doesNotContain("rows carried from the base copy");
    CatchUpTest.assertSameRows(production, warehouse, "acme", "parents", List.of("id", "name"));
    CatchUpTest.assertSameRows(
        production, warehouse, "acme", "children", List.of("id", "parent_id", "v"));
    CatchUpTest.assertSameRows(production, warehouse, "acme", "accounts", List.of("id", "email"));
    CatchUpTest.assertSequencesPastSource(production, warehouse, "acme");
    assertThat(
            RowSets.rows(
                warehouse,
                // The writer's own inserts ('new <n>') reach these ids too on a slow machine.
                "SELECT id || ' ' || name FROM public.customers WHERE tenant_id = 'acme' AND id >"
                    + " 5000 AND name NOT LIKE 'new %' ORDER BY id"))
        .as("the rows the cases acted on")
        .containsExactly(
            "5001 own 5001",
            "5002 own 5002",
            "5005 renamed",
            "5006 own 5006!",
            "5009 new+",
            "6008 own 5008",
            "7007 own 5007");
  }

  @Test
  void aRestoreThatNeverPassesTheSlotFailsTheTenantAndDropsItsSlot() throws Exception {
    String production = TestPostgres.createDatabase("rcc_late");
    TestPostgres.execute(production, CatchUpTest.SCHEMA);
    String warehouse = Fixtures.emptyWarehouse();
    restorableEarlier();

    RunResult result =
        new MigrationJob(config(warehouse, production, "latest-restorable-time", "2s"), spark)
            .execute();

    assertThat(result.tenants().get(0).published()).isFalse();
    assertThat(result.tenants().get(0).message())
        .contains("its latest restorable time is still " + EARLIER)
        .contains("restore.wait-timeout");
    assertThat(api.requests("RestoreDBInstanceToPointInTime")).as("nothing restored").isEmpty();
    assertThat(productionDescribes()).as("the run waited for the restorable time").isGreaterThan(1);
    assertThat(
            RowSets.count(
                production,
                "SELECT count(*) FROM pg_replication_slots WHERE database = current_database()"))
        .as("the slot no copy will follow is dropped: it would only keep WAL on production")
        .isZero();
    assertThat(RowSets.count(production, "SELECT count(*) FROM pg_publication"))
        .as("and the publication the run created")
        .isZero();
  }

  @Test
  void aCopyFromAnExistingSnapshotIsRefusedWithWhatToDo() throws Exception {
    String production = TestPostgres.createDatabase("rcc_snap");
    TestPostgres.execute(production, CatchUpTest.SCHEMA);
    String warehouse = Fixtures.emptyWarehouse();
    TenantfoldConfig config = config(warehouse, production, "latest-snapshot");

    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    PlanJob.Outcome plan =
        new PlanJob(config, spark)
            .execute(new PrintStream(printed, true, StandardCharsets.UTF_8), Optional.empty());
    assertThat(plan.clean()).as("the plan refuses the tenant").isFalse();
    assertThat(printed.toString(StandardCharsets.UTF_8))
        .contains("Cannot catch up tenant acme")
        .contains("restore.from = latest-snapshot")
        .contains("use restore.from = latest-restorable-time");

    RunResult result = new MigrationJob(config, spark).execute();
    assertThat(result.tenants().get(0).published()).as("run refuses it too").isFalse();
    assertThat(result.tenants().get(0).message()).contains("restore.from = latest-snapshot");
    assertThat(api.requests("RestoreDBInstanceFromDBSnapshot")).as("nothing restored").isEmpty();
    assertThat(
            RowSets.count(
                production,
                "SELECT count(*) FROM pg_replication_slots WHERE database = current_database()"))
        .as("no slot left on production")
        .isZero();
    assertThat(RowSets.count(production, "SELECT count(*) FROM pg_publication"))
        .as("no publication on production")
        .isZero();
  }
}
