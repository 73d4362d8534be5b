package dev.tenantfold.source;

import dev.tenantfold.config.TenantConfig;
import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.extract.TenantCatalog;
import java.io.PrintStream;
import java.sql.SQLException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sources of a run that must be made ready before they are read and cleaned up after: today a
 * copy restored from the instance's backups ({@code SourceSpec.RestoredCopy}, {@link
 * RestoredCopies}). All preparations start at once when the run starts ({@link #start}) and proceed
 * while the run plans and other tenants extract, validate and publish: each such tenant waits for
 * its own source ({@link #open}) and reads it. A tenant's source is cleaned up as soon as the
 * tenant is done ({@link #cleanUp}), and {@link #close()} cleans up whatever is left, whatever
 * happened (success, validation failure, error); what runs whose driver died left is removed by
 * {@link #sweep}. The job asks only these questions, never which kind a source is.
 */
public final class SourcePreparations implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SourcePreparations.class);
  private final TenantfoldConfig config;
  private final RestoredCopies copies;

  /** The preparations under way or done, by tenant, and when each started. */
  private final Map<String, Future<RestoredCopies.Restored>> preparing = new ConcurrentHashMap<>();

  private final Map<String, Long> startedNanos = new ConcurrentHashMap<>();
  private final Map<String, Outcome> outcomes = new ConcurrentHashMap<>();
  private final Map<String, Long> cleanUpMillis = new ConcurrentHashMap<>();
  private ExecutorService pool;

  /**
   * Cleans up when the driver is stopped (SIGTERM, YARN kill) before {@link #close()}; a SIGKILL
   * leaves it to the sweep.
   */
  private final Thread onShutdown = new Thread(this::cleanUpAll, "tenantfold-delete-copies");

  private boolean hooked;

  public SourcePreparations(TenantfoldConfig config, String runId) {
    this.config = config;
    this.copies = new RestoredCopies(config, runId);
  }

  /**
   * What waiting for a tenant's source gave: the source prepared, or why there is none to read; and
   * the time preparing took (from the start until ready or failed).
   */
  private record Outcome(
      Optional<RestoredCopies.Restored> prepared, Optional<String> failure, long millis) {}

  /**
   * A tenant's prepared source, opened and checked against the catalog the run planned with: the
   * tenant as read from it and the source, or why it cannot be read.
   */
  public record Ready(
      Optional<TenantConfig> tenant, Optional<TenantSource> source, Optional<String> failure) {
    static Ready of(TenantConfig tenant, TenantSource source) {
      return new Ready(Optional.of(tenant), Optional.of(source), Optional.empty());
    }

    static Ready failed(String message) {
      return new Ready(Optional.empty(), Optional.empty(), Optional.of(message));
    }
  }

  /** Where a prepared tenant's rows were read from: the report's source kind, text and instant. */
  public record ReadFrom(String kind, String description, Optional<Instant> pointInTime) {}

  /**
   * Starts preparing the sources of {@code tenants} that need it, all at once; returns without
   * waiting.
   */
  public synchronized void start(List<TenantConfig> tenants) {
    List<TenantConfig> prepared = tenants.stream().filter(RestoredCopies::restores).toList();
    if (prepared.isEmpty()) {
      return;
    }
    if (!hooked) {
      Runtime.getRuntime().addShutdownHook(onShutdown);
      hooked = true;
    }
    pool =
        Executors.newFixedThreadPool(
            prepared.size(),
            r -> {
              Thread t = new Thread(r, "tenantfold-restore");
              t.setDaemon(true);
              return t;
            });
    for (TenantConfig tenant : prepared) {
      startedNanos.put(tenant.id(), System.nanoTime());
      preparing.put(tenant.id(), pool.submit(() -> copies.restore(tenant)));
    }
  }

  /** Whether {@code tenantId} reads a source this run prepares (and must wait for). */
  public boolean prepares(String tenantId) {
    return preparing.containsKey(tenantId);
  }

  /**
   * Waits until the tenant's source is ready (or its preparation failed or timed out), opens it
   * from {@code sources} and checks that it holds the catalog the run {@code planned} with. The
   * outcome is kept for the report.
   */
  public Ready open(
      TenantConfig tenant, TenantCatalog planned, TenantSources sources, SparkSession spark) {
    Outcome outcome = await(tenant.id());
    if (outcome.failure().isPresent()) {
      return Ready.failed(outcome.failure().get());
    }
    return copies.open(tenant, outcome.prepared().orElseThrow(), planned, sources, spark);
  }

  private Outcome await(String tenantId) {
    Outcome known = outcomes.get(tenantId);
    if (known != null) {
      return known;
    }
    TenantConfig tenant =
        config.tenants().stream().filter(t -> t.id().equals(tenantId)).findFirst().orElseThrow();
    Outcome outcome;
    try {
      RestoredCopies.Restored prepared = preparing.get(tenantId).get();
      outcome = new Outcome(Optional.of(prepared), Optional.empty(), prepared.millis());
    } catch (ExecutionException e) {
      String message = copies.failed(tenant, e.getCause());
      LOG.error(message);
      outcome = failed(tenantId, message);
    } catch (CancellationException e) {
      outcome = failed(tenantId, copies.stopped(tenantId));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return failed(tenantId, copies.interrupted(tenantId));
    }
    outcomes.put(tenantId, outcome);
    return outcome;
  }

  private Outcome failed(String tenantId, String message) {
    return new Outcome(
        Optional.empty(), Optional.of(message), millisSince(startedNanos.get(tenantId)));
  }

  /** Where the tenant's rows were read from, when it read a prepared source. */
  public Optional<ReadFrom> readFrom(String tenantId) {
    return Optional.ofNullable(outcomes.get(tenantId))
        .flatMap(Outcome::prepared)
        .map(RestoredCopies::readFrom);
  }

  /**
   * Stops preparing a source no tenant will read (its tenant failed before reading) and cleans it
   * up.
   */
  public void abandon(String tenantId) {
    Future<RestoredCopies.Restored> future = preparing.get(tenantId);
    if (future != null) {
      future.cancel(true);
      if (future.isDone() && !future.isCancelled()) {
        // Prepared before the tenant was abandoned: what it holds on production has no reader.
        try {
          copies.abandon(future.get());
        } catch (ExecutionException e) {
          // Its preparation failed: it released what it held.
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      cleanUp(tenantId);
    }
  }

  /** Cleans up the tenant's prepared source now: its tenant is done reading it. */
  public void cleanUp(String tenantId) {
    long start = System.nanoTime();
    if (copies.delete(tenantId)) {
      cleanUpMillis.put(tenantId, millisSince(start));
    }
  }

  /**
   * Cleans up every prepared source still there; one that cannot be cleaned up now is left for the
   * sweep.
   */
  public void cleanUpAll() {
    for (TenantConfig tenant : config.tenants()) {
      cleanUp(tenant.id());
    }
  }

  /**
   * The tenant's stage times with preparing its source before them and cleaning it up after ({@code
   * restore}, {@code delete_copy}); {@code stages} itself when its source was not prepared.
   */
  public Map<String, Long> stagesAround(String tenantId, Map<String, Long> stages) {
    Outcome prepared = outcomes.get(tenantId);
    Long cleanedUp = cleanUpMillis.get(tenantId);
    if (prepared == null && cleanedUp == null) {
      return stages;
    }
    Map<String, Long> around = new LinkedHashMap<>();
    if (prepared != null) {
      around.put(RestoredCopies.PREPARE_STAGE, prepared.millis());
    }
    around.putAll(stages);
    if (cleanedUp != null) {
      around.put(RestoredCopies.CLEAN_UP_STAGE, cleanedUp);
    }
    return around;
  }

  private static long millisSince(long startNanos) {
    return (System.nanoTime() - startNanos) / 1_000_000;
  }

  @Override
  public void close() {
    try {
      if (pool != null) {
        // Preparations still under way stop waiting; a restore call in flight finishes first, so
        // its copy exists to be deleted.
        pool.shutdownNow();
        try {
          pool.awaitTermination(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      cleanUpAll();
      if (hooked) {
        try {
          Runtime.getRuntime().removeShutdownHook(onShutdown);
        } catch (IllegalStateException e) {
          // The JVM is shutting down: the hook runs (and finds nothing left to clean up).
        }
      }
    } finally {
      copies.close();
    }
  }

  /** The state a run is recorded in by the target ({@code running}, ...), empty when unknown. */
  @FunctionalInterface
  public interface RunStates {
    Optional<String> of(String runId) throws SQLException;
  }

  /**
   * Removes what prepared sources of runs no longer running left behind (copies tagged with a run
   * {@code runs} records as finished, failed or abandoned; not kept); on a dry run only lists them.
   * Only when some tenant's source is prepared: others make no AWS call.
   *
   * @return what was (or, on a dry run, would be) removed
   */
  public static List<String> sweep(
      TenantfoldConfig config,
      RunStates runs,
      List<String> liveRuns,
      boolean dryRun,
      PrintStream out) {
    return RestoredCopies.sweep(config, runs, liveRuns, dryRun, out);
  }
}
