package dev.tenantfold.job;

import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.progress.ProgressReporter;
import dev.tenantfold.progress.ProgressTracker;
import dev.tenantfold.report.RunResult;
import dev.tenantfold.report.SummaryPrinter;
import java.io.PrintStream;
import java.sql.SQLException;
import java.util.Optional;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every entry point (the CLI, the demo) does to run a job: a Spark session, the run, the
 * summary.
 */
public final class Jobs {
  private static final Logger LOG = LoggerFactory.getLogger(Jobs.class);

  private Jobs() {}

  /**
   * Runs the migration with a Spark session of its own (stopped in finally), prints the summary,
   * returns the exit code.
   */
  public static int run(TenantfoldConfig config, RunOptions options, PrintStream out)
      throws SQLException {
    LOG.info("Effective configuration (secrets masked):\n{}", config.renderCompact());
    SparkSession spark = sparkSession(config);
    try {
      long start = System.nanoTime();
      ProgressTracker progress = new ProgressTracker("run");
      RunResult result;
      try (ProgressReporter shown = ProgressReporter.start(progress, out, config.progress())) {
        result = new MigrationJob(config, spark, options).withProgress(progress).execute();
      }
      SummaryPrinter.print(result, out);
      if (result.htmlReportPath() != null) {
        out.println("HTML report: " + result.htmlReportPath());
      }
      out.printf("Run took %.1f s (Spark start-up excluded)%n", (System.nanoTime() - start) / 1e9);
      return result.exitCode();
    } finally {
      spark.stop();
    }
  }

  /**
   * Runs {@code validate} with live progress on {@code out}; {@code spark} may be null (a session
   * is started if an export tenant needs one).
   */
  public static RunResult audit(
      TenantfoldConfig config,
      Optional<String> tenant,
      Optional<String> table,
      SparkSession spark,
      PrintStream out)
      throws SQLException {
    ProgressTracker progress = new ProgressTracker("validate");
    try (ProgressReporter shown = ProgressReporter.start(progress, out, config.progress())) {
      return new AuditJob(config, tenant, table, spark).withProgress(progress).execute();
    }
  }

  /**
   * Uses the session spark-submit configured; otherwise a local one from {@code tenantfold.spark}.
   * The {@code tenantfold.s3} settings go onto the session's Hadoop configuration (which job code
   * and every executor read), not into spark.* properties, so the S3 keys never show in Spark's
   * environment tab or event log.
   */
  public static SparkSession sparkSession(TenantfoldConfig config) {
    SparkConf conf = new SparkConf();
    SparkSession.Builder builder = SparkSession.builder().appName(config.options().sparkAppName());
    if (!conf.contains("spark.master")) {
      builder
          .master(config.options().sparkMaster())
          .config("spark.ui.enabled", "false")
          .config("spark.driver.bindAddress", "127.0.0.1")
          .config("spark.driver.host", "127.0.0.1");
    }
    SparkSession session = builder.config("spark.ui.showConsoleProgress", "false").getOrCreate();
    config.s3().applyTo(session.sparkContext().hadoopConfiguration());
    return session;
  }
}
