package dev.tenantfold.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.cli.TenantfoldMain;
import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.report.RunResult;
import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.S3Server;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.WriterAppender;
import org.apache.logging.log4j.core.config.Configurator;
import org.apache.logging.log4j.core.layout.PatternLayout;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scala.Tuple2;
import scala.jdk.javaapi.CollectionConverters;

/**
 * A run with {@code report.dir} on S3 (s3proxy, real S3 protocol through S3A) and the key pair in
 * {@code tenantfold.s3}: report.json lands in the bucket, and the secret key reaches neither the
 * effective-config print, the log, the report nor Spark's own (redacted) configuration.
 */
class S3ReportTest {
  @TempDir Path unused;

  @Test
  void writesReportJsonToS3AndNeverTheSecretKey() throws Exception {
    S3Server s3 = S3Server.get();
    String bucket = s3.createBucket("reports");
    String acme = Fixtures.demoTenant("acme", 20);
    String warehouse = Fixtures.emptyWarehouse();
    TenantfoldConfig local =
        Fixtures.config(warehouse)
            .tenant("acme", acme)
            .set("tables.include", List.of("customers", "orders"))
            .set(
                "s3",
                Map.of(
                    "endpoint",
                    s3.endpoint(),
                    "path-style-access",
                    true,
                    "access-key",
                    S3Server.ACCESS_KEY,
                    "secret-key",
                    S3Server.SECRET_KEY))
            .build(unused);
    // The builder takes report.dir as a local Path; an s3a:// URI replaces it.
    TenantfoldConfig config =
        TenantfoldConfig.fromConfig(
            local
                .raw()
                .withOnlyPath(TenantfoldConfig.ROOT)
                .withValue(
                    "tenantfold.report.dir",
                    com.typesafe.config.ConfigValueFactory.fromAnyRef(
                        "s3a://" + bucket + "/runs")));
    LocalSpark.session();
    // The CLI's session: the shared test session, with the s3 block applied to its Hadoop
    // configuration.
    SparkSession spark = TenantfoldMain.sparkSession(config);

    StringWriter log = new StringWriter();
    RunResult result;
    try (CapturedLog ignored = CapturedLog.into(log)) {
      org.slf4j.LoggerFactory.getLogger(S3ReportTest.class)
          .info("Effective configuration:\n{}", config.renderMasked());
      result = new MigrationJob(config, spark).execute();
    }

    assertThat(result.exitCode()).as("exit code; tenants: %s", result.tenants()).isZero();
    String key = "runs/" + result.runId() + "/report.json";
    assertThat(result.reportPath())
        .as("where the run says its report is")
        .isEqualTo("s3a://" + bucket + "/" + key);
    assertThat(s3.listKeys(bucket, "runs/")).as("objects under the report dir").contains(key);
    String json = s3.readString(bucket, key);
    assertThat(json)
        .contains(
            "\"run_id\" : \"" + result.runId() + "\"",
            "\"tenant_id\" : \"acme\"",
            "\"table_name\" : \"orders\"",
            "\"status\" : \"succeeded\"");

    assertThat(config.renderMasked())
        .as("effective config")
        .doesNotContain(S3Server.SECRET_KEY)
        .contains(s3.endpoint());
    assertThat(log.toString())
        .as("captured log")
        .contains("Effective configuration")
        .doesNotContain(S3Server.SECRET_KEY);
    assertThat(json)
        .as("report.json")
        .doesNotContain(S3Server.SECRET_KEY)
        .doesNotContain(S3Server.ACCESS_KEY);
    assertThat(spark.sparkContext().getConf().toDebugString())
        .as("spark.* properties (environment tab)")
        .doesNotContain(S3Server.SECRET_KEY);
    assertThat(redactedHadoopProperties(spark))
        .as("Hadoop properties as Spark redacts them for its UI and event log")
        .doesNotContain(S3Server.SECRET_KEY)
        .doesNotContain(S3Server.ACCESS_KEY)
        .contains("fs.s3a.secret.key");
  }

  /**
   * The fs.s3a.* Hadoop properties through {@code Utils.redact(sparkConf, ...)}, as Spark's
   * environment page and event log show them.
   */
  private static String redactedHadoopProperties(SparkSession spark) {
    Configuration hadoop = spark.sparkContext().hadoopConfiguration();
    List<Tuple2<String, String>> props = new ArrayList<>();
    hadoop.forEach(
        e -> {
          if (e.getKey().startsWith("fs.s3a.")) {
            props.add(new Tuple2<>(e.getKey(), e.getValue()));
          }
        });
    return org.apache.spark.util.Utils.redact(
            spark.sparkContext().getConf(), CollectionConverters.asScala(props).toSeq())
        .toString();
  }

  /**
   * Every log event (Tenantfold and S3A at DEBUG, the rest as configured) copied into a writer
   * while open.
   */
  private static final class CapturedLog implements AutoCloseable {
    private final LoggerContext context;
    private final WriterAppender appender;
    private final Map<String, Level> previous;

    private CapturedLog(
        LoggerContext context, WriterAppender appender, Map<String, Level> previous) {
      this.context = context;
      this.appender = appender;
      this.previous = previous;
    }

    static CapturedLog into(StringWriter out) {
      LoggerContext context = (LoggerContext) LogManager.getContext(false);
      WriterAppender appender =
          WriterAppender.newBuilder()
              .setName("s3-report-test")
              .setTarget(out)
              .setLayout(
                  PatternLayout.newBuilder()
                      .withPattern("%level %logger - %msg%n%throwable")
                      .build())
              .build();
      appender.start();
      context.getConfiguration().addAppender(appender);
      context.getConfiguration().getRootLogger().addAppender(appender, Level.ALL, null);
      Map<String, Level> previous =
          Map.of(
              "dev.tenantfold", LogManager.getLogger("dev.tenantfold").getLevel(),
              "org.apache.hadoop.fs.s3a",
                  LogManager.getLogger("org.apache.hadoop.fs.s3a").getLevel());
      Configurator.setLevel("dev.tenantfold", Level.DEBUG);
      Configurator.setLevel("org.apache.hadoop.fs.s3a", Level.DEBUG);
      context.updateLoggers();
      return new CapturedLog(context, appender, previous);
    }

    @Override
    public void close() {
      previous.forEach(Configurator::setLevel);
      context.getConfiguration().getRootLogger().removeAppender(appender.getName());
      context.updateLoggers();
      appender.stop();
    }
  }
}
