package dev.tenantfold.job;

import dev.tenantfold.config.ConfigError;
import dev.tenantfold.config.RulesConfig;
import dev.tenantfold.config.TenantConfig;
import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.conform.TargetSchema;
import dev.tenantfold.extract.TableSpec;
import dev.tenantfold.extract.TenantCatalog;
import dev.tenantfold.jdbc.Redaction;
import dev.tenantfold.jdbc.SessionName;
import dev.tenantfold.jdbc.Sql;
import dev.tenantfold.load.StagingRegistry;
import dev.tenantfold.load.TargetDdl;
import dev.tenantfold.progress.CopyProgressProbe;
import dev.tenantfold.progress.ProgressTracker;
import dev.tenantfold.report.PlanWriter;
import dev.tenantfold.report.ReportReader;
import dev.tenantfold.report.ReportStore;
import dev.tenantfold.report.ReportWriter;
import dev.tenantfold.report.RunNotes;
import dev.tenantfold.report.RunResult;
import dev.tenantfold.report.SourceInfo;
import dev.tenantfold.report.TenantResult;
import dev.tenantfold.source.SourcePreparations;
import dev.tenantfold.source.TenantSource;
import dev.tenantfold.source.TenantSources;
import dev.tenantfold.validate.ShrinkGuard;
import dev.tenantfold.validate.TableStatus;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code run} command: plan the target schema from every tenant's catalog, migrate tenants
 * (each independently, {@code extract.tenant-parallelism} at a time), then record and report. A
 * tenant that fails fails alone; the result says which and why.
 */
public final class MigrationJob {
  private static final Logger LOG = LoggerFactory.getLogger(MigrationJob.class);
  private static final DateTimeFormatter RUN_ID_TIME =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  private final TenantfoldConfig config;
  private final SparkSession spark;
  private final RunOptions options;

  /** Why report.json could not be written, for the run's notes. */
  private final List<String> reportFailures = new ArrayList<>();

  private ProgressTracker progress = ProgressTracker.none();

  public MigrationJob(TenantfoldConfig config, SparkSession spark) {
    this(config, spark, RunOptions.defaults());
  }

  public MigrationJob(TenantfoldConfig config, SparkSession spark, RunOptions options) {
    this.config = config;
    this.spark = spark;
    this.options = options;
    for (String id : options.allowShrink()) {
      if (!id.equals("*") && config.tenants().stream().noneMatch(t -> t.id().equals(id))) {
        throw new ConfigError(
            "Cannot allow tenant '"
                + id
                + "' to shrink (--allow-shrink): it is not in "
                + TenantfoldConfig.TENANTS.path()
                + " (known: "
                + config.tenants().stream().map(TenantConfig::id).toList()
                + ")");
      }
    }
  }

  /** Reports each tenant's stages, tables and copied rows to {@code tracker} while it runs. */
  public MigrationJob withProgress(ProgressTracker tracker) {
    this.progress = tracker;
    return this;
  }

  public static String newRunId(Instant now) {
    return RUN_ID_TIME.format(now)
        + "-"
        + String.format("%04x", ThreadLocalRandom.current().nextInt(0x10000));
  }

  public RunResult execute() throws SQLException {
    Instant started = Instant.now();
    String runId = newRunId(started);
    LOG.info("Starting run {} for {} tenants", runId, config.tenants().size());
    progress.runStarted(runId);
    ReportStore reports = new ReportStore(config.target().reportSchema());
    StagingRegistry registry = new StagingRegistry(config.target().reportSchema());
    // The run's lock lives on this session's connection; a replacement connection takes it again.
    try (TargetSession session =
        new TargetSession(
            config.target().endpoint(),
            runId,
            "driver",
            conn -> {
              if (!reports.relock(conn, runId)) {
                LOG.warn(
                    "Run {} lost its lock with its connection and another session holds it now",
                    runId);
              }
            })) {
      Connection target = session.connection();
      TargetDdl.serialized(
          target,
          () -> {
            reports.ensureTables(target);
            registry.ensureTable(target);
          });
      Optional<ReportStore.PastRun> resumed = resumedRun(target, reports);
      sweep(target, reports, registry, runId);
      reports.startRun(target, runId, started, "run");
      resumed.ifPresent(
          past -> {
            try {
              reports.recordResumedFrom(target, runId, past.runId());
            } catch (SQLException e) {
              throw new IllegalStateException(e);
            }
          });
      try {
        return migrate(session, reports, registry, runId, started, resumed);
      } catch (SQLException | RuntimeException e) {
        // The run itself failed (planning, target DDL): record it and drop what it staged, on a
        // live connection.
        try {
          Connection conn = session.connection();
          dropOwnStaging(conn, registry, runId);
          reports.finishRun(conn, runId, Instant.now(), "failed");
        } catch (SQLException | RuntimeException cleanup) {
          e.addSuppressed(cleanup);
        }
        throw e;
      }
    }
  }

