package dev.tenantfold.cli;

import dev.tenantfold.config.ConfigError;
import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.demo.EmbeddedDemo;
import dev.tenantfold.jdbc.Redaction;
import dev.tenantfold.job.CatchUpJob;
import dev.tenantfold.job.CleanupJob;
import dev.tenantfold.job.DiscoverJob;
import dev.tenantfold.job.ExportTaskJob;
import dev.tenantfold.job.Jobs;
import dev.tenantfold.job.PlanJob;
import dev.tenantfold.job.ReportJob;
import dev.tenantfold.job.RunOptions;
import dev.tenantfold.report.ExitCode;
import dev.tenantfold.report.RunResult;
import dev.tenantfold.report.SummaryPrinter;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
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
 * tenantfold demo
 * tenantfold --help | help CMD | CMD --help | --version
 * </pre>
 */
public final class TenantfoldMain {
  private static final Logger LOG = LoggerFactory.getLogger(TenantfoldMain.class);
  static final String USAGE =
      """
      Usage:
        tenantfold plan --config FILE [--out plan.json] [--set key=value ...]
                                                             show the target schema, the drift between tenants and the rules; moves no data
        tenantfold run --config FILE [--set key=value ...] [--allow-shrink TENANT ...] [--resume RUN_ID | --only-failed]
                                                             consolidate the configured tenants
        tenantfold validate --config FILE [--tenant ID] [--table T] [--set key=value ...]
                                                             re-validate published data against the sources (live or exports)
        tenantfold cleanup --config FILE [--dry-run]         list and drop what dead or failed runs left (staging, slots); restore frozen grants
        tenantfold export --config FILE --tenant ID [--snapshot SNAPSHOT_ID]
                                                             start an RDS snapshot export of a tenant and wait for it
        tenantfold discover --config FILE                    list RDS instances tagged as tenants, as a tenants block
        tenantfold report --config FILE [--run-id ID] [--format html|json|csv] [--out PATH|-]
                                                             render a past run (default the latest) from the report tables
        tenantfold catch-up --config FILE [--tenant ID ...] [--follow | --until-lag DURATION] [--allow-shrink ID]
                                                             apply the source changes made since each logical tenant's base copy
        tenantfold cutover --config FILE --tenant ID [--freeze] [--max-freeze DURATION] [--allow-shrink ID]
                                                             drain, check and switch one tenant (writers stopped, or --freeze); 3: mismatch
        tenantfold demo                                      run the pipeline on an embedded PostgreSQL with synthetic tenants
        tenantfold help COMMAND | COMMAND --help             a command's options;  tenantfold --version  the version
      Exit codes: 0 all tenants published and validated; 1 an error stopped a tenant or the run;
                  2 usage or configuration error (or a plan with errors); 3 some tenant failed validation and was not published.\
      """;

  /**
   * Passwords of the loaded configuration, for scrubbing run-level errors; empty until it loads.
   */
  private static volatile List<String> secrets = List.of();

  private TenantfoldMain() {}

