package dev.tenantfold.cli;

import dev.tenantfold.config.ConfigError;
import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.demo.EmbeddedDemo;
import dev.tenantfold.jdbc.Redaction;
import dev.tenantfold.job.AuditJob;
import dev.tenantfold.job.CleanupJob;
import dev.tenantfold.job.RunOptions;
import dev.tenantfold.job.Jobs;
import dev.tenantfold.job.PlanJob;
import dev.tenantfold.job.ReportJob;
import dev.tenantfold.report.ExitCode;
import dev.tenantfold.report.RunResult;
import dev.tenantfold.report.SummaryPrinter;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.Optional;
import org.apache.spark.SparkUserAppException;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Entry point for {@code bin/tenantfold}, {@code spark-submit} and EMR steps alike.
 *
 * <pre>
 * tenantfold plan --config FILE [--out plan.json]
 * tenantfold run --config FILE [--set key=value ...]
 * tenantfold demo [--keep-running]
 * </pre>
 */
public final class TenantfoldMain {
  private static final Logger LOG = LoggerFactory.getLogger(TenantfoldMain.class);
  static final String USAGE = """
      Usage:
        tenantfold plan --config FILE [--out plan.json] [--set key=value ...]
                                                             show the target schema, the drift between tenants and the rules; moves no data
        tenantfold run --config FILE [--set key=value ...] [--allow-shrink TENANT ...] [--resume RUN_ID | --only-failed]
                                                             consolidate the configured tenants
        tenantfold validate --config FILE [--tenant ID] [--table T] [--set key=value ...]
                                                             re-validate published data against the sources (live or exports)
        tenantfold cleanup --config FILE [--dry-run]         list and drop staging tables that dead or failed runs left
        tenantfold report --config FILE [--run-id ID] [--format html|json|csv] [--out PATH|-]
                                                             render a past run (default the latest) from the report tables
        tenantfold demo                                      run the pipeline on an embedded PostgreSQL with synthetic tenants
      Exit codes: 0 all tenants published and validated; 1 an error stopped a tenant or the run;
                  2 usage or configuration error (or a plan with errors); 3 some tenant failed validation and was not published.""";

  /** Passwords of the loaded configuration, for scrubbing run-level errors; empty until it loads. */
  private static volatile List<String> secrets = List.of();

  private TenantfoldMain() {}

  /**
   * Exits with the job's code, except in spark-submit's cluster deploy mode, where the driver runs
   * inside the cluster manager's wrapper: there success returns normally and a failure throws
   * {@link SparkUserAppException}, because YARN's ApplicationMaster records {@code System.exit(0)}
   * from user code as a FAILED attempt ("Shutdown hook called before final status was reported")
   * and would retry it; with the exception it reports "User application exited with status N". A
   * standalone cluster's driver ends FAILED either way (README "On a Spark cluster and Amazon EMR", docs/runbook.md).
   */
  public static void main(String[] args) throws SparkUserAppException {
    int code = run(args, System.out, System.err);
    if (!"cluster".equals(System.getProperty("spark.submit.deployMode"))) {
      System.exit(code);
    }
    if (code != ExitCode.OK) {
      throw new SparkUserAppException(code);
    }
  }