  /**
   * The run {@code --resume} or {@code --only-failed} names, checked before anything is written.
   */
  private Optional<ReportStore.PastRun> resumedRun(Connection target, ReportStore reports)
      throws SQLException {
    if (!options.resuming()) {
      return Optional.empty();
    }
    Optional<ReportStore.PastRun> past = reports.pastRun(target, options.resumeRunId());
    String which = options.resumeRunId().map(id -> "run " + id).orElse("the latest run");
    if (past.isEmpty()) {
      throw new ConfigError(
          "Cannot resume "
              + which
              + ": no such run in "
              + config.target().reportSchema()
              + ".runs");
    }
    if (!past.get().command().equals("run")) {
      throw new ConfigError(
          "Cannot resume run "
              + past.get().runId()
              + ": it was a '"
              + past.get().command()
              + "', not a 'run'");
    }
    if (past.get().status().equals("running")
        && reports.deadRuns(target).contains(past.get().runId())) {
      // A dead run is dead: its lock is free and none of its sessions is connected. Swept here
      // (marked abandoned, its staging dropped), then resumed.
      for (String abandoned : reports.sweepAbandoned(target, config.target().stagingSchema())) {
        LOG.warn("Run {} was left running by a driver that stopped: marked abandoned", abandoned);
      }
      past = reports.pastRun(target, Optional.of(past.get().runId()));
    }
    if (past.get().status().equals("running")) {
      throw new ConfigError(
          "Cannot resume run "
              + past.get().runId()
              + ": it is still running (its lock is held or one of its sessions is connected;"
              + " wait for it to finish, or stop its driver)");
    }
    return past;
  }

  /**
   * Marks runs whose driver died as abandoned and drops the staging tables that dead or finished
   * runs left.
   */
  private void sweep(Connection target, ReportStore reports, StagingRegistry registry, String runId)
      throws SQLException {
    for (String abandoned : reports.sweepAbandoned(target, config.target().stagingSchema())) {
      LOG.warn("Run {} was left running by a driver that stopped: marked abandoned", abandoned);
    }
    List<String> live = new ArrayList<>(reports.runningRuns(target));
    live.add(runId);
    List<StagingRegistry.Leftover> leftovers = registry.leftovers(target, live, false);
    for (StagingRegistry.Leftover leftover : leftovers) {
      try {
        registry.drop(target, leftover);
      } catch (SQLException e) {
        LOG.warn(
            "Cannot drop staging table {} left by run {}: {}",
            leftover.qualifiedName(),
            leftover.runId(),
            Redaction.sqlMessage(e, config.secrets()));
      }
    }
    if (!leftovers.isEmpty()) {
      LOG.warn(
          "Dropped {} staging tables left by earlier runs {}",
          leftovers.size(),
          leftovers.stream().map(StagingRegistry.Leftover::runId).distinct().toList());
    }
    SourcePreparations.RunStates runs =
        run -> reports.pastRun(target, Optional.of(run)).map(ReportStore.PastRun::status);
    for (String copy : SourcePreparations.sweep(config, runs, live, false, null)) {
      LOG.warn("Deleted restored copy {} left by a run that is no longer running", copy);
    }
  }

  /**
   * Drops every staging table this run still has (tenants whose own cleanup could not reach the
   * target).
   */
  private void dropOwnStaging(Connection conn, StagingRegistry registry, String runId)
      throws SQLException {
    for (StagingRegistry.Leftover leftover : registry.ofRun(conn, runId)) {
      registry.drop(conn, leftover);
    }
  }

