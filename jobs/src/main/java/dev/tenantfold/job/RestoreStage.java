package dev.tenantfold.job;

import dev.tenantfold.aws.DbInstance;
import dev.tenantfold.aws.RdsControlPlane;
import dev.tenantfold.aws.RestoredCopy;
import dev.tenantfold.aws.SdkRdsControlPlane;
import dev.tenantfold.config.JdbcAuth;
import dev.tenantfold.config.RestoreConfig;
import dev.tenantfold.config.TenantConfig;
import dev.tenantfold.config.TenantfoldConfig;
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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The restore stage of a run: for every tenant with a {@code restore} block, restore a temporary
 * copy tagged with the run and the tenant (all tenants' restores at once), wait until it is
 * available, and hand back the tenant reading the copy's endpoint with its own jdbc settings.
 * {@link #close()} deletes every copy it asked for, whatever happened after (success, validation
 * failure, error); copies of runs whose driver died are deleted by {@link #sweep}.
 */
final class RestoreStage implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RestoreStage.class);
  private final TenantfoldConfig config;
  private final String runId;
  private final Supplier<RdsControlPlane> planes;
  private RdsControlPlane rds;
  /** Copies asked for, by tenant: registered before the restore call, so an ambiguous failure still deletes. */
  private final Map<String, String> requested = new ConcurrentHashMap<>();
  private final Map<String, Long> deleteMillis = new ConcurrentHashMap<>();
  /** Deletes the copies when the driver is stopped (SIGTERM, YARN kill) before {@link #close()}; a SIGKILL leaves them to the sweep. */
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
   * What the restores gave: the configuration with restored tenants reading their copies, the
   * tenants whose copy could not be had (and why), the copies and the restore time per tenant.
   */
  record Outcome(TenantfoldConfig reading, Map<String, String> failed, Map<String, RestoredCopy> copies, Map<String, Long> millis) {
    Outcome {
      failed = Map.copyOf(failed);
      copies = Map.copyOf(copies);
      millis = Map.copyOf(millis);
    }

    /** Where the tenant was read from, when it was a copy. */
    Optional<SourceInfo> source(String tenantId) {
      return Optional.ofNullable(copies.get(tenantId)).map(c -> new SourceInfo("copy", c.describe(), Optional.of(c.pointInTime())));
    }
  }

  static boolean needed(TenantfoldConfig config) {
    return config.tenants().stream().anyMatch(t -> t.restore().isPresent());
  }

  private synchronized RdsControlPlane rds() {
    if (rds == null) {
      rds = planes.get();
    }
    return rds;
  }

  /** Restores the copies of {@code tenants} that have a restore block, in parallel; the others read as configured. */
  Outcome restore(List<TenantConfig> tenants) {
    List<TenantConfig> restoring = tenants.stream().filter(t -> t.restore().isPresent()).toList();
    TenantfoldConfig reading = config;
    Map<String, String> failed = new LinkedHashMap<>();
    Map<String, RestoredCopy> copies = new LinkedHashMap<>();
    Map<String, Long> millis = new LinkedHashMap<>();
    if (restoring.isEmpty()) {
      return new Outcome(reading, failed, copies, millis);
    }
    Runtime.getRuntime().addShutdownHook(onShutdown);
    hooked = true;
    ExecutorService pool = Executors.newFixedThreadPool(restoring.size(), r -> {
      Thread t = new Thread(r, "tenantfold-restore");
      t.setDaemon(true);
      return t;
    });
    try {
      Map<String, Future<Restored>> running = new LinkedHashMap<>();
      restoring.forEach(t -> running.put(t.id(), pool.submit(() -> restoreOne(t))));
      for (TenantConfig tenant : restoring) {
        long start = System.nanoTime();
        try {
          Restored r = running.get(tenant.id()).get();
          reading = reading.withTenant(r.tenant());
          copies.put(tenant.id(), r.copy());
          millis.put(tenant.id(), r.millis());
        } catch (java.util.concurrent.ExecutionException e) {
          String message = "Cannot restore a copy of tenant " + tenant.id() + " from instance " + tenant.restore().get().sourceInstance() + ": "
              + Redaction.sqlMessage(e.getCause(), config.secrets());
          LOG.error(message);
          failed.put(tenant.id(), message);
          millis.put(tenant.id(), (System.nanoTime() - start) / 1_000_000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          failed.put(tenant.id(), "Interrupted while restoring a copy of tenant " + tenant.id());
        }
      }
    } finally {
      pool.shutdownNow();
    }
    return new Outcome(reading, failed, copies, millis);
  }

  private record Restored(TenantConfig tenant, RestoredCopy copy, long millis) {}

  private Restored restoreOne(TenantConfig tenant) {
    long start = System.nanoTime();
    RestoreConfig restore = tenant.restore().orElseThrow();
    String copyId = copyId(tenant.id(), runId);
    Map<String, String> tags = new LinkedHashMap<>();
    tags.put(RdsControlPlane.RUN_TAG, runId);
    tags.put(RdsControlPlane.TENANT_TAG, tenant.id());
    tags.put(RdsControlPlane.KEEP_TAG, String.valueOf(restore.keep()));
    requested.put(tenant.id(), copyId);
    LOG.info("Restoring copy {} of instance {} for tenant {} ({})", copyId, restore.sourceInstance(), tenant.id(), restore.from());
    boolean iam = JdbcAuth.IAM_PLUGIN.equals(tenant.jdbc().properties().get(JdbcAuth.PLUGIN_PROPERTY));
    RestoredCopy copy = rds().restore(copyId, restore, tags, iam);
    DbInstance available = rds().awaitAvailable(copyId, restore.waitTimeout());
    String url = copyUrl(tenant.jdbc().url(), available.host().orElseThrow(), available.port().orElse(5432));
    LOG.info("Tenant {} reads {} ({})", tenant.id(), copy.describe(), Redaction.redactUrl(url));
    return new Restored(tenant.readingFrom(tenant.jdbc().withUrl(url)), copy, (System.nanoTime() - start) / 1_000_000);
  }

  /**
   * Deletes every copy asked for that is not kept ({@code restore.keep}); returns the time per
   * tenant. A copy that cannot be deleted now stays tagged with the run for the sweep.
   */
  Map<String, Long> deleteCopies() {
    for (TenantConfig tenant : config.tenants()) {
      String copyId = requested.remove(tenant.id());
      if (copyId == null) {
        continue;
      }
      if (tenant.restore().get().keep()) {
        LOG.warn("Keeping copy {} of tenant {} (restore.keep = true): delete it yourself when done", copyId, tenant.id());
        continue;
      }
      long start = System.nanoTime();
      try {
        rds().delete(copyId);
      } catch (RuntimeException e) {
        LOG.warn("Cannot delete copy {} of tenant {}: {}", copyId, tenant.id(), e.getMessage());
      }
      deleteMillis.put(tenant.id(), (System.nanoTime() - start) / 1_000_000);
    }
    return Map.copyOf(deleteMillis);
  }

  @Override
  public void close() {
    try {
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
   * Deletes the copies that runs no longer running left (tagged with a run this target's
   * {@code runs} table records as finished, failed or abandoned; not kept); on a dry run only lists
   * them. A copy of a run this target does not know (another deployment in the same account) is
   * left alone. Only when some tenant restores: others make no AWS call.
   */
  static List<String> sweep(TenantfoldConfig config, Connection target, List<String> liveRuns, boolean dryRun, PrintStream out) {
    if (!needed(config)) {
      return List.of();
    }
    ReportStore reports = new ReportStore(config.target().reportSchema());
    List<String> swept = new ArrayList<>();
    try (RdsControlPlane rds = SdkRdsControlPlane.of(config.aws())) {
      for (DbInstance instance : rds.instances()) {
        String run = instance.tags().get(RdsControlPlane.RUN_TAG);
        if (run == null || liveRuns.contains(run) || "true".equals(instance.tags().get(RdsControlPlane.KEEP_TAG)) || "deleting".equals(instance.status())) {
          continue;
        }
        Optional<ReportStore.PastRun> past = reports.pastRun(target, Optional.of(run));
        if (past.isEmpty() || past.get().status().equals("running")) {
          LOG.info("Leaving copy {}: run {} is {}", instance.id(), run, past.isEmpty() ? "not recorded in " + config.target().reportSchema()
              + ".runs (another deployment's?)" : "still running");
          continue;
        }
        if (!dryRun) {
          try {
            rds.delete(instance.id());
          } catch (RuntimeException e) {
            LOG.warn("Cannot delete copy {} left by run {}: {}", instance.id(), run, e.getMessage());
            continue;
          }
        }
        swept.add(instance.id());
        if (out != null) {
          out.printf("%s copy %s (run %s, tenant %s)%n", dryRun ? "would delete" : "deleted", instance.id(), run,
              instance.tags().getOrDefault(RdsControlPlane.TENANT_TAG, "?"));
        }
      }
    } catch (RuntimeException | SQLException e) {
      LOG.warn("Cannot list restored copies left by earlier runs: {}", e.getMessage());
    }
    return swept;
  }

  /** {@code tf-<tenant>-<run id>}: a valid DB instance identifier (letters, digits, single hyphens, at most 63). */
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