  /**
   * Exits with the job's code, except in spark-submit's cluster deploy mode, where the driver runs
   * inside the cluster manager's wrapper: there success returns normally and a failure throws
   * {@link SparkUserAppException}, because YARN's ApplicationMaster records {@code System.exit(0)}
   * from user code as a FAILED attempt ("Shutdown hook called before final status was reported")
   * and would retry it; with the exception it reports "User application exited with status N". A
   * standalone cluster's driver ends FAILED either way (docs/emr.md "On a Spark cluster and Amazon
   * EMR", docs/runbook.md).
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
    if (args.length == 0) {
      err.println(USAGE);
      return ExitCode.USAGE;
    }
    if (HELP_FLAGS.contains(args[0])) {
      out.println(USAGE);
      return ExitCode.OK;
    }
    if (args[0].equals("--version") || args[0].equals("-V") || args[0].equals("version")) {
      out.println(versionLine());
      return ExitCode.OK;
    }
    if (args[0].equals("help")) {
      // "tenantfold help validate": that command's usage.
      return help(args.length > 1 ? args[1] : null, out, err);
    }
    if (Stream.of(args).skip(1).anyMatch(HELP_FLAGS::contains)) {
      // "tenantfold validate --help": the command's usage, on stdout, exit 0 (not "Unknown
      // option").
      return help(args[0], out, err);
    }
    try {
      return switch (args[0]) {
        case "plan" -> planCommand(parse(args), out);
        case "run" -> runCommand(parse(args), out);
        case "validate" -> validateCommand(parse(args), out);
        case "cleanup" -> cleanupCommand(parse(args), out);
        case "export" -> exportCommand(parse(args), out);
        case "discover" -> discoverCommand(parse(args), out);
        case "report" -> reportCommand(parse(args), out);
        case "catch-up" -> catchUpCommand(parse(args), out);
        case "cutover" -> cutoverCommand(parse(args), out);
        case "demo" -> demoCommand(args, out);
        default ->
            throw new ConfigError(
                "Unknown command '"
                    + args[0]
                    + "' (commands: "
                    + String.join(", ", commands())
                    + ")");
      };
    } catch (ConfigError e) {
      err.println("tenantfold: " + e.getMessage());
      err.println(
          commands().contains(args[0])
              ? commandUsage(args[0]) + "\n(tenantfold --help lists every command)"
              : USAGE);
      return ExitCode.USAGE;
    } catch (Exception e) {
      // No stack trace: exception texts can carry row values or connection details; the message is
      // scrubbed.
      // One line on stderr (the log is the console too: logging it as well printed it twice), named
      // by the command that failed ("plan failed", not "run failed").
      String message = Redaction.sqlMessage(e, secrets);
      err.println("tenantfold: " + args[0] + " failed: " + message);
      return ExitCode.ERROR;
    }
  }

  private static final Set<String> HELP_FLAGS = Set.of("--help", "-h");

  /**
   * What each option does, for {@code tenantfold CMD --help}. A command's synopsis is its line in
   * {@link #USAGE}.
   */
  private static final Map<String, String> OPTION_HELP =
      Map.ofEntries(
          Map.entry(
              "--config",
              "--config FILE        the job configuration: a local path, s3:// or s3a:// URI"
                  + " (docs/configuration.md)"),
          Map.entry(
              "--set",
              "--set key=value      override one key under tenantfold (repeatable), e.g. --set"
                  + " extract.tenant-parallelism=4"),
          Map.entry(
              "--out",
              "--out FILE           plan: also write the plan as JSON to FILE; report: write there"
                  + " (- for stdout)"),
          Map.entry(
              "--run-id", "--run-id ID          report: the run to render (default: the latest)"),
          Map.entry("--format", "--format F           report: html (default), json or csv"),
          Map.entry(
              "--allow-shrink",
              "--allow-shrink ID    let tenant ID publish fewer tables or rows than before"
                  + " (repeatable; * for all)"),
          Map.entry(
              "--resume", "--resume RUN_ID      run only the tenants run RUN_ID did not publish"),
          Map.entry(
              "--only-failed",
              "--only-failed        resume the latest run: only the tenants it did not publish"),
          Map.entry(
              "--tenant",
              "--tenant ID          validate: audit only tenant ID; export: the tenant to export;"
                  + " catch-up: only these tenants (repeatable); cutover: the tenant to switch"),
          Map.entry(
              "--snapshot",
              "--snapshot ID        export this snapshot instead of the tenant's latest"),
          Map.entry("--table", "--table T            audit only table T"),
          Map.entry("--dry-run", "--dry-run            list what would be dropped, drop nothing"),
          Map.entry(
              "--follow",
              "--follow             catch-up: keep applying new changes until SIGTERM (then exit"
                  + " 0)"),
          Map.entry(
              "--until-lag",
              "--until-lag DURATION catch-up: keep applying until every tenant's lag is below"
                  + " DURATION (e.g. 30s)"),
          Map.entry(
              "--freeze",
              "--freeze             cutover: lock the tenant's catch-up.freeze-roles out of the"
                  + " source (CONNECT revoked, sessions ended) until the verdict"),
          Map.entry(
              "--max-freeze",
              "--max-freeze DURATION cutover: no verdict within DURATION: undo the freeze, cut"
                  + " nothing over, exit 1"));

  /** The commands {@link #USAGE} lists, in its order ({@code help} aside). */
  static List<String> commands() {
    List<String> names = new ArrayList<>();
    Matcher m = Pattern.compile("(?m)^\\s+tenantfold (\\w[\\w-]*)").matcher(USAGE);
    while (m.find()) {
      if (!names.contains(m.group(1)) && !m.group(1).equals("help")) {
        names.add(m.group(1));
      }
    }
    return names;
  }