  /**
   * Starts preparing the sources that need it (the temporary copies tenants with a {@code restore}
   * block read from), runs the tenants meanwhile (each such tenant waits for its own source), and
   * cleans them up whatever happens.
   */
  private RunResult migrate(
      TargetSession session,
      ReportStore reports,
      StagingRegistry registry,
      String runId,
      Instant started,
      Optional<ReportStore.PastRun> resumed)
      throws SQLException {
    List<String> publishedBefore =
        resumed.map(ReportStore.PastRun::publishedTenants).orElse(List.of());
    // This run's sources: planning's open of an export is the one the tenant migrates with.
    TenantSources sources = new TenantSources(config);
    try (SourcePreparations preparations = new SourcePreparations(config, runId)) {
      preparations.start(
          config.tenants().stream().filter(t -> !publishedBefore.contains(t.id())).toList());
      return migrateTenants(
          session, reports, registry, runId, started, resumed, preparations, sources);
    }
  }

  /**
   * Plans from every tenant's catalog (a restored tenant's is its configured database's: catalog
   * queries only, never rows) and runs the tenants, {@code extract.tenant-parallelism} at a time.
   */
  private RunResult migrateTenants(
      TargetSession session,
      ReportStore reports,
      StagingRegistry registry,
      String runId,
      Instant started,
      Optional<ReportStore.PastRun> resumed,
      SourcePreparations preparations,
      TenantSources sourcesOfRun)
      throws SQLException {
    // Tenants add to it from their threads (TenantMigration.RunContext).
    RunNotes notes = new RunNotes();
    List<TenantConfig> tenants = tenantsToRun(resumed, notes);
    progress.tenants(tenants.stream().map(TenantConfig::id).toList());
    tenants.forEach(t -> progress.stage(t.id(), ProgressTracker.Stage.PLAN));
    Connection target = session.connection();
    Planning planning = new Planning(config, tenant -> sourcesOfRun.of(tenant, "plan", spark));
    Admitted admitted = readTenants(planning, target, reports, tenants);
    TargetSchema planned =
        planning.withObjects(
            planning.schema(admitted.existing, admitted.catalogs), admitted.catalogs);
    planned.rejectedTenants().forEach(admitted::fail);
    recordPlan(target, reports, runId, planned, notes);
    TargetSchema schema = buildTarget(target, planned, admitted, notes);
    List<String> runningIds =
        tenants.stream().map(TenantConfig::id).filter(admitted.catalogs::containsKey).toList();
    SharedTableGate gate = sharedTableGate(schema, runningIds, runId);
    admitted.failed.keySet().forEach(id -> progress.finished(id, false));
    // A source whose tenant will not run is not waited for.
    admitted.failed.keySet().forEach(preparations::abandon);
    progress.countCopiesWith(
        new CopyProgressProbe(
            config.target().endpoint(), reports.ledgerTable(), runId, runningIds));
    TenantMigration.RunContext context =
        new TenantMigration.RunContext(
            config, runId, schema, reports, registry, gate, progress, notes);
    List<TenantResult> results =
        runTenants(context, tenants, admitted, runningIds.size(), preparations, sourcesOfRun);
    // Each prepared source was cleaned up when its tenant was done (these are the ones left);
    // preparing and cleaning up are stages of their tenants.
    preparations.cleanUpAll();
    results.replaceAll(r -> withPreparationStages(r, preparations));
    return finish(session, reports, registry, runId, started, results, gate, planned, notes);
  }

  /**
   * What planning leaves for the run: the target's catalog, the catalogs of the tenants that go on,
   * each tenant's shrink guard, and why the others do not go on.
   */
  private static final class Admitted {
    final TenantCatalog existing;
    final Map<String, TenantCatalog> catalogs;
    final Map<String, ShrinkGuard> guards = new LinkedHashMap<>();
    final Map<String, TenantResult> failed = new LinkedHashMap<>();

    Admitted(TenantCatalog existing, Map<String, TenantCatalog> catalogs) {
      this.existing = existing;
      this.catalogs = new LinkedHashMap<>(catalogs);
    }

