package dev.tenantfold.bench;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.tenantfold.config.ConfigError;
import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.jdbc.JdbcEndpoint;
import dev.tenantfold.job.MigrationJob;
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
 * <ol>
 *   <li>the raw COPY pipe ({@link RawCopyPipe}), two tenants at a time, into a table whose primary
 *       key (tenant_id, id) exists before the load: the baseline every ratio refers to;</li>
 *   <li>the same pipe with the key built after the load, which is how tenantfold builds it;</li>
 *   <li>Spark's stock JDBC read and write ({@link SparkJdbcCopy}) into the keyed table;</li>
 *   <li>{@code tenantfold run} with default settings: {@link MigrationJob#execute()} on a session
 *       created beforehand, so JVM and Spark start-up are reported apart from the run.</li>
 * </ol>
 * Rows are counted in each target afterwards. Each path starts after a CHECKPOINT and a full GC,
 * with a {@link HeapMonitor} recording the driver heap it needed. Markdown goes to stdout; logs go
 * to stderr. This is a measurement tool, not a test: it asserts nothing beyond the row counts.
 */
public final class Benchmark {
  private static final Logger LOG = LoggerFactory.getLogger(Benchmark.class);
  private static final String DATABASE_PREFIX = "tenantfold_bench_";
  /** Tenants moved at once by the raw pipe; the same as local[2] and tenantfold's default tenant-parallelism. */
  private static final int PARALLELISM = 2;

  private final BenchOptions options;
  private final BenchServer server;
  private final Map<String, Long> setupMillis = new HashMap<>();

  /** A path under test: loads every tenant into the (prepared, empty) target and returns a note for the table. */
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
      BenchReport report = new Benchmark(options, server, jvmStartMillis).execute("bench/run" + (args.length == 0 ? "" : " " + String.join(" ", args)));
      String markdown = report.markdown();
      System.out.println();
      System.out.print(markdown);
      if (options.outFile() != null) {
        Files.writeString(Path.of(options.outFile()), markdown, StandardCharsets.UTF_8);
      }
      return report.measurements().stream().allMatch(Measurement::complete) ? 0 : 1;
    } catch (Exception e) {
      LOG.error("Benchmark failed", e);
      System.err.println("bench: cannot finish the benchmark: " + e.getMessage());
      return 1;
    }
  }

  private BenchReport execute(String command) throws Exception {
    double loadAtStart = MachineInfo.loadAverage();
    Map<String, JdbcEndpoint> tenants = generateTenants();
    List<Measurement> measurements = new ArrayList<>();
    measurements.add(measure("raw COPY pipe, key before load", "raw_key_first", target -> {
      OrdersDataset.createTarget(target, true);
      RawCopyPipe.run(tenants, target, PARALLELISM);
      return "PK (tenant_id, id) created before the load";
    }));
    measurements.add(measure("raw COPY pipe, key after load", "raw_key_after", target -> {
      OrdersDataset.createTarget(target, false);
      long start = System.nanoTime();
      RawCopyPipe.run(tenants, target, PARALLELISM);
      long copied = System.nanoTime();
      OrdersDataset.addTargetKey(target);
      return String.format("COPY %.1f s + PK build %.1f s", (copied - start) / 1e9, (System.nanoTime() - copied) / 1e9);
    }));

    RunResult tenantfoldRun = null;
    long sparkStart = System.nanoTime();
    SparkSession spark = SparkSession.builder().appName("tenantfold-bench").master("local[" + PARALLELISM + "]")
        .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.bindAddress", "127.0.0.1").config("spark.driver.host", "127.0.0.1").getOrCreate();
    setupMillis.put("Spark session start-up", millisSince(sparkStart));
    List<RunResult> tenantfoldRuns = new ArrayList<>();
    try {
      long warmUp = System.nanoTime();
      spark.range(1).count();
      setupMillis.put("First Spark job (warm-up)", millisSince(warmUp));
      if (!options.skipSparkJdbc()) {
        measurements.add(measure("Spark JDBC read + write (stock)", "spark_jdbc", target -> {
          OrdersDataset.createTarget(target, true);
          SparkJdbcCopy.run(spark, tenants, target);
          return "PK created before the load; fetchsize " + SparkJdbcCopy.FETCH_SIZE + ", batchsize 1000 (default)";
        }));
      }
      Measurement tenantfold = measure("tenantfold run", "tenantfold", target -> {
        RunResult run = null;
        try {
          run = new MigrationJob(tenantfoldConfig(tenants, target), spark).execute();
        } finally {
          // One entry per trial, so the kept trial's index finds its run.
          tenantfoldRuns.add(run);
        }
        StringBuilder note = new StringBuilder("staging + PK after load + validate + publish; " + run.statusLabel() + " (exit code " + run.exitCode() + ")");
        run.tenants().stream().filter(t -> !t.published()).forEach(t -> {
          LOG.error("tenantfold did not publish tenant {}: {}", t.tenantId(), t.message());
          note.append("; ").append(t.tenantId()).append(" not published: ").append(t.message());
        });
        return note.toString();
      });
      measurements.add(tenantfold);
      tenantfoldRun = tenantfoldRuns.get(tenantfold.trial());
    } finally {
      spark.stop();
    }
    return new BenchReport(command, options, MachineInfo.current(), server.description(), server.version(), server.settings(), spark.version(),
        setupMillis, measurements, tenantfoldRun, loadAtStart, MachineInfo.loadAverage());
  }

  /** Generates the first tenant and copies it as a template for the others; returns tenant id to source. */
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
      trials.add(trial(name + (options.repeat() > 1 ? " (trial " + i + "/" + options.repeat() + ")" : ""), slug, path));
    }
    return Measurement.median(name, trials);
  }

  /** One timed load into a new target database; counts what it loaded, then drops the database. */
  private Measurement trial(String name, String slug, LoadPath path) throws Exception {
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
    long rows = countOrZero(target);
    Measurement m = new Measurement(name, rows, options.totalRows(), nanos, heap, note);
    LOG.info("{}: {} rows in {} s ({} rows/s)", name, rows, String.format("%.1f", m.seconds()), String.format("%.0f", m.rowsPerSecond()));
    server.dropDatabase(database);
    return m;
  }

  private static long countOrZero(JdbcEndpoint target) {
    try {
      return OrdersDataset.countTarget(target);
    } catch (SQLException e) {
      return 0;
    }
  }

  private TenantfoldConfig tenantfoldConfig(Map<String, JdbcEndpoint> tenants, JdbcEndpoint target) throws IOException {
    List<Object> tenantList = new ArrayList<>();
    tenants.forEach((id, source) -> tenantList.add(Map.of("id", id, "jdbc", credentials(source))));
    Config config = ConfigFactory.empty()
        .withValue("tenantfold.tenants", ConfigValueFactory.fromIterable(tenantList))
        .withValue("tenantfold.tenant-column", ConfigValueFactory.fromAnyRef(OrdersDataset.TENANT_COLUMN))
        .withValue("tenantfold.spark.master", ConfigValueFactory.fromAnyRef("local[" + PARALLELISM + "]"))
        .withValue("tenantfold.report.dir", ConfigValueFactory.fromAnyRef(Files.createTempDirectory("tenantfold-bench-reports").toString()));
    for (Map.Entry<String, Object> e : credentials(target).entrySet()) {
      config = config.withValue("tenantfold.target." + e.getKey(), ConfigValueFactory.fromAnyRef(e.getValue()));
    }
    for (String override : options.tenantfoldOverrides()) {
      int eq = override.indexOf('=');
      if (eq <= 0) {
        throw new ConfigError("Cannot parse --set '" + override + "': expected key=value, e.g. --set extract.rows-per-partition=250000");
      }
      String key = override.substring(0, eq).trim();
      String value = override.substring(eq + 1);
      config = config.withValue(key.startsWith(TenantfoldConfig.ROOT + ".") ? key : TenantfoldConfig.ROOT + "." + key, ConfigValueFactory.fromAnyRef(value));
    }
    return TenantfoldConfig.fromConfig(config);
  }

  private static Map<String, Object> credentials(JdbcEndpoint endpoint) {
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

  private static long millisSince(long startNanos) {
    return (System.nanoTime() - startNanos) / 1_000_000;
  }
}
