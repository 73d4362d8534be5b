package dev.tenantfold.job;

import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.report.RunResult;
import dev.tenantfold.report.SummaryPrinter;
import java.io.PrintStream;
import java.sql.SQLException;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What every entry point (the CLI, the demo) does to run a job: a Spark session, the run, the summary. */
public final class Jobs {
  private static final Logger LOG = LoggerFactory.getLogger(Jobs.class);

  private Jobs() {}

  /** Runs the migration with a Spark session of its own (stopped in finally), prints the summary, returns the exit code. */
  public static int run(TenantfoldConfig config, RunOptions options, PrintStream out) throws SQLException {
    LOG.info("Effective configuration (secrets masked):\n{}", config.renderMasked());
    SparkSession spark = sparkSession(config);
    try {
      long start = System.nanoTime();
      RunResult result = new MigrationJob(config, spark, options).execute();
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
   * Uses the session spark-submit configured; otherwise a local one from {@code tenantfold.spark}.
   * The {@code tenantfold.s3} settings go onto the session's Hadoop configuration (which job code
   * and every executor read), not into spark.* properties, so the S3 keys never show in Spark's
   * environment tab or event log.
   */
  public static SparkSession sparkSession(TenantfoldConfig config) {
    SparkConf conf = new SparkConf();
    SparkSession.Builder builder = SparkSession.builder().appName(config.options().sparkAppName());
    if (!conf.contains("spark.master")) {
      builder.master(config.options().sparkMaster())
          .config("spark.ui.enabled", "false")
          .config("spark.driver.bindAddress", "127.0.0.1")
          .config("spark.driver.host", "127.0.0.1");
    }
    SparkSession session = builder.config("spark.ui.showConsoleProgress", "false").getOrCreate();
    config.s3().applyTo(session.sparkContext().hadoopConfiguration());
    return session;
  }
}
