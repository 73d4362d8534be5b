package dev.tenantfold.bench;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.tenantfold.catchup.CatchUpResult;
import dev.tenantfold.catchup.CatchUpRules;
import dev.tenantfold.catchup.Cutover;
import dev.tenantfold.catchup.CutoverResult;
import dev.tenantfold.catchup.TenantCatchUp;
import dev.tenantfold.config.ConfigError;
import dev.tenantfold.config.TenantConfig;
import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.jdbc.JdbcEndpoint;
import dev.tenantfold.job.MigrationJob;
import dev.tenantfold.report.RunResult;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code bench/run --catch-up}: catch-up and cutover in {@code logical} mode under a steady writer
 * (docs/catch-up.md, docs/benchmarks.md "Catch-up and cutover").
 *
 * <p>At each size of {@code --catch-up-sizes}: K source tenants of N orders rows, a writer running
 * {@code --writer-rate} transactions a second of 1 to 5 rows (inserts, updates and deletes mixed)
 * from before the base copy ({@code tenantfold run} with {@code catch-up.mode = logical}) for at
 * least {@code --writer-seconds}; after the base copy, catch-up passes over the tenants one after
 * the other, as {@code tenantfold catch-up --follow} runs them (the first pass drains the backlog
 * the base copy left), while a sampler records each tenant's lag every second; then the writer
 * stops and each tenant is cut over ({@link Cutover}, as {@code tenantfold cutover}), which reports
 * its freeze window. Last, every tenant's target rows are compared with its source by count and
 * checksum: any difference (or a tenant not cut over) is exit code 1.
 *
 * <p>Updates and deletes pick ids among the first {@link #HOT_KEYS} rows at every size, so two
 * sizes see the same number of changed keys and their cutovers differ only in the tables' size.
 */
final class CatchUpBench {
  private static final Logger LOG = LoggerFactory.getLogger(CatchUpBench.class);
  private static final String DATABASE_PREFIX = "tenantfold_bench_";
  private static final String TARGET_DATABASE = DATABASE_PREFIX + "target_catchup";

  /** Ids updates and deletes are drawn from, at every size. */
  static final long HOT_KEYS = 100_000;

  /** Writer threads (each with a connection per tenant). */
  private static final int WRITER_THREADS = 8;

  /** Goals of issue 19 on 2 cores. */
  static final double FREEZE_GOAL_SECONDS = 10;

  static final double DRAIN_GOAL_RATIO = 5;

  /** What {@code --catch-up} runs: the sizes (rows per tenant) and the writer. */
  record Settings(List<Long> sizes, int writerRate, int writerSeconds) {
    Settings {
      sizes = List.copyOf(sizes);
      if (sizes.isEmpty() || sizes.stream().anyMatch(s -> s < 1)) {
        throw new ConfigError(
            "--catch-up-sizes needs row counts of at least 1 (got " + sizes + ")");
      }
      if (writerRate < 1) {
        throw new ConfigError("--writer-rate must be at least 1 (got " + writerRate + ")");
      }
      if (writerSeconds < 0) {
        throw new ConfigError("--writer-seconds must be 0 or more (got " + writerSeconds + ")");
      }
    }

    static final int DEFAULT_RATE = 500;
    static final int DEFAULT_SECONDS = 180;

    /** {@code --catch-up-sizes} when not given: a tenth of {@code --rows}, and {@code --rows}. */
    static List<Long> defaultSizes(long rows) {
      return rows >= 10 ? List.of(rows / 10, rows) : List.of(rows);
    }

    static List<Long> parseSizes(String text) {
      List<Long> out = new ArrayList<>();
      for (String part : text.split(",")) {
        try {
          out.add(Long.parseLong(part.trim().replace("_", "")));
        } catch (NumberFormatException e) {
          throw new ConfigError(
              "Option --catch-up-sizes needs row counts separated by commas, e.g. 100000,1000000"
                  + " (got '"
                  + text
                  + "')");
        }
      }
      return out;
    }
  }

  private final BenchOptions options;
  private final BenchServer server;
  private final Settings settings;

  private CatchUpBench(BenchOptions options, BenchServer server) {
    this.options = options;
    this.server = server;
    this.settings = options.catchUp();
  }

  /**
   * Runs the mode, prints the markdown (and writes {@code --out}); exit 0 when every tenant was cut
   * over and equals its source at every size, else 1.
   */
  static int run(BenchOptions options, BenchServer server, String command) throws Exception {
    double loadAtStart = MachineInfo.loadAverage();
    CatchUpBench bench = new CatchUpBench(options, server);
    List<SizeResult> results = new ArrayList<>();
    SparkSession spark =
        SparkSession.builder()
            .appName("tenantfold-bench-catchup")
            .master("local[2]")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.driver.host", "127.0.0.1")
            .getOrCreate();
    try {
      for (long rows : bench.settings.sizes()) {
        results.add(bench.measure(spark, rows));
      }
    } finally {
      spark.stop();
    }
    StringBuilder md = new StringBuilder();
    bench.markdown(md, command, results, loadAtStart);
    System.out.println();
    System.out.print(md);
    if (options.outFile() != null) {
      Files.writeString(Path.of(options.outFile()), md, StandardCharsets.UTF_8);
    }
    return results.stream().allMatch(SizeResult::correct) ? 0 : 1;
  }

  // ---------------------------------------------------------------------------------------------
  // One size

  /** A catch-up pass over one tenant: what it applied, and the load average after it. */
  record Pass(int number, CatchUpResult result, long cpuNanos, ServerCpu serverCpu, double load) {}

  /**
   * CPU seconds of a pass's server processes, read from {@code /proc/<pid>/stat} (utime + stime) of
   * the walsender streaming the slot (decoding) and of the target backend applying the changes;
   * null when the server's processes are not on this machine (an existing remote server).
   */
  record ServerCpu(double walsenderSeconds, double applierSeconds) {}

  /** A cutover: its result, the load average after it. */
  record CutoverRun(CutoverResult result, double load) {}

  /** One tenant's rows on both sides: count and checksum. */
  record Check(String tenant, long sourceRows, long targetRows, long sourceSum, long targetSum) {
    boolean equal() {
      return sourceRows == targetRows && sourceSum == targetSum;
    }
  }

  /** What the writer did: transactions and rows changed per tenant, over its run. */
  record WriterStats(
      long transactions,
      long failed,
      Map<String, Long> changes,
      Map<String, Long> tenantTransactions,
      double seconds) {
    long totalChanges() {
      return changes.values().stream().mapToLong(Long::longValue).sum();
    }

    double rate() {
      return transactions / seconds;
    }

    double changesPerSecond(String tenant) {
      return changes.getOrDefault(tenant, 0L) / seconds;
    }
  }

  record SizeResult(
      long rows,
      int tenants,
      double baseSeconds,
      double baseLoad,
      String baseStatus,
      WriterStats writer,
      List<Pass> passes,
      List<LagSample> lag,
      Map<String, CutoverRun> cutovers,
      List<Check> checks,
      String failure) {
    boolean correct() {
      return failure == null
          && cutovers.size() == tenants
          && cutovers.values().stream()
              .allMatch(c -> c.result().verdict() == CutoverResult.Verdict.CUT_OVER)
          && checks.size() == tenants
          && checks.stream().allMatch(Check::equal);
    }

    List<Pass> firstPasses() {
      return passes.stream().filter(p -> p.number() == 1).toList();
    }

    double maxFreezeSeconds() {
      return cutovers.values().stream()
          .mapToDouble(c -> c.result().freezeMillis() / 1000.0)
          .max()
          .orElse(Double.NaN);
    }
  }

  private SizeResult measure(SparkSession spark, long rows) throws Exception {
    LOG.info("Catch-up benchmark: {} tenants x {} rows", options.tenants(), rows);
    Map<String, JdbcEndpoint> tenants = generate(rows);
    server.recreateDatabase(TARGET_DATABASE, null);
    JdbcEndpoint target = server.endpoint(TARGET_DATABASE);
    TenantfoldConfig config = config(tenants, target);
    server.checkpoint();

    List<Pass> passes = new ArrayList<>();
    Map<String, CutoverRun> cutovers = new LinkedHashMap<>();
    List<Check> checks = new ArrayList<>();
    String failure = null;
    double baseSeconds;
    double baseLoad;
    String baseStatus;
    WriterStats writerStats;
    List<LagSample> lag;
    JdbcEndpoint anySource = tenants.values().iterator().next();
    try (LagSampler sampler =
            LagSampler.start(anySource, slots(config), TARGET_DATABASE, server.isLocal());
        Writer writer = Writer.start(tenants, rows, settings.writerRate())) {
      sampler.phase("base copy");
      long baseStart = System.nanoTime();
      RunResult run = new MigrationJob(config, spark).execute();
      baseSeconds = (System.nanoTime() - baseStart) / 1e9;
      baseLoad = MachineInfo.loadAverage();
      baseStatus = run.statusLabel() + " (exit code " + run.exitCode() + ")";
      LOG.info("Base copy: {} in {} s", baseStatus, String.format("%.1f", baseSeconds));
      if (run.exitCode() != 0) {
        failure = "the base copy did not publish every tenant: " + baseStatus;
      }
      int pass = 0;
      while (failure == null) {
        pass++;
        sampler.phase(pass == 1 ? "catch-up (backlog)" : "catch-up");
        for (TenantConfig tenant : config.tenants()) {
          ThreadMXBean threads = ManagementFactory.getThreadMXBean();
          long cpu = threads.getCurrentThreadCpuTime();
          String label = pass + "/" + tenant.id();
          sampler.passing(label, tenant.id());
          CatchUpResult result = catchUpOf(config, tenant).execute();
          sampler.passing(null, null);
          passes.add(
              new Pass(
                  pass,
                  result,
                  threads.getCurrentThreadCpuTime() - cpu,
                  sampler.serverCpu(label),
                  MachineInfo.loadAverage()));
          LOG.info("Pass {}: {}", pass, result.describe());
          if (!result.caughtUp()) {
            failure = "catch-up stopped: " + result.describe();
            break;
          }
        }
        if (writer.seconds() >= settings.writerSeconds()) {
          break;
        }
        Thread.sleep(1000);
      }
      sampler.phase("writer stopped");
      writerStats = writer.stop();
      for (TenantConfig tenant : config.tenants()) {
        if (failure != null) {
          break;
        }
        sampler.phase("cutover " + tenant.id());
        CutoverResult result = cutoverOf(config, tenant).execute(Cutover.Options.none());
        cutovers.put(tenant.id(), new CutoverRun(result, MachineInfo.loadAverage()));
        LOG.info("Cutover: {}", result.describe());
      }
      lag = sampler.stop();
    }
    if (failure == null) {
      for (Map.Entry<String, JdbcEndpoint> t : tenants.entrySet()) {
        checks.add(check(t.getKey(), t.getValue(), target));
      }
    }
    dropSlots(tenants);
    return new SizeResult(
        rows,
        tenants.size(),
        baseSeconds,
        baseLoad,
        baseStatus,
        writerStats,
        passes,
        lag,
        cutovers,
        checks,
        failure);
  }

  /**
   * The sources: the first generated, the others copied from it as a template (after dropping the
   * slots an earlier run may have left in them, which would block the copy).
   */
  private Map<String, JdbcEndpoint> generate(long rows) throws SQLException {
    Map<String, JdbcEndpoint> tenants = new LinkedHashMap<>();
    String first = null;
    for (int i = 1; i <= options.tenants(); i++) {
      String tenantId = String.format("tenant_%02d", i);
      tenants.put(tenantId, server.endpoint(DATABASE_PREFIX + tenantId));
    }
    dropSlots(tenants);
    for (Map.Entry<String, JdbcEndpoint> t : tenants.entrySet()) {
      String database = DATABASE_PREFIX + t.getKey();
      server.recreateDatabase(database, first);
      if (first == null) {
        LOG.info("Generating {} rows in {}", rows, database);
        OrdersDataset.createSource(t.getValue(), rows);
        first = database;
      }
    }
    return tenants;
  }

  /** Drops the replication slots left in the tenants' databases (a failed run's). */
  private void dropSlots(Map<String, JdbcEndpoint> tenants) throws SQLException {
    try (Connection conn =
            server.endpoint(maintenanceDatabase()).connect("tenantfold-bench-admin");
        PreparedStatement ps =
            conn.prepareStatement(
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE"
                    + " database = ANY (?) AND NOT active")) {
      conn.setAutoCommit(true);
      ps.setArray(
          1,
          conn.createArrayOf(
              "text",
              tenants.keySet().stream().map(id -> DATABASE_PREFIX + id).toArray(String[]::new)));
      ps.execute();
    }
  }

  private String maintenanceDatabase() {
    return server.maintenanceDatabase();
  }

  private TenantfoldConfig config(Map<String, JdbcEndpoint> tenants, JdbcEndpoint target)
      throws java.io.IOException {
    List<Object> tenantList = new ArrayList<>();
    tenants.forEach(
        (id, source) ->
            tenantList.add(
                Map.of(
                    "id",
                    id,
                    "jdbc",
                    Benchmark.credentials(source),
                    "catch-up",
                    Map.of("mode", "logical"))));
    Config config =
        ConfigFactory.empty()
            .withValue("tenantfold.tenants", ConfigValueFactory.fromIterable(tenantList))
            .withValue(
                "tenantfold.tenant-column",
                ConfigValueFactory.fromAnyRef(OrdersDataset.TENANT_COLUMN))
            .withValue("tenantfold.spark.master", ConfigValueFactory.fromAnyRef("local[2]"))
            .withValue(
                "tenantfold.report.dir",
                ConfigValueFactory.fromAnyRef(
                    Files.createTempDirectory("tenantfold-bench-reports").toString()));
    for (Map.Entry<String, Object> e : Benchmark.credentials(target).entrySet()) {
      config =
          config.withValue(
              "tenantfold.target." + e.getKey(), ConfigValueFactory.fromAnyRef(e.getValue()));
    }
    for (String override : options.tenantfoldOverrides()) {
      int eq = override.indexOf('=');
      if (eq <= 0) {
        throw new ConfigError(
            "Cannot parse --set '" + override + "': expected key=value, e.g. --set a.b=1");
      }
      String key = override.substring(0, eq).trim();
      config =
          config.withValue(
              key.startsWith(TenantfoldConfig.ROOT + ".") ? key : TenantfoldConfig.ROOT + "." + key,
              ConfigValueFactory.fromAnyRef(override.substring(eq + 1)));
    }
    return TenantfoldConfig.fromConfig(config);
  }

  private static Map<String, String> slots(TenantfoldConfig config) {
    Map<String, String> out = new LinkedHashMap<>();
    config.tenants().forEach(t -> out.put(t.id(), t.catchUp().slot()));
    return out;
  }

  private static TenantCatchUp catchUpOf(TenantfoldConfig config, TenantConfig tenant) {
    return new TenantCatchUp(
        tenant.forCatchUp(),
        config.target().endpoint(),
        config.target().reportSchema(),
        config.target().schemas(),
        config.tenantColumn(),
        CatchUpRules.of(config, tenant.id(), Set.of()));
  }

  private static Cutover cutoverOf(TenantfoldConfig config, TenantConfig tenant) {
    return new Cutover(
        tenant.forCatchUp(),
        config.target().endpoint(),
        config.target().reportSchema(),
        config.target().schemas(),
        config.tenantColumn(),
        CatchUpRules.of(config, tenant.id(), Set.of()));
  }

  /** Count and checksum of the tenant's orders on both sides (every column, as text). */
  private static Check check(String tenant, JdbcEndpoint source, JdbcEndpoint target)
      throws SQLException {
    String row = "ROW(" + String.join(", ", OrdersDataset.COLUMNS) + ")::text";
    String select = "SELECT count(*), coalesce(sum(hashtext(" + row + ")::bigint), 0) FROM ";
    long[] s = countAndSum(source, select + OrdersDataset.TABLE, null);
    long[] t =
        countAndSum(
            target,
            select + OrdersDataset.TABLE + " WHERE " + OrdersDataset.TENANT_COLUMN + " = ?",
            tenant);
    return new Check(tenant, s[0], t[0], s[1], t[1]);
  }

  private static long[] countAndSum(JdbcEndpoint db, String sql, String tenant)
      throws SQLException {
    try (Connection conn = db.connect("tenantfold-bench-check");
        PreparedStatement ps = conn.prepareStatement(sql)) {
      if (tenant != null) {
        ps.setString(1, tenant);
      }
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return new long[] {rs.getLong(1), rs.getLong(2)};
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The writer

  /**
   * Transactions of 1 to 5 rows at a steady rate, spread evenly over the tenants: 40% inserts of
   * new ids, 40% updates and 20% deletes of ids among the first {@link #HOT_KEYS}. The i-th
   * transaction is due at start + i / rate; {@link #WRITER_THREADS} threads take them in turn, so a
   * slow commit does not hold the others (when all are slow the writer falls behind, and its
   * achieved rate says so).
   */
  static final class Writer implements AutoCloseable {
    private final List<String> tenantIds;
    private final Map<String, JdbcEndpoint> tenants;
    private final long hotKeys;
    private final double rate;
    private final AtomicLong next = new AtomicLong();
    private final AtomicLong committed = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final Map<String, AtomicLong> nextId = new LinkedHashMap<>();
    private final Map<String, AtomicLong> changes = new LinkedHashMap<>();
    private final Map<String, AtomicLong> tenantTransactions = new LinkedHashMap<>();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicReference<Throwable> error = new AtomicReference<>();
    private final List<Thread> threads = new ArrayList<>();
    private final long start = System.nanoTime();
    private volatile long stopped;

    private Writer(Map<String, JdbcEndpoint> tenants, long rows, int rate) {
      this.tenants = tenants;
      this.tenantIds = List.copyOf(tenants.keySet());
      this.hotKeys = Math.min(rows, HOT_KEYS);
      this.rate = rate;
      for (String id : tenantIds) {
        nextId.put(id, new AtomicLong(rows + 1));
        changes.put(id, new AtomicLong());
        tenantTransactions.put(id, new AtomicLong());
      }
    }

    static Writer start(Map<String, JdbcEndpoint> tenants, long rows, int rate) {
      Writer writer = new Writer(tenants, rows, rate);
      for (int i = 0; i < WRITER_THREADS; i++) {
        Thread t = new Thread(writer::work, "bench-writer-" + i);
        t.setDaemon(true);
        writer.threads.add(t);
        t.start();
      }
      return writer;
    }

    double seconds() {
      return ((stopped != 0 ? stopped : System.nanoTime()) - start) / 1e9;
    }

    private void work() {
      Map<String, Connection> conns = new LinkedHashMap<>();
      try {
        while (!stop.get()) {
          long i = next.getAndIncrement();
          long due = start + (long) (i * 1e9 / rate);
          long wait = due - System.nanoTime();
          if (wait > 0) {
            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
          }
          if (stop.get()) {
            break;
          }
          String tenant = tenantIds.get((int) (i % tenantIds.size()));
          Connection conn = conns.get(tenant);
          if (conn == null) {
            conn = tenants.get(tenant).connect("tenantfold-bench-writer");
            conn.setAutoCommit(false);
            conns.put(tenant, conn);
          }
          try {
            long changed = transaction(conn, tenant);
            conn.commit();
            committed.incrementAndGet();
            changes.get(tenant).addAndGet(changed);
            tenantTransactions.get(tenant).incrementAndGet();
          } catch (SQLException e) {
            // Two transactions updating the same hot rows in opposite orders: one deadlocks.
            conn.rollback();
            failed.incrementAndGet();
          }
        }
      } catch (Throwable e) {
        error.compareAndSet(null, e);
      } finally {
        for (Connection c : conns.values()) {
          try {
            c.close();
          } catch (SQLException ignored) {
            // Closing.
          }
        }
      }
    }

    private long transaction(Connection conn, String tenant) throws SQLException {
      ThreadLocalRandom random = ThreadLocalRandom.current();
      int rows = 1 + random.nextInt(5);
      long changed = 0;
      try (Statement st = conn.createStatement()) {
        for (int r = 0; r < rows; r++) {
          int op = random.nextInt(10);
          if (op < 4) {
            long id = nextId.get(tenant).getAndIncrement();
            changed +=
                st.executeUpdate(
                    "INSERT INTO orders VALUES ("
                        + id
                        + ", "
                        + (1 + random.nextInt(100_000))
                        + ", 'new', 'EUR', "
                        + random.nextInt(100_000)
                        + ".25, "
                        + (1 + random.nextInt(20))
                        + ", 1.5, now(), current_date, false, 'written during catch-up',"
                        + " md5('"
                        + tenant
                        + id
                        + "')::uuid)");
          } else if (op < 8) {
            changed +=
                st.executeUpdate(
                    "UPDATE orders SET status = 'paid', total = coalesce(total, 0) + 1, quantity"
                        + " = quantity % 20 + 1 WHERE id = "
                        + (1 + random.nextLong(hotKeys)));
          } else {
            changed +=
                st.executeUpdate("DELETE FROM orders WHERE id = " + (1 + random.nextLong(hotKeys)));
          }
        }
      }
      return changed;
    }

    WriterStats stop() throws InterruptedException {
      if (stopped == 0) {
        stop.set(true);
        for (Thread t : threads) {
          t.join();
        }
        stopped = System.nanoTime();
      }
      if (error.get() != null) {
        throw new IllegalStateException(
            "The benchmark's writer failed: " + error.get().getMessage(), error.get());
      }
      Map<String, Long> perTenant = new LinkedHashMap<>();
      changes.forEach((k, v) -> perTenant.put(k, v.get()));
      Map<String, Long> txPerTenant = new LinkedHashMap<>();
      tenantTransactions.forEach((k, v) -> txPerTenant.put(k, v.get()));
      return new WriterStats(committed.get(), failed.get(), perTenant, txPerTenant, seconds());
    }

    @Override
    public void close() throws InterruptedException {
      stop.set(true);
      for (Thread t : threads) {
        t.join();
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Lag over time

  /** One tenant's lag at one instant: WAL bytes its slot holds past its confirmed position. */
  record TenantLag(long bytes, double seconds) {}

  /** The lag of every tenant at one instant, with the phase and the load average. */
  record LagSample(double atSeconds, String phase, double load, Map<String, TenantLag> tenants) {}

  /**
   * Samples every second, for each tenant's slot, the lag in bytes (the server's WAL position minus
   * the slot's confirmed position, as {@code catch-up} prints it) and in seconds: how long ago the
   * server's WAL position passed the slot's confirmed position, from a clock of the WAL position
   * read every 250 ms (the oldest change not applied is at least that old and at most 250 ms
   * older). The sources share one server here, so the WAL counts the target's writes too, as
   * docs/catch-up.md says of the bytes.
   */
  static final class LagSampler implements AutoCloseable {
    private static final long TICK_MILLIS = 250;
    private final JdbcEndpoint source;
    private final Map<String, String> slots;
    private final long start = System.nanoTime();
    private final List<long[]> clock = new ArrayList<>();
    private final List<LagSample> samples = new CopyOnWriteArrayList<>();
    private final AtomicBoolean stop = new AtomicBoolean();
    private volatile String phase = "";

    /** The phase of the latest sample. */
    private String sampledPhase;

    private final Thread thread;
    private final String targetDatabase;
    private final boolean local;

    /** The pass under way (label, tenant), null between passes. */
    private volatile String[] passing;

    /** Per server process seen during a pass: its pass label, role, last CPU ticks. */
    private final Map<Integer, Object[]> processes = new java.util.concurrent.ConcurrentHashMap<>();

    private LagSampler(
        JdbcEndpoint source, Map<String, String> slots, String targetDatabase, boolean local) {
      this.source = source;
      this.slots = slots;
      this.targetDatabase = targetDatabase;
      this.local = local;
      this.thread = new Thread(this::sample, "bench-lag-sampler");
      thread.setDaemon(true);
    }

    static LagSampler start(
        JdbcEndpoint source, Map<String, String> slots, String targetDatabase, boolean local) {
      LagSampler sampler = new LagSampler(source, slots, targetDatabase, local);
      sampler.thread.start();
      return sampler;
    }

    /**
     * The run enters {@code phase}; returns once the sampler has recorded a sample of it, so every
     * phase has one, however short (a catch-up pass may end within the second between samples).
     */
    void phase(String phase) {
      this.phase = phase;
      synchronized (this) {
        while (!phase.equals(sampledPhase) && thread.isAlive() && !stop.get()) {
          try {
            wait(TICK_MILLIS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
          }
        }
      }
    }

    /** A catch-up pass of {@code tenant} starts ({@code label}), or ends (nulls). */
    void passing(String label, String tenant) {
      if (label == null) {
        String[] was = passing;
        passing = null;
        if (was != null) {
          // The processes end with the pass: read them once more (those gone keep their last).
          readCpu(was[0]);
        }
      } else {
        passing = new String[] {label, tenant};
      }
    }

    /**
     * The CPU the server spent on pass {@code label}, as last read (at most one tick, 250 ms, of
     * each process's CPU is missed); null when the server is not local.
     */
    ServerCpu serverCpu(String label) {
      if (!local) {
        return null;
      }
      double ticks = clockTicks();
      double walsender = 0;
      double applier = 0;
      for (Object[] p : processes.values()) {
        if (label.equals(p[0])) {
          if ("walsender".equals(p[1])) {
            walsender += (Long) p[2] / ticks;
          } else {
            applier += (Long) p[2] / ticks;
          }
        }
      }
      return new ServerCpu(walsender, applier);
    }

    private static double clockTicks() {
      return 100.0; // USER_HZ on Linux
    }

    /** Finds the pass's walsender and target backend and reads their CPU ticks. */
    private void trackPass(Connection conn) throws SQLException {
      String[] now = passing;
      if (now == null || !local) {
        return;
      }
      try (PreparedStatement ps =
          conn.prepareStatement(
              "SELECT active_pid, 'walsender' FROM pg_replication_slots WHERE slot_name = ? AND"
                  + " active_pid IS NOT NULL UNION ALL SELECT pid, 'applier' FROM"
                  + " pg_stat_activity WHERE datname = ? AND application_name = ?")) {
        ps.setString(1, slots.get(now[1]));
        ps.setString(2, targetDatabase);
        ps.setString(3, "tenantfold-catchup-" + now[1]);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            processes.putIfAbsent(rs.getInt(1), new Object[] {now[0], rs.getString(2), 0L});
          }
        }
      }
      readCpu(now[0]);
    }

    private void readCpu(String label) {
      for (Map.Entry<Integer, Object[]> p : processes.entrySet()) {
        if (!label.equals(p.getValue()[0])) {
          continue;
        }
        try {
          String stat = Files.readString(Path.of("/proc/" + p.getKey() + "/stat"));
          String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          // Fields 14 and 15 of stat (utime, stime) are 12 and 13 after the command's ")".
          p.getValue()[2] = Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (java.io.IOException | RuntimeException gone) {
          // The process ended: its last reading stands.
        }
      }
    }

    private void sample() {
      try (Connection conn = source.connect("tenantfold-bench-lag")) {
        conn.setAutoCommit(true);
        int tick = 0;
        while (!stop.get()) {
          long now = System.nanoTime();
          long position = lsn(conn, "SELECT pg_current_wal_lsn()::text");
          clock.add(new long[] {now, position});
          trackPass(conn);
          String current = phase;
          boolean entered;
          synchronized (this) {
            entered = !current.equals(sampledPhase);
          }
          if (tick++ % (1000 / TICK_MILLIS) == 0 || entered) {
            Map<String, TenantLag> lag = new LinkedHashMap<>();
            for (Map.Entry<String, String> slot : slots.entrySet()) {
              long confirmed = confirmed(conn, slot.getValue());
              lag.put(
                  slot.getKey(),
                  confirmed < 0
                      ? null
                      : new TenantLag(Math.max(0, position - confirmed), secondsBehind(confirmed)));
            }
            samples.add(
                new LagSample((now - start) / 1e9, current, MachineInfo.loadAverage(), lag));
            synchronized (this) {
              sampledPhase = current;
              notifyAll();
            }
          }
          Thread.sleep(TICK_MILLIS);
        }
      } catch (SQLException | InterruptedException e) {
        LOG.warn("Lag sampler stopped: {}", e.getMessage());
      }
    }

    /** Seconds since the WAL position passed {@code confirmed}: 0 when nothing is past it. */
    private double secondsBehind(long confirmed) {
      long[] last = clock.get(clock.size() - 1);
      if (confirmed >= last[1]) {
        return 0;
      }
      for (int i = clock.size() - 1; i >= 0; i--) {
        if (clock.get(i)[1] <= confirmed) {
          // Past it after sample i: the oldest change not applied was written after that.
          long passed = i + 1 < clock.size() ? clock.get(i + 1)[0] : last[0];
          return (last[0] - passed) / 1e9;
        }
      }
      return (last[0] - clock.get(0)[0]) / 1e9;
    }

    private static long confirmed(Connection conn, String slot) throws SQLException {
      try (PreparedStatement ps =
          conn.prepareStatement(
              "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = ?")) {
        ps.setString(1, slot);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() && rs.getString(1) != null ? parseLsn(rs.getString(1)) : -1;
        }
      }
    }

    private static long lsn(Connection conn, String sql) throws SQLException {
      try (Statement st = conn.createStatement();
          ResultSet rs = st.executeQuery(sql)) {
        rs.next();
        return parseLsn(rs.getString(1));
      }
    }

    static long parseLsn(String text) {
      int slash = text.indexOf('/');
      return (Long.parseLong(text.substring(0, slash), 16) << 32)
          | Long.parseLong(text.substring(slash + 1), 16);
    }

    List<LagSample> stop() throws InterruptedException {
      stop.set(true);
      thread.join();
      return List.copyOf(samples);
    }

    @Override
    public void close() throws InterruptedException {
      stop();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Markdown

  private void markdown(
      StringBuilder md, String command, List<SizeResult> results, double loadAtStart)
      throws SQLException {
    MachineInfo machine = MachineInfo.current();
    line(
        md,
        "### Catch-up and cutover: %d tenants, %s rows each, writer %,d transactions/s",
        options.tenants(),
        String.join(
            " and ",
            results.stream().map(r -> String.format(Locale.ROOT, "%,d", r.rows())).toList()),
        settings.writerRate());
    md.append('\n');
    line(md, "- Command: `%s`", command);
    line(
        md,
        "- Machine: %d cores, %s, %.1f GiB RAM; %s; load average %.1f at the start, %.1f at the"
            + " end",
        machine.cores(),
        machine.cpuModel(),
        machine.memoryBytes() / (1024.0 * 1024 * 1024),
        machine.javaVersion(),
        loadAtStart,
        MachineInfo.loadAverage());
    line(
        md,
        "- PostgreSQL: %s, %s; wal_level %s (sources and target on this one server)",
        server.description(),
        server.version(),
        server.settings().get("wal_level"));
    line(
        md,
        "- Writer: %d threads, %,d transactions/s due, 1 to 5 rows each (40%% inserts, 40%%"
            + " updates, 20%% deletes of ids 1 to %,d), spread evenly over the tenants, from before"
            + " the base copy for at least %d s; then each tenant is cut over in turn",
        WRITER_THREADS,
        settings.writerRate(),
        HOT_KEYS,
        settings.writerSeconds());
    md.append('\n');

    md.append(
        "| rows per tenant | base copy (s) | writer achieved (transactions/s; changes/s) | backlog"
            + " drain, pass 1 (changes/s per tenant: median, min) | drain vs the writer's rate into"
            + " the tenant (min) | pass 1, all tenants in turn (changes/s; vs the writer's total) |"
            + " CPU per change, pass 1 (us: walsender + target backend + JVM) | freeze window (s:"
            + " max, per tenant) | keys compared per tenant (max) | target = source |\n"
            + "|---:|---:|---|---|---:|---|---|---|---:|---|\n");
    for (SizeResult r : results) {
      List<Double> drain =
          r.firstPasses().stream().map(p -> p.result().changesPerSecond()).sorted().toList();
      line(
          md,
          "| %,d | %.1f (load %.1f) | %s | %s | %s | %s | %s | %s | %s | %s |",
          r.rows(),
          r.baseSeconds(),
          r.baseLoad(),
          r.writer() == null
              ? "-"
              : String.format(
                  Locale.ROOT,
                  "%,.0f; %,.0f",
                  r.writer().rate(),
                  r.writer().totalChanges() / r.writer().seconds()),
          drain.isEmpty()
              ? "-"
              : String.format(
                  Locale.ROOT, "%,.0f, %,.0f", drain.get((drain.size() - 1) / 2), drain.get(0)),
          ratio(r).isNaN() ? "-" : String.format(Locale.ROOT, "%.1fx", ratio(r)),
          inTurn(r),
          cpuPerChange(r.firstPasses()),
          r.cutovers().isEmpty()
              ? "-"
              : String.format(
                  Locale.ROOT,
                  "%.1f (%s)",
                  r.maxFreezeSeconds(),
                  String.join(
                      ", ",
                      r.cutovers().values().stream()
                          .map(
                              c ->
                                  String.format(
                                      Locale.ROOT, "%.1f", c.result().freezeMillis() / 1000.0))
                          .toList())),
          r.cutovers().values().stream().mapToLong(c -> c.result().keysChecked()).max().stream()
              .mapToObj(k -> String.format(Locale.ROOT, "%,d", k))
              .findFirst()
              .orElse("-"),
          r.correct() ? "yes" : "**NO**");
    }
    md.append('\n');
    boolean freezeMet =
        results.stream()
            .allMatch(r -> !r.cutovers().isEmpty() && r.maxFreezeSeconds() <= FREEZE_GOAL_SECONDS);
    boolean drainMet = results.stream().allMatch(r -> ratio(r) >= DRAIN_GOAL_RATIO);
    line(
        md,
        "Goals: freeze window <= %.0f s per tenant: %s; backlog drained at >= %.0fx the writer's"
            + " rate into each tenant: %s.",
        FREEZE_GOAL_SECONDS,
        freezeMet ? "met" : "**missed**",
        DRAIN_GOAL_RATIO,
        drainMet ? "met" : "**missed**");
    for (SizeResult r : results) {
      md.append('\n');
      sizeDetail(md, r);
    }
  }

  /**
   * The smallest ratio over the tenants of the first pass's drain rate to the writer's rate of
   * changes into that tenant.
   */
  private static Double ratio(SizeResult r) {
    if (r.writer() == null || r.firstPasses().isEmpty()) {
      return Double.NaN;
    }
    return r.firstPasses().stream()
        .mapToDouble(
            p ->
                p.result().changesPerSecond()
                    / Math.max(1e-9, r.writer().changesPerSecond(p.result().tenantId())))
        .min()
        .orElse(Double.NaN);
  }

  /**
   * Pass 1 over all tenants, one after the other as one {@code catch-up} runs them: their changes
   * over their summed time, and that against the writer's changes/s over all tenants.
   */
  private static String inTurn(SizeResult r) {
    List<Pass> first = r.firstPasses();
    long changes = first.stream().mapToLong(p -> p.result().totalChanges()).sum();
    long millis = first.stream().mapToLong(p -> p.result().millis()).sum();
    if (millis == 0 || r.writer() == null) {
      return "-";
    }
    double rate = changes * 1000.0 / millis;
    return String.format(
        Locale.ROOT,
        "%,.0f; %.1fx",
        rate,
        rate / (r.writer().totalChanges() / r.writer().seconds()));
  }

  /** CPU microseconds per applied change over {@code passes}: walsender + backend + JVM. */
  private static String cpuPerChange(List<Pass> passes) {
    long changes = passes.stream().mapToLong(p -> p.result().totalChanges()).sum();
    if (changes == 0) {
      return "-";
    }
    double jvm = passes.stream().mapToLong(Pass::cpuNanos).sum() / 1e3 / changes;
    if (passes.stream().anyMatch(p -> p.serverCpu() == null)) {
      return String.format(Locale.ROOT, "- + - + %.0f (server not local)", jvm);
    }
    double walsender =
        passes.stream().mapToDouble(p -> p.serverCpu().walsenderSeconds()).sum() * 1e6 / changes;
    double applier =
        passes.stream().mapToDouble(p -> p.serverCpu().applierSeconds()).sum() * 1e6 / changes;
    return String.format(
        Locale.ROOT,
        "%.0f + %.0f + %.0f = %.0f",
        walsender,
        applier,
        jvm,
        walsender + applier + jvm);
  }

  private void sizeDetail(StringBuilder md, SizeResult r) {
    line(md, "#### %d tenants x %,d rows", r.tenants(), r.rows());
    md.append('\n');
    if (r.failure() != null) {
      line(md, "**FAILED**: %s", r.failure());
      md.append('\n');
    }
    line(md, "Base copy (`tenantfold run`, catch-up logical): %s.", r.baseStatus());
    if (r.writer() != null) {
      WriterStats w = r.writer();
      line(
          md,
          "Writer: %,d transactions committed in %.1f s (%,.0f/s), %,d rows changed (%,.0f/s), %,d"
              + " rolled back (deadlocks between its own threads).",
          w.transactions(),
          w.seconds(),
          w.rate(),
          w.totalChanges(),
          w.totalChanges() / w.seconds(),
          w.failed());
    }
    md.append('\n');
    md.append(
        "| pass | tenant | transactions | changes | seconds | changes/s | writer's changes/s into"
            + " the tenant | ratio | CPU s: walsender (decoding) | CPU s: target backend"
            + " (applying) | CPU s: JVM (catch-up thread) | load average |\n"
            + "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    int passes = r.passes().stream().mapToInt(Pass::number).max().orElse(0);
    for (Pass p : r.passes()) {
      boolean shown = p.number() <= 2 || p.number() == passes;
      if (!shown) {
        continue;
      }
      double writerRate =
          r.writer() == null ? 0 : r.writer().changesPerSecond(p.result().tenantId());
      line(
          md,
          "| %d | %s | %,d | %,d | %.1f | %,.0f | %,.0f | %s | %s | %s | %.1f | %.1f |",
          p.number(),
          p.result().tenantId(),
          p.result().transactions(),
          p.result().totalChanges(),
          p.result().millis() / 1000.0,
          p.result().changesPerSecond(),
          writerRate,
          writerRate <= 0
              ? "-"
              : String.format(Locale.ROOT, "%.1fx", p.result().changesPerSecond() / writerRate),
          p.serverCpu() == null
              ? "-"
              : String.format(Locale.ROOT, "%.1f", p.serverCpu().walsenderSeconds()),
          p.serverCpu() == null
              ? "-"
              : String.format(Locale.ROOT, "%.1f", p.serverCpu().applierSeconds()),
          p.cpuNanos() / 1e9,
          p.load());
    }
    if (passes > 3) {
      line(md, "\n(passes 3 to %d not shown: %d passes in all)", passes - 1, passes);
    }
    md.append('\n');
    if (!r.cutovers().isEmpty()) {
      md.append(
          "| tenant | cutover verdict | freeze window (s) | keys compared | changes drained |"
              + " load average |\n"
              + "|---|---|---:|---:|---:|---:|\n");
      for (CutoverRun c : r.cutovers().values()) {
        CutoverResult res = c.result();
        line(
            md,
            "| %s | %s | %.1f | %,d | %,d | %.1f |",
            res.tenantId(),
            res.verdict(),
            res.freezeMillis() / 1000.0,
            res.keysChecked(),
            res.drain().map(CatchUpResult::totalChanges).orElse(0L),
            c.load());
      }
      md.append('\n');
    }
    if (!r.checks().isEmpty()) {
      md.append("| tenant | source rows | target rows | checksums equal |\n|---|---:|---:|---|\n");
      for (Check c : r.checks()) {
        line(
            md,
            "| %s | %,d | %,d | %s |",
            c.tenant(),
            c.sourceRows(),
            c.targetRows(),
            c.sourceSum() == c.targetSum() ? "yes" : "**NO**");
      }
      md.append('\n');
    }
    lagSeries(md, r);
  }

  /** The lag series: at most about 40 rows (every k-th sample), the last always shown. */
  private void lagSeries(StringBuilder md, SizeResult r) {
    List<LagSample> lag = r.lag();
    if (lag.isEmpty()) {
      return;
    }
    List<String> ids = List.copyOf(lag.get(lag.size() - 1).tenants().keySet());
    md.append("Lag over time (bytes of WAL past the slot's confirmed position; seconds since the");
    md.append(
        " server's WAL passed it), sampled every second and as each phase starts:\n\n"
            + "| t (s) | phase | load |");
    ids.forEach(id -> md.append(' ').append(id).append(" |"));
    md.append("\n|---:|---|---:|");
    ids.forEach(id -> md.append("---:|"));
    md.append('\n');
    int every = Math.max(1, (lag.size() + 39) / 40);
    String lastPhase = null;
    for (int i = 0; i < lag.size(); i++) {
      LagSample s = lag.get(i);
      boolean phaseChanged = !s.phase().equals(lastPhase);
      lastPhase = s.phase();
      if (i % every != 0 && i != lag.size() - 1 && !phaseChanged) {
        continue;
      }
      md.append(
          String.format(Locale.ROOT, "| %.0f | %s | %.1f |", s.atSeconds(), s.phase(), s.load()));
      for (String id : ids) {
        TenantLag t = s.tenants().get(id);
        md.append(
            t == null
                ? " - |"
                : String.format(Locale.ROOT, " %s, %.1f s |", bytes(t.bytes()), t.seconds()));
      }
      md.append('\n');
    }
    md.append('\n');
  }

  private static String bytes(long bytes) {
    return bytes >= 1 << 20
        ? String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024))
        : String.format(Locale.ROOT, "%.0f KiB", bytes / 1024.0);
  }

  private static void line(StringBuilder md, String format, Object... args) {
    md.append(String.format(Locale.ROOT, format, args)).append('\n');
  }
}
