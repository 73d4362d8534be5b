package dev.tenantfold.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.cluster.StandaloneCluster.Submission;
import dev.tenantfold.testing.AwsApi;
import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.RdsExportFixture;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.S3Server;
import dev.tenantfold.testing.TestPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged {@code -spark.jar} on a real Spark standalone cluster (master, worker, executors and
 * cluster-mode drivers each in their own JVM; {@link StandaloneCluster}), submitted through {@code
 * org.apache.spark.deploy.SparkSubmit}: in client deploy mode directly, in cluster deploy mode as
 * the steps of emr/steps.json (exactly their arguments: jar and config from S3, passwords read from
 * Secrets Manager by the driver and executors through {@code password-secret}; a third tenant read
 * from its snapshot export in S3): the target holds every source row, the exit code the submitter
 * sees (or, in standalone cluster mode, the driver state the master reports) tells a validation
 * failure from success, and no driver or executor log holds a tenant's password.
 */
class StandaloneClusterIT {
  private static final Duration SUBMIT_TIMEOUT = Duration.ofMinutes(4);
  private static final List<String> ORDERS =
      List.of("id", "customer_id", "status", "total", "placed_at", "note", "attachment", "raw");
  private static final List<String> CUSTOMERS =
      List.of("id", "name", "email", "country", "tags", "profile", "balance");
  private static final String LOADER = "tf_it_loader";
  private static final String READER = "tf_it_reader";
  private static final String LOADER_PASSWORD = "Loader-" + UUID.randomUUID();
  private static final String READER_PASSWORD = "Reader-" + UUID.randomUUID();
  private static final String WAREHOUSE_SECRET =
      "arn:aws:secretsmanager:eu-west-1:123456789012:secret:tenantfold-it/warehouse";
  private static final String READER_SECRET =
      "arn:aws:secretsmanager:eu-west-1:123456789012:secret:tenantfold-it/reader";
  private static final StandaloneCluster cluster = StandaloneCluster.get();
  private static AwsApi secrets;

  @TempDir Path dir;

  @BeforeAll
  static void roles() {
    TestPostgres.createPasswordRole(LOADER, LOADER_PASSWORD);
    TestPostgres.createPasswordRole(READER, READER_PASSWORD);
    secrets = new AwsApi();
  }

  @AfterAll
  static void stopSecrets() {
    secrets.close();
  }

  @Test
  void clientModeConsolidatesOnExecutorsAndExitsWithTheJobsCode() throws IOException {
    Setup setup = setup("client");
    List<Path> appsBefore = cluster.applicationDirs();

    Submission ok = submit("client", setup.config());

    assertThat(ok.exitCode())
        .as("spark-submit exit code in client mode:\n%s", ok.output())
        .isZero();
    assertThat(ok.output()).contains("succeeded (exit code 0)", "2 of 2 tenants published");
    setup.assertConsolidated();
    List<Path> apps = new ArrayList<>(cluster.applicationDirs());
    apps.removeAll(appsBefore);
    assertThat(apps).as("the application ran executors launched by the worker").hasSize(1);
    assertThat(apps.get(0).resolve("0").resolve("stderr"))
        .as("executor 0 of %s, a JVM of its own", apps.get(0))
        .isRegularFile();
    assertThat(Files.readString(apps.get(0).resolve("0").resolve("stderr")))
        .as("the executor ran our tasks")
        .contains("Finished task");

    Fixtures.stagingTrigger(
        setup.warehouse(), "orders", "IF NEW.id = 3 THEN RETURN NULL; END IF; RETURN NEW;");
    Submission mismatch = submit("client", setup.config());

    assertThat(mismatch.exitCode())
        .as("a validation failure is exit code 3 for the submitter:\n%s", mismatch.output())
        .isEqualTo(3);
    assertNoPasswordIn(ok.output(), mismatch.output());
  }

