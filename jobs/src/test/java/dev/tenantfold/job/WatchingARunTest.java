package dev.tenantfold.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.config.ProgressConfig;
import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.progress.ProgressReporter;
import dev.tenantfold.progress.ProgressTracker;
import dev.tenantfold.report.RunResult;
import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.RdsExportFixture;
import dev.tenantfold.testing.RowSets;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What someone watching a run sees, on a real run of a JDBC tenant and an export tenant: progress
 * lines at a steady interval whose final row count is the rows the target holds, and Spark jobs
 * whose descriptions (as the Spark UI and history server show them) name command, stage, tenant and
 * table.
 */
class WatchingARunTest {
  private static final List<String> TABLES =
      List.of("customers", "orders", "order_items", "events");
  private static final SparkSession spark = LocalSpark.session();

  @TempDir Path tmp;

  @Test
  void progressCountsTheRowsTheTargetHoldsAndSparkJobsNameTenantAndTable() throws Exception {
    String acme = Fixtures.demoTenant("acme", 400);
    String globex = Fixtures.demoTenant("globex", 150);
    RdsExportFixture.Written export =
        RdsExportFixture.write(
            spark,
            globex,
            tmp.resolve("export"),
            globex.substring(globex.lastIndexOf('/') + 1),
            TABLES,
            RdsExportFixture.Options.defaults());
    String warehouse = Fixtures.emptyWarehouse();
    TenantfoldConfig config =
        Fixtures.config(warehouse)
            .tenant("acme", acme)
            .exportTenant(
                "globex", export.root(), globex.substring(globex.lastIndexOf('/') + 1), globex)
            .set("extract.rows-per-partition", 500)
            .build(tmp.resolve("reports"));
    List<String> descriptions = new CopyOnWriteArrayList<>();
    SparkListener listener =
        new SparkListener() {
          @Override
          public void onJobStart(SparkListenerJobStart job) {
            descriptions.add(
                String.valueOf(job.properties().getProperty("spark.job.description"))
                    + " | group "
                    + job.properties().getProperty("spark.jobGroup.id"));
          }
        };
    spark.sparkContext().addSparkListener(listener);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    RunResult run;
    RunResult audit;
    try {
      ProgressTracker tracker = new ProgressTracker("run");
      try (ProgressReporter shown =
          ProgressReporter.start(
              tracker, out, new ProgressConfig(ProgressConfig.Mode.LOG, Duration.ofMillis(200)))) {
        run = new MigrationJob(config, spark).withProgress(tracker).execute();
      }
      audit = Jobs.audit(config, Optional.empty(), Optional.empty(), spark, out);
      spark.sparkContext().listenerBus().waitUntilEmpty();
    } finally {
      spark.sparkContext().removeSparkListener(listener);
    }

    assertThat(run.exitCode()).as("%s", run.tenants()).isZero();
    assertThat(audit.exitCode()).as("%s", audit.tenants()).isZero();
    List<String> progress =
        bytes
            .toString(StandardCharsets.UTF_8)
            .lines()
            .filter(l -> l.startsWith("[progress "))
            .toList();
    List<String> ofRun =
        progress.stream().filter(l -> l.contains(" run " + run.runId() + " ")).toList();
    assertThat(ofRun)
        .as("lines of the run at a steady interval:%n%s", String.join("\n", progress))
        .hasSizeGreaterThanOrEqualTo(2);
    long held = 0;
    for (String table : TABLES) {
      held += RowSets.count(warehouse, "SELECT count(*) FROM public." + table);
    }
    String last = ofRun.get(ofRun.size() - 1);
    assertThat(last)
        .as("the final line counts what the target holds (load ledger), nothing guessed")
        .contains(
            "2/2 tenants published",
            "transfer 2/2 tenants, 8/8 tables, " + String.format("%,d", held) + " rows,",
            "validate 2/2 tenants, 8/8 tables",
            "publish  2/2 tenants");
    String auditLine =
        progress.stream()
            .filter(l -> l.contains(" validate " + audit.runId() + " "))
            .reduce((a, b) -> b)
            .orElseThrow();
    assertThat(auditLine)
        .contains(
            "2/2 tenants checked",
            "validate 2/2 tenants, 8/8 tables, " + String.format("%,d", held) + " rows checked");

    assertThat(descriptions)
        .as("Spark job descriptions:%n%s", String.join("\n", descriptions))
        .anyMatch(
            d ->
                d.startsWith("tenantfold run " + run.runId() + ": transfer (")
                    && d.contains("tenant acme tables customers, events, order_items, orders")
                    && d.endsWith("| group tenantfold-" + run.runId() + "-acme"))
        .anyMatch(
            d ->
                d.startsWith(
                    "tenantfold run "
                        + run.runId()
                        + ": transfer from export tenant globex table orders |"))
        .anyMatch(
            d ->
                d.startsWith(
                    "tenantfold validate "
                        + audit.runId()
                        + ": checksum tenant globex table customers |"))
        // An export tenant's source checksum is folded in its transfer job: no second job reads the
        // export in a run.
        .noneMatch(
            d -> d.startsWith("tenantfold run " + run.runId() + ": source checksum tenant globex"));
    // Every job this run and audit launched says what it is (the fixture's export writing aside).
    assertThat(
            descriptions.stream()
                .filter(d -> d.contains(run.runId()) || d.contains(audit.runId()))
                .count())
        .isPositive();
    assertThat(
            descriptions.stream()
                .filter(d -> d.startsWith("null"))
                .filter(d -> !d.contains("group null"))
                .toList())
        .as("jobs in a group without a description")
        .isEmpty();
  }
}