    /** The tenant does not run, for {@code message}. */
    void fail(String tenantId, String message) {
      catalogs.remove(tenantId);
      failed.put(tenantId, TenantResult.failed(tenantId, message, List.of(), 0));
    }
  }

  /** The configured tenants less those the resumed run published (noted). */
  private List<TenantConfig> tenantsToRun(Optional<ReportStore.PastRun> resumed, RunNotes notes) {
    Set<String> skipped = new LinkedHashSet<>();
    resumed.ifPresent(
        past -> {
          skipped.addAll(past.publishedTenants());
          skipped.retainAll(config.tenants().stream().map(TenantConfig::id).toList());
          notes.add(
              "resumes run "
                  + past.runId()
                  + ": "
                  + (skipped.isEmpty()
                      ? "no tenant published there, all run again"
                      : "skipped tenants " + skipped + ", published there"));
        });
    return config.tenants().stream().filter(t -> !skipped.contains(t.id())).toList();
  }

  /**
   * Reads every tenant's catalog and the target's; a tenant that cannot be read, or whose catalog
   * its shrink guard or an empty selection refuses, does not go on.
   */
  private Admitted readTenants(
      Planning planning, Connection target, ReportStore reports, List<TenantConfig> tenants)
      throws SQLException {
    Planning.Catalogs read = planning.read(target, tenants);
    Admitted admitted = new Admitted(read.target(), read.tenants());
    read.unreadable().forEach(admitted::fail);
    for (TenantConfig tenant : tenants) {
      ShrinkGuard guard = shrinkGuard(target, reports, admitted.existing, tenant.id());
      admitted.guards.put(tenant.id(), guard);
      TenantCatalog catalog = admitted.catalogs.get(tenant.id());
      if (catalog != null) {
        Optional<String> refused = refusal(tenant, catalog, guard);
        if (refused.isPresent()) {
          LOG.error(refused.get());
          admitted.fail(tenant.id(), refused.get());
        }
      }
    }
    return admitted;
  }

  /**
   * Why the tenant's catalog must not publish: tables it published vanished (the shrink guard), or
   * its schemas hold no selected table.
   */
  private Optional<String> refusal(TenantConfig tenant, TenantCatalog catalog, ShrinkGuard guard) {
    Optional<String> refused =
        guard.refuseVanished(
            catalog.tables().stream().map(TableSpec::key).toList(), tenant.schemas());
    if (refused.isEmpty() && catalog.tables().isEmpty() && !allowsShrink(tenant.id())) {
      int i = config.tenants().indexOf(tenant);
      refused =
          Optional.of(
              "Cannot read tenant "
                  + tenant.id()
                  + ": schemas "
                  + tenant.schemas()
                  + " hold no table that "
                  + TenantfoldConfig.TABLES.path()
                  + " selects; check "
                  + tenant.source().schemasKey().path(i)
                  + " and that it names the right database");
    }
    return refused;
  }

  /** Records the plan the run follows, and notes it and the code it does not recreate. */
  private void recordPlan(
      Connection target, ReportStore reports, String runId, TargetSchema planned, RunNotes notes)
      throws SQLException {
    reports.recordPlan(target, runId, PlanWriter.json(planned));
    notes.add(
        "followed plan "
            + PlanWriter.digest(planned)
            + " (plan.json beside report.json; compare with tenantfold plan)");
    notes.addAbout(
        "",
        "functions, triggers or views not recreated (plan.json and tenantfold plan say why)",
        planned.code().notRecreated(planned).stream().map(e -> e.kind() + " " + e.name()).toList());
  }