  public static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
      (args.length == 0 ? err : out).println(USAGE);
      return args.length == 0 ? ExitCode.USAGE : ExitCode.OK;
    }
    if (args.length > 1 && List.of(args).subList(1, args.length).stream().anyMatch(a -> a.equals("--help") || a.equals("-h"))) {
      // "tenantfold validate --help": the usage, on stdout, exit 0 (not "Unknown option").
      out.println(USAGE);
      return ExitCode.OK;
    }
    try {
      return switch (args[0]) {
        case "plan" -> planCommand(parse(args), out);
        case "run" -> runCommand(parse(args), out);
        case "validate" -> validateCommand(parse(args), out);
        case "cleanup" -> cleanupCommand(parse(args), out);
        case "report" -> reportCommand(parse(args), out);
        case "demo" -> EmbeddedDemo.run(out);
        default -> throw new ConfigError("Unknown command '" + args[0] + "'");
      };
    } catch (ConfigError e) {
      err.println("tenantfold: " + e.getMessage());
      err.println(USAGE);
      return ExitCode.USAGE;
    } catch (Exception e) {
      // No stack trace: exception texts can carry row values or connection details; the message is scrubbed.
      String message = Redaction.sqlMessage(e, secrets);
      LOG.error("Run failed: {}", message);
      err.println("tenantfold: run failed: " + message);
      return ExitCode.ERROR;
    }
  }

  record Arguments(String config, List<String> overrides, Optional<String> tenant, Optional<String> table, Set<String> allowShrink,
      Optional<String> resume, boolean onlyFailed, boolean dryRun, Optional<String> out, Optional<String> runId, Optional<String> format) {}

  /** The options each command takes, besides --config and --set. */
  private static final Map<String, Set<String>> OPTIONS = Map.of(
      "run", Set.of("--allow-shrink", "--resume", "--only-failed"),
      "validate", Set.of("--tenant", "--table"),
      "cleanup", Set.of("--dry-run"),
      "plan", Set.of("--out"),
      "report", Set.of("--run-id", "--format", "--out"));

  static Arguments parse(String[] args) {
    String config = null;
    List<String> overrides = new ArrayList<>();
    Optional<String> tenant = Optional.empty();
    Optional<String> table = Optional.empty();
    Set<String> allowShrink = new LinkedHashSet<>();
    Optional<String> resume = Optional.empty();
    boolean onlyFailed = false;
    boolean dryRun = false;
    Optional<String> out = Optional.empty();
    Optional<String> runId = Optional.empty();
    Optional<String> format = Optional.empty();
    Set<String> allowed = OPTIONS.getOrDefault(args[0], Set.of());
    for (int i = 1; i < args.length; i++) {
      String option = args[i];
      if (!option.equals("--config") && !option.equals("--set") && !allowed.contains(option)) {
        List<String> valid = new ArrayList<>(List.of("--config", "--set"));
        valid.addAll(new TreeSet<>(allowed));
        throw new ConfigError("Unknown option '" + option + "' for '" + args[0] + "' (valid: " + String.join(", ", valid) + ")");
      }
      switch (option) {
        case "--config" -> config = value(args, ++i, option);
        case "--set" -> overrides.add(value(args, ++i, option));
        case "--tenant" -> tenant = Optional.of(value(args, ++i, option));
        case "--table" -> table = Optional.of(value(args, ++i, option));
        case "--allow-shrink" -> allowShrink.add(value(args, ++i, option));
        case "--resume" -> resume = Optional.of(value(args, ++i, option));
        case "--only-failed" -> onlyFailed = true;
        case "--dry-run" -> dryRun = true;
        case "--out" -> out = Optional.of(value(args, ++i, option));
        case "--run-id" -> runId = Optional.of(value(args, ++i, option));
        case "--format" -> format = Optional.of(value(args, ++i, option));
        default -> throw new IllegalStateException(option);
      }
    }
    if (config == null) {
      throw new ConfigError("'" + args[0] + "' needs --config FILE (a local path, s3:// or s3a:// URI)");
    }
    if (resume.isPresent() && onlyFailed) {
      throw new ConfigError("Options --resume RUN_ID and --only-failed exclude each other: --only-failed resumes the latest run");
    }
    return new Arguments(config, overrides, tenant, table, allowShrink, resume, onlyFailed, dryRun, out, runId, format);
  }

  /** Plans without moving data: exit 0 when a run could proceed with every tenant, 2 when the plan has errors. */
  static int planCommand(Arguments args, PrintStream out) throws Exception {
    TenantfoldConfig config = TenantfoldConfig.load(args.config(), args.overrides());
    secrets = config.secrets();
    // Spark only when an export tenant's metadata must be read through it: planning JDBC tenants is a few catalog queries.
    SparkSession spark = config.tenants().stream().anyMatch(t -> t.isExport()) ? sparkSession(config) : null;
    try {
      PlanJob.Outcome outcome = new PlanJob(config, spark).execute(out, args.out());
      return outcome.clean() ? ExitCode.OK : ExitCode.USAGE;
    } finally {
      if (spark != null) {
        spark.stop();
      }
    }
  }

  /** Renders a past run from the report tables: exit 0, or 2 for an unknown run or format. */
  static int reportCommand(Arguments args, PrintStream out) throws Exception {
    TenantfoldConfig config = TenantfoldConfig.load(args.config(), args.overrides());
    secrets = config.secrets();
    new ReportJob(config, args.runId(), ReportJob.Format.parse(args.format().orElse("html")), args.out()).execute(out);
    return ExitCode.OK;
  }

  static int cleanupCommand(Arguments args, PrintStream out) throws Exception {
    TenantfoldConfig config = TenantfoldConfig.load(args.config(), args.overrides());
    secrets = config.secrets();
    new CleanupJob(config, args.dryRun()).execute(out);
    return ExitCode.OK;
  }

  static int validateCommand(Arguments args, PrintStream out) throws Exception {
    TenantfoldConfig config = TenantfoldConfig.load(args.config(), args.overrides());
    secrets = config.secrets();
    LOG.info("Effective configuration (secrets masked):\n{}", config.renderMasked());
    long start = System.nanoTime();
    // Spark only when an export tenant's rows must be read through it.
    SparkSession spark = config.tenants().stream().anyMatch(t -> t.isExport()) ? sparkSession(config) : null;
    try {
      RunResult result = new AuditJob(config, args.tenant(), args.table(), spark).execute();
      SummaryPrinter.print(result, out);
      if (result.htmlReportPath() != null) {
        out.println("HTML report: " + result.htmlReportPath());
      }
      out.printf("Validation took %.1f s%n", (System.nanoTime() - start) / 1e9);
      return result.exitCode();
    } finally {
      if (spark != null) {
        spark.stop();
      }
    }
  }

  private static String value(String[] args, int i, String option) {
    if (i >= args.length) {
      throw new ConfigError("Option " + option + " needs a value");
    }
    return args[i];
  }

  static int runCommand(Arguments args, PrintStream out) throws Exception {
    TenantfoldConfig config = TenantfoldConfig.load(args.config(), args.overrides());
    secrets = config.secrets();
    return runJob(config, new RunOptions(args.allowShrink(), args.resume(), args.onlyFailed()), out);
  }

  static int runJob(TenantfoldConfig config, RunOptions options, PrintStream out) throws Exception {
    return Jobs.run(config, options, out);
  }


  public static SparkSession sparkSession(TenantfoldConfig config) {
    return Jobs.sparkSession(config);
  }

}