  /**
   * {@code tenantfold help CMD}: the command's usage (exit 0), or the overall usage when CMD is
   * empty; an unknown CMD exits 2.
   */
  static int help(String command, PrintStream out, PrintStream err) {
    if (command == null || HELP_FLAGS.contains(command) || command.equals("help")) {
      out.println(USAGE);
      return ExitCode.OK;
    }
    if (!commands().contains(command)) {
      err.println(
          "tenantfold: Unknown command '"
              + command
              + "' (commands: "
              + String.join(", ", commands())
              + ")");
      return ExitCode.USAGE;
    }
    out.println(commandUsage(command));
    return ExitCode.OK;
  }

  /** The command's lines of {@link #USAGE}, its options with what each does, and the exit codes. */
  static String commandUsage(String command) {
    StringBuilder text = new StringBuilder("Usage:\n");
    boolean inCommand = false;
    for (String line : USAGE.lines().toList()) {
      if (line.matches("\\s+tenantfold \\S.*")) {
        inCommand =
            line.trim().startsWith("tenantfold " + command + " ")
                || line.trim().equals("tenantfold " + command);
      } else if (!line.startsWith(" ") || line.trim().startsWith("Exit codes")) {
        inCommand = false;
      }
      if (inCommand) {
        text.append(line).append('\n');
      }
    }
    text.append("Options:\n");
    for (String option : validOptions(command)) {
      text.append("  ").append(OPTION_HELP.getOrDefault(option, option)).append('\n');
    }
    text.append("  --help               this help\n");
    text.append(USAGE.substring(USAGE.indexOf("Exit codes:")));
    return text.toString();
  }

  /**
   * The options {@code command} accepts, in the order the usage lists them ({@code demo}: none).
   */
  static List<String> validOptions(String command) {
    if (!OPTIONS.containsKey(command)) {
      return List.of();
    }
    List<String> valid = new ArrayList<>(List.of("--config", "--set"));
    valid.addAll(new TreeSet<>(OPTIONS.get(command)));
    return valid;
  }

  /**
   * {@code tenantfold 0.1.0 (Spark 4.0.0, Scala 2.13, Java 17.0.12)}: the version from the jar
   * (Maven-filtered resource).
   */
  static String versionLine() {
    String version = null;
    try (InputStream in =
        TenantfoldMain.class.getResourceAsStream("/tenantfold-version.properties")) {
      if (in != null) {
        Properties props = new Properties();
        props.load(in);
        version = props.getProperty("version");
      }
    } catch (IOException e) {
      // Fall through to the manifest.
    }
    if (version == null || version.startsWith("${")) {
      version =
          Optional.ofNullable(TenantfoldMain.class.getPackage().getImplementationVersion())
              .orElse("unknown");
    }
    return "tenantfold "
        + version
        + " (Spark "
        + org.apache.spark.package$.MODULE$.SPARK_VERSION()
        + ", Scala "
        + scala.util.Properties$.MODULE$.versionNumberString()
        + ", Java "
        + System.getProperty("java.version")
        + ")";
  }

  /** {@code demo} takes no options: anything else is a usage error naming that. */
  private static int demoCommand(String[] args, PrintStream out) throws Exception {
    if (args.length > 1) {
      throw new ConfigError(
          "Unknown option '" + args[1] + "' for 'demo' (it takes none besides --help)");
    }
    return EmbeddedDemo.run(out);
  }

  record Arguments(
      String config,
      List<String> overrides,
      Optional<String> tenant,
      Optional<String> table,
      Set<String> allowShrink,
      Optional<String> resume,
      boolean onlyFailed,
      boolean dryRun,
      Optional<String> out,
      Optional<String> snapshot,
      Optional<String> runId,
      Optional<String> format,
      List<String> tenants,
      boolean follow,
      Optional<Duration> untilLag,
      boolean freeze,
      Optional<Duration> maxFreeze) {}