  /**
   * Builds the consolidated tables in the target; a table the target cannot hold fails the tenants
   * that have it, and the others go on without it. Returns the schema the tenants run with.
   */
  private TargetSchema buildTarget(
      Connection target, TargetSchema planned, Admitted admitted, RunNotes notes)
      throws SQLException {
    TargetDdl ddl =
        TargetDdl.of(config.target(), config.tenantColumn())
            .forTenants(config.tenants().stream().map(t -> t.id()).toList());
    Map<String, String> failedTables =
        ddl.apply(target, planned, config.options().publishLockTimeout());
    // Never dropped silently: what the target could not build is in the summary and report.json,
    // not only in the log.
    notes.addAbout(
        "",
        "constraints, indexes, triggers or defaults the target could not build were skipped (the"
            + " tables are consolidated without them)",
        ddl.skipped());
    for (TenantCatalog catalog : List.copyOf(admitted.catalogs.values())) {
      List<String> reasons =
          catalog.tables().stream()
              .filter(t -> failedTables.containsKey(t.key()))
              .map(t -> failedTables.get(t.key()))
              .distinct()
              .toList();
      if (!reasons.isEmpty()) {
        admitted.fail(
            catalog.tenantId(),
            "Cannot migrate tenant " + catalog.tenantId() + ": " + String.join("; ", reasons));
      }
    }
    // Once, before tenants run in parallel: concurrent CREATE SCHEMA IF NOT EXISTS can collide.
    TargetDdl.serialized(
        target,
        () -> {
          try (var st = target.createStatement()) {
            st.execute("CREATE SCHEMA IF NOT EXISTS " + Sql.ident(config.target().stagingSchema()));
            st.execute(
                "CREATE SCHEMA IF NOT EXISTS " + Sql.ident(config.target().partitionSchema()));
          }
        });
    return planned.without(failedTables.keySet());
  }

  /** The gate the running tenants meet at to publish the shared tables of {@code schema}. */
  private SharedTableGate sharedTableGate(
      TargetSchema schema, List<String> runningIds, String runId) {
    Map<String, RulesConfig.Shared> sharedRules = new LinkedHashMap<>();
    schema
        .tables()
        .keySet()
        .forEach(t -> schema.rule(t).shared().ifPresent(sh -> sharedRules.put(t, sh)));
    return new SharedTableGate(
        runningIds,
        sharedRules,
        config.tenantColumn(),
        () -> config.target().endpoint().connect(SessionName.of(runId, "shared-tables")));
  }

