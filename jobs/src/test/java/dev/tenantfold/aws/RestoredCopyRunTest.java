package dev.tenantfold.aws;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.job.CleanupJob;
import dev.tenantfold.job.MigrationJob;
import dev.tenantfold.report.RunResult;
import dev.tenantfold.report.TenantResult;
import dev.tenantfold.testing.AwsApi;
import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs whose tenant is read from a temporary restored copy. The RDS API is the real SDK client
 * against recorded responses (WireMock); the "copy" is a second local PostgreSQL server holding
 * other rows than the tenant's configured ("production") database under the same name, so the rows
 * in the target say which one was read, and production's table statistics say that none of its
 * tables was scanned (the run plans from production's catalog only). Every case checks, from
 * WireMock's request journal, that the copy's deletion was requested.
 */
class RestoredCopyRunTest {
  private static final SparkSession spark = LocalSpark.session();
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
    // Listing every instance (the sweep at the start of a run): nothing left by earlier runs.
    api.rds("DescribeDBInstances", AwsApi.instances(null));
    api.rds(
        "DescribeDBInstances",
        AwsApi.instances(
            null, AwsApi.instance("acme-prod", "available", "acme-prod.example", 5432, Map.of())),
        "DBInstanceIdentifier=acme-prod");
    api.rds(
        "RestoreDBInstanceToPointInTime",
        AwsApi.instance("tf-acme", "creating", null, 0, Map.of()));
    api.rds("DeleteDBInstance", AwsApi.instance("tf-acme", "deleting", null, 0, Map.of()));
  }

  @AfterEach
  void stopApi() {
    api.close();
  }

  /**
   * The tenant's "production" database (one row) and, on the copy server, the same database name
   * with other rows.
   */
  private String tenantDatabases(boolean copyHasTables) throws Exception {
    return tenantDatabases(copyHasTables ? "label text" : null);
  }

  /**
   * The tenant's "production" database ({@code items (id, label text)}, one row) and, on the copy
   * server, the same database name with other rows in {@code items (id, <copyLabel>)} (no table
   * when null). Production's table statistics are reset, so {@link #productionTableScans} counts
   * what the run read.
   */
  private String tenantDatabases(String copyLabel) throws Exception {
    String production = TestPostgres.createDatabase("acme");
    TestPostgres.execute(
        production,
        "CREATE TABLE items (id int PRIMARY KEY, label text); INSERT INTO items VALUES (1,"
            + " 'production')");
    String database = production.substring(production.lastIndexOf('/') + 1);
    try (Connection conn =
            DriverManager.getConnection(copyServer.getJdbcUrl("postgres", "postgres"));
        Statement st = conn.createStatement()) {
      st.execute("CREATE DATABASE " + database);
    }
    if (copyLabel != null) {
      try (Connection conn =
              DriverManager.getConnection(copyServer.getJdbcUrl("postgres", database));
          Statement st = conn.createStatement()) {
        st.execute(
            "CREATE TABLE items (id int PRIMARY KEY, "
                + copyLabel
                + "); INSERT INTO items VALUES (1, 'copy'), (2, 'copy, restored')");
      }
    }
    TestPostgres.execute(production, "SELECT pg_stat_reset()");
    return production;
  }

  /**
   * Sequential and index scans of production's tables since {@link #tenantDatabases}, as
   * PostgreSQL's statistics count them. A backend reports its counts when it ends (or goes idle),
   * so the count is taken once it is stable, and then checked to see one scan the test itself
   * makes: the statistics were up to date, and a read by the run would have shown.
   */
  private static long productionTableScans(String production) throws Exception {
    String sql =
        "SELECT coalesce(sum(coalesce(seq_scan, 0) + coalesce(idx_scan, 0)), 0) FROM"
            + " pg_stat_user_tables";
    Thread.sleep(1500);
    long before = RowSets.count(production, sql);
    TestPostgres.execute(production, "SELECT count(*) FROM items");
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (RowSets.count(production, sql) != before + 1) {
      assertThat(System.nanoTime())
          .as("the test's own scan of production shows in pg_stat_user_tables")
          .isLessThan(deadline);
      Thread.sleep(200);
    }
    return before;
  }

  private TenantfoldConfig config(String warehouse, String production, String waitTimeout) {
    return TenantfoldConfig.fromConfig(
        ConfigFactory.parseString(
            "tenantfold {\n"
                + " aws { region = "
                + AwsApi.REGION
                + ", rds-endpoint = \""
                + api.endpoint()
                + "\", poll-interval = 50ms }\n"
                + " target { url = \""
                + warehouse
                + "\", user = postgres, password = postgres }\n"
                + " report.dir = \""
                + reports
                + "\"\n"
                + " tenants = [ { id = acme, jdbc { url = \""
                + production
                + "\", user = postgres, password = postgres }\n"
                + "   restore { source-instance = acme-prod, instance-class = db.r6g.xlarge,"
                + " subnet-group = tenants-private, security-groups = [sg-0123], wait-timeout = "
                + waitTimeout
                + " } } ]\n}"));
  }

  private void copyBecomesAvailable() {
    api.rdsSequence(
        "DescribeDBInstances",
        List.of(
            AwsApi.instances(null, AwsApi.instance("tf-acme", "creating", null, 0, Map.of())),
            AwsApi.instances(
                null,
                AwsApi.instance("tf-acme", "configuring-enhanced-monitoring", null, 0, Map.of())),
            AwsApi.instances(
                null,
                AwsApi.instance(
                    "tf-acme", "available", "localhost", copyServer.getPort(), Map.of()))),
        "DBInstanceIdentifier=tf-acme-");
  }

  private List<String> deleted() {
    return api.requests("DeleteDBInstance").stream()
        .filter(
            r ->
                "true".equals(r.get("SkipFinalSnapshot"))
                    && "true".equals(r.get("DeleteAutomatedBackups")))
        .map(r -> r.get("DBInstanceIdentifier"))
        .toList();
  }

  @Test
  void readsTheCopyNotProductionAndDeletesIt() throws Exception {
    String production = tenantDatabases(true);
    String warehouse = Fixtures.emptyWarehouse();
    copyBecomesAvailable();

    RunResult result = new MigrationJob(config(warehouse, production, "1m"), spark).execute();

    assertThat(result.exitCode()).as("tenants: %s", result.tenants()).isZero();
    assertThat(
            RowSets.rows(
                warehouse, "SELECT label FROM public.items WHERE tenant_id = 'acme' ORDER BY id"))
        .as("the copy's rows, not production's")
        .containsExactly("copy", "copy, restored");
    assertThat(productionTableScans(production))
        .as("scans of production's tables (planning read its catalog only)")
        .isZero();
    List<Map<String, String>> restores = api.requests("RestoreDBInstanceToPointInTime");
    assertThat(restores).hasSize(1);
    Map<String, String> restore = restores.get(0);
    String copyId = restore.get("TargetDBInstanceIdentifier");
    assertThat(copyId).startsWith("tf-acme-").matches("[a-z][a-z0-9-]{1,62}");
    assertThat(restore)
        .containsEntry("SourceDBInstanceIdentifier", "acme-prod")
        .containsEntry("RestoreTime", "2026-11-29T14:55:00Z")
        .containsEntry("DBInstanceClass", "db.r6g.xlarge")
        .containsEntry("DBSubnetGroupName", "tenants-private")
        .containsEntry("PubliclyAccessible", "false")
        .containsValue("sg-0123")
        .containsValue(RdsControlPlane.RUN_TAG)
        .containsValue(result.runId())
        .containsValue("acme")
        .doesNotContainKey("EnableIAMDatabaseAuthentication");
    assertThat(deleted()).containsExactly(copyId);
    TenantResult acme = result.tenants().get(0);
    assertThat(acme.source())
        .hasValueSatisfying(
            s -> {
              assertThat(s.kind()).isEqualTo("copy");
              assertThat(s.description())
                  .contains(copyId, "instance acme-prod", "2026-11-29T14:55:00Z");
              assertThat(s.pointInTime()).hasValue(java.time.Instant.parse("2026-11-29T14:55:00Z"));
            });
    assertThat(acme.stageMillis()).containsKeys("restore", "delete_copy");
    assertThat(Files.readString(reports.resolve(result.runId()).resolve("report.json")))
        .contains("copy " + copyId + " of instance acme-prod")
        .contains("\"restore\"")
        .contains("\"delete_copy\"");
  }

  @Test
  void theCopyIsReadWithThePasswordFromSecretsManagerOnDriverAndExecutors() throws Exception {
    String production = tenantDatabases(true);
    String warehouse = Fixtures.emptyWarehouse();
    String password = "copy-Secret-" + System.nanoTime();
    String arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-acme-copy";
    // A restored copy has production's roles: the secret's user logs in to both (the run plans from
    // production's catalog).
    passwordRole(copyServer.getJdbcUrl("postgres", "postgres"), "copy_reader", password);
    passwordRole(TestPostgres.server().getJdbcUrl("postgres", "postgres"), "copy_reader", password);
    api.secret(
        arn,
        "{\"engine\":\"postgres\",\"username\":\"copy_reader\",\"password\":\"" + password + "\"}");
    SecretPasswordPlugin.clearCache();
    copyBecomesAvailable();
    TenantfoldConfig config =
        TenantfoldConfig.fromConfig(
            ConfigFactory.parseString(
                "tenantfold {\n"
                    + " aws { region = "
                    + AwsApi.REGION
                    + ", rds-endpoint = \""
                    + api.endpoint()
                    + "\", secretsmanager-endpoint = \""
                    + api.endpoint()
                    + "\", poll-interval = 50ms }\n"
                    + " target { url = \""
                    + warehouse
                    + "\", user = postgres, password = postgres }\n"
                    + " report.dir = \""
                    + reports
                    + "\"\n"
                    + " extract.rows-per-partition = 1\n"
                    + " tenants = [ { id = acme, jdbc { url = \""
                    + production
                    + "\", user = copy_reader, password-secret = \""
                    + arn
                    + "\" }\n"
                    + "   restore { source-instance = acme-prod } } ]\n}"));

    RunResult result;
    try (dev.tenantfold.testing.LogCapture logs = dev.tenantfold.testing.LogCapture.start()) {
      result = new MigrationJob(config, spark).execute();
      assertThat(logs.log() + logs.console()).doesNotContain(password);
    }

    assertThat(result.exitCode()).as("tenants: %s", result.tenants()).isZero();
    assertThat(
            RowSets.rows(
                warehouse, "SELECT label FROM public.items WHERE tenant_id = 'acme' ORDER BY id"))
        .containsExactly("copy", "copy, restored");
    assertThat(productionTableScans(production)).as("scans of production's tables").isZero();
    assertThat(result.tenants().get(0).table("items").orElseThrow().counts().partitions())
        .as("read in Spark tasks, each connecting with the secret")
        .isGreaterThan(1);
    assertThat(
            spark.sparkContext().getConf().toDebugString()
                + Files.readString(reports.resolve(result.runId()).resolve("report.json")))
        .doesNotContain(password);
  }

  /** A login role that must give {@code password} (scram) on the server at {@code adminUrl}. */
  private static void passwordRole(String adminUrl, String role, String password) throws Exception {
    try (Connection conn = DriverManager.getConnection(adminUrl);
        Statement st = conn.createStatement()) {
      st.execute(
          "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '"
              + role
              + "') THEN CREATE ROLE "
              + role
              + " LOGIN SUPERUSER; END IF; END $$");
      st.execute("ALTER ROLE " + role + " PASSWORD '" + password + "'");
      String hba;
      try (var rs = st.executeQuery("SHOW hba_file")) {
        rs.next();
        hba = rs.getString(1);
      }
      String rule = "host all " + role + " all scram-sha-256\n";
      String current = Files.readString(Path.of(hba));
      if (!current.contains(rule)) {
        Files.writeString(Path.of(hba), rule + current);
      }
      st.execute("SELECT pg_reload_conf()");
    }
  }

  @Test
  void validateRefusesARestoredTenantAndTheKeptCopyValidatesAsTheRefusalSays() throws Exception {
    String production = tenantDatabases(true);
    String warehouse = Fixtures.emptyWarehouse();
    copyBecomesAvailable();
    String restore = "restore { source-instance = acme-prod, keep = true }";
    java.util.function.Function<String, TenantfoldConfig> config =
        tenant ->
            TenantfoldConfig.fromConfig(
                ConfigFactory.parseString(
                    "tenantfold {\n"
                        + " aws { region = "
                        + AwsApi.REGION
                        + ", rds-endpoint = \""
                        + api.endpoint()
                        + "\", poll-interval = 50ms }\n"
                        + " target { url = \""
                        + warehouse
                        + "\", user = postgres, password = postgres }\n"
                        + " report.dir = \""
                        + reports
                        + "\"\n"
                        + " tenants = [ { id = acme, "
                        + tenant
                        + " } ]\n}"));

    RunResult run =
        new MigrationJob(
                config.apply(
                    "jdbc { url = \""
                        + production
                        + "\", user = postgres, password = postgres }, "
                        + restore),
                spark)
            .execute();
    assertThat(run.exitCode()).as("tenants: %s", run.tenants()).isZero();
    assertThat(deleted()).as("restore.keep = true: the copy is left").isEmpty();
    RunResult refused =
        new dev.tenantfold.job.AuditJob(
                config.apply(
                    "jdbc { url = \""
                        + production
                        + "\", user = postgres, password = postgres }, "
                        + restore),
                java.util.Optional.empty(),
                java.util.Optional.empty(),
                spark)
            .execute();

    assertThat(refused.exitCode()).isNotZero();
    assertThat(refused.tenants().get(0).message())
        .contains("Cannot validate tenant acme")
        .contains("restore.keep = true")
        .contains("jdbc.url at the kept copy's endpoint")
        .contains("aws rds delete-db-instance");
    // As the message says: the tenant without its restore block, reading the kept copy (the
    // endpoint RDS gave it).
    String copyUrl =
        "jdbc:postgresql://localhost:"
            + copyServer.getPort()
            + production.substring(production.lastIndexOf('/'));
    RunResult validated =
        new dev.tenantfold.job.AuditJob(
                config.apply(
                    "jdbc { url = \"" + copyUrl + "\", user = postgres, password = postgres }"),
                java.util.Optional.empty(),
                java.util.Optional.empty(),
                spark)
            .execute();
    assertThat(validated.exitCode()).as("tenants: %s", validated.tenants()).isZero();
    assertThat(productionTableScans(production)).as("scans of production's tables").isZero();
  }

  @Test
  void aThrottledRestoreIsRetried() throws Exception {
    String production = tenantDatabases(true);
    String warehouse = Fixtures.emptyWarehouse();
    api.rdsFailingFirst(
        "RestoreDBInstanceToPointInTime",
        "Throttling",
        400,
        2,
        AwsApi.instance("tf-acme", "creating", null, 0, Map.of()));
    copyBecomesAvailable();

    RunResult result = new MigrationJob(config(warehouse, production, "1m"), spark).execute();

    assertThat(result.exitCode()).as("tenants: %s", result.tenants()).isZero();
    assertThat(api.requests("RestoreDBInstanceToPointInTime"))
        .as("two throttled attempts, then the restore")
        .hasSize(3);
    assertThat(
            RowSets.rows(
                warehouse, "SELECT label FROM public.items WHERE tenant_id = 'acme' ORDER BY id"))
        .containsExactly("copy", "copy, restored");
    assertThat(deleted()).hasSize(1);
  }

  @Test
  void aCopyThatNeverBecomesAvailableFailsTheTenantAndIsStillDeleted() throws Exception {
    String production = tenantDatabases(true);
    String warehouse = Fixtures.emptyWarehouse();
    api.rds(
        "DescribeDBInstances",
        AwsApi.instances(null, AwsApi.instance("tf-acme", "creating", null, 0, Map.of())),
        "DBInstanceIdentifier=tf-acme-");

    RunResult result = new MigrationJob(config(warehouse, production, "1s"), spark).execute();

    assertThat(result.exitCode()).isEqualTo(1);
    TenantResult acme = result.tenants().get(0);
    assertThat(acme.published()).isFalse();
    assertThat(acme.message())
        .contains("Cannot restore a copy of tenant acme from instance acme-prod")
        .contains("did not become available within 1s")
        .contains("restore.wait-timeout")
        .contains("last status creating");
    assertThat(deleted()).hasSize(1).allMatch(id -> id.startsWith("tf-acme-"));
    // The target's table was planned from production's catalog; production's rows were not read
    // instead.
    assertThat(
            RowSets.count(warehouse, "SELECT count(*) FROM public.items WHERE tenant_id = 'acme'"))
        .as("rows of acme")
        .isZero();
    assertThat(acme.stageMillis()).containsKeys("restore");
    assertThat(productionTableScans(production)).as("scans of production's tables").isZero();
  }

  @Test
  void aTenantFailingAfterTheRestoreStillDeletesTheCopy() throws Exception {
    String production = tenantDatabases(false);
    String warehouse = Fixtures.emptyWarehouse();
    copyBecomesAvailable();

    RunResult result = new MigrationJob(config(warehouse, production, "1m"), spark).execute();

    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(result.tenants().get(0).message())
        .contains("Cannot read tenant acme from copy tf-acme-")
        .contains("table items is not on the copy");
    assertThat(deleted()).hasSize(1);
  }

  @Test
  void aCopyWhoseSchemaDiffersFromThePlanFailsItsTenantAlone() throws Exception {
    // Production's label is text; the copy's (restored from before a schema change) is varchar(40).
    String production = tenantDatabases("label varchar(40)");
    String other = TestPostgres.createDatabase("other");
    TestPostgres.execute(
        other,
        "CREATE TABLE items (id int PRIMARY KEY, label text); INSERT INTO items VALUES (7,"
            + " 'other')");
    String warehouse = Fixtures.emptyWarehouse();
    copyBecomesAvailable();
    TenantfoldConfig config =
        TenantfoldConfig.fromConfig(
            ConfigFactory.parseString(
                "tenantfold {\n"
                    + " aws { region = "
                    + AwsApi.REGION
                    + ", rds-endpoint = \""
                    + api.endpoint()
                    + "\", poll-interval = 50ms }\n"
                    + " target { url = \""
                    + warehouse
                    + "\", user = postgres, password = postgres }\n"
                    + " report.dir = \""
                    + reports
                    + "\"\n"
                    + " tenants = [ { id = acme, jdbc { url = \""
                    + production
                    + "\", user = postgres, password = postgres }, restore { source-instance ="
                    + " acme-prod } }\n"
                    + "   { id = other, jdbc { url = \""
                    + other
                    + "\", user = postgres, password = postgres } } ]\n}"));

    RunResult result = new MigrationJob(config, spark).execute();

    TenantResult acme = result.tenants().get(0);
    assertThat(acme.published()).isFalse();
    assertThat(acme.message())
        .contains("Cannot read tenant acme from copy tf-acme-")
        .contains("table items has columns [id integer not null, label character varying(40)]")
        .contains("planned [id integer not null, label text]")
        .contains("run again");
    assertThat(result.tenants().get(1).published()).as("the other tenant goes on").isTrue();
    assertThat(
            RowSets.rows(
                warehouse, "SELECT tenant_id || ':' || label FROM public.items ORDER BY id"))
        .containsExactly("other:other");
    assertThat(deleted()).hasSize(1);
  }

  @Test
  void aTenantWithoutRestorePublishesWhileACopyIsStillBeingRestored() throws Exception {
    String production = tenantDatabases(true);
    String plain = TestPostgres.createDatabase("plain");
    TestPostgres.execute(
        plain,
        "CREATE TABLE items (id int PRIMARY KEY, label text); INSERT INTO items VALUES (5,"
            + " 'plain')");
    String warehouse = Fixtures.emptyWarehouse();
    // The copy stays "creating" until the test moves the scenario on.
    String scenario = "acme-copy";
    api.rdsInState(
        "DescribeDBInstances",
        scenario,
        com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED,
        AwsApi.instances(null, AwsApi.instance("tf-acme", "creating", null, 0, Map.of())),
        "DBInstanceIdentifier=tf-acme-");
    api.rdsInState(
        "DescribeDBInstances",
        scenario,
        "available",
        AwsApi.instances(
            null,
            AwsApi.instance("tf-acme", "available", "localhost", copyServer.getPort(), Map.of())),
        "DBInstanceIdentifier=tf-acme-");
    // One tenant at a time, the restored one first: waiting for its copy must not hold the only
    // slot.
    TenantfoldConfig config =
        TenantfoldConfig.fromConfig(
            ConfigFactory.parseString(
                "tenantfold {\n"
                    + " aws { region = "
                    + AwsApi.REGION
                    + ", rds-endpoint = \""
                    + api.endpoint()
                    + "\", poll-interval = 50ms }\n"
                    + " target { url = \""
                    + warehouse
                    + "\", user = postgres, password = postgres }\n"
                    + " report.dir = \""
                    + reports
                    + "\"\n"
                    + " extract.tenant-parallelism = 1\n"
                    + " tenants = [ { id = acme, jdbc { url = \""
                    + production
                    + "\", user = postgres, password = postgres }, restore { source-instance ="
                    + " acme-prod } }\n"
                    + "   { id = plain, jdbc { url = \""
                    + plain
                    + "\", user = postgres, password = postgres } } ]\n}"));
    java.util.concurrent.ExecutorService runner =
        java.util.concurrent.Executors.newSingleThreadExecutor();
    try {
      java.util.concurrent.Future<RunResult> run =
          runner.submit(() -> new MigrationJob(config, spark).execute());
      long deadline = System.nanoTime() + 180_000_000_000L;
      boolean plainPublished = false;
      while (!plainPublished && System.nanoTime() < deadline && !run.isDone()) {
        Thread.sleep(200);
        plainPublished =
            RowSets.count(
                        warehouse,
                        "SELECT count(*) FROM pg_tables WHERE schemaname = 'tenantfold' AND"
                            + " tablename = 'table_results'")
                    > 0
                && RowSets.count(
                        warehouse,
                        "SELECT count(*) FROM tenantfold.table_results WHERE tenant_id = 'plain'"
                            + " AND published")
                    > 0;
      }
      java.time.Instant publishedSeen = java.time.Instant.now();
      // A few seconds more of "creating": the restore stage's end, as the report gives it, is well
      // after plain's publish.
      Thread.sleep(5000);
      long waitsBefore = copyWaits();
      api.server().setScenarioState(scenario, "available");
      RunResult result = run.get(180, java.util.concurrent.TimeUnit.SECONDS);

      assertThat(plainPublished)
          .as(
              "tenant plain published while acme's copy was still creating (tenants: %s)",
              result.tenants())
          .isTrue();
      assertThat(waitsBefore)
          .as("RDS was asked about acme's copy (and said creating) before plain published")
          .isPositive();
      assertThat(result.exitCode()).as("tenants: %s", result.tenants()).isZero();
      assertThat(
              RowSets.rows(
                  warehouse,
                  "SELECT tenant_id || ':' || label FROM public.items ORDER BY tenant_id, id"))
          .containsExactly("acme:copy", "acme:copy, restored", "plain:plain");
      TenantResult acme = result.tenants().get(0);
      // The report agrees: acme's restore stage ended after plain was seen published (restores
      // start with the run).
      assertThat(result.startedAt().plusMillis(acme.stageMillis().get("restore")))
          .as("end of acme's restore stage")
          .isAfter(publishedSeen);
      assertThat(deleted()).hasSize(1);
      assertThat(productionTableScans(production)).as("scans of production's tables").isZero();
    } finally {
      api.server().setScenarioState(scenario, "available");
      runner.shutdownNow();
    }
  }

  /** DescribeDBInstances requests about acme's copy so far. */
  private long copyWaits() {
    return api.requests("DescribeDBInstances").stream()
        .filter(r -> r.getOrDefault("DBInstanceIdentifier", "").startsWith("tf-acme-"))
        .count();
  }

  @Test
  void aRunFailingAfterTheRestoreStillDeletesTheCopy() throws Exception {
    String production = tenantDatabases(true);
    String warehouse = Fixtures.emptyWarehouse();
    // The target refuses the partition schema, which the run creates after planning, once every
    // copy is restored.
    TestPostgres.execute(
        warehouse,
        "CREATE FUNCTION refuse_partitions() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN IF"
            + " current_query() LIKE '%tenantfold_partitions%' THEN RAISE EXCEPTION 'partition"
            + " schema refused by the test'; END IF; END $$; CREATE EVENT TRIGGER refuse_partitions"
            + " ON ddl_command_start WHEN TAG IN ('CREATE SCHEMA') EXECUTE FUNCTION"
            + " refuse_partitions()");
    copyBecomesAvailable();

    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> new MigrationJob(config(warehouse, production, "1m"), spark).execute())
        .hasMessageContaining("partition schema refused by the test");

    // The restore runs alongside planning: requested (or stopped before its call) by the time the
    // run failed.
    List<String> restored =
        api.requests("RestoreDBInstanceToPointInTime").stream()
            .map(r -> r.get("TargetDBInstanceIdentifier"))
            .toList();
    assertThat(deleted())
        .as("the copy's deletion, requested on the way out of the failed run")
        .hasSize(1)
        .containsAll(restored);
    assertThat(RowSets.rows(warehouse, "SELECT status FROM tenantfold.runs"))
        .containsExactly("failed");
  }

  @Test
  void cleanupDeletesCopiesOfRunsNoLongerRunningOnly() throws Exception {
    String production = tenantDatabases(true);
    String warehouse = Fixtures.emptyWarehouse();
    // The dead run is this target's (recorded, abandoned); a copy of a run it never recorded may be
    // another deployment's.
    try (Connection conn = TestPostgres.connect(warehouse)) {
      new dev.tenantfold.report.ReportStore("tenantfold").ensureTables(conn);
    }
    TestPostgres.execute(
        warehouse,
        "INSERT INTO tenantfold.runs (run_id, started_at, finished_at, status, command)"
            + " VALUES ('20200101T000000Z-dead', now(), now(), 'abandoned', 'run')");
    api.rds(
        "DescribeDBInstances",
        AwsApi.instances(
            null,
            AwsApi.instance(
                "tf-acme-20200101t000000z-dead",
                "available",
                "h",
                5432,
                Map.of(
                    RdsControlPlane.RUN_TAG,
                    "20200101T000000Z-dead",
                    RdsControlPlane.TENANT_TAG,
                    "acme",
                    RdsControlPlane.KEEP_TAG,
                    "false")),
            AwsApi.instance(
                "tf-acme-20200101t000000z-kept",
                "available",
                "h",
                5432,
                Map.of(
                    RdsControlPlane.RUN_TAG,
                    "20200101T000000Z-kept",
                    RdsControlPlane.KEEP_TAG,
                    "true")),
            AwsApi.instance(
                "tf-acme-20200101t000000z-else",
                "available",
                "h",
                5432,
                Map.of(RdsControlPlane.RUN_TAG, "20200101T000000Z-else")),
            AwsApi.instance("acme-prod", "available", "h", 5432, Map.of("team", "billing"))));
    ByteArrayOutputStream out = new ByteArrayOutputStream();

    new CleanupJob(config(warehouse, production, "1m"), false).execute(new PrintStream(out, true));

    assertThat(deleted()).containsExactly("tf-acme-20200101t000000z-dead");
    assertThat(out.toString())
        .contains(
            "deleted copy tf-acme-20200101t000000z-dead (run 20200101T000000Z-dead, tenant acme)");
  }
}
