package dev.tenantfold.job;

import dev.tenantfold.aws.DbInstance;
import dev.tenantfold.aws.RdsControlPlane;
import dev.tenantfold.aws.RestoredCopy;
import dev.tenantfold.aws.SdkRdsControlPlane;
import dev.tenantfold.catchup.SlotStart;
import dev.tenantfold.catchup.SourcePrerequisites;
import dev.tenantfold.config.JdbcAuth;
import dev.tenantfold.config.RestoreConfig;
import dev.tenantfold.config.TenantConfig;
import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.extract.CatalogReader;
import dev.tenantfold.extract.TableSpec;
import dev.tenantfold.extract.TenantCatalog;
import dev.tenantfold.jdbc.Redaction;
import dev.tenantfold.report.ReportStore;
import dev.tenantfold.report.SourceInfo;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The restore stage of a run: for every tenant with a {@code restore} block, restore a temporary
 * copy tagged with the run and the tenant, and wait until it is available. All restores start at
 * once when the run starts ({@link #start}) and proceed while the run plans and other tenants
 * extract, validate and publish: each restored tenant waits for its own copy ({@link #await}) and
 * then reads the copy's endpoint with its own jdbc settings. Copies are deleted as soon as their
 * tenant is done ({@link #deleteCopy}), and {@link #close()} deletes whatever is left, whatever
 * happened (success, validation failure, error); copies of runs whose driver died are deleted by
 * {@link #sweep}.
 */
final class RestoreStage implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RestoreStage.class);
  private final TenantfoldConfig config;
  private final String runId;
  private final Supplier<RdsControlPlane> planes;
  private RdsControlPlane rds;

  /**
   * Copies asked for, by tenant: registered before the restore call, so an ambiguous failure still
   * deletes.
   */
  private final Map<String, String> requested = new ConcurrentHashMap<>();

  private final Map<String, Long> deleteMillis = new ConcurrentHashMap<>();

  /** The restores under way or done, by tenant, and when each started. */
  private final Map<String, Future<Restored>> restoring = new ConcurrentHashMap<>();

  private final Map<String, Long> startedNanos = new ConcurrentHashMap<>();
  private final Map<String, CopyOutcome> outcomes = new ConcurrentHashMap<>();
  private ExecutorService pool;

  /**
   * Deletes the copies when the driver is stopped (SIGTERM, YARN kill) before {@link #close()}; a
   * SIGKILL leaves them to the sweep.
   */
  private final Thread onShutdown = new Thread(this::deleteCopies, "tenantfold-delete-copies");

  private boolean hooked;

  RestoreStage(TenantfoldConfig config, String runId) {
    this(config, runId, () -> SdkRdsControlPlane.of(config.aws()));
  }

  RestoreStage(TenantfoldConfig config, String runId, Supplier<RdsControlPlane> planes) {
    this.config = config;
    this.runId = runId;
    this.planes = planes;
  }

  /**
   * What waiting for a tenant's copy gave: the tenant reading the copy and the copy, or why there
   * is no copy to read; and the restore stage's time (from the restore call until available or
   * failed).
   */
  record CopyOutcome(
      Optional<TenantConfig> reading,
      Optional<RestoredCopy> copy,
      Optional<String> failure,
      long millis,
      Optional<SlotStart.SlotAhead> slot) {
    static CopyOutcome available(
        TenantConfig reading, RestoredCopy copy, long millis, Optional<SlotStart.SlotAhead> slot) {
      return new CopyOutcome(
          Optional.of(reading), Optional.of(copy), Optional.empty(), millis, slot);
    }

    static CopyOutcome failed(String message, long millis) {
      return new CopyOutcome(
          Optional.empty(), Optional.empty(), Optional.of(message), millis, Optional.empty());
    }

    /** Where the tenant was read from, when it was a copy. */
    Optional<SourceInfo> source() {
      return copy.map(c -> new SourceInfo("copy", c.describe(), Optional.of(c.pointInTime())));
    }
  }

  static boolean needed(TenantfoldConfig config) {
    return config.tenants().stream().anyMatch(t -> t.source().restoredFrom().isPresent());
  }

  private synchronized RdsControlPlane rds() {
    if (rds == null) {
      rds = planes.get();
    }
    return rds;
  }

  /**
   * Starts restoring the copies of {@code tenants} that have a restore block, all at once; returns
   * without waiting.
   */
  synchronized void start(List<TenantConfig> tenants) {
    List<TenantConfig> restores =
        tenants.stream().filter(t -> t.source().restoredFrom().isPresent()).toList();
    if (restores.isEmpty()) {
      return;
    }
    if (!hooked) {
      Runtime.getRuntime().addShutdownHook(onShutdown);
      hooked = true;
    }
    pool =
        Executors.newFixedThreadPool(
            restores.size(),
            r -> {
              Thread t = new Thread(r, "tenantfold-restore");
              t.setDaemon(true);
              return t;
            });
    for (TenantConfig tenant : restores) {
      startedNanos.put(tenant.id(), System.nanoTime());
      restoring.put(tenant.id(), pool.submit(() -> restoreOne(tenant)));
    }
  }

  /** Whether {@code tenantId} reads a copy this stage restores. */
  boolean restores(String tenantId) {
    return restoring.containsKey(tenantId);
  }

  /**
   * Waits until the tenant's copy is available (or its restore failed or timed out); the outcome is
   * kept for the report.
   */
  CopyOutcome await(String tenantId) {
    CopyOutcome known = outcomes.get(tenantId);
    if (known != null) {
      return known;
    }
    TenantConfig tenant =
        config.tenants().stream().filter(t -> t.id().equals(tenantId)).findFirst().orElseThrow();
    CopyOutcome outcome;
    try {
      Restored r = restoring.get(tenantId).get();
      outcome = CopyOutcome.available(r.tenant(), r.copy(), r.millis(), r.slot());
    } catch (ExecutionException e) {
      String message =
          "Cannot restore a copy of tenant "
              + tenantId
              + " from instance "
              + tenant.source().restoredFrom().orElseThrow().sourceInstance()
              + ": "
              + Redaction.sqlMessage(e.getCause(), config.secrets());
      LOG.error(message);
      outcome = CopyOutcome.failed(message, millisSince(startedNanos.get(tenantId)));
    } catch (CancellationException e) {
      outcome =
          CopyOutcome.failed(
              "Cannot restore a copy of tenant " + tenantId + ": the run stopped waiting for it",
              millisSince(startedNanos.get(tenantId)));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return CopyOutcome.failed(
          "Interrupted while restoring a copy of tenant " + tenantId,
          millisSince(startedNanos.get(tenantId)));
    }
    outcomes.put(tenantId, outcome);
    return outcome;
  }

  /** The restore stage's outcome of a tenant that waited for its copy. */
  Optional<CopyOutcome> outcome(String tenantId) {
    return Optional.ofNullable(outcomes.get(tenantId));
  }

  /**
   * Stops restoring a copy no tenant will read (its tenant failed before reading) and deletes it.
   */
  void abandon(String tenantId) {
    Future<Restored> future = restoring.get(tenantId);
    if (future != null) {
      future.cancel(true);
      if (future.isDone() && !future.isCancelled()) {
        // Restored before the tenant was abandoned: its slot on production has no reader.
        try {
          Restored done = future.get();
          done.slot().ifPresent(s -> SlotStart.dropAhead(done.tenant()));
        } catch (ExecutionException e) {
          // Its restore failed: it dropped its own slot.
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      deleteCopy(tenantId);
    }
  }

  private record Restored(
      TenantConfig tenant, RestoredCopy copy, long millis, Optional<SlotStart.SlotAhead> slot) {}

  private Restored restoreOne(TenantConfig tenant) throws SQLException {
    long start = System.nanoTime();
    RestoreConfig restore = tenant.source().restoredFrom().orElseThrow();
    String copyId = copyId(tenant.id(), runId);
    Map<String, String> tags = new LinkedHashMap<>();
    tags.put(RdsControlPlane.RUN_TAG, runId);
    tags.put(RdsControlPlane.TENANT_TAG, tenant.id());
    tags.put(RdsControlPlane.KEEP_TAG, String.valueOf(restore.keep()));
    requested.put(tenant.id(), copyId);
    LOG.info(
        "Restoring copy {} of instance {} for tenant {} ({})",
        copyId,
        restore.sourceInstance(),
        tenant.id(),
        restore.from());
    boolean iam =
        JdbcAuth.IAM_PLUGIN.equals(tenant.jdbc().properties().get(JdbcAuth.PLUGIN_PROPERTY));
    Optional<SlotStart.SlotAhead> slot = Optional.empty();
    RestoredCopy copy;
    DbInstance available;
    try {
      if (tenant.catchUp().logical()) {
        // Catch-up: the slot is made on production first, and the copy restored to a later point,
        // so the copy holds every transaction the slot does not stream (docs/catch-up.md).
        slot = Optional.of(slotOnProduction(tenant));
        copy =
            rds()
                .restoreAfter(
                    copyId, restore, tags, iam, slot.get().createdAt(), restore.waitTimeout());
      } else {
        copy = rds().restore(copyId, restore, tags, iam);
      }
      available = rds().awaitAvailable(copyId, restore.waitTimeout());
    } catch (RuntimeException e) {
      // No copy to read: the slot would only keep WAL on production.
      slot.ifPresent(s -> SlotStart.dropAhead(tenant));
      throw e;
    }
    String url =
        copyUrl(tenant.jdbc().url(), available.host().orElseThrow(), available.port().orElse(5432));
    LOG.info("Tenant {} reads {} ({})", tenant.id(), copy.describe(), Redaction.redactUrl(url));
    return new Restored(
        tenant.readingFrom(tenant.jdbc().withUrl(url)), copy, millisSince(start), slot);
  }

  /**
   * The tenant's publication and replication slot, made on its production database (its {@code
   * jdbc} settings) after checking what catch-up needs there: a table without a usable replica
   * identity is never added to a publication.
   */
  private SlotStart.SlotAhead slotOnProduction(TenantConfig tenant) throws SQLException {
    TenantCatalog catalog;
    try (Connection conn = tenant.jdbc().connect("tenantfold-catalog-" + tenant.id())) {
      catalog = CatalogReader.read(conn, tenant.id(), tenant.schemas(), config.tables());
    }
    SourcePrerequisites.require(tenant, catalog.tables(), config.rules());
    return SlotStart.createAhead(tenant, catalog.tables());
  }

  /**
   * Why the copy cannot be read with the plan, if it cannot: the run planned the target from the
   * tenant's production catalog (read while the copy was being restored), so the copy must hold the
   * same tables with the same columns, types and keys. Empty when they match.
   */
  static Optional<String> differences(
      String tenantId, RestoredCopy copy, TenantCatalog planned, TenantCatalog onCopy) {
    String prefix = "Cannot read tenant " + tenantId + " from " + copy.describe() + ": ";
    String hint =
        "; the run planned with the catalog of the configured (production) database, whose schema"
            + " differs from the copy's point in time: run again once the change is older than the"
            + " point restored (restore.from = latest-restorable-time lags production by about 5"
            + " minutes; a snapshot holds the schema it was taken with)";
    for (TableSpec table : planned.tables()) {
      Optional<TableSpec> there = onCopy.table(table.key());
      if (there.isEmpty()) {
        return Optional.of(prefix + "table " + table.key() + " is not on the copy" + hint);
      }
      if (!there.get().columns().equals(table.columns())) {
        List<String> plannedColumns =
            table.columns().stream()
                .map(c -> c.name() + " " + c.type() + (c.notNull() ? " not null" : ""))
                .toList();
        List<String> copyColumns =
            there.get().columns().stream()
                .map(c -> c.name() + " " + c.type() + (c.notNull() ? " not null" : ""))
                .toList();
        return Optional.of(
            prefix
                + "table "
                + table.key()
                + " has columns "
                + copyColumns
                + " on the copy, planned "
                + plannedColumns
                + hint);
      }
      if (!there.get().primaryKey().equals(table.primaryKey())) {
        return Optional.of(
            prefix
                + "table "
                + table.key()
                + " has primary key "
                + there.get().primaryKey()
                + " on the copy, planned "
                + table.primaryKey()
                + hint);
      }
    }
    for (TableSpec table : onCopy.tables()) {
      if (planned.table(table.key()).isEmpty()) {
        return Optional.of(
            prefix + "table " + table.key() + " is on the copy but was not planned" + hint);
      }
    }
    return Optional.empty();
  }

  /** Deletes the tenant's copy now (unless kept): its tenant is done reading it. */
  void deleteCopy(String tenantId) {
    String copyId = requested.remove(tenantId);
    if (copyId == null) {
      return;
    }
    TenantConfig tenant =
        config.tenants().stream().filter(t -> t.id().equals(tenantId)).findFirst().orElseThrow();
    if (tenant.source().restoredFrom().orElseThrow().keep()) {
      LOG.warn(
          "Keeping copy {} of tenant {} (restore.keep = true): delete it yourself when done",
          copyId,
          tenantId);
      return;
    }
    long start = System.nanoTime();
    try {
      rds().delete(copyId);
    } catch (RuntimeException e) {
      LOG.warn(
          "Cannot delete copy {} of tenant {} (the next run's sweep or tenantfold cleanup deletes"
              + " it): {}",
          copyId,
          tenantId,
          e.getMessage());
    }
    deleteMillis.put(tenantId, millisSince(start));
  }

  /** The time deleting the tenant's copy took, once deleted. */
  Optional<Long> deleteMillis(String tenantId) {
    return Optional.ofNullable(deleteMillis.get(tenantId));
  }

  private static long millisSince(long startNanos) {
    return (System.nanoTime() - startNanos) / 1_000_000;
  }

  /**
   * Deletes every copy still asked for that is not kept ({@code restore.keep}); returns the time
   * per tenant. A copy that cannot be deleted now stays tagged with the run for the sweep.
   */
  Map<String, Long> deleteCopies() {
    for (TenantConfig tenant : config.tenants()) {
      deleteCopy(tenant.id());
    }
    return Map.copyOf(deleteMillis);
  }

  @Override
  public void close() {
    try {
      if (pool != null) {
        // Restores still under way stop waiting; a restore call in flight finishes first, so its
        // copy exists to be deleted.
        pool.shutdownNow();
        try {
          pool.awaitTermination(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      deleteCopies();
      if (hooked) {
        try {
          Runtime.getRuntime().removeShutdownHook(onShutdown);
        } catch (IllegalStateException e) {
          // The JVM is shutting down: the hook runs (and finds nothing left to delete).
        }
      }
    } finally {
      if (rds != null) {
        rds.close();
      }
    }
  }

  /**
   * Deletes the copies that runs no longer running left (tagged with a run this target's {@code
   * runs} table records as finished, failed or abandoned; not kept); on a dry run only lists them.
   * A copy of a run this target does not know (another deployment in the same account) is left
   * alone. Only when some tenant restores: others make no AWS call.
   */
  static List<String> sweep(
      TenantfoldConfig config,
      Connection target,
      List<String> liveRuns,
      boolean dryRun,
      PrintStream out) {
    if (!needed(config)) {
      return List.of();
    }
    ReportStore reports = new ReportStore(config.target().reportSchema());
    List<String> swept = new ArrayList<>();
    try (RdsControlPlane rds = SdkRdsControlPlane.of(config.aws())) {
      for (DbInstance instance : rds.instances()) {
        String run = instance.tags().get(RdsControlPlane.RUN_TAG);
        if (run == null
            || liveRuns.contains(run)
            || "true".equals(instance.tags().get(RdsControlPlane.KEEP_TAG))
            || "deleting".equals(instance.status())) {
          continue;
        }
        Optional<ReportStore.PastRun> past = reports.pastRun(target, Optional.of(run));
        if (past.isEmpty() || past.get().status().equals("running")) {
          LOG.info(
              "Leaving copy {}: run {} is {}",
              instance.id(),
              run,
              past.isEmpty()
                  ? "not recorded in "
                      + config.target().reportSchema()
                      + ".runs (another deployment's?)"
                  : "still running");
          continue;
        }
        if (!dryRun) {
          try {
            rds.delete(instance.id());
          } catch (RuntimeException e) {
            LOG.warn(
                "Cannot delete copy {} left by run {}: {}", instance.id(), run, e.getMessage());
            continue;
          }
        }
        swept.add(instance.id());
        if (out != null) {
          out.printf(
              "%s copy %s (run %s, tenant %s)%n",
              dryRun ? "would delete" : "deleted",
              instance.id(),
              run,
              instance.tags().getOrDefault(RdsControlPlane.TENANT_TAG, "?"));
        }
      }
    } catch (RuntimeException | SQLException e) {
      LOG.warn("Cannot list restored copies left by earlier runs: {}", e.getMessage());
    }
    return swept;
  }

  /**
   * {@code tf-<tenant>-<run id>}: a valid DB instance identifier (letters, digits, single hyphens,
   * at most 63).
   */
  static String copyId(String tenantId, String runId) {
    String run = runId.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
    String tenant = tenantId.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
    int room = 63 - "tf-".length() - 1 - run.length();
    if (tenant.length() > room) {
      tenant = tenant.substring(0, room);
    }
    return ("tf-" + tenant + "-" + run).replaceAll("-+", "-").replaceAll("-$", "");
  }

  /** The tenant's URL with the copy's host and port: same database and parameters. */
  static String copyUrl(String url, String host, int port) {
    String rest = url.substring("jdbc:postgresql:".length());
    if (rest.startsWith("//")) {
      int slash = rest.indexOf('/', 2);
      rest = slash < 0 ? "/" : rest.substring(slash);
    } else {
      rest = "/" + rest;
    }
    return "jdbc:postgresql://" + host + ":" + port + rest;
  }
}