  /**
   * Runs every admitted tenant on a thread of its own and returns every tenant's result, in config
   * order (those that did not run with why).
   */
  private List<TenantResult> runTenants(
      TenantMigration.RunContext context,
      List<TenantConfig> tenants,
      Admitted admitted,
      int running,
      SourcePreparations preparations,
      TenantSources sourcesOfRun) {
    // One thread per tenant; the slots bound how many extract, load and validate at once. A tenant
    // frees its slot when its heavy work is done, so tenants waiting for the others at the
    // shared-table gate never starve the rest.
    Semaphore slots = new Semaphore(config.options().tenantParallelism(), true);
    ExecutorService pool =
        Executors.newFixedThreadPool(
            Math.max(1, running),
            r -> {
              Thread t = new Thread(r, "tenantfold-tenant");
              t.setDaemon(true);
              return t;
            });
    try {
      Map<String, TenantSource> sources = new LinkedHashMap<>();
      Map<String, Future<TenantResult>> futures = new LinkedHashMap<>();
      for (TenantConfig tenant : tenants) {
        TenantCatalog catalog = admitted.catalogs.get(tenant.id());
        if (catalog == null) {
          continue;
        }
        ShrinkGuard guard = admitted.guards.get(tenant.id());
        if (preparations.prepares(tenant.id())) {
          // Its prepared source is read (a restored copy, not the configured database): the
          // source is made once it is ready.
          futures.put(
              tenant.id(),
              pool.submit(
                  () ->
                      runPrepared(
                          context, tenant, catalog, guard, slots, preparations, sourcesOfRun)));
          continue;
        }
        TenantSource source = sourcesOfRun.of(tenant, context.runId(), spark);
        // What planning filled in (borrowed keys and types, folded leaves) is what the run reads
        // with.
        source.planWith(catalog);
        sources.put(tenant.id(), source);
        futures.put(
            tenant.id(),
            pool.submit(() -> runWithSlot(context, tenant, catalog, source, guard, slots)));
      }
      List<TenantResult> results = new ArrayList<>();
      for (TenantConfig tenant : tenants) {
        results.add(
            resultOf(tenant.id(), admitted, futures, sources.get(tenant.id()), preparations));
      }
      return results;
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * The tenant's result: why it did not run, or what it did, with where its rows came from (its
   * source, or the copy it read).
   */
  private TenantResult resultOf(
      String tenantId,
      Admitted admitted,
      Map<String, Future<TenantResult>> futures,
      TenantSource source,
      SourcePreparations preparations) {
    TenantResult r =
        admitted.failed.containsKey(tenantId)
            ? admitted.failed.get(tenantId)
            : await(tenantId, futures.get(tenantId));
    if (source != null) {
      r = r.withSource(new SourceInfo(source.kind(), source.describe(), source.pointInTime()));
    }
    Optional<SourcePreparations.ReadFrom> prepared = preparations.readFrom(tenantId);
    if (prepared.isPresent()) {
      r =
          r.withSource(
              new SourceInfo(
                  prepared.get().kind(),
                  prepared.get().description(),
                  prepared.get().pointInTime()));
    }
    if (!r.published()) {
      LOG.warn(
          "Tenant {} not published ({}): {}",
          r.tenantId(),
          r.status(),
          r.message().isEmpty()
              ? r.tables().stream()
                  .filter(t -> t.status() != TableStatus.OK)
                  .map(t -> t.tableName() + ": " + t.message())
                  .toList()
              : r.message());
    }
    return r;
  }

  /**
   * Records what the target's own record must hold (shared-table conflicts, the verdicts of tenants
   * that did not publish, the run's outcome), drops the run's leftover staging and writes the
   * report.
   */
  private RunResult finish(
      TargetSession session,
      ReportStore reports,
      StagingRegistry registry,
      String runId,
      Instant started,
      List<TenantResult> results,
      SharedTableGate gate,
      TargetSchema planned,
      RunNotes notes)
      throws SQLException {
    // From here on the target's own record decides: a connection lost on the way is replaced.
    Connection conn = session.connection();
    reports.recordSharedConflicts(
        conn,
        runId,
        gate.conflicts().stream()
            .map(
                c ->
                    new ReportStore.SharedConflict(
                        c.table(), c.keyJson(), c.tenantId(), c.rowJson(), c.outcome()))
            .toList());
    for (TenantResult r : results) {
      // A tenant whose publish outcome is unknown records nothing here: a committed publish wrote
      // its rows with the swap, and they must stay.
      if (!r.published() && !r.outcomeUnknown()) {
        // The one place unpublished verdicts are written (published ones commit with their swap):
        // tenants that failed before any table had a verdict get one row, table '*'.
        reports.recordTenantFailure(conn, runId, r);
        reports.recordTables(conn, runId, r.tables());
      }
    }
    dropOwnStaging(conn, registry, runId);
    Instant finished = Instant.now();
    RunResult provisional =
        new RunResult(runId, "run", started, finished, results, null, notes.texts(), notes.items());
    reports.recordOutcome(conn, provisional);
    reports.finishRun(conn, runId, finished, provisional.statusLabel());
    String reportPath = writeReport(provisional, planned, previousRun(conn, provisional));
    reportFailures.forEach(notes::add);
    return new RunResult(
        runId, "run", started, finished, results, reportPath, notes.texts(), notes.items());
  }

  /**
   * Runs a tenant once it holds one of the {@code extract.tenant-parallelism} slots; frees the slot
   * when its heavy work is done.
   */
  private static TenantResult runWithSlot(
      TenantMigration.RunContext context,
      TenantConfig tenant,
      TenantCatalog catalog,
      TenantSource source,
      ShrinkGuard guard,
      Semaphore slots)
      throws InterruptedException {
    slots.acquire();
    AtomicBoolean held = new AtomicBoolean(true);
    Runnable release =
        () -> {
          if (held.getAndSet(false)) {
            slots.release();
          }
        };
    try {
      return new TenantMigration(context, tenant, catalog, source, guard, release).execute();
    } finally {
      release.run();
    }
  }

  /**
   * Runs a tenant whose source is prepared (a restored copy): waits for its source without holding
   * a slot (other tenants extract, validate and publish meanwhile), which checks that it holds the
   * catalog the run planned with, reads it, and cleans it up as soon as the tenant is done. A
   * tenant that cannot read its source withdraws from the shared-table gate, so nobody waits for
   * it.
   */
  private TenantResult runPrepared(
      TenantMigration.RunContext context,
      TenantConfig tenant,
      TenantCatalog planned,
      ShrinkGuard guard,
      Semaphore slots,
      SourcePreparations preparations,
      TenantSources sources)
      throws InterruptedException {
    try {
      progress.stage(tenant.id(), ProgressTracker.Stage.WAITING);
      SourcePreparations.Ready ready = preparations.open(tenant, planned, sources, spark);
      if (ready.failure().isPresent()) {
        progress.finished(tenant.id(), false);
        return TenantResult.failed(tenant.id(), ready.failure().get(), List.of(), 0);
      }
      return runWithSlot(
          context,
          ready.tenant().orElseThrow(),
          planned,
          ready.source().orElseThrow(),
          guard,
          slots);
    } finally {
      context.gate().withdraw(tenant.id());
      preparations.cleanUp(tenant.id());
    }
  }

  /**
   * The tenant's result with the times of preparing its source and cleaning it up, if it had any.
   */
  private static TenantResult withPreparationStages(
      TenantResult r, SourcePreparations preparations) {
    Map<String, Long> stages = preparations.stagesAround(r.tenantId(), r.stageMillis());
    if (stages == r.stageMillis()) {
      return r;
    }
    return new TenantResult(
        r.tenantId(), r.published(), r.message(), r.tables(), r.millis(), stages, r.source());
  }

  /**
   * What the tenant has published in the consolidated tables this run covers (tables still in the
   * target).
   */
  private ShrinkGuard shrinkGuard(
      Connection target, ReportStore reports, TenantCatalog existing, String tenantId)
      throws SQLException {
    Map<String, ShrinkGuard.Published> published = new LinkedHashMap<>();
    reports
        .publishedByTable(target, tenantId)
        .forEach(
            (table, p) -> {
              if (existing.table(table).isPresent()) {
                published.put(table, new ShrinkGuard.Published(table, p.runId(), p.rows()));
              }
            });
    return new ShrinkGuard(
        tenantId, published, allowsShrink(tenantId), config.options().maxShrink());
  }

  private boolean allowsShrink(String tenantId) {
    return ShrinkGuard.allows(tenantId, config.options().allowShrink(), options.allowShrink());
  }

  private TenantResult await(String tenantId, Future<TenantResult> future) {
    try {
      return future.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return TenantResult.failed(
          tenantId, "Interrupted while migrating tenant " + tenantId, List.of(), 0);
    } catch (java.util.concurrent.ExecutionException e) {
      return TenantResult.failed(
          tenantId,
          "Cannot migrate tenant "
              + tenantId
              + ": "
              + Redaction.sqlMessage(e.getCause(), config.secrets()),
          List.of(),
          0);
    }
  }

  /**
   * The previous run of these tenants, for report.html's comparison; empty when it cannot be read
   * (the report is still written).
   */
  private Optional<RunResult> previousRun(Connection conn, RunResult run) {
    try {
      return new ReportReader(config.target().reportSchema())
          .previous(conn, run)
          .map(ReportReader.StoredRun::run);
    } catch (SQLException | RuntimeException e) {
      LOG.warn(
          "Cannot read the previous run for report.html: {}",
          Redaction.sqlMessage(e, config.secrets()));
      return Optional.empty();
    }
  }

  private String writeReport(RunResult run, TargetSchema plan, Optional<RunResult> previous) {
    try {
      // plan.json beside report.json: what this run followed, to compare with what `plan` showed.
      ReportWriter.writeFile(
          config.reportDir(),
          run.runId(),
          "plan.json",
          PlanWriter.json(plan),
          spark.sparkContext().hadoopConfiguration());
      return ReportWriter.write(
          config.reportDir(), run, previous, spark.sparkContext().hadoopConfiguration());
    } catch (java.io.IOException | RuntimeException e) {
      LOG.error(
          "Cannot write report.json under {} ({}): {}",
          config.reportDir(),
          TenantfoldConfig.REPORT_DIR.path(),
          e.getMessage());
      // Never silent: the summary says so (the target's report schema still holds the run).
      reportFailures.add(
          "report.json and report.html were not written under "
              + config.reportDir()
              + " ("
              + TenantfoldConfig.REPORT_DIR.path()
              + "): "
              + e.getMessage()
              + "; tenantfold report "
              + run.runId()
              + " renders them from the target");
      return null;
    }
  }
}
