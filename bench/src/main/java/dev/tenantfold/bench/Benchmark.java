package dev.tenantfold.bench;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.tenantfold.config.ConfigError;
import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.jdbc.JdbcEndpoint;
import dev.tenantfold.job.MigrationJob;
import dev.tenantfold.progress.ProgressTracker;
import dev.tenantfold.report.RunResult;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code bench/run}: how fast tenantfold consolidates tenants compared with the raw floor and with
 * what a Spark user would write first, and whether the driver heap stays flat as tables grow.
 *
 * <p>It generates K source tenant databases of N orders rows each plus fresh target databases on
 * one PostgreSQL server, then times, each against its own new target database:
 *
 * <ol>
 *   <li>the raw COPY pipe ({@link RawCopyPipe}), two tenants at a time, into a table whose primary
 *       key (tenant_id, id) exists before the load: the baseline every ratio refers to;
 *   <li>the same pipe in PostgreSQL's binary COPY format, as tenantfold streams a table whose
 *       columns all allow it (informative: the text pipe stays the baseline);
 *   <li>the same pipe with the key built after the load, which is how tenantfold builds it;
 *   <li>Spark's stock JDBC read and write ({@link SparkJdbcCopy}) into the keyed table;
 *   <li>{@code tenantfold run} with default settings: {@link MigrationJob#execute()} on a session
 *       created beforehand, so JVM and Spark start-up are reported apart from the run.
 * </ol>
 *
 * With {@code --source export} the tenants are read from an RDS-shaped snapshot export of their
 * database instead ({@link ExportBench}), and the baseline is the raw Parquet pipe ({@link
 * RawParquetPipe}): the same files read by Spark and COPYed as stored, with nothing else; the raw
 * COPY pipe from the source databases the export was written from is timed in the same run, so the
 * export run is compared with both. With {@code --constraints} only tenantfold runs, on {@link
 * ApplicationDataset}'s three tables: the same rows with primary keys only and with the
 * application's foreign keys, unique and CHECK constraints and index, trial by trial, compared
 * stage by stage ({@link ConstraintCost}). Rows are counted in each target afterwards. Each path
 * starts after a CHECKPOINT and a full GC, with a {@link HeapMonitor} recording the driver heap it
 * needed. Markdown goes to stdout; logs go to stderr. This is a measurement tool, not a test: it
 * asserts nothing beyond the row counts.
 */
public final class Benchmark {
  private static final Logger LOG = LoggerFactory.getLogger(Benchmark.class);
  private static final String DATABASE_PREFIX = "tenantfold_bench_";

  /** The raw COPY pipe's path name: the JDBC mode's baseline, timed in export mode too. */
  static final String RAW_COPY_KEY_FIRST = "raw COPY pipe, key before load";

  /**
   * Tenants moved at once by the raw pipe; the same as local[2] and tenantfold's default
   * tenant-parallelism.
   */
  private static final int PARALLELISM = 2;

  private final BenchOptions options;
  private final BenchServer server;
  private final Map<String, Long> setupMillis = new HashMap<>();
  private long exportBytes;
  private ExportBench.FileLayout exportLayout = ExportBench.FileLayout.NONE;

  /** CPU of each tenantfold trial (--tables, --spark-master and the plain JDBC/export runs). */
  private final List<CpuMeter.Reading> cpuReadings = new ArrayList<>();

  /**
   * A path under test: loads every tenant into the (prepared, empty) target and returns a note for
   * the table.
   */
  @FunctionalInterface
  private interface LoadPath {
    String load(JdbcEndpoint target) throws Exception;
  }

  private Benchmark(BenchOptions options, BenchServer server, long jvmStartMillis) {
    this.options = options;
    this.server = server;
    setupMillis.put("JVM start to main", jvmStartMillis);
  }

  public static void main(String[] args) {
    System.exit(run(args));
  }

  static int run(String[] args) {
    long jvmStartMillis = ManagementFactory.getRuntimeMXBean().getUptime();
    BenchOptions options;
    try {
      options = BenchOptions.parse(args);
    } catch (ConfigError e) {
      System.err.println("bench: " + e.getMessage());
      System.err.println(BenchOptions.USAGE);
      return 2;
    }
    LOG.info("Benchmark options: {}", options);
    try (BenchServer server = BenchServer.start(options)) {
      if (options.catchUp() != null) {
        return CatchUpBench.run(options, server, "bench/run " + String.join(" ", args));
      }
      BenchReport report =
          new Benchmark(options, server, jvmStartMillis)
              .execute("bench/run" + (args.length == 0 ? "" : " " + String.join(" ", args)));
      String markdown = report.markdown();
      System.out.println();
      System.out.print(markdown);
      if (options.outFile() != null) {
        Files.writeString(Path.of(options.outFile()), markdown, StandardCharsets.UTF_8);
      }
      return report.measurements().stream().allMatch(m -> m.complete() && !m.failed()) ? 0 : 1;
    } catch (Exception e) {
      LOG.error("Benchmark failed", e);
      System.err.println("bench: cannot finish the benchmark: " + e.getMessage());
      return 1;
    }
  }

  private BenchReport execute(String command) throws Exception {
    double loadAtStart = MachineInfo.loadAverage();
    boolean constraints = options.constraints();
    Map<String, JdbcEndpoint> tenants;
    Map<String, JdbcEndpoint> constrainedTenants = Map.of();
    if (constraints) {
      List<Map<String, JdbcEndpoint>> both = generateApplicationTenants();
      tenants = both.get(0);
      constrainedTenants = both.get(1);
    } else if (options.tables() > 0) {
      tenants = generateManyTables();
    } else {
      tenants = generateTenants();
    }
    boolean fromExports = options.source() == BenchOptions.Source.EXPORT;
    List<Measurement> measurements = new ArrayList<>();
    boolean manyTables = options.tables() > 0;
    boolean baselines = !manyTables && !options.tenantfoldOnly();
    if (!fromExports && !constraints && baselines) {
      measurements.add(
          measure(
              RAW_COPY_KEY_FIRST,
              "raw_key_first",
              target -> {
                OrdersDataset.createTarget(target, true);
                RawCopyPipe.run(tenants, target, PARALLELISM);
                return "PK (tenant_id, id) created before the load";
              }));
      measurements.add(
          measure(
              "raw COPY pipe, binary",
              "raw_binary",
              target -> {
                OrdersDataset.createTarget(target, true);
                RawCopyPipe.run(tenants, target, PARALLELISM, true);
                return "FORMAT binary on both ends, PK created before the load (informative)";
              }));
      measurements.add(
          measure(
              "raw COPY pipe, key after load",
              "raw_key_after",
              target -> {
                OrdersDataset.createTarget(target, false);
                long start = System.nanoTime();
                RawCopyPipe.run(tenants, target, PARALLELISM);
                long copied = System.nanoTime();
                OrdersDataset.addTargetKey(target);
                return String.format(
                    "COPY %.1f s + PK build %.1f s",
                    (copied - start) / 1e9, (System.nanoTime() - copied) / 1e9);
              }));
    }

    RunResult tenantfoldRun = null;
    RunResult keysOnlyRun = null;
    CpuMeter.Reading tenantfoldCpu = null;
    ConstraintCost constraintCost = null;
    long sparkStart = System.nanoTime();
    SparkSession spark =
        SparkSession.builder()
            .appName("tenantfold-bench")
            .master(options.master())
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.jars", options.sparkMaster() == null ? "" : sparkJar())
            .getOrCreate();
    setupMillis.put("Spark session start-up", millisSince(sparkStart));
    List<RunResult> tenantfoldRuns = new ArrayList<>();
    List<RunResult> keysOnlyRuns = new ArrayList<>();
    ExportBench exports = null;
    try {
      long warmUp = System.nanoTime();
      spark.range(1).count();
      setupMillis.put("First Spark job (warm-up)", millisSince(warmUp));
      List<TimedPath> paths = new ArrayList<>();
      if (fromExports) {
        long writing = System.nanoTime();
        // One export serves both schemas of --constraints: the rows are the same, each tenant reads
        // its types and objects from its catalog.
        exports =
            ExportBench.write(
                spark,
                DATABASE_PREFIX + tenants.keySet().iterator().next(),
                tenants,
                PARALLELISM,
                constraints ? ApplicationDataset.TABLES : List.of(OrdersDataset.TABLE),
                options.exportLayout());
        setupMillis.put("Write the export (DemoExport)", millisSince(writing));
        exportBytes = exports.bytesOnDisk();
        exportLayout = exports.ordersLayout();
        if (!constraints && baselines) {
          paths.addAll(exportPaths(exports, spark, tenants));
        }
      }
      if (!fromExports && !options.skipSparkJdbc() && !constraints && baselines) {
        measurements.add(
            measure(
                "Spark JDBC read + write (stock)",
                "spark_jdbc",
                target -> {
                  OrdersDataset.createTarget(target, true);
                  SparkJdbcCopy.run(spark, tenants, target);
                  return "PK created before the load; fetchsize "
                      + SparkJdbcCopy.FETCH_SIZE
                      + ", batchsize 1000 (default)";
                }));
      }
      String suffix = fromExports ? " (export tenants)" : "";
      if (constraints) {
        paths.add(
            tenantfoldPath(
                "tenantfold run, keys only" + suffix,
                "tenantfold_keys",
                spark,
                tenants,
                exports,
                ApplicationDataset.Schema.KEYS,
                keysOnlyRuns));
        paths.add(
            tenantfoldPath(
                "tenantfold run, constraints + FKs" + suffix,
                "tenantfold_constraints",
                spark,
                constrainedTenants,
                exports,
                ApplicationDataset.Schema.CONSTRAINTS,
                tenantfoldRuns));
      } else {
        paths.add(
            tenantfoldPath(
                (manyTables
                        ? "tenantfold run, " + options.tables() + " tables per tenant"
                        : "tenantfold run")
                    + suffix,
                "tenantfold",
                spark,
                tenants,
                exports,
                null,
                tenantfoldRuns));
      }
      // Trials interleave (raw, ..., tenantfold, raw, ...): on a shared machine every path sees the
      // same load.
      // With --constraints the two schemas also swap places every other trial, so neither always
      // runs first (the first trial of all pays for
      // warming up the JVM's code for the path).
      List<Measurement> timed = measureInterleaved(paths, constraints);
      measurements.addAll(timed);
      Measurement tenantfold = timed.get(timed.size() - 1);
      tenantfoldRun = tenantfoldRuns.get(tenantfold.trial());
      tenantfoldCpu =
          cpuReadings.size() > tenantfold.trial() ? cpuReadings.get(tenantfold.trial()) : null;
      if (constraints) {
        Measurement keysOnly = timed.get(timed.size() - 2);
        keysOnlyRun = keysOnlyRuns.get(keysOnly.trial());
        constraintCost = new ConstraintCost(keysOnlyRuns, tenantfoldRuns, keysOnly, tenantfold);
      }
    } finally {
      spark.stop();
      if (exports != null) {
        exports.close();
      }
    }
    return new BenchReport(
        command,
        options,
        MachineInfo.current(),
        server.description(),
        server.version(),
        server.settings(),
        spark.version(),
        setupMillis,
        exportBytes,
        exportLayout,
        measurements,
        tenantfoldRun,
        keysOnlyRun,
        constraintCost,
        loadAtStart,
        MachineInfo.loadAverage(),
        tenantfoldCpu,
        constraints ? 0 : sourceBytes(tenants));
  }

  /**
   * The {@code tenantfold run} path: {@link MigrationJob#execute()} of every tenant into the
   * trial's target; each trial's result goes to {@code runs} (null when it threw), so the kept
   * trial's index finds its run. With a {@code schema} ({@code --constraints}) it also checks that
   * the target holds exactly the objects that schema's sources have, else the trial fails: a
   * comparison where tenantfold skipped the constraints would measure nothing.
   */
  private TimedPath tenantfoldPath(
      String name,
      String slug,
      SparkSession spark,
      Map<String, JdbcEndpoint> tenants,
      ExportBench exports,
      ApplicationDataset.Schema schema,
      List<RunResult> runs) {
    boolean fromExports = exports != null;
    return new TimedPath(
        name,
        slug,
        target -> {
          RunResult run = null;
          // Only the plain paths meter CPU (--constraints' two schemas would interleave readings).
          ProgressTracker tracker = new ProgressTracker("bench");
          CpuMeter cpu =
              schema == null
                  ? new CpuMeter(
                      tracker,
                      server.postmasterPid(),
                      target.url().substring(target.url().lastIndexOf('/') + 1),
                      options.sparkMaster() == null ? null : spark.conf().get("spark.driver.port"))
                  : null;
          try {
            run =
                new MigrationJob(tenantfoldConfig(tenants, exports, target), spark)
                    .withProgress(tracker)
                    .execute();
          } finally {
            runs.add(run);
            if (cpu != null) {
              cpuReadings.add(cpu.stop());
            }
          }
          StringBuilder note =
              new StringBuilder(
                  (fromExports
                          ? "restore + Dataset COPY into staging, source checksum folded in the"
                              + " same pass"
                          : "staging")
                      + " + PK after load + validate + publish; "
                      + run.statusLabel()
                      + " (exit code "
                      + run.exitCode()
                      + ")");
          run.tenants().stream()
              .filter(t -> !t.published())
              .forEach(
                  t -> {
                    LOG.error(
                        "tenantfold did not publish tenant {}: {}", t.tenantId(), t.message());
                    note.append("; ")
                        .append(t.tenantId())
                        .append(" not published: ")
                        .append(t.message());
                  });
          if (schema != null) {
            ApplicationDataset.TargetObjects found = ApplicationDataset.objects(target);
            ApplicationDataset.TargetObjects expected =
                schema == ApplicationDataset.Schema.CONSTRAINTS
                    ? ApplicationDataset.EXPECTED
                    : new ApplicationDataset.TargetObjects(0, 0, 0, 0);
            if (!found.equals(expected)) {
              throw new IllegalStateException(
                  "Cannot compare the schemas: the target of '"
                      + name
                      + "' has "
                      + found
                      + " on customers, orders and"
                      + " order_lines, expected "
                      + expected
                      + " ("
                      + schema.description
                      + " in the sources); see the run's warnings");
            }
            note.append("; sources: ")
                .append(schema.description)
                .append("; target: ")
                .append(found);
          }
          return note.toString();
        },
        null);
  }

  /**
   * The raw Parquet pipe (the baseline for exports) and, with {@code --profile}, the parts of
   * tenantfold's export path.
   */
  private List<TimedPath> exportPaths(
      ExportBench exports, SparkSession spark, Map<String, JdbcEndpoint> tenants) {
    List<String> ids = List.copyOf(tenants.keySet());
    List<TimedPath> paths = new ArrayList<>();
    paths.add(
        new TimedPath(
            "raw Parquet pipe, key before load",
            "raw_parquet_key_first",
            target -> {
              OrdersDataset.createTarget(target, true);
              RawParquetPipe.run(spark, exports.tableFolder(), ids, target);
              return "Spark reads the export's Parquet, values written to COPY as stored (text); PK"
                  + " (tenant_id, id) created before the load";
            },
            null));
    paths.add(
        new TimedPath(
            "raw Parquet pipe, key after load",
            "raw_parquet_key_after",
            target -> {
              OrdersDataset.createTarget(target, false);
              long start = System.nanoTime();
              RawParquetPipe.run(spark, exports.tableFolder(), ids, target);
              long copied = System.nanoTime();
              OrdersDataset.addTargetKey(target);
              return String.format(
                  "COPY %.1f s + PK build %.1f s",
                  (copied - start) / 1e9, (System.nanoTime() - copied) / 1e9);
            },
            null));
    // The JDBC mode's baseline in the same run: the source databases the export was written from,
    // piped COPY TO | COPY FROM.
    paths.add(
        new TimedPath(
            RAW_COPY_KEY_FIRST,
            "raw_key_first",
            target -> {
              OrdersDataset.createTarget(target, true);
              RawCopyPipe.run(tenants, target, PARALLELISM);
              return "the source databases (the export's origin) COPY TO | COPY FROM, as the JDBC"
                  + " mode's baseline; PK (tenant_id, id) created before the load";
            },
            null));
    if (options.profile()) {
      paths.add(
          TimedPath.withoutTarget(
              "profile: read + restore only",
              "profile_restore",
              exports::restoreOnly,
              "RdsExport.rows per tenant, every row taken from the iterator; no database"));
      paths.add(
          new TimedPath(
              "profile: restore + DatasetCopyLoader",
              "profile_dataset_load",
              target -> {
                OrdersDataset.createTarget(target, false);
                exports.datasetLoad(target);
                return "restored rows, CopyTextEncoder, COPY + ledger, one transaction per"
                    + " partition, into a plain table; no staging, checksum, key, publish";
              },
              null));
      paths.add(
          TimedPath.withoutTarget(
              "profile: Spark checksum only",
              "profile_spark_checksum",
              exports::sparkChecksum,
              "SparkChecksum of the restored rows, 1,024 buckets; no database"));
    }
    return paths;
  }

  /**
   * A timed path; {@code seen} is null for a path whose rows are counted in its target, else the
   * holder of the rows a path that writes no table says it saw.
   */
  private record TimedPath(String name, String slug, LoadPath path, long[] seen) {
    static TimedPath withoutTarget(String name, String slug, RowsPath rows, String note) {
      long[] seen = new long[1];
      return new TimedPath(
          name,
          slug,
          target -> {
            seen[0] = rows.rows();
            return note;
          },
          seen);
    }
  }

  /**
   * Times every path {@code --repeat} times, trial by trial across the paths, and keeps each path's
   * median trial; with {@code alternate}, every second round runs the paths in reverse order.
   */
  private List<Measurement> measureInterleaved(List<TimedPath> paths, boolean alternate)
      throws Exception {
    List<List<Measurement>> trials = new ArrayList<>();
    paths.forEach(p -> trials.add(new ArrayList<>()));
    for (int i = 1; i <= options.repeat(); i++) {
      for (int k = 0; k < paths.size(); k++) {
        int p = alternate && i % 2 == 0 ? paths.size() - 1 - k : k;
        TimedPath path = paths.get(p);
        trials
            .get(p)
            .add(
                trial(
                    path.name()
                        + (options.repeat() > 1
                            ? " (trial " + i + "/" + options.repeat() + ")"
                            : ""),
                    path.slug(),
                    path.path(),
                    path.seen()));
      }
    }
    List<Measurement> out = new ArrayList<>();
    for (int p = 0; p < paths.size(); p++) {
      out.add(Measurement.median(paths.get(p).name(), trials.get(p)));
    }
    return out;
  }

  /**
   * For {@code --constraints}: the first tenant's database is generated with primary keys only,
   * copied as a template for the other keys-only tenants and for the first constrained one, which
   * gets the application's constraints and is the template of the other constrained tenants;
   * returns tenant id to source, keys only first. Both variants hold the same rows under the same
   * tenant ids.
   */
  private List<Map<String, JdbcEndpoint>> generateApplicationTenants() throws SQLException {
    long start = System.nanoTime();
    Map<String, JdbcEndpoint> keysOnly = new LinkedHashMap<>();
    Map<String, JdbcEndpoint> constrained = new LinkedHashMap<>();
    String firstKeysOnly = null;
    String firstConstrained = null;
    for (int i = 1; i <= options.tenants(); i++) {
      String tenantId = String.format("tenant_%02d", i);
      String keysDatabase = DATABASE_PREFIX + tenantId;
      String constrainedDatabase = DATABASE_PREFIX + "fk_" + tenantId;
      server.recreateDatabase(keysDatabase, firstKeysOnly);
      if (firstKeysOnly == null) {
        LOG.info(
            "Generating {} rows over customers, orders and order_lines in {}",
            ApplicationDataset.rowsPerTenant(options.rowsPerTenant()),
            keysDatabase);
        ApplicationDataset.createSource(server.endpoint(keysDatabase), options.rowsPerTenant());
        firstKeysOnly = keysDatabase;
      }
      server.recreateDatabase(
          constrainedDatabase, firstConstrained == null ? firstKeysOnly : firstConstrained);
      if (firstConstrained == null) {
        ApplicationDataset.addConstraints(server.endpoint(constrainedDatabase));
        firstConstrained = constrainedDatabase;
      }
      keysOnly.put(tenantId, server.endpoint(keysDatabase));
      constrained.put(tenantId, server.endpoint(constrainedDatabase));
    }
    setupMillis.put("Generate data", millisSince(start));
    LOG.info(
        "Generated {} tenants in two schemas in {} ms",
        options.tenants(),
        setupMillis.get("Generate data"));
    return List.of(keysOnly, constrained);
  }

  /**
   * For {@code --tables}: the first tenant gets {@link ManyTablesDataset}'s T tables, the others
   * are file copies of it; {@code --rows} rows per tenant, spread evenly over the tables.
   */
  private Map<String, JdbcEndpoint> generateManyTables() throws SQLException {
    long start = System.nanoTime();
    Map<String, JdbcEndpoint> tenants = new LinkedHashMap<>();
    String first = null;
    for (int i = 1; i <= options.tenants(); i++) {
      String tenantId = String.format("tenant_%02d", i);
      String database = DATABASE_PREFIX + tenantId;
      server.recreateDatabase(database, first);
      if (first == null) {
        LOG.info(
            "Generating {} tables of {} rows in {}", options.tables(), rowsPerTable(), database);
        ManyTablesDataset.createSource(server.endpoint(database), options.tables(), rowsPerTable());
        first = database;
      }
      tenants.put(tenantId, server.endpoint(database));
    }
    setupMillis.put("Generate data", millisSince(start));
    return tenants;
  }

  private long rowsPerTable() {
    return Math.max(1, options.rowsPerTenant() / options.tables());
  }

  /**
   * Bytes of the tenants' tables on disk (the first tenant's tables times the tenants; 0 if
   * unknown).
   */
  private long sourceBytes(Map<String, JdbcEndpoint> tenants) {
    try (java.sql.Connection conn =
            tenants.values().iterator().next().connect("tenantfold-bench-size");
        java.sql.Statement st = conn.createStatement();
        java.sql.ResultSet rs =
            st.executeQuery(
                "SELECT coalesce(sum(pg_table_size(c.oid)), 0) FROM pg_class c JOIN pg_namespace n"
                    + " ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND n.nspname ="
                    + " 'public'")) {
      rs.next();
      return rs.getLong(1) * tenants.size();
    } catch (SQLException | RuntimeException e) {
      return 0;
    }
  }

  /**
   * Generates the first tenant and copies it as a template for the others; returns tenant id to
   * source.
   */
  private Map<String, JdbcEndpoint> generateTenants() throws SQLException {
    long start = System.nanoTime();
    Map<String, JdbcEndpoint> tenants = new LinkedHashMap<>();
    String first = null;
    for (int i = 1; i <= options.tenants(); i++) {
      String tenantId = String.format("tenant_%02d", i);
      String database = DATABASE_PREFIX + tenantId;
      server.recreateDatabase(database, first);
      if (first == null) {
        LOG.info("Generating {} rows in {}", options.rowsPerTenant(), database);
        OrdersDataset.createSource(server.endpoint(database), options.rowsPerTenant());
        first = database;
      }
      tenants.put(tenantId, server.endpoint(database));
    }
    setupMillis.put("Generate data", millisSince(start));
    LOG.info("Generated {} tenants in {} ms", options.tenants(), setupMillis.get("Generate data"));
    return tenants;
  }

  /**
   * Times {@code path} {@code --repeat} times, each against a fresh target database, and keeps the
   * median trial; the heap figures are the worst of all trials.
   */
  private Measurement measure(String name, String slug, LoadPath path) throws Exception {
    List<Measurement> trials = new ArrayList<>();
    for (int i = 1; i <= options.repeat(); i++) {
      trials.add(
          trial(
              name + (options.repeat() > 1 ? " (trial " + i + "/" + options.repeat() + ")" : ""),
              slug,
              path,
              null));
    }
    return Measurement.median(name, trials);
  }

  /** A path that reads without writing: returns the rows it saw. */
  @FunctionalInterface
  private interface RowsPath {
    long rows() throws Exception;
  }

  /**
   * One timed load into a new target database; counts what it loaded (or takes {@code seen}), then
   * drops the database.
   */
  private Measurement trial(String name, String slug, LoadPath path, long[] seen) throws Exception {
    String database = DATABASE_PREFIX + "target_" + slug;
    server.recreateDatabase(database, null);
    JdbcEndpoint target = server.endpoint(database);
    server.checkpoint();
    LOG.info("Timing: {}", name);
    String note;
    long start;
    HeapMonitor.Reading heap;
    try (HeapMonitor monitor = HeapMonitor.start()) {
      start = System.nanoTime();
      try {
        note = path.load(target);
      } catch (Exception e) {
        LOG.error("Path '{}' failed", name, e);
        note = "FAILED: " + e.getMessage();
      }
      heap = monitor.stop();
    }
    long nanos = System.nanoTime() - start;
    long rows = seen != null ? seen[0] : countOrZero(target);
    Measurement m = new Measurement(name, rows, expectedRows(), nanos, heap, note);
    LOG.info(
        "{}: {} rows in {} s ({} rows/s)",
        name,
        rows,
        String.format("%.1f", m.seconds()),
        String.format("%.0f", m.rowsPerSecond()));
    server.dropDatabase(database);
    return m;
  }

  /**
   * Rows every path must deliver: over the three tables with {@code --constraints}, else the orders
   * table's.
   */
  private long expectedRows() {
    if (options.tables() > 0) {
      return rowsPerTable() * options.tables() * options.tenants();
    }
    return options.constraints()
        ? ApplicationDataset.rowsPerTenant(options.rowsPerTenant()) * options.tenants()
        : options.totalRows();
  }

  private long countOrZero(JdbcEndpoint target) {
    try {
      if (options.tables() > 0) {
        return ManyTablesDataset.countTarget(target, options.tables());
      }
      return options.constraints()
          ? ApplicationDataset.count(target)
          : OrdersDataset.countTarget(target);
    } catch (SQLException e) {
      return 0;
    }
  }

  private TenantfoldConfig tenantfoldConfig(
      Map<String, JdbcEndpoint> tenants, ExportBench exports, JdbcEndpoint target)
      throws IOException {
    List<Object> tenantList = new ArrayList<>();
    tenants.forEach(
        (id, source) ->
            tenantList.add(
                exports == null
                    ? Map.of("id", id, "jdbc", credentials(source))
                    : Map.of("id", id, "export", exports.tenantExport(source))));
    Config config =
        ConfigFactory.empty()
            .withValue("tenantfold.tenants", ConfigValueFactory.fromIterable(tenantList))
            .withValue(
                "tenantfold.tenant-column",
                ConfigValueFactory.fromAnyRef(OrdersDataset.TENANT_COLUMN))
            .withValue("tenantfold.spark.master", ConfigValueFactory.fromAnyRef(options.master()))
            .withValue(
                "tenantfold.report.dir",
                ConfigValueFactory.fromAnyRef(
                    Files.createTempDirectory("tenantfold-bench-reports").toString()))
            // The export tenants are one export read as four tenants (the same rows at every size),
            // which the plan refuses as one database published four times unless told it is meant.
            .withValue(
                "tenantfold.publish.allow-same-database",
                ConfigValueFactory.fromAnyRef(exports != null));
    if (options.tables() > 0) {
      // The application's shape the per-table cost is quoted for: compatibility schemas on.
      config =
          config.withValue("tenantfold.target.compat-schemas", ConfigValueFactory.fromAnyRef(true));
    }
    for (Map.Entry<String, Object> e : credentials(target).entrySet()) {
      config =
          config.withValue(
              "tenantfold.target." + e.getKey(), ConfigValueFactory.fromAnyRef(e.getValue()));
    }
    for (String override : options.tenantfoldOverrides()) {
      int eq = override.indexOf('=');
      if (eq <= 0) {
        throw new ConfigError(
            "Cannot parse --set '"
                + override
                + "': expected key=value, e.g. --set extract.rows-per-partition=250000");
      }
      String key = override.substring(0, eq).trim();
      String value = override.substring(eq + 1);
      config =
          config.withValue(
              key.startsWith(TenantfoldConfig.ROOT + ".") ? key : TenantfoldConfig.ROOT + "." + key,
              ConfigValueFactory.fromAnyRef(value));
    }
    return TenantfoldConfig.fromConfig(config);
  }

  static Map<String, Object> credentials(JdbcEndpoint endpoint) {
    Map<String, Object> jdbc = new LinkedHashMap<>();
    jdbc.put("url", endpoint.url());
    if (endpoint.user() != null) {
      jdbc.put("user", endpoint.user());
    }
    if (endpoint.password() != null) {
      jdbc.put("password", endpoint.password());
    }
    return jdbc;
  }

  /** The job's -spark.jar for executors on a cluster (bench/run passes its copy). */
  private static String sparkJar() {
    String jar = System.getenv().getOrDefault("BENCH_SPARK_JAR", "");
    if (jar.isEmpty() || !Files.isRegularFile(Path.of(jar))) {
      throw new ConfigError(
          "--spark-master needs the job's -spark.jar for the executors: run bench/run (it sets"
              + " BENCH_SPARK_JAR) after mvn package");
    }
    return jar;
  }

  private static long millisSince(long startNanos) {
    return (System.nanoTime() - startNanos) / 1_000_000;
  }
}
