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
 * in the target say which one was read. Every case checks, from WireMock's request journal, that the
 * copy's deletion was requested.
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
    api.rds("DescribeDBInstances", AwsApi.instances(null, AwsApi.instance("acme-prod", "available", "acme-prod.example", 5432, Map.of())),
        "DBInstanceIdentifier=acme-prod");
    api.rds("RestoreDBInstanceToPointInTime", AwsApi.instance("tf-acme", "creating", null, 0, Map.of()));
    api.rds("DeleteDBInstance", AwsApi.instance("tf-acme", "deleting", null, 0, Map.of()));
  }

  @AfterEach
  void stopApi() {
    api.close();
  }

  /** The tenant's "production" database (one row) and, on the copy server, the same database name with other rows. */
  private String tenantDatabases(boolean copyHasTables) throws Exception {
    String production = TestPostgres.createDatabase("acme");
    TestPostgres.execute(production, "CREATE TABLE items (id int PRIMARY KEY, label text); INSERT INTO items VALUES (1, 'production')");
    String database = production.substring(production.lastIndexOf('/') + 1);
    try (Connection conn = DriverManager.getConnection(copyServer.getJdbcUrl("postgres", "postgres")); Statement st = conn.createStatement()) {
      st.execute("CREATE DATABASE " + database);
    }
    if (copyHasTables) {
      try (Connection conn = DriverManager.getConnection(copyServer.getJdbcUrl("postgres", database)); Statement st = conn.createStatement()) {
        st.execute("CREATE TABLE items (id int PRIMARY KEY, label text); INSERT INTO items VALUES (1, 'copy'), (2, 'copy, restored')");
      }
    }
    return production;
  }

  private TenantfoldConfig config(String warehouse, String production, String waitTimeout) {
    return TenantfoldConfig.fromConfig(ConfigFactory.parseString("tenantfold {\n"
        + " aws { region = " + AwsApi.REGION + ", rds-endpoint = \"" + api.endpoint() + "\", poll-interval = 50ms }\n"
        + " target { url = \"" + warehouse + "\", user = postgres, password = postgres }\n"
        + " report.dir = \"" + reports + "\"\n"
        + " tenants = [ { id = acme, jdbc { url = \"" + production + "\", user = postgres, password = postgres }\n"
        + "   restore { source-instance = acme-prod, instance-class = db.r6g.xlarge, subnet-group = tenants-private, security-groups = [sg-0123],"
        + " wait-timeout = " + waitTimeout + " } } ]\n}"));
  }

  private void copyBecomesAvailable() {
    api.rdsSequence("DescribeDBInstances", List.of(
        AwsApi.instances(null, AwsApi.instance("tf-acme", "creating", null, 0, Map.of())),
        AwsApi.instances(null, AwsApi.instance("tf-acme", "configuring-enhanced-monitoring", null, 0, Map.of())),
        AwsApi.instances(null, AwsApi.instance("tf-acme", "available", "localhost", copyServer.getPort(), Map.of()))),
        "DBInstanceIdentifier=tf-acme-");
  }

  private List<String> deleted() {
    return api.requests("DeleteDBInstance").stream().filter(r -> "true".equals(r.get("SkipFinalSnapshot")) && "true".equals(r.get("DeleteAutomatedBackups")))
        .map(r -> r.get("DBInstanceIdentifier")).toList();
  }

  @Test
  void readsTheCopyNotProductionAndDeletesIt() throws Exception {
    String production = tenantDatabases(true);
    String warehouse = Fixtures.emptyWarehouse();
    copyBecomesAvailable();

    RunResult result = new MigrationJob(config(warehouse, production, "1m"), spark).execute();

    assertThat(result.exitCode()).as("tenants: %s", result.tenants()).isZero();
    assertThat(RowSets.rows(warehouse, "SELECT label FROM public.items WHERE tenant_id = 'acme' ORDER BY id"))
        .as("the copy's rows, not production's").containsExactly("copy", "copy, restored");
    List<Map<String, String>> restores = api.requests("RestoreDBInstanceToPointInTime");
    assertThat(restores).hasSize(1);
    Map<String, String> restore = restores.get(0);
    String copyId = restore.get("TargetDBInstanceIdentifier");
    assertThat(copyId).startsWith("tf-acme-").matches("[a-z][a-z0-9-]{1,62}");
    assertThat(restore).containsEntry("SourceDBInstanceIdentifier", "acme-prod").containsEntry("RestoreTime", "2026-11-29T14:55:00Z")
        .containsEntry("DBInstanceClass", "db.r6g.xlarge").containsEntry("DBSubnetGroupName", "tenants-private")
        .containsEntry("PubliclyAccessible", "false").containsValue("sg-0123").containsValue(RdsControlPlane.RUN_TAG).containsValue(result.runId())
        .containsValue("acme").doesNotContainKey("EnableIAMDatabaseAuthentication");
    assertThat(deleted()).containsExactly(copyId);
    TenantResult acme = result.tenants().get(0);
    assertThat(acme.source()).hasValueSatisfying(s -> {
      assertThat(s.kind()).isEqualTo("copy");
      assertThat(s.description()).contains(copyId, "instance acme-prod", "2026-11-29T14:55:00Z");
      assertThat(s.pointInTime()).hasValue(java.time.Instant.parse("2026-11-29T14:55:00Z"));
    });
    assertThat(acme.stageMillis()).containsKeys("restore", "delete_copy");
    assertThat(Files.readString(reports.resolve(result.runId()).resolve("report.json"))).contains("copy " + copyId + " of instance acme-prod")
        .contains("\"restore\"").contains("\"delete_copy\"");
  }

  @Test
  void theCopyIsReadWithThePasswordFromSecretsManagerOnDriverAndExecutors() throws Exception {
    String production = tenantDatabases(true);
    String warehouse = Fixtures.emptyWarehouse();
    String password = "copy-Secret-" + System.nanoTime();
    String arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-acme-copy";
    try (Connection conn = DriverManager.getConnection(copyServer.getJdbcUrl("postgres", "postgres")); Statement st = conn.createStatement()) {
      st.execute("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'copy_reader') THEN CREATE ROLE copy_reader LOGIN SUPERUSER; END IF; END $$");
      st.execute("ALTER ROLE copy_reader PASSWORD '" + password + "'");
      String hba;
      try (var rs = st.executeQuery("SHOW hba_file")) {
        rs.next();
        hba = rs.getString(1);
      }
      String rule = "host all copy_reader all scram-sha-256\n";
      String current = Files.readString(Path.of(hba));
      if (!current.contains(rule)) {
        Files.writeString(Path.of(hba), rule + current);
      }
      st.execute("SELECT pg_reload_conf()");
    }
    api.secret(arn, "{\"engine\":\"postgres\",\"username\":\"copy_reader\",\"password\":\"" + password + "\"}");
    SecretPasswordPlugin.clearCache();
    copyBecomesAvailable();
    TenantfoldConfig config = TenantfoldConfig.fromConfig(ConfigFactory.parseString("tenantfold {\n"
        + " aws { region = " + AwsApi.REGION + ", rds-endpoint = \"" + api.endpoint() + "\", secretsmanager-endpoint = \"" + api.endpoint()
        + "\", poll-interval = 50ms }\n"
        + " target { url = \"" + warehouse + "\", user = postgres, password = postgres }\n"
        + " report.dir = \"" + reports + "\"\n"
        + " extract.rows-per-partition = 1\n"
        + " tenants = [ { id = acme, jdbc { url = \"" + production + "\", user = copy_reader, password-secret = \"" + arn + "\" }\n"
        + "   restore { source-instance = acme-prod } } ]\n}"));

    RunResult result;
    try (dev.tenantfold.testing.LogCapture logs = dev.tenantfold.testing.LogCapture.start()) {
      result = new MigrationJob(config, spark).execute();
      assertThat(logs.log() + logs.console()).doesNotContain(password);
    }

    assertThat(result.exitCode()).as("tenants: %s", result.tenants()).isZero();
    assertThat(RowSets.rows(warehouse, "SELECT label FROM public.items WHERE tenant_id = 'acme' ORDER BY id")).containsExactly("copy", "copy, restored");
    assertThat(result.tenants().get(0).table("items").orElseThrow().partitions()).as("read in Spark tasks, each connecting with the secret")
        .isGreaterThan(1);
    assertThat(spark.sparkContext().getConf().toDebugString() + Files.readString(reports.resolve(result.runId()).resolve("report.json")))
        .doesNotContain(password);
  }

  @Test
  void aThrottledRestoreIsRetried() throws Exception {
    String production = tenantDatabases(true);
    String warehouse = Fixtures.emptyWarehouse();
    api.rdsFailingFirst("RestoreDBInstanceToPointInTime", "Throttling", 400, 2, AwsApi.instance("tf-acme", "creating", null, 0, Map.of()));
    copyBecomesAvailable();

    RunResult result = new MigrationJob(config(warehouse, production, "1m"), spark).execute();

    assertThat(result.exitCode()).as("tenants: %s", result.tenants()).isZero();
    assertThat(api.requests("RestoreDBInstanceToPointInTime")).as("two throttled attempts, then the restore").hasSize(3);
    assertThat(RowSets.rows(warehouse, "SELECT label FROM public.items WHERE tenant_id = 'acme' ORDER BY id")).containsExactly("copy", "copy, restored");
    assertThat(deleted()).hasSize(1);
  }

  @Test
  void aCopyThatNeverBecomesAvailableFailsTheTenantAndIsStillDeleted() throws Exception {
    String production = tenantDatabases(true);
    String warehouse = Fixtures.emptyWarehouse();
    api.rds("DescribeDBInstances", AwsApi.instances(null, AwsApi.instance("tf-acme", "creating", null, 0, Map.of())), "DBInstanceIdentifier=tf-acme-");

    RunResult result = new MigrationJob(config(warehouse, production, "1s"), spark).execute();

    assertThat(result.exitCode()).isEqualTo(1);
    TenantResult acme = result.tenants().get(0);
    assertThat(acme.published()).isFalse();
    assertThat(acme.message()).contains("Cannot restore a copy of tenant acme from instance acme-prod").contains("did not become available within 1s")
        .contains("restore.wait-timeout").contains("last status creating");
    assertThat(deleted()).hasSize(1).allMatch(id -> id.startsWith("tf-acme-"));
    assertThat(RowSets.count(warehouse, "SELECT count(*) FROM pg_tables WHERE tablename = 'items'")).as("production was not read instead").isZero();
  }

  @Test
  void aTenantFailingAfterTheRestoreStillDeletesTheCopy() throws Exception {
    String production = tenantDatabases(false);
    String warehouse = Fixtures.emptyWarehouse();
    copyBecomesAvailable();

    RunResult result = new MigrationJob(config(warehouse, production, "1m"), spark).execute();

    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(result.tenants().get(0).message()).contains("tenant acme").contains("hold no table");
    assertThat(deleted()).hasSize(1);
  }

  @Test
  void aRunFailingAfterTheRestoreStillDeletesTheCopy() throws Exception {
    String production = tenantDatabases(true);
    String warehouse = Fixtures.emptyWarehouse();
    // The target refuses the partition schema, which the run creates after planning, once every copy is restored.
    TestPostgres.execute(warehouse, "CREATE FUNCTION refuse_partitions() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN"
        + " IF current_query() LIKE '%tenantfold_partitions%' THEN RAISE EXCEPTION 'partition schema refused by the test'; END IF; END $$;"
        + " CREATE EVENT TRIGGER refuse_partitions ON ddl_command_start WHEN TAG IN ('CREATE SCHEMA') EXECUTE FUNCTION refuse_partitions()");
    copyBecomesAvailable();

    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new MigrationJob(config(warehouse, production, "1m"), spark).execute())
        .hasMessageContaining("partition schema refused by the test");

    assertThat(api.requests("RestoreDBInstanceToPointInTime")).hasSize(1);
    assertThat(deleted()).as("the copy's deletion, requested on the way out of the failed run").hasSize(1);
    assertThat(RowSets.rows(warehouse, "SELECT status FROM tenantfold.runs")).containsExactly("failed");
  }

  @Test
  void cleanupDeletesCopiesOfRunsNoLongerRunningOnly() throws Exception {
    String production = tenantDatabases(true);
    String warehouse = Fixtures.emptyWarehouse();
    // The dead run is this target's (recorded, abandoned); a copy of a run it never recorded may be another deployment's.
    try (Connection conn = TestPostgres.connect(warehouse)) {
      new dev.tenantfold.report.ReportStore("tenantfold").ensureTables(conn);
    }
    TestPostgres.execute(warehouse, "INSERT INTO tenantfold.runs (run_id, started_at, finished_at, status, command)"
        + " VALUES ('20200101T000000Z-dead', now(), now(), 'abandoned', 'run')");
    api.rds("DescribeDBInstances", AwsApi.instances(null,
        AwsApi.instance("tf-acme-20200101t000000z-dead", "available", "h", 5432, Map.of(RdsControlPlane.RUN_TAG, "20200101T000000Z-dead",
            RdsControlPlane.TENANT_TAG, "acme", RdsControlPlane.KEEP_TAG, "false")),
        AwsApi.instance("tf-acme-20200101t000000z-kept", "available", "h", 5432, Map.of(RdsControlPlane.RUN_TAG, "20200101T000000Z-kept",
            RdsControlPlane.KEEP_TAG, "true")),
        AwsApi.instance("tf-acme-20200101t000000z-else", "available", "h", 5432, Map.of(RdsControlPlane.RUN_TAG, "20200101T000000Z-else")),
        AwsApi.instance("acme-prod", "available", "h", 5432, Map.of("team", "billing"))));
    ByteArrayOutputStream out = new ByteArrayOutputStream();

    new CleanupJob(config(warehouse, production, "1m"), false).execute(new PrintStream(out, true));

    assertThat(deleted()).containsExactly("tf-acme-20200101t000000z-dead");
    assertThat(out.toString()).contains("deleted copy tf-acme-20200101t000000z-dead (run 20200101T000000Z-dead, tenant acme)");
  }
}
