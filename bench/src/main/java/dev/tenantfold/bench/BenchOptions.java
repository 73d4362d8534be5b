package dev.tenantfold.bench;

import dev.tenantfold.config.ConfigError;
import dev.tenantfold.demo.DemoExport;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code bench/run} was asked to do, parsed and validated once.
 *
 * <pre>
 * bench/run [--source jdbc|export] [--profile] [--constraints] [--rows N] [--tenants K] [--skip-spark-jdbc] [--repeat R]
 *           [--server JDBC_URL] [--user NAME] [--set key=value ...] [--out FILE]
 * </pre>
 *
 * <p>{@code serverUrl} is null for the embedded PostgreSQL; otherwise it names the maintenance
 * database of an existing server (its password comes from {@code BENCH_PG_PASSWORD}, never from the
 * command line). {@code tenantfoldOverrides} are {@code tenantfold.*} settings for the tenantfold
 * run, as {@code bin/tenantfold --set} takes them. {@code source} is where the tenants are read
 * from: their live databases ({@code jdbc}) or RDS-shaped snapshot exports of them written to a
 * local folder ({@code export}); {@code profile} adds, for exports, the paths that split
 * tenantfold's time into restore, load and Spark checksum. {@code constraints} times tenantfold on
 * {@link ApplicationDataset}'s tables twice, with primary keys only and with the application's
 * foreign keys, unique and CHECK constraints and index, instead of the raw paths on one table.
 * {@code catchUp} (null unless {@code --catch-up}) runs {@link CatchUpBench} instead of the paths.
 * {@code exportLayout} cuts the export's Parquet parts ({@code --export-part-rows}, {@code
 * --export-row-group-mib}; Spark's default layout unless given).
 */
