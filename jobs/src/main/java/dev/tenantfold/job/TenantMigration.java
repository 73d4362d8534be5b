package dev.tenantfold.job;

import dev.tenantfold.config.SchemaMap;
import dev.tenantfold.config.TenantConfig;
import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.conform.RowAccounting;
import dev.tenantfold.conform.TargetSchema;
import dev.tenantfold.conform.TargetTable;
import dev.tenantfold.extract.TableObjects;
import dev.tenantfold.extract.TableSpec;
import dev.tenantfold.extract.TenantCatalog;
import dev.tenantfold.jdbc.Redaction;
import dev.tenantfold.jdbc.SearchPath;
import dev.tenantfold.jdbc.SessionName;
import dev.tenantfold.jdbc.Transaction;
import dev.tenantfold.load.CompatSchemas;
import dev.tenantfold.load.StagingRegistry;
import dev.tenantfold.load.StagingTable;
import dev.tenantfold.load.TargetDdl;
import dev.tenantfold.load.TenantPublisher;
import dev.tenantfold.load.TenantPublisher.Publication;
import dev.tenantfold.progress.ProgressTracker;
import dev.tenantfold.progress.SparkJobNames;
import dev.tenantfold.report.ReportStore;
import dev.tenantfold.report.RunNotes;
import dev.tenantfold.report.TableCounts;
import dev.tenantfold.report.TableResult;
import dev.tenantfold.report.TenantResult;
import dev.tenantfold.source.StagedTable;
import dev.tenantfold.source.StagedTenant;
import dev.tenantfold.source.TablePlan;
import dev.tenantfold.source.TenantSource;
import dev.tenantfold.validate.ChecksumCheck;
import dev.tenantfold.validate.ChecksumQueries;
import dev.tenantfold.validate.ChecksumSide;
import dev.tenantfold.validate.RowCountCheck;
import dev.tenantfold.validate.ShrinkGuard;
import dev.tenantfold.validate.TableFacts;
import dev.tenantfold.validate.TableStatus;
import dev.tenantfold.validate.TableValidator;
import dev.tenantfold.validate.TableVerdict;
import dev.tenantfold.validate.TableVerifier;
import dev.tenantfold.validate.checksum.ChecksumSql;
import dev.tenantfold.validate.checksum.TableChecksum;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.postgresql.PGConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One tenant through extract, load, validate and publish. {@link #execute()} reads like the plan:
 * open the snapshot, stage every table, transfer all partitions as one Spark job while the source
 * counts run in the same snapshot, build keys, validate, refuse to shrink published data unless
 * allowed, then publish all tables at once or drop the staging. Every failure ends as a {@link
 * TenantResult} naming the step that failed, never as an escaped exception; a lost target
 * connection is replaced so the outcome can still be recorded and the staging dropped.
 */
final class TenantMigration {
  private static final Logger LOG = LoggerFactory.getLogger(TenantMigration.class);

  private final TenantfoldConfig config;
  private final TenantConfig tenant;
  private final TenantCatalog plannedCatalog;
  private final TargetSchema target;
  private final String runId;
  private final TenantSource source;
  private final ReportStore reports;
  private final StagingRegistry registry;
  private final ShrinkGuard guard;
  private final SharedTableGate gate;
  private final Runnable stagingDone;
  private final ProgressTracker progress;
  private final RunNotes runNotes;
  private final Map<String, Long> stageMillis = new LinkedHashMap<>();
  // Exclusion constraints the target could not build on this tenant's partitions.
  private final List<String> skippedExclusions = new ArrayList<>();
  private long stageStart = System.nanoTime();

  /** The step under way, for the message when it fails ("Cannot transfer tenant acme: ..."). */
  private String step = "plan";

  /**
   * What every tenant of one run shares: the configuration, the run id, the plan, the report and
   * staging records, the gate where tenants with shared tables meet before publishing, and the
   * signal that a tenant's heavy work is done ({@code stagingDone}: frees its slot among {@code
   * extract.tenant-parallelism}, so tenants waiting at the gate do not hold slots).
   */
  /**
   * The run's shared parts; {@code notes} is the run's notes (summary, report.json), which tenants
   * add to as they go.
   */
  record RunContext(
      TenantfoldConfig config,
      String runId,
      TargetSchema plan,
      ReportStore reports,
      StagingRegistry registry,
      SharedTableGate gate,
      ProgressTracker progress,
      RunNotes notes) {}

  TenantMigration(
      RunContext run,
      TenantConfig tenant,
      TenantCatalog plannedCatalog,
      TenantSource source,
      ShrinkGuard guard,
      Runnable stagingDone) {
    this.config = run.config();
    this.tenant = tenant;
    this.plannedCatalog = plannedCatalog;
    this.target = run.plan();
    this.runId = run.runId();
    this.source = source;
    this.reports = run.reports();
    this.registry = run.registry();
    this.guard = guard;
    this.gate = run.gate();
    this.stagingDone = stagingDone;
    this.progress = run.progress();
    this.runNotes = run.notes();
  }

  TenantResult execute() {
    progress.stage(tenant.id(), ProgressTracker.Stage.PLAN);
    TenantResult result = migrate();
    progress.finished(tenant.id(), result.published());
    return result;
  }

  private TenantResult migrate() {
    long start = System.nanoTime();
    List<StagingTable> staged = new ArrayList<>();
    try (TargetSession session =
        new TargetSession(config.target().endpoint(), runId, "tenant-" + tenant.id())) {
      List<TableResult> results;
      try {
        results = stageAndValidate(session, staged).stream().map(this::guarded).toList();
      } catch (SQLException | RuntimeException e) {
        String message = "Cannot " + step + " tenant " + tenant.id() + ": " + redact(e);
        dropStaging(session, staged);
        return TenantResult.failed(tenant.id(), message, List.of(), millisSince(start));
      } finally {
        stagingDone.run();
      }
      stageStart = System.nanoTime();
      if (!results.stream().allMatch(r -> r.status() == TableStatus.OK)) {
        gate.withdraw(tenant.id());
        return unpublished(session, staged, results, start);
      }
      progress.stage(tenant.id(), ProgressTracker.Stage.PUBLISH);
      SharedTableGate.Decision shared;
      try {
        shared = gate.arrive(tenant.id(), sharedStaging(staged));
      } catch (SQLException | InterruptedException e) {
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt();
        }
        dropStaging(session, staged);
        return TenantResult.failed(
            tenant.id(),
            "Cannot publish tenant " + tenant.id() + ": " + redact(e),
            List.of(),
            millisSince(start));
      }
      if (gate.active()) {
        endStage("shared_wait");
      }
      if (shared.refused().isPresent()) {
        String reason = shared.refused().get();
        return unpublished(
            session,
            staged,
            results.stream()
                .map(r -> target.rule(r.tableName()).shared().isPresent() ? r.refused(reason) : r)
                .toList(),
            start);
      }
      return publish(
          session,
          staged,
          withOverruled(results, shared.overruledKeys()),
          start,
          shared.overruledKeys());
    } finally {
      // A tenant that never reached the gate (an error before it) must not keep the others waiting.
      gate.withdraw(tenant.id());
    }
  }

  /** The tenant's staging of each shared table it has rows of. */
  private Map<String, StagingTable> sharedStaging(List<StagingTable> staged) {
    Map<String, StagingTable> out = new LinkedHashMap<>();
    staged.stream().filter(StagingTable::shared).forEach(s -> out.put(s.table().name(), s));
    return out;
  }

  /** Notes, on shared tables, how many of the tenant's rows another tenant's row overruled. */
  private List<TableResult> withOverruled(
      List<TableResult> results, Map<String, List<String>> overruled) {
    return results.stream()
        .map(
            r ->
                overruled.containsKey(r.tableName())
                    ? r.withNote(
                        overruled.get(r.tableName()).size()
                            + " rows overruled by other tenants' rows for the same key ("
                            + target.rule(r.tableName()).shared().get().path()
                            + ".on-conflict = "
                            + target.rule(r.tableName()).shared().get().describe()
                            + "; listed in "
                            + config.target().reportSchema()
                            + ".shared_conflicts)")
                    : r)
        .toList();
  }

  /**
   * The table's verdict with the rows published before, failed if it would empty a published table.
   */
  private TableResult guarded(TableResult r) {
    TableResult withPrevious =
        r.withPreviousRows(
            guard
                .published(r.tableName())
                .map(p -> OptionalLong.of(p.rows()))
                .orElse(OptionalLong.empty()));
    if (r.status() != TableStatus.OK) {
      return withPrevious;
    }
    return guard
        .refuseEmptied(r.tableName(), r.counts().loadedRows())
        .map(withPrevious::refused)
        .orElse(withPrevious);
  }

  /**
   * Drops (or keeps) the staging of a tenant that does not publish; the run records its verdicts.
   */
  private TenantResult unpublished(
      TargetSession session, List<StagingTable> staged, List<TableResult> results, long start) {
    List<TableResult> unpublished =
        results.stream()
            .map(
                r ->
                    r.status() == TableStatus.OK
                        ? r.heldBack(
                            "not published: another table of this tenant failed validation")
                        : r)
            .toList();
    if (config.options().keepFailedStaging()) {
      try {
        registry.mark(session.connection(), staged, "kept");
      } catch (SQLException e) {
        LOG.warn("Cannot mark the staging tables of tenant {} as kept: {}", tenant.id(), redact(e));
      }
    } else {
      dropStaging(session, staged);
    }
    return new TenantResult(tenant.id(), false, "", unpublished, millisSince(start), stageMillis);
  }

  /**
   * Publishes the tenant's staged tables in one transaction with its verdicts ({@link
   * TenantPublisher}: swap, retire, compatibility schemas, its code on the new partitions); then
   * notes what could not be recreated. A publish that raised is decided by {@link #publishFailed}.
   */
  private TenantResult publish(
      TargetSession session,
      List<StagingTable> staged,
      List<TableResult> results,
      long start,
      Map<String, List<String>> overruledShared) {
    List<TableResult> published = results.stream().map(TableResult::asPublished).toList();
    Set<String> stagedTables =
        staged.stream().map(s -> s.table().name()).collect(Collectors.toSet());
    // Reached only when the guard allowed it: tables the tenant no longer has leave with this
    // publish.
    List<String> retired =
        guard.vanishedTables(stagedTables).stream()
            .filter(t -> config.tables().selects(t))
            .toList();
    Publication publication = publication(staged, retired, overruledShared);
    int publishPid = -1;
    AtomicReference<CompatSchemas.Rebuilt> compatRebuilt = new AtomicReference<>();
    TargetDdl tenantCode = TargetDdl.of(config.target(), config.tenantColumn());
    try {
      Connection conn = session.connection();
      publishPid = conn.unwrap(PGConnection.class).getBackendPID();
      TenantPublisher.publish(
          conn,
          publication,
          config.options().publishLockTimeout(),
          c -> {
            reports.recordTables(c, runId, published);
            registry.mark(c, staged, "published");
            Optional<String> compat = config.target().compatSchema(tenant.id());
            if (compat.isPresent()) {
              compatRebuilt.set(
                  CompatSchemas.of(config.target(), config.tenantColumn())
                      .rebuild(
                          c,
                          tenant.id(),
                          tenant.schemas(),
                          target,
                          target.code().tenant(tenant.id())));
            }
            // The tenant's own triggers (run as its role) and the keys its source declares on
            // partitions, on its new partitions.
            tenantCode.installOnPartitions(c, target, tenant.id(), List.copyOf(stagedTables));
          });
    } catch (SQLException e) {
      return publishFailed(session, staged, results, published, start, publishPid, e);
    }
    endStage("publish");
    afterPublish(session, compatRebuilt.get(), tenantCode, retired);
    LOG.info(
        "Published tenant {}: {} tables in {} ms {}",
        tenant.id(),
        published.size(),
        millisSince(start),
        stageMillis);
    return new TenantResult(tenant.id(), true, "", published, millisSince(start), stageMillis);
  }

  /** What the tenant's publish swaps in, retires and recreates. */
  private Publication publication(
      List<StagingTable> staged, List<String> retired, Map<String, List<String>> overruledShared) {
    return new Publication(
        tenant.id(),
        staged,
        retired,
        config.target().schemas(),
        config.target().partitionSchema(),
        overruledShared,
        target.publishOrder(),
        config.target().rowLevelSecurity()
            ? Optional.of(config.target().tenantSetting())
            : Optional.empty(),
        config.target().compatSchemaPrefix().isPresent()
            ? List.copyOf(target.tables().keySet())
            : List.of(),
        target.code().tenant(tenant.id()).sequences());
  }

  /**
   * The tenant's result when its publish raised {@code e}: published after all (the server
   * committed before the connection broke), unknown (never guessed), or not published (rolled back:
   * its staging dropped, the previously published data unchanged).
   */
  private TenantResult publishFailed(
      TargetSession session,
      List<StagingTable> staged,
      List<TableResult> results,
      List<TableResult> published,
      long start,
      int publishPid,
      SQLException e) {
    // Only a lost connection leaves the outcome open; any other failure was rolled back.
    PublishOutcome.Verdict verdict =
        session.lost() && publishPid > 0
            ? publishOutcome(publishPid)
            : PublishOutcome.Verdict.NOT_COMMITTED;
    if (verdict == PublishOutcome.Verdict.COMMITTED) {
      // The connection broke after the server committed (the report rows commit with the swap).
      endStage("publish");
      LOG.warn(
          "Publish of tenant {} reported an error ({}) but had committed", tenant.id(), redact(e));
      return new TenantResult(tenant.id(), true, "", published, millisSince(start), stageMillis);
    }
    if (verdict == PublishOutcome.Verdict.UNKNOWN) {
      // Never guessed: nothing is dropped or recorded over what a committed publish wrote.
      endStage("publish");
      String message = unknownOutcome(redact(e));
      LOG.error(message);
      return new TenantResult(
          tenant.id(),
          false,
          message,
          results.stream().map(r -> r.outcomeUnknown(message)).toList(),
          millisSince(start),
          stageMillis);
    }
    dropStaging(session, staged);
    String message =
        "Cannot publish tenant "
            + tenant.id()
            + ": "
            + redact(e)
            + " (the previously published data is unchanged"
            + ("55P03".equals(e.getSQLState())
                ? "; raise "
                    + dev.tenantfold.config.JobOptions.LOCK_TIMEOUT.path()
                    + " if readers held locks)"
                : ")");
    List<TableResult> failed = results.stream().map(r -> r.heldBack(message)).toList();
    return TenantResult.failed(tenant.id(), message, failed, millisSince(start));
  }

  /**
   * After a publish: notes what its compatibility schemas and its code could not recreate, fills
   * the compatibility schemas' materialized views ({@code compatRebuilt} null when it has none),
   * and warns of the tables it {@code retired}.
   */
  private void afterPublish(
      TargetSession session,
      CompatSchemas.Rebuilt compatRebuilt,
      TargetDdl tenantCode,
      List<String> retired) {
    if (compatRebuilt != null && !compatRebuilt.problems().isEmpty()) {
      // Never dropped silently: a view the rebuild could not create is in the run's notes, not only
      // in the log.
      runNotes.add(
          "tenant "
              + tenant.id()
              + ": "
              + compatRebuilt.problems().size()
              + " objects not recreated in its compatibility schemas (all listed in report.json"
              + " and report.html): "
              + String.join("; ", CompatSchemas.summarize(compatRebuilt.problems())),
          compatRebuilt.problems());
    }
    runNotes.addAbout(
        "tenant " + tenant.id() + ": ",
        "of its triggers, their functions or its partitions' foreign keys not recreated",
        tenantCode.skipped());
    if (compatRebuilt != null) {
      try {
        List<String> unfilled =
            CompatSchemas.of(config.target(), config.tenantColumn())
                .refresh(session.connection(), tenant.id(), compatRebuilt, target);
        runNotes.addAbout(
            "tenant " + tenant.id() + ": ", "materialized views left unfilled", unfilled);
      } catch (SQLException e) {
        LOG.warn(
            "Tenant {}: cannot fill the materialized views of its compatibility schema: {}",
            tenant.id(),
            redact(e));
      }
    }
    if (!retired.isEmpty()) {
      LOG.warn(
          "Tenant {} no longer has tables {}: its partitions of them were dropped (allowed by"
              + " --allow-shrink)",
          tenant.id(),
          retired);
    }
  }

  private List<TableResult> stageAndValidate(TargetSession session, List<StagingTable> staged)
      throws SQLException {
    step = "open the source of";
    try (TenantSource opened = source) {
      step = "read the catalog of";
      TenantCatalog catalog = opened.open(config.tables());
      // Warnings of the source (an export far from the source's statistics) are the run's notes.
      opened.warnings().forEach(runNotes::add);
      requireUnchanged(catalog);
      step = "stage";
      List<TablePlan> plans = new ArrayList<>();
      for (TargetTable table : target.tables().values()) {
        StagingTable staging = createStaging(session.connection(), table);
        staged.add(staging);
        plans.add(
            new TablePlan(table, catalog.table(table.name()), staging, target.rule(table.name())));
      }
      endStage("plan");
      progress.tablesPlanned(
          tenant.id(),
          plans.size(),
          plans.stream()
              .mapToLong(p -> p.source().map(s -> Math.max(0L, s.estimatedRows())).orElse(0L))
              .sum());
      progress.stage(tenant.id(), ProgressTracker.Stage.TRANSFER);
      step = "transfer";
      StagedTenant moved = opened.stage(plans);
      stageMillis.putAll(moved.stageMillis());
      stageStart = System.nanoTime();
      step = "validate";
      progress.stage(tenant.id(), ProgressTracker.Stage.VALIDATE);
      // The source stays open: drilling into a mismatch must see it as it was extracted.
      return validateStaged(session, plans, moved);
    }
  }

  /**
   * {@code table}'s staging table, recorded and created in one transaction: whatever happens next,
   * cleanup finds every staging table that exists (one commit per table, not three).
   */
  private StagingTable createStaging(Connection conn, TargetTable table) throws SQLException {
    return Transaction.in(
        conn,
        () -> {
          StagingTable.Name name =
              registry.register(
                  conn, runId, tenant.id(), table.name(), config.target().stagingSchema());
          String schema = config.target().schemas().targetSchemaOf(table.name());
          StagingTable staging =
              target.rule(table.name()).shared().isPresent()
                  ? StagingTable.ofShared(name, schema, table, config.tenantColumn(), tenant.id())
                  : StagingTable.of(name, schema, table, config.tenantColumn(), tenant.id());
          staging.create(conn);
          return staging;
        });
  }

  private List<TableResult> validateStaged(
      TargetSession session, List<TablePlan> plans, StagedTenant moved) {
    TableValidator validator = new TableValidator(config.validate());
    long keysNanos = 0;
    long validateNanos = 0;
    List<TableResult> results = new ArrayList<>();
    try (ConcurrentChecksum checksums =
        ConcurrentChecksum.open(config.target().endpoint(), runId, tenant.id())) {
      for (TablePlan plan : plans) {
        StagedTable stagedTable = moved.table(plan.name()).orElseThrow();
        if (stagedTable.failure().isPresent()) {
          results.add(TableResult.failed(tenant.id(), plan.name(), stagedTable.failure().get()));
          progress.tableValidated(tenant.id(), 0);
          continue;
        }
        ValidatedTable validated = validateTable(session, plan, stagedTable, validator, checksums);
        keysNanos += validated.keysNanos();
        validateNanos += validated.validateNanos();
        results.add(validated.result());
      }
    }
    // Never dropped silently: in the run's notes, not only the log.
    runNotes.addAbout(
        "tenant " + tenant.id() + ": ",
        "exclusion constraints not recreated on its partitions (its rows are loaded without them)",
        skippedExclusions);
    stageMillis.put("keys", keysNanos / 1_000_000);
    stageMillis.put("validate", validateNanos / 1_000_000);
    return results;
  }

  /**
   * One staged table's verdict and the time spent on it: building its keys, then validating it (the
   * target's checksum, compared with the source's, drilled into where they differ).
   */
  private record ValidatedTable(TableResult result, long keysNanos, long validateNanos) {}

  /**
   * Builds the keys of one staged table and compares its checksum with the source's: the table's
   * verdict, or a failed result naming the step that failed (every table still gets its verdict).
   */
  private ValidatedTable validateTable(
      TargetSession session,
      TablePlan plan,
      StagedTable stagedTable,
      TableValidator validator,
      ConcurrentChecksum checksums) {
    String table = plan.name();
    // Drilling into an export tenant's mismatch runs Spark jobs on this thread: they say which
    // table.
    SparkJobNames.setIfActive("run", runId, "validate", tenant.id(), List.of(table));
    long t0 = System.nanoTime();
    long t1 = t0;
    long validateNanos;
    String tableStep = "build the keys of";
    ChecksumCheck checksum = null;
    TableChecksum targetSums = null;
    TableResult failed = null;
    ChecksumSql targetQueries =
        ChecksumQueries.target(
            plan.table(), plan.staging().qualifiedName(), null, config.validate().buckets());
    // The target checksum reads the staging table on a connection of its own while the keys are
    // built (a unique index takes a SHARE lock, which reads pass): neither waits for the other.
    ConcurrentChecksum.Pending concurrent = checksums.start(targetQueries);
    try {
      Connection targetConn = session.connection();
      try {
        // One transaction, one commit: the key, exclusions, the parent's indexes and ANALYZE.
        Transaction.in(
            targetConn,
            () -> {
              buildKeys(targetConn, plan);
              return null;
            });
      } finally {
        t1 = System.nanoTime();
      }
      tableStep = "validate";
      ChecksumSide targetSide = ChecksumSide.sql(targetConn, targetQueries);
      targetSums = concurrent.await(targetSide);
      // A table the tenant lacks has no source side: whatever was staged is extra.
      checksum =
          validator.compare(
              stagedTable.sourceChecksum(),
              targetSums,
              stagedTable.present() ? stagedTable.sourceSide() : targetSide,
              targetSide);
    } catch (SQLException e) {
      failed = tableFailed(tableStep, table, e);
    } finally {
      concurrent.close();
      validateNanos = System.nanoTime() - t1;
      SparkJobNames.clearIfActive();
      progress.tableValidated(tenant.id(), stagedTable.loadedRows());
    }
    TableResult result =
        failed != null ? failed : verdictOf(session, plan, stagedTable, checksum, targetSums);
    return new ValidatedTable(result, t1 - t0, validateNanos);
  }

  /** {@code table}'s result when {@code step} failed with {@code e}. */
  private TableResult tableFailed(String step, String table, SQLException e) {
    return TableResult.failed(
        tenant.id(),
        table,
        "Cannot " + step + " tenant " + tenant.id() + " table " + table + ": " + redact(e));
  }

  /**
   * The staging table's keys, exclusion constraints and the parent's indexes, built before the
   * checksum (a key violation is a verdict too). Exclusions are read under the tenants' schemas as
   * the search path: replayed under the mapped path, qualifiers mapped.
   */
  private void buildKeys(Connection targetConn, TablePlan plan) throws SQLException {
    plan.staging().buildKeys(targetConn, config.options().analyzeStaging());
    SchemaMap schemas = config.target().schemas();
    List<TableObjects.CheckSpec> exclusions =
        target.objects(plan.name()).exclusions().stream()
            .map(x -> new TableObjects.CheckSpec(x.name(), schemas.requalify(x.definition())))
            .toList();
    SearchPath.with(
        targetConn,
        schemas.searchPath(target.code().searchPath()),
        () -> {
          skippedExclusions.addAll(plan.staging().buildExclusions(targetConn, exclusions));
          return null;
        });
    plan.staging().buildParentIndexes(targetConn);
  }

  /**
   * A staged table's result: its facts (counts at every hop, the checksum comparison, columns the
   * target lacks, where rows went under rules) judged by {@link TableVerifier}, its rejects
   * recorded.
   */
  private TableResult verdictOf(
      TargetSession session,
      TablePlan plan,
      StagedTable stagedTable,
      ChecksumCheck checksum,
      TableChecksum targetSums) {
    String table = plan.name();
    // With rules that drop rows, the source checksum counts the rows that should arrive; the
    // accounting says where the others went.
    RowCountCheck counts =
        new RowCountCheck(
            stagedTable.sourceChecksum().totalRows(),
            stagedTable.extractedRows(),
            stagedTable.loadedRows(),
            targetSums.totalRows());
    Optional<RowAccounting> accounting = stagedTable.accounting();
    TableVerdict verdict =
        TableVerifier.verdict(
            new TableFacts(
                Optional.of(counts),
                counts.sourceRows(),
                targetSums.totalRows(),
                checksum,
                TableFacts.columnsMissing(plan.source(), plan.table(), plan.rule()),
                plan.source().isEmpty(),
                accounting.map(
                    rows ->
                        new TableFacts.Accounting(
                            rows,
                            counts.sourceRows(),
                            plan.rule().path(),
                            plan.rule().maxRejectedRows(),
                            config.target().reportSchema() + ".rejects"))));
    TableCounts.Loaded loaded = TableCounts.Loaded.of(counts, stagedTable.partitions());
    TableResult result =
        TableResult.checked(
            tenant.id(),
            table,
            accounting.map(loaded::withAccounting).orElse(loaded),
            verdict,
            checksum);
    if (accounting.isPresent() && accounting.get().rejectedRows() > 0) {
      result = recordRejects(session, plan, result, accounting.get());
    }
    return result;
  }

  /**
   * Records the rejected rows whatever the verdict, so the report shows them; a table whose rejects
   * cannot be recorded fails.
   */
  private TableResult recordRejects(
      TargetSession session, TablePlan plan, TableResult result, RowAccounting rows) {
    try {
      reports.recordRejects(session.connection(), runId, tenant.id(), plan.name(), rows.rejects());
      return result;
    } catch (SQLException e) {
      return result.refused(
          "Cannot record the rejected rows of tenant "
              + tenant.id()
              + " table "
              + plan.name()
              + ": "
              + redact(e));
    }
  }

  private void endStage(String name) {
    long now = System.nanoTime();
    stageMillis.put(name, (now - stageStart) / 1_000_000);
    stageStart = now;
  }

  /**
   * Fails the tenant if its schema changed between planning and the snapshot: a new column would be
   * silently lost.
   */
  private void requireUnchanged(TenantCatalog inSnapshot) throws SQLException {
    for (TableSpec planned : plannedCatalog.tables()) {
      Optional<TableSpec> now = inSnapshot.table(planned.key());
      if (now.isEmpty() || !now.get().columns().equals(planned.columns())) {
        throw new SQLException(
            "Cannot extract tenant "
                + tenant.id()
                + " table "
                + planned.key()
                + ": its definition changed while the run was planning; run again");
      }
    }
    for (TableSpec now : inSnapshot.tables()) {
      if (plannedCatalog.table(now.key()).isEmpty()) {
        throw new SQLException(
            "Cannot extract tenant "
                + tenant.id()
                + ": table "
                + now.key()
                + " appeared while the run was planning; run again");
      }
    }
  }

  /** What to tell a person when the target could not say whether the tenant's publish committed. */
  private String unknownOutcome(String error) {
    return "UNKNOWN: cannot tell whether tenant "
        + tenant.id()
        + " was published: its publishing connection broke ("
        + error
        + ") and the target did not answer for "
        + config.options().outcomeWait().toSeconds()
        + " s ("
        + dev.tenantfold.config.JobOptions.OUTCOME_WAIT.path()
        + "). Nothing was dropped or overwritten: the target's"
        + " own record ("
        + config.target().reportSchema()
        + ".table_results of run "
        + runId
        + ", written with the publish) says whether it committed. Once the target answers, run"
        + " tenantfold report "
        + runId
        + " to see it settled; if it says not published, run again (the next run and tenantfold"
        + " cleanup drop what the publish left in staging)";
  }

  /**
   * Whether this run's publish of the tenant committed, asked on a fresh connection once the
   * publishing session ({@code pid}) is gone: a session whose client vanished may still finish its
   * COMMIT, so it is ended first and its outcome read after. Asked again with backoff for {@code
   * publish.outcome-wait} while the target does not answer ({@link PublishOutcome}).
   */
  private PublishOutcome.Verdict publishOutcome(int pid) {
    return PublishOutcome.ask(
        () -> publishCommitted(pid),
        config.options().outcomeWait(),
        d -> Thread.sleep(d.toMillis()),
        e ->
            LOG.warn(
                "Cannot tell yet whether tenant {} was published (asking again until {} s have"
                    + " passed): {}",
                tenant.id(),
                config.options().outcomeWait().toSeconds(),
                redact(e)));
  }

  private boolean publishCommitted(int pid) throws SQLException {
    try (Connection conn =
            config
                .target()
                .endpoint()
                .connect(SessionName.of(runId, "publish-check-" + tenant.id()));
        PreparedStatement terminate = conn.prepareStatement("SELECT pg_terminate_backend(?)");
        PreparedStatement alive =
            conn.prepareStatement("SELECT count(*) FROM pg_stat_activity WHERE pid = ?")) {
      terminate.setInt(1, pid);
      terminate.execute();
      alive.setInt(1, pid);
      boolean gone = false;
      for (int i = 0; i < 300 && !gone; i++) {
        try (ResultSet rs = alive.executeQuery()) {
          rs.next();
          gone = rs.getLong(1) == 0;
        }
        if (!gone) {
          Thread.sleep(100);
        }
      }
      if (!gone) {
        throw new SQLException(
            "the publishing session (pid " + pid + ") is still there after 30 s", "55000");
      }
      return reports.publishedTables(conn, runId, tenant.id()) > 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SQLException("interrupted while waiting for the publishing session to end", e);
    }
  }

  /** Drops the tenant's staging tables, on a fresh connection when the failure took the old one. */
  private void dropStaging(TargetSession session, List<StagingTable> staged) {
    if (staged.isEmpty()) {
      return;
    }
    Connection conn;
    try {
      conn = session.connection();
    } catch (SQLException e) {
      LOG.warn(
          "Cannot reconnect to drop the staging tables of tenant {} (the next run or tenantfold"
              + " cleanup drops them): {}",
          tenant.id(),
          redact(e));
      return;
    }
    List<StagingTable> dropped = new ArrayList<>();
    for (StagingTable s : staged) {
      try {
        s.drop(conn);
        dropped.add(s);
      } catch (SQLException e) {
        LOG.warn(
            "Cannot drop staging table {} of tenant {}: {}",
            s.qualifiedName(),
            tenant.id(),
            redact(e));
      }
    }
    try {
      registry.mark(conn, dropped, "dropped");
    } catch (SQLException e) {
      LOG.warn("Cannot record the dropped staging tables of tenant {}: {}", tenant.id(), redact(e));
    }
  }

  private String redact(Throwable e) {
    return Redaction.sqlMessage(e, config.secrets());
  }

  private static long millisSince(long startNanos) {
    return (System.nanoTime() - startNanos) / 1_000_000;
  }
}
