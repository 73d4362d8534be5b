package dev.tenantfold.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.jdbc.SessionName;
import dev.tenantfold.load.StagingRegistry;
import dev.tenantfold.load.StagingTable;
import dev.tenantfold.report.ReportStore;
import dev.tenantfold.report.RunResult;
import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.RowSets;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A dead run (its lock free and none of its sessions connected) is dead: --resume sweeps it and
 * goes on, cleanup --dry-run lists exactly what cleanup drops; a live run that only lost its lock
 * connection is left alone.
 */
class DeadRunTest {
  private static final SparkSession spark = LocalSpark.session();
  private static final ReportStore REPORTS = new ReportStore("tenantfold");
  private static final StagingRegistry REGISTRY = new StagingRegistry("tenantfold");

  @TempDir Path reports;

  @Test
  void theLivenessRuleNeedsAFreeLockAndNoSession() {
    assertThat(ReportStore.dead(true, false)).isTrue();
    assertThat(ReportStore.dead(true, true))
        .as("lost its lock connection, still working")
        .isFalse();
    assertThat(ReportStore.dead(false, false)).isFalse();
    assertThat(ReportStore.dead(false, true)).isFalse();
  }

  @Test
  void cleanupDryRunListsExactlyWhatCleanupDropsAndSparesALiveRun() throws Exception {
    String a = Fixtures.demoTenant("dead_a", 10);
    String warehouse = Fixtures.emptyWarehouse();
    TenantfoldConfig config = Fixtures.config(warehouse).tenant("a", a).build(reports);
    assertThat(new MigrationJob(config, spark).execute().exitCode()).isZero();
    String dead = "20261206T000001Z-dead";
    List<String> deadTables = deadRun(warehouse, dead, 3);
    String live = "20261206T000002Z-live";
    try (Connection tenantSession = session(warehouse, live, "tenant-a")) {
      // A live run whose lock connection died: its tenant's session is still connected.
      List<String> liveTables = deadRun(warehouse, live, 2);
      awaitSessions(warehouse, dead, 0);

      ByteArrayOutputStream dryOut = new ByteArrayOutputStream();
      var dry =
          new CleanupJob(config, true)
              .execute(new PrintStream(dryOut, true, StandardCharsets.UTF_8));
      ByteArrayOutputStream realOut = new ByteArrayOutputStream();
      var real =
          new CleanupJob(config, false)
              .execute(new PrintStream(realOut, true, StandardCharsets.UTF_8));

      assertThat(dry.dropped())
          .as(dryOut.toString())
          .containsExactlyInAnyOrderElementsOf(deadTables);
      assertThat(real.dropped()).as(realOut.toString()).containsExactlyElementsOf(dry.dropped());
      assertThat(real.liveRuns()).containsExactly(live);
      assertThat(stagingTables(warehouse)).containsExactlyInAnyOrderElementsOf(liveTables);
      assertThat(
              RowSets.rows(
                  warehouse, "SELECT status FROM tenantfold.runs WHERE run_id = '" + dead + "'"))
          .containsExactly("abandoned");
      assertThat(
              RowSets.rows(
                  warehouse, "SELECT status FROM tenantfold.runs WHERE run_id = '" + live + "'"))
          .containsExactly("running");

      assertThatThrownBy(
              () ->
                  new MigrationJob(
                          config, spark, new RunOptions(Set.of(), Optional.of(live), false))
                      .execute())
          .as("a run with a connected session is not resumed")
          .hasMessageContaining("it is still running");
    }
  }

  @Test
  void resumeSweepsADeadRunAndGoesOn() throws Exception {
    String a = Fixtures.demoTenant("dead_r", 10);
    String warehouse = Fixtures.emptyWarehouse();
    TenantfoldConfig config = Fixtures.config(warehouse).tenant("a", a).build(reports);
    assertThat(new MigrationJob(config, spark).execute().exitCode()).isZero();
    String dead = "20261206T000003Z-kill";
    deadRun(warehouse, dead, 2);
    awaitSessions(warehouse, dead, 0);

    RunResult resumed =
        new MigrationJob(config, spark, new RunOptions(Set.of(), Optional.of(dead), false))
            .execute();

    assertThat(resumed.exitCode()).as("%s", resumed.tenants()).isZero();
    assertThat(
            RowSets.rows(
                warehouse, "SELECT status FROM tenantfold.runs WHERE run_id = '" + dead + "'"))
        .containsExactly("abandoned");
    assertThat(stagingTables(warehouse)).isEmpty();
  }

  /**
   * A run recorded running with {@code tables} registered staging tables, whose driver is gone: its
   * connection (holding the lock) is closed.
   */
  private static List<String> deadRun(String warehouse, String runId, int tables) throws Exception {
    java.util.List<String> out = new java.util.ArrayList<>();
    try (Connection driver = session(warehouse, runId, "driver")) {
      REPORTS.startRun(driver, runId, Instant.now(), "run");
      for (int i = 0; i < tables; i++) {
        StagingTable.Name name =
            REGISTRY.register(driver, runId, "a", "t" + i, "tenantfold_staging");
        try (var st = driver.createStatement()) {
          st.execute(
              "CREATE TABLE "
                  + dev.tenantfold.jdbc.Sql.qualified(name.schema(), name.name())
                  + " (id int)");
        }
        out.add(dev.tenantfold.jdbc.Sql.qualified(name.schema(), name.name()));
      }
    }
    return out;
  }

  private static Connection session(String warehouse, String runId, String role) throws Exception {
    Properties p = new Properties();
    p.setProperty("user", "postgres");
    p.setProperty("password", "postgres");
    p.setProperty("ApplicationName", SessionName.of(runId, role));
    return DriverManager.getConnection(warehouse, p);
  }

  private static void awaitSessions(String warehouse, String runId, long expected)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    String sql =
        "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE '"
            + SessionName.likePattern(runId)
            + "'";
    while (RowSets.count(warehouse, sql) != expected) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("sessions of " + runId + " still there after 30 s");
      }
      Thread.sleep(20);
    }
  }

  private static List<String> stagingTables(String warehouse) {
    return RowSets.rows(
        warehouse,
        "SELECT format('\"%s\".\"%s\"', schemaname, tablename) FROM pg_tables WHERE schemaname ="
            + " 'tenantfold_staging' ORDER BY 1");
  }
}
