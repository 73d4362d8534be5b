package dev.tenantfold.job;

import dev.tenantfold.config.ConfigError;
import dev.tenantfold.config.TargetConfig;
import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.jdbc.SessionName;
import dev.tenantfold.report.CatchUpReport;
import dev.tenantfold.report.CsvReport;
import dev.tenantfold.report.HtmlReport;
import dev.tenantfold.report.ReportReader;
import dev.tenantfold.report.ReportStore;
import dev.tenantfold.report.ReportWriter;
import dev.tenantfold.report.RunResult;
import java.io.IOException;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;

/**
 * The {@code report} command: renders a past run (default: the latest) from the report tables as
 * HTML, JSON or CSV, so a run can be looked at again long after its report.json is gone. Reads the
 * target's report schema only, after bringing it to the current version (docs/report-schema.md).
 */
public final class ReportJob {
  /** What the command renders. */
  public enum Format {
    HTML("report.html"),
    JSON("report.json"),
    CSV("report.csv");

    private final String fileName;

    Format(String fileName) {
      this.fileName = fileName;
    }

    public static Format parse(String value) {
      for (Format f : values()) {
        if (f.name().equalsIgnoreCase(value)) {
          return f;
        }
      }
      throw new ConfigError(
          "Unknown report format '" + value + "' (--format): use html, json or csv");
    }
  }

  private final TenantfoldConfig config;
  private final Optional<String> runId;
  private final Format format;
  private final Optional<String> out;

  /**
   * @param out where to write: a local path or s3a:// URI, {@code -} for standard output; default
   *     {@code <report.dir>/<run_id>/report.<format>}
   */
  public ReportJob(
      TenantfoldConfig config, Optional<String> runId, Format format, Optional<String> out) {
    this.config = config;
    this.runId = runId;
    this.format = format;
    this.out = out;
  }

  /** Renders the run and returns where it went (a plain path, or {@code -}). */
  public String execute(PrintStream stdout) throws SQLException, IOException {
    String schema = config.target().reportSchema();
    ReportReader reader = new ReportReader(schema);
    String text;
    String id;
    try (Connection conn = config.target().endpoint().connect(SessionName.of("report", "reader"))) {
      new ReportStore(schema).ensureReadable(conn);
      id = runId.isPresent() ? runId.get() : latestRecorded(reader, conn, schema);
      ReportReader.StoredRun loaded =
          reader
              .load(conn, id)
              .orElseThrow(
                  () ->
                      new ConfigError(
                          "Cannot render run "
                              + id
                              + " (--run-id): no such run in "
                              + schema
                              + ".runs; the latest is "
                              + latest(reader, conn)));
      // A run whose outcome was unknown is settled from the target's record and written down.
      ReportReader.StoredRun stored = new ReportStore(schema).settle(conn, loaded);
      RunResult run = stored.run();
      // What catch-up and cutover did after the run's base copy (docs/report-schema.md).
      CatchUpReport catchUp = CatchUpReport.load(conn, schema, id);
      text =
          switch (format) {
            case HTML ->
                HtmlReport.render(
                    run,
                    stored.status(),
                    reader.previous(conn, run).map(ReportReader.StoredRun::run),
                    catchUp);
            case JSON -> ReportWriter.json(run, catchUp);
            case CSV -> CsvReport.render(run, catchUp);
          };
    }
    if (out.isPresent() && out.get().equals("-")) {
      stdout.print(text);
      stdout.flush();
      return "-";
    }
    String path =
        out.isPresent()
            ? ReportWriter.writeTo(out.get(), text, hadoopConf())
            : ReportWriter.writeFile(config.reportDir(), id, format.fileName, text, hadoopConf());
    stdout.println(path);
    return path;
  }

  /** The latest run recorded in the report schema; none is a config error naming the schema. */
  private static String latestRecorded(ReportReader reader, Connection conn, String schema)
      throws SQLException {
    return reader
        .latestRunId(conn)
        .orElseThrow(
            () ->
                new ConfigError(
                    "Cannot render a report: no run recorded in "
                        + schema
                        + ".runs ("
                        + TargetConfig.REPORT_SCHEMA.path()
                        + ")"));
  }

  private static String latest(ReportReader reader, Connection conn) {
    try {
      return reader.latestRunId(conn).orElse("(none)");
    } catch (SQLException e) {
      return "(unknown)";
    }
  }

  private Configuration hadoopConf() {
    Configuration conf = new Configuration();
    config.s3().applyTo(conf);
    return conf;
  }

  /** The formats, for usage texts. */
  public static List<String> formats() {
    return List.of("html", "json", "csv");
  }
}