record BenchOptions(
    Source source,
    boolean profile,
    boolean constraints,
    long rowsPerTenant,
    int tenants,
    boolean skipSparkJdbc,
    int repeat,
    String serverUrl,
    String user,
    String password,
    List<String> tenantfoldOverrides,
    String outFile,
    ServerKind serverKind,
    int tables,
    String sparkMaster,
    boolean tenantfoldOnly,
    DemoExport.Layout exportLayout,
    CatchUpBench.Settings catchUp) {
  /** Where the benchmark tenants are read from. */
  enum Source {
    JDBC,
    EXPORT
  }

  /**
   * The server {@code bench/run} starts when no {@code --server} is given: io.zonky's embedded one
   * as tests run it ({@code fsync=off}), the same with PostgreSQL's default durability, or a new
   * on-disk cluster of the machine's own PostgreSQL with default settings.
   */
  enum ServerKind {
    EMBEDDED,
    EMBEDDED_FSYNC,
    SYSTEM
  }

  static final long DEFAULT_ROWS = 500_000;
  static final int DEFAULT_TENANTS = 4;
  static final String USAGE =
      """
      Usage: bench/run [--source jdbc|export] [--profile] [--constraints] [--rows N] [--tenants K] [--skip-spark-jdbc] [--repeat R] [--server JDBC_URL] [--user NAME]
                       [--set key=value ...] [--out FILE]
        --source jdbc      read the tenants from their databases (default)
        --source export    read them from RDS-shaped snapshot exports (gzip Parquet in a local folder), against the raw
                           Parquet-to-COPY pipe on the same files
        --profile          with --source export: also time restore only, the Dataset COPY load only and the Spark checksum only
        --constraints      time tenantfold on customers, orders and order_lines twice, interleaved: with primary keys only and
                           with foreign keys, a unique and CHECK constraints and an index; reports what they add per stage
        --rows N           rows per tenant (default 500000; with --constraints over the three tables)
        --tenants K        source tenant databases (default 4)
        --skip-spark-jdbc  do not time Spark's stock JDBC read/write path (the slowest)
        --repeat R         time every path R times and report the median (default 1)
        --server JDBC_URL  use an existing PostgreSQL server instead of an embedded one, e.g.
                           jdbc:postgresql://localhost:5432/postgres (also BENCH_PG_URL; password in BENCH_PG_PASSWORD).
                           The benchmark drops and recreates databases named tenantfold_bench_* there.
        --user NAME        user for --server (default postgres; also BENCH_PG_USER)
        --set key=value    a tenantfold.* setting for the tenantfold run, e.g. --set extract.rows-per-partition=250000
        --out FILE         also write the markdown results to FILE
        --catch-up         catch-up and cutover (logical) under a steady writer instead of the paths: lag over time, backlog
                           drain rate, freeze window per tenant, at each size of --catch-up-sizes (see docs/benchmarks.md)
        --catch-up-sizes A,B   rows per tenant for --catch-up (default: a tenth of --rows, and --rows)
        --writer-rate N    --catch-up's writer: transactions/s of 1 to 5 rows over all tenants (default 500)
        --writer-seconds S --catch-up's writer runs at least S s from before the base copy (default 180)
        --server-kind K    without --server: embedded (io.zonky, fsync off; the default), embedded-fsync (the same with
                           fsync, synchronous_commit and full_page_writes on) or system (initdb + pg_ctl of the machine's
                           PostgreSQL: a new on-disk cluster with default settings in a temporary folder; BENCH_PG_BIN)
        --tables T         many-tables mode: T small tables per tenant (keys, unique index, CHECK, a foreign-key chain,
                           a view), --rows rows in each; reports tenantfold's cost per tenant table
        --spark-master URL run Spark (the tenantfold run) on this master instead of local[2], e.g. spark://host:7077;
                           executors get the job's -spark.jar
        --tenantfold-only  time only the tenantfold run (no raw or Spark JDBC paths): the 10x memory check
        --export-part-rows N       with --source export: at most N rows per Parquet part (default: one part per table;
                                   RDS writes parts of 1-10 MB, about 50,000-500,000 rows of the benchmark's table)
        --export-row-group-mib M   with --source export: Parquet row groups of about M MiB (default 128)\
      """;

  BenchOptions {
    tenantfoldOverrides = List.copyOf(tenantfoldOverrides);
    if (rowsPerTenant < 1) {
      throw new ConfigError("--rows must be at least 1 (got " + rowsPerTenant + ")");
    }
    if (tenants < 1 || tenants > 99) {
      throw new ConfigError("--tenants must be between 1 and 99 (got " + tenants + ")");
    }
    if (repeat < 1) {
      throw new ConfigError("--repeat must be at least 1 (got " + repeat + ")");
    }
    if (profile && source != Source.EXPORT) {
      throw new ConfigError("--profile needs --source export (it splits the export path's time)");
    }
    if (profile && constraints) {
      throw new ConfigError(
          "--profile and --constraints do not combine: --profile times the plain orders table's"
              + " paths");
    }
    if (tables < 0 || tables > 2000) {
      throw new ConfigError("--tables must be between 1 and 2000 (got " + tables + ")");
    }
    if (tables > 0 && (constraints || source != Source.JDBC)) {
      throw new ConfigError(
          "--tables does not combine with --constraints or --source export: it times the"
              + " per-table cost of JDBC tenants");
    }
    if (catchUp != null && serverKind == ServerKind.SYSTEM) {
      throw new ConfigError(
          "--catch-up needs wal_level = logical, which --server-kind system does not set: use the"
              + " embedded server (embedded or embedded-fsync) or --server with a server that has"
              + " it");
    }
    if (!exportLayout.equals(DemoExport.Layout.SPARK_DEFAULT) && source != Source.EXPORT) {
      throw new ConfigError(
          "--export-part-rows and --export-row-group-mib need --source export (they cut the"
              + " export's Parquet parts)");
    }
    if (serverUrl != null && serverKind != ServerKind.EMBEDDED) {
      throw new ConfigError(
          "--server-kind starts a server; it does not combine with --server or BENCH_PG_URL");
    }
    if (serverUrl != null && !serverUrl.startsWith("jdbc:postgresql://")) {
      throw new ConfigError(
          "--server must be a jdbc:postgresql://host:port/database URL (set --server or"
              + " BENCH_PG_URL)");
    }
  }

  long totalRows() {
    return rowsPerTenant * tenants;
  }

  boolean embedded() {
    return serverUrl == null;
  }

  static BenchOptions parse(String[] args) {
    Source source = Source.JDBC;
    boolean profile = false;
    boolean constraints = false;
    long rows = DEFAULT_ROWS;
    int tenants = DEFAULT_TENANTS;
    boolean skipSparkJdbc = false;
    int repeat = 1;
    String server = emptyToNull(System.getenv("BENCH_PG_URL"));
    String user = System.getenv().getOrDefault("BENCH_PG_USER", "postgres");
    List<String> overrides = new ArrayList<>();
    String out = null;
    boolean catchUp = false;
    List<Long> catchUpSizes = null;
    int writerRate = CatchUpBench.Settings.DEFAULT_RATE;
    int writerSeconds = CatchUpBench.Settings.DEFAULT_SECONDS;
    ServerKind serverKind = ServerKind.EMBEDDED;
    int tables = 0;
    String sparkMaster = null;
    boolean tenantfoldOnly = false;
    long exportPartRows = 0;
    long exportRowGroupMib = 0;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--source" -> source = source(value(args, ++i, "--source"));
        case "--profile" -> profile = true;
        case "--constraints" -> constraints = true;
        case "--rows" -> rows = number(value(args, ++i, "--rows"), "--rows");
        case "--tenants" -> tenants = (int) number(value(args, ++i, "--tenants"), "--tenants");
        case "--skip-spark-jdbc" -> skipSparkJdbc = true;
        case "--repeat" -> repeat = (int) number(value(args, ++i, "--repeat"), "--repeat");
        case "--server" -> server = value(args, ++i, "--server");
        case "--user" -> user = value(args, ++i, "--user");
        case "--set" -> overrides.add(value(args, ++i, "--set"));
        case "--out" -> out = value(args, ++i, "--out");
        case "--catch-up" -> catchUp = true;
        case "--catch-up-sizes" ->
            catchUpSizes = CatchUpBench.Settings.parseSizes(value(args, ++i, "--catch-up-sizes"));
        case "--writer-rate" ->
            writerRate = (int) number(value(args, ++i, "--writer-rate"), "--writer-rate");
        case "--writer-seconds" ->
            writerSeconds = (int) number(value(args, ++i, "--writer-seconds"), "--writer-seconds");
        case "--server-kind" -> serverKind = serverKind(value(args, ++i, "--server-kind"));
        case "--tables" -> tables = (int) number(value(args, ++i, "--tables"), "--tables");
        case "--spark-master" -> sparkMaster = value(args, ++i, "--spark-master");
        case "--tenantfold-only" -> tenantfoldOnly = true;
        case "--export-part-rows" ->
            exportPartRows = positive(value(args, ++i, "--export-part-rows"), "--export-part-rows");
        case "--export-row-group-mib" ->
            exportRowGroupMib =
                positive(value(args, ++i, "--export-row-group-mib"), "--export-row-group-mib");
        default -> throw new ConfigError("Unknown option '" + args[i] + "'");
      }
    }
    return new BenchOptions(
        source,
        profile,
        constraints,
        rows,
        tenants,
        skipSparkJdbc,
        repeat,
        server,
        user,
        emptyToNull(System.getenv("BENCH_PG_PASSWORD")),
        overrides,
        out,
        serverKind,
        tables,
        sparkMaster,
        tenantfoldOnly,
        new DemoExport.Layout(exportPartRows, exportRowGroupMib << 20),
        catchUp
            ? new CatchUpBench.Settings(
                catchUpSizes != null ? catchUpSizes : CatchUpBench.Settings.defaultSizes(rows),
                writerRate,
                writerSeconds)
            : null);
  }

  /** The Spark master of the tenantfold run: {@code --spark-master}, else local[2]. */
  String master() {
    return sparkMaster == null ? "local[2]" : sparkMaster;
  }

  @Override
  public String toString() {
    return "BenchOptions[source="
        + source.name().toLowerCase(java.util.Locale.ROOT)
        + ", profile="
        + profile
        + ", constraints="
        + constraints
        + ", rowsPerTenant="
        + rowsPerTenant
        + ", tenants="
        + tenants
        + ", skipSparkJdbc="
        + skipSparkJdbc
        + ", repeat="
        + repeat
        + ", server="
        + (serverUrl == null ? "embedded" : dev.tenantfold.jdbc.Redaction.redactUrl(serverUrl))
        + ", user="
        + user
        + ", password=****"
        + ", serverKind="
        + serverKind.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-')
        + ", tables="
        + tables
        + ", sparkMaster="
        + master()
        + (exportLayout.equals(DemoExport.Layout.SPARK_DEFAULT)
            ? ""
            : ", exportLayout=" + exportLayout)
        + (catchUp == null ? "" : ", catchUp=" + catchUp)
        + "]";
  }

  private static Source source(String text) {
    return switch (text) {
      case "jdbc" -> Source.JDBC;
      case "export" -> Source.EXPORT;
      default -> throw new ConfigError("Option --source needs jdbc or export (got '" + text + "')");
    };
  }

  private static ServerKind serverKind(String text) {
    return switch (text) {
      case "embedded" -> ServerKind.EMBEDDED;
      case "embedded-fsync" -> ServerKind.EMBEDDED_FSYNC;
      case "system" -> ServerKind.SYSTEM;
      default ->
          throw new ConfigError(
              "Option --server-kind needs embedded, embedded-fsync or system (got '" + text + "')");
    };
  }

  private static String value(String[] args, int i, String option) {
    if (i >= args.length) {
      throw new ConfigError("Option " + option + " needs a value");
    }
    return args[i];
  }

  private static long number(String text, String option) {
    try {
      return Long.parseLong(text.replace("_", "").replace(",", ""));
    } catch (NumberFormatException e) {
      throw new ConfigError("Option " + option + " needs a whole number (got '" + text + "')");
    }
  }

  private static long positive(String text, String option) {
    long n = number(text, option);
    if (n < 1) {
      throw new ConfigError("Option " + option + " needs a number of at least 1 (got " + n + ")");
    }
    return n;
  }

  private static String emptyToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }
}