  /**
   * Cluster deploy mode, the way EMR runs Tenantfold: exactly the arguments of emr/steps.json
   * (placeholders filled in), run as command-runner.jar runs them, with the jar and the config in
   * S3 and the passwords read from "Secrets Manager" (WireMock on loopback) by the driver and
   * executors through {@code password-secret}; only {@code --master yarn} becomes this standalone
   * master.
   */
  @Test
  void clusterModeRunsTheEmrStepsAndTheDriverStateTellsSuccessFromValidationFailure()
      throws IOException {
    Setup setup = setup("cluster");
    S3Server s3 = S3Server.get();
    s3.createBucket("artifacts");
    s3.createBucket("configs");
    s3.client()
        .putObject(
            b -> b.bucket("artifacts").key("tenantfold/tenantfold-spark.jar"),
            software.amazon.awssdk.core.sync.RequestBody.fromFile(StandaloneSubmitter.sparkJar()));
    // A third tenant read from its RDS-shaped snapshot export in S3: its Parquet rows pass through
    // the executors.
    String initech = Fixtures.demoTenant("initech_cluster", 40);
    String initechDb = initech.substring(initech.lastIndexOf('/') + 1);
    RdsExportFixture.Written export =
        RdsExportFixture.write(
            LocalSpark.session(),
            initech,
            dir.resolve("export"),
            initechDb,
            List.of("customers", "orders", "order_items", "events"),
            RdsExportFixture.Options.defaults());
    s3.createBucket("exports");
    s3.putDirectory(dir.resolve("export"), "exports", "initech/" + export.taskId());
    String exportTenant =
        "    { id = initech, export { path = \"s3://exports/initech/"
            + export.taskId()
            + "\", database = "
            + initechDb
            + ", catalog { url = \""
            + initech
            + "\", user = "
            + READER
            + ", password-secret = \""
            + READER_SECRET
            + "\" } } }\n  ]\n";
    // Passwords come from Secrets Manager (a stand-in on loopback), read by the driver and the
    // executors themselves with the credentials every cluster JVM has (StandaloneCluster's
    // environment, as an EMR instance profile): no step argument carries one.
    secrets.secret(WAREHOUSE_SECRET, "{\"password\":\"" + LOADER_PASSWORD + "\"}");
    secrets.secret(READER_SECRET, "{\"password\":\"" + READER_PASSWORD + "\"}");
    s3.putString(
        "configs",
        "tenantfold/job.conf",
        Files.readString(setup.config())
            .replace(
                "password = ${?TF_LOADER_PASSWORD}",
                "password-secret = \"" + WAREHOUSE_SECRET + "\"")
            .replace(
                "password = ${?TF_READER_PASSWORD}", "password-secret = \"" + READER_SECRET + "\"")
            .replace("  ]\n", exportTenant)
            .replace(
                "  report.dir",
                "  aws { region = "
                    + AwsApi.REGION
                    + ", secretsmanager-endpoint = \""
                    + secrets.endpoint()
                    + "\" }\n  s3 { endpoint = \""
                    + s3.endpoint()
                    + "\", path-style-access = true }\n  report.dir"));
    Map<String, String> placeholders =
        Map.of("ARTIFACT_BUCKET", "artifacts", "CONFIG_BUCKET", "configs");
    Map<String, String> env = Map.of();
    Map<String, EmrDefinitions.Step> steps = new java.util.LinkedHashMap<>();
    EmrDefinitions.steps().forEach(step -> steps.put(step.tenantfoldArgs().get(0), step));
    List<String> outputs = new ArrayList<>();

    // plan first, as the steps queue it (client mode: a JDBC-only plan starts no SparkContext); it
    // moves no data.
    Submission plan = runStep(steps.get("plan"), placeholders, env);
    assertThat(plan.exitCode()).as("plan step exit code:\n%s", plan.output()).isZero();
    assertThat(plan.output()).contains("Verdict: a run can proceed");

    Submission run = runStep(steps.get("run"), placeholders, env);
    outputs.add(run.output());
    String driver =
        run.driverId()
            .orElseThrow(
                () -> new AssertionError("no driver id for the run step in:\n" + run.output()));
    assertThat(run.exitCode()).as("run step exit code:\n%s", run.output()).isZero();
    assertThat(cluster.driverState(driver))
        .as("run driver state; its log:\n%s", cluster.driverLog(driver))
        .isEqualTo("FINISHED");
    assertThat(cluster.driverLog(driver)).contains("succeeded (exit code 0)");
    // validate and cleanup run in client deploy mode (no SparkContext: YARN cluster mode would fail
    // them).
    for (String command : List.of("validate", "cleanup")) {
      Submission step = runStep(steps.get(command), placeholders, env);
      outputs.add(step.output());
      assertThat(step.exitCode()).as("%s step exit code:\n%s", command, step.output()).isZero();
    }
    assertThat(outputs.get(1))
        .as("validate audited both tenants")
        .contains("Validation took")
        .doesNotContain("MISMATCH");
    setup.assertConsolidated();
    RowSets.assertSameRows(initech, setup.warehouse(), "initech", "orders", ORDERS);
    RowSets.assertSameRows(initech, setup.warehouse(), "initech", "customers", CUSTOMERS);
    assertThat(cluster.driverLog(driver))
        .as("the export tenant published")
        .contains("3 of 3 tenants published");
    assertThat(
            RowSets.rows(
                setup.warehouse(),
                "SELECT command || ':' || status FROM tenantfold.runs ORDER BY started_at"))
        .as("the run and the validate steps recorded their runs")
        .hasSize(2)
        .first()
        .isEqualTo("run:succeeded");

    Fixtures.stagingTrigger(
        setup.warehouse(), "orders", "IF NEW.id = 3 THEN RETURN NULL; END IF; RETURN NEW;");
    Submission mismatch = runStep(steps.get("run"), placeholders, env);
    outputs.add(mismatch.output());

    String failed =
        mismatch
            .driverId()
            .orElseThrow(() -> new AssertionError("no driver id in:\n" + mismatch.output()));
    // Spark's standalone client exits 0 whatever the driver's end (Client.scala, "exiting
    // spark-submit JVM"): the
    // submitter must ask the master (docs/runbook.md). On YARN (EMR) spark-submit itself exits 1.
    assertThat(mismatch.exitCode())
        .as("standalone cluster-mode spark-submit exit code:\n%s", mismatch.output())
        .isZero();
    assertThat(StandaloneSubmitter.exitCode(cluster, mismatch))
        .as("the exit code a submitter derives from the driver state")
        .isEqualTo(1);
    assertThat(cluster.driverState(failed))
        .as("driver state; its log:\n%s", cluster.driverLog(failed))
        .isEqualTo("FAILED");
    assertThat(cluster.driverLog(failed))
        .as("what YARN's diagnostics would carry")
        .contains("(exit code 3)", "User application exited with 3");
    assertNoPasswordIn(outputs.toArray(String[]::new));
  }