  /** The options each command takes, besides --config and --set. */
  private static final Map<String, Set<String>> OPTIONS =
      Map.of(
          "run", Set.of("--allow-shrink", "--resume", "--only-failed"),
          "validate", Set.of("--tenant", "--table"),
          "cleanup", Set.of("--dry-run"),
          "plan", Set.of("--out"),
          "export", Set.of("--tenant", "--snapshot"),
          "discover", Set.of(),
          "catch-up", Set.of("--tenant", "--follow", "--until-lag", "--allow-shrink"),
          "cutover", Set.of("--tenant", "--freeze", "--max-freeze", "--allow-shrink"),
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
    Optional<String> snapshot = Optional.empty();
    Optional<String> runId = Optional.empty();
    Optional<String> format = Optional.empty();
    List<String> tenants = new ArrayList<>();
    boolean follow = false;
    Optional<Duration> untilLag = Optional.empty();
    boolean freeze = false;
    Optional<Duration> maxFreeze = Optional.empty();
    Set<String> allowed = OPTIONS.getOrDefault(args[0], Set.of());
    for (int i = 1; i < args.length; i++) {
      String option = args[i];
      if (!option.equals("--config") && !option.equals("--set") && !allowed.contains(option)) {
        throw new ConfigError(
            "Unknown option '"
                + option
                + "' for '"
                + args[0]
                + "' (valid: "
                + String.join(", ", validOptions(args[0]))
                + ")");
      }
      switch (option) {
        case "--config" -> config = value(args, ++i, option);
        case "--set" -> overrides.add(value(args, ++i, option));
        case "--tenant" -> {
          tenant = Optional.of(value(args, ++i, option));
          tenants.add(tenant.get());
        }
        case "--table" -> table = Optional.of(value(args, ++i, option));
        case "--allow-shrink" -> allowShrink.add(value(args, ++i, option));
        case "--resume" -> resume = Optional.of(value(args, ++i, option));
        case "--only-failed" -> onlyFailed = true;
        case "--dry-run" -> dryRun = true;
        case "--out" -> out = Optional.of(value(args, ++i, option));
        case "--snapshot" -> snapshot = Optional.of(value(args, ++i, option));
        case "--run-id" -> runId = Optional.of(value(args, ++i, option));
        case "--format" -> format = Optional.of(value(args, ++i, option));
        case "--follow" -> follow = true;
        case "--until-lag" ->
            untilLag = Optional.of(durationOption(option, value(args, ++i, option)));
        case "--freeze" -> freeze = true;
        case "--max-freeze" ->
            maxFreeze = Optional.of(durationOption(option, value(args, ++i, option)));
        default -> throw new IllegalStateException(option);
      }
    }
    if (config == null) {
      throw new ConfigError(
          "'" + args[0] + "' needs --config FILE (a local path, s3:// or s3a:// URI)");
    }
    if (resume.isPresent() && onlyFailed) {
      throw new ConfigError(
          "Options --resume RUN_ID and --only-failed exclude each other: --only-failed resumes the"
              + " latest run");
    }
    if (args[0].equals("export") && tenant.isEmpty()) {
      throw new ConfigError("'export' needs --tenant ID: the tenant whose snapshot is exported");
    }
    if (follow && untilLag.isPresent()) {
      throw new ConfigError(
          "Options --follow and --until-lag exclude each other: --follow runs until SIGTERM,"
              + " --until-lag until the lag is small");
    }
    if (args[0].equals("cutover") && tenants.size() != 1) {
      throw new ConfigError(
          "'cutover' needs exactly one --tenant ID: tenants are cut over one by one");
    }
    return new Arguments(
        config,
        overrides,
        tenant,
        table,
        allowShrink,
        resume,
        onlyFailed,
        dryRun,
        out,
        snapshot,
        runId,
        format,
        List.copyOf(tenants),
        follow,
        untilLag,
        freeze,
        maxFreeze);
  }

  /** A positive HOCON duration ({@code 30s}, {@code 2m}) for --until-lag or --max-freeze. */
  private static Duration durationOption(String option, String text) {
    Duration lag;
    try {
      lag = com.typesafe.config.ConfigFactory.parseMap(Map.of("lag", text)).getDuration("lag");
    } catch (com.typesafe.config.ConfigException e) {
      throw new ConfigError(
          "Option " + option + " '" + text + "' is not a duration: use e.g. 30s, 2m or 500ms");
    }
    if (lag.isZero() || lag.isNegative()) {
      throw new ConfigError("Option " + option + " must be positive, e.g. 30s");
    }
    return lag;
  }

