package dev.tenantfold.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.report.ReportReader;
import dev.tenantfold.report.RunResult;
import dev.tenantfold.report.TenantResult;
import dev.tenantfold.testing.CuttingProxy;
import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import dev.tenantfold.validate.TableStatus;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A publish that committed while its connection broke and the target then refused new connections:
 * never reported as failed, its table_results never overwritten; asked again until the target
 * answers, and UNKNOWN (exit 1) when it does not answer in publish.outcome-wait, settled later by
 * the target's own record.
 */
class UnknownOutcomeTest {
  private static final SparkSession spark = LocalSpark.session();
  private static final String MARKER = "tenantfold partition names";

  @TempDir Path reports;

  @Test
  void aCommitThatLostItsAnswerIsFoundOnceTheTargetAnswersAgain() throws Exception {
    String a = Fixtures.demoTenant("outcome_a", 20);
    String warehouse = Fixtures.emptyWarehouse();
    try (CuttingProxy proxy = CuttingProxy.cutReplyToCommit(warehouse, MARKER)) {
      TenantfoldConfig config =
          Fixtures.config(proxy.url(warehouse))
              .tenant("a", a)
              .set("publish.outcome-wait", "5m")
              .build(reports);
      CompletableFuture<RunResult> running =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return new MigrationJob(config, spark).execute();
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              });
      // The state the test waits for: the outcome check was refused by the unreachable target.
      awaitRefused(proxy, running);
      proxy.release();
      RunResult run = running.get(5, TimeUnit.MINUTES);

      assertThat(proxy.cuts()).as("the COMMIT's answer was lost").isEqualTo(1);
      assertThat(run.exitCode()).as("%s", run.tenants()).isZero();
      assertThat(run.tenant("a").orElseThrow().published()).isTrue();
      assertThat(publishedRows(warehouse, run.runId())).isEqualTo(4);
    }
  }

  @Test
  void aTargetThatDoesNotAnswerInTimeLeavesTheOutcomeUnknownAndItsRecordIntact() throws Exception {
    String a = Fixtures.demoTenant("outcome_u", 20);
    String warehouse = Fixtures.emptyWarehouse();
    RunResult run;
    try (CuttingProxy proxy = CuttingProxy.cutReplyToCommit(warehouse, MARKER)) {
      TenantfoldConfig config =
          Fixtures.config(proxy.url(warehouse))
              .tenant("a", a)
              .set("publish.outcome-wait", "1s")
              .build(reports);
      run = new MigrationJob(config, spark).execute();
      assertThat(proxy.cuts()).isEqualTo(1);
      assertThat(proxy.refused()).as("the target refused every check").isPositive();
    }

    TenantResult tenant = run.tenant("a").orElseThrow();
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(tenant.published()).isFalse();
    assertThat(tenant.status()).isEqualTo(TableStatus.UNKNOWN);
    assertThat(tenant.message())
        .startsWith("UNKNOWN: cannot tell whether tenant a was published")
        .contains("tenantfold report " + run.runId())
        .doesNotContain("previously published data is unchanged");
    assertThat(run.statusLabel()).isEqualTo("outcome_unknown");
    // The committed publish's own rows stay as it wrote them.
    assertThat(publishedRows(warehouse, run.runId())).isEqualTo(4);
    assertThat(RowSets.count(warehouse, "SELECT count(*) FROM public.customers")).isPositive();

    try (Connection conn = TestPostgres.connect(warehouse)) {
      RunResult settled =
          new ReportReader("tenantfold").load(conn, run.runId()).orElseThrow().run();
      assertThat(settled.tenant("a").orElseThrow().published())
          .as("settled from the target's record")
          .isTrue();
      assertThat(settled.exitCode()).isZero();
    }
    assertThat(RowSets.rows(warehouse, statusesOf(run.runId())))
        .as("until something settles it, the record says unknown")
        .containsExactlyInAnyOrder("outcome_unknown", "a UNKNOWN false");

    new ReportJob(
            Fixtures.config(warehouse).tenant("a", a).build(reports),
            java.util.Optional.of(run.runId()),
            ReportJob.Format.JSON,
            java.util.Optional.of(reports.resolve("settled.json").toString()))
        .execute(System.out);

    assertThat(RowSets.rows(warehouse, statusesOf(run.runId())))
        .as("tenantfold report wrote down what the target's record proves")
        .containsExactlyInAnyOrder("succeeded", "a OK true");
    assertThat(java.nio.file.Files.readString(reports.resolve("settled.json")))
        .contains("\"status\" : \"succeeded\"");
    assertThat(publishedRows(warehouse, run.runId())).isEqualTo(4);
  }

  /** The run's status, then each tenant's status and published flag, as the report tables hold. */
  private static String statusesOf(String runId) {
    return "SELECT status FROM tenantfold.runs WHERE run_id = '"
        + runId
        + "' UNION ALL SELECT tenant_id || ' ' || status || ' ' || published FROM"
        + " tenantfold.tenant_results WHERE run_id = '"
        + runId
        + "'";
  }

  private static void awaitRefused(CuttingProxy proxy, CompletableFuture<RunResult> running)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
    while (proxy.refused() == 0) {
      if (running.isDone()) {
        throw new AssertionError("the run ended before its outcome check: " + running.get());
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no outcome check reached the proxy in 3 minutes");
      }
      Thread.sleep(20);
    }
  }

  private static long publishedRows(String warehouse, String runId) {
    return RowSets.count(
        warehouse,
        "SELECT count(*) FROM tenantfold.table_results WHERE run_id = '"
            + runId
            + "' AND tenant_id = 'a' AND published");
  }
}