  private Submission runStep(
      EmrDefinitions.Step step, Map<String, String> placeholders, Map<String, String> env) {
    List<String> args =
        step.args().stream().map(a -> EmrDefinitions.fill(a, placeholders)).toList();
    assertThat(String.join(" ", args))
        .as("every placeholder the step uses is filled")
        .doesNotContainPattern("<[A-Z_]+>");
    return cluster.runStep(args, env, SUBMIT_TIMEOUT);
  }

  private Submission submit(String deployMode, Path config) {
    // Sizes come from the cluster's spark-defaults.conf, as on EMR.
    List<String> args =
        new ArrayList<>(
            List.of(
                "--master",
                cluster.masterUrl(),
                "--deploy-mode",
                deployMode,
                "--class",
                EmrDefinitions.MAIN_CLASS));
    args.add(StandaloneSubmitter.sparkJar().toString());
    args.addAll(List.of("run", "--config", config.toString()));
    return cluster.submit(
        args,
        Map.of("TF_LOADER_PASSWORD", LOADER_PASSWORD, "TF_READER_PASSWORD", READER_PASSWORD),
        SUBMIT_TIMEOUT);
  }

  /** No password in the submitter's output, nor in any master, worker, driver or executor log. */
  static void assertNoPasswordIn(String... outputs) {
    List<String> secrets = List.of(LOADER_PASSWORD, READER_PASSWORD);
    for (String output : outputs) {
      for (String secret : secrets) {
        assertThat(output).as("spark-submit output").doesNotContain(secret);
      }
    }
    List<Path> files = cluster.allLogFiles();
    assertThat(files)
        .as("logs under %s", cluster.workDir())
        .anyMatch(p -> p.toString().endsWith("stderr"));
    for (Path file : files) {
      String text;
      try {
        text = Files.readString(file, java.nio.charset.StandardCharsets.ISO_8859_1);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      for (String secret : secrets) {
        assertThat(text).as("log file %s", file).doesNotContain(secret);
      }
    }
  }

  /**
   * Two JDBC tenants read by password roles (acme large enough for several partitions per table)
   * and an empty warehouse.
   */
  private Setup setup(String label) throws IOException {
    String acme = Fixtures.demoTenant("acme_" + label, 300);
    String globex = Fixtures.demoTenant("globex_" + label, 40);
    String warehouse = Fixtures.emptyWarehouse();
    Path config = dir.resolve("job.conf");
    Files.writeString(
        config,
        jobConfig(warehouse, Map.of("acme", acme, "globex", globex), dir.resolve("reports")));
    return new Setup(acme, globex, warehouse, config);
  }

  /** The job's HOCON as a user writes it: passwords from the environment. */
  static String jobConfig(String warehouse, Map<String, String> tenants, Path reports) {
    StringBuilder t = new StringBuilder();
    tenants.forEach(
        (id, url) ->
            t.append("    { id = ")
                .append(id)
                .append(", jdbc { url = \"")
                .append(url)
                .append("\", user = ")
                .append(READER)
                .append(", password = ${?TF_READER_PASSWORD} } }\n"));
    return """
    tenantfold {
      target { url = "%s", user = %s, password = ${?TF_LOADER_PASSWORD} }
      tenants = [
    %s  ]
      extract.rows-per-partition = 150
      validate.buckets = 64
      report.dir = "%s"
    }
    """
        .formatted(warehouse, LOADER, t, reports);
  }

  record Setup(String acme, String globex, String warehouse, Path config) {
    void assertConsolidated() {
      RowSets.assertSameRows(acme, warehouse, "acme", "orders", ORDERS);
      RowSets.assertSameRows(acme, warehouse, "acme", "customers", CUSTOMERS);
      RowSets.assertSameRows(globex, warehouse, "globex", "orders", ORDERS);
      RowSets.assertSameRows(globex, warehouse, "globex", "customers", CUSTOMERS);
      assertThat(
              RowSets.count(
                  warehouse,
                  "SELECT count(*) FROM tenantfold.load_ledger WHERE tenant_id = 'acme' AND"
                      + " table_name = 'orders'"))
          .as("acme's orders were read in several partitions (Spark tasks)")
          .isGreaterThan(1);
    }
  }
}