  /**
   * Plans without moving data: exit 0 when a run could proceed with every tenant, 2 when the plan
   * has errors.
   */
  static int planCommand(Arguments args, PrintStream out) throws Exception {
    TenantfoldConfig config = TenantfoldConfig.load(args.config(), args.overrides());
    secrets = config.secrets();
    // Spark only when an export tenant's metadata must be read through it: planning JDBC tenants is
    // a few catalog queries.
    SparkSession spark =
        config.tenants().stream().anyMatch(t -> t.source().readsThroughSpark())
            ? sparkSession(config)
            : null;
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
    new ReportJob(
            config, args.runId(), ReportJob.Format.parse(args.format().orElse("html")), args.out())
        .execute(out);
    return ExitCode.OK;
  }

  static int cleanupCommand(Arguments args, PrintStream out) throws Exception {
    TenantfoldConfig config = TenantfoldConfig.load(args.config(), args.overrides());
    secrets = config.secrets();
    new CleanupJob(config, args.dryRun()).execute(out);
    return ExitCode.OK;
  }

  /** Exports the tenant's snapshot to S3: exit 0 once COMPLETE, 1 when FAILED or CANCELED. */
  static int exportCommand(Arguments args, PrintStream out) throws Exception {
    TenantfoldConfig config = TenantfoldConfig.load(args.config(), args.overrides());
    secrets = config.secrets();
    return new ExportTaskJob(config).execute(args.tenant().orElseThrow(), args.snapshot(), out);
  }

  /** Applies the changes since the base copy: exit 0 caught up, 1 a tenant stopped. */
  static int catchUpCommand(Arguments args, PrintStream out) throws Exception {
    TenantfoldConfig config = TenantfoldConfig.load(args.config(), args.overrides());
    secrets = config.secrets();
    if (!args.follow() && args.untilLag().isEmpty()) {
      return new CatchUpJob(config).allowingShrink(args.allowShrink()).catchUp(args.tenants(), out);
    }
    // SIGTERM (and Ctrl-C) ask the follower to stop at a committed batch and exit 0, instead of the
    // JVM's default of exiting at once with 143.
    java.util.concurrent.atomic.AtomicBoolean stop =
        new java.util.concurrent.atomic.AtomicBoolean();
    for (String name : List.of("TERM", "INT")) {
      sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> stop.set(true));
    }
    return new CatchUpJob(config)
        .allowingShrink(args.allowShrink())
        .follow(args.tenants(), args.untilLag(), stop::get, out);
  }

  /** Drains, checks and switches one tenant: exit 0 cut over, 3 mismatch, 1 error. */
  static int cutoverCommand(Arguments args, PrintStream out) throws Exception {
    TenantfoldConfig config = TenantfoldConfig.load(args.config(), args.overrides());
    secrets = config.secrets();
    return new CatchUpJob(config)
        .allowingShrink(args.allowShrink())
        .cutover(args.tenants().get(0), args.freeze(), args.maxFreeze(), out);
  }

  static int discoverCommand(Arguments args, PrintStream out) throws Exception {
    TenantfoldConfig config = TenantfoldConfig.load(args.config(), args.overrides());
    secrets = config.secrets();
    new DiscoverJob(config).execute(out);
    return ExitCode.OK;
  }

  static int validateCommand(Arguments args, PrintStream out) throws Exception {
    TenantfoldConfig config = TenantfoldConfig.load(args.config(), args.overrides());
    secrets = config.secrets();
    LOG.info("Effective configuration (secrets masked):\n{}", config.renderCompact());
    long start = System.nanoTime();
    // Spark only when an export tenant's rows must be read through it.
    SparkSession spark =
        config.tenants().stream().anyMatch(t -> t.source().readsThroughSpark())
            ? sparkSession(config)
            : null;
    try {
      RunResult result = Jobs.audit(config, args.tenant(), args.table(), spark, out);
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
    return runJob(
        config, new RunOptions(args.allowShrink(), args.resume(), args.onlyFailed()), out);
  }

  static int runJob(TenantfoldConfig config, RunOptions options, PrintStream out) throws Exception {
    return Jobs.run(config, options, out);
  }

  public static SparkSession sparkSession(TenantfoldConfig config) {
    return Jobs.sparkSession(config);
  }
}
