package dev.tenantfold.job;

import static dev.tenantfold.jdbc.Sql.ident;
import static dev.tenantfold.jdbc.Sql.literal;

import dev.tenantfold.config.ConfigError;
import dev.tenantfold.config.TenantConfig;
import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.conform.BorrowedKeys;
import dev.tenantfold.conform.TargetTable;
import dev.tenantfold.extract.CatalogReader;
import dev.tenantfold.extract.TableSpec;
import dev.tenantfold.extract.TenantCatalog;
import dev.tenantfold.jdbc.Redaction;
import dev.tenantfold.load.RowLevelSecurity;
import dev.tenantfold.load.StagingRegistry;
import dev.tenantfold.load.StagingTable;
import dev.tenantfold.progress.ProgressTracker;
import dev.tenantfold.progress.SparkJobNames;
import dev.tenantfold.report.ReportReader;
import dev.tenantfold.report.ReportStore;
import dev.tenantfold.report.ReportWriter;
import dev.tenantfold.report.RunResult;
import dev.tenantfold.report.TableResult;
import dev.tenantfold.report.TenantResult;
import dev.tenantfold.source.Futures;
import dev.tenantfold.source.StagedTable;
import dev.tenantfold.source.TablePlan;
import dev.tenantfold.source.TenantSource;
import dev.tenantfold.source.TenantSources;
import dev.tenantfold.validate.ChecksumCheck;
import dev.tenantfold.validate.ChecksumQueries;
import dev.tenantfold.validate.ChecksumSide;
import dev.tenantfold.validate.SharedTableCheck;
import dev.tenantfold.validate.TableFacts;
import dev.tenantfold.validate.TableStatus;
import dev.tenantfold.validate.TableValidator;
import dev.tenantfold.validate.TableVerdict;
import dev.tenantfold.validate.TableVerifier;
import dev.tenantfold.validate.checksum.ChecksumComparison;
import dev.tenantfold.validate.checksum.TableChecksum;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code validate} command: a post-cutover audit of published data against each tenant's
 * source. Every tenant's source ({@link TenantSource}: a live database read in one snapshot, or its
 * snapshot export) is opened once; for every consolidated table the source gives its side of the
 * checksum where its rows live (SQL in the snapshot, Spark over the export), the target side is
 * computed in SQL over the tenant's published rows, and {@link TableValidator} compares them and
 * drills into differing buckets exactly as a run validates staging. It writes nothing but report
 * rows; exit 0 when everything matches, 3 when not.
 */
public final class AuditJob {
  private static final Logger LOG = LoggerFactory.getLogger(AuditJob.class);

  private final TenantfoldConfig config;
  private final Optional<String> tenantFilter;
  private final Optional<String> tableFilter;
  private SparkSession spark;
  private boolean ownsSpark;
  private ProgressTracker progress = ProgressTracker.none();

  /**
   * Catalogs of the tenants that lend keys, types and partition parents to export tenants without
   * export.catalog.
   */
  private Map<String, TenantCatalog> lenders;

  public AuditJob(
      TenantfoldConfig config, Optional<String> tenantFilter, Optional<String> tableFilter) {
    this(config, tenantFilter, tableFilter, null);
  }

  /**
   * @param spark the session export tenants are read through; null: the active one, or a local one
   *     started (and stopped) when needed
   */
  public AuditJob(
      TenantfoldConfig config,
      Optional<String> tenantFilter,
      Optional<String> tableFilter,
      SparkSession spark) {
    this.config = config;
    this.tenantFilter = tenantFilter;
    this.tableFilter = tableFilter;
    this.spark = spark;
    tenantFilter.ifPresent(
        id -> {
          if (config.tenants().stream().noneMatch(t -> t.id().equals(id))) {
            throw new ConfigError(
                "Cannot validate tenant '"
                    + id
                    + "': it is not in "
                    + TenantfoldConfig.TENANTS.path()
                    + " (known: "
                    + config.tenants().stream().map(TenantConfig::id).toList()
                    + ")");
          }
        });
  }

  /** Reports each tenant's tables as they are checked to {@code tracker}. */
  public AuditJob withProgress(ProgressTracker tracker) {
    this.progress = tracker;
    return this;
  }

  public RunResult execute() throws SQLException {
    Instant started = Instant.now();
    String runId = MigrationJob.newRunId(started);
    ReportStore reports = new ReportStore(config.target().reportSchema());
    // This validation's sources (and the exports they open).
    TenantSources sources = new TenantSources(config);
    lenders = null;
    try (Connection target = config.target().endpoint().connect("tenantfold-validate")) {
      // The table filter is checked before anything is written.
      TenantCatalog existing = readTarget(target);
      List<TargetTable> tables = publishedTables(existing);
      List<TargetTable> shared = sharedTables(existing);
      reports.ensureTables(target);
      reports.startRun(target, runId, started, "validate");
      progress.runStarted(runId);
      progress.tenants(selectedTenants().stream().map(TenantConfig::id).toList());
      List<TenantResult> results = new ArrayList<>();
      for (TenantConfig tenant : selectedTenants()) {
        TenantResult result = auditTenant(tenant, runId, sources, tables, shared, existing, target);
        reports.recordTables(target, runId, result.tables());
        reports.recordTenantFailure(target, runId, result);
        results.add(result);
      }
      Instant finished = Instant.now();
      RunResult provisional =
          new RunResult(runId, "validate", started, finished, results, null, List.of());
      reports.recordOutcome(target, provisional);
      reports.finishRun(target, runId, finished, provisional.statusLabel());
      String path = writeReport(target, provisional);
      return new RunResult(runId, "validate", started, finished, results, path, List.of());
    } finally {
      stopOwnedSpark();
    }
  }

  /** The target's tables under the target schemas and the tenants' schemas, as they are now. */
  private TenantCatalog readTarget(Connection target) throws SQLException {
    return CatalogReader.readTarget(
        target,
        config.target().schemas(),
        config.tenants().stream().flatMap(t -> t.schemas().stream()).distinct().toList(),
        config.tables());
  }

  /** The tenants this audit validates: all, or the one {@code --tenant} names. */
  private List<TenantConfig> selectedTenants() {
    return config.tenants().stream()
        .filter(t -> tenantFilter.isEmpty() || tenantFilter.get().equals(t.id()))
        .toList();
  }

  /**
   * One tenant's audit, reported to the progress tracker. A tenant whose source validate cannot
   * read is refused ({@link TenantSources#refusesAudit}: a restored tenant, whose configured URL is
   * production).
   */
  private TenantResult auditTenant(
      TenantConfig tenant,
      String runId,
      TenantSources sources,
      List<TargetTable> tables,
      List<TargetTable> shared,
      TenantCatalog existing,
      Connection target) {
    progress.tablesPlanned(tenant.id(), tables.size() + shared.size(), 0);
    progress.stage(tenant.id(), ProgressTracker.Stage.VALIDATE);
    Optional<String> refused = sources.refusesAudit(tenant);
    TenantResult result =
        refused.isPresent()
            ? TenantResult.failed(tenant.id(), refused.get(), List.of(), 0)
            : audit(tenant, runId, sources, tables, shared, existing, target);
    progress.finished(tenant.id(), result.status() == TableStatus.OK);
    return result;
  }

  /**
   * Writes report.json and report.html under {@code tenantfold.report.dir}; null when they cannot
   * be written (the error is logged: the audit's rows in the report schema stand).
   */
  private String writeReport(Connection target, RunResult provisional) {
    try {
      return ReportWriter.write(
          config.reportDir(),
          provisional,
          previousRun(target, provisional),
          spark == null ? new Configuration() : spark.sparkContext().hadoopConfiguration());
    } catch (java.io.IOException | RuntimeException e) {
      LOG.error(
          "Cannot write report.json under {} ({}): {}",
          config.reportDir(),
          TenantfoldConfig.REPORT_DIR.path(),
          e.getMessage());
      return null;
    }
  }

  /** Stops the Spark session this audit started, if it started one. */
  private void stopOwnedSpark() {
    if (ownsSpark) {
      spark.stop();
      spark = null;
      ownsSpark = false;
    }
  }

  /**
   * The previous audit of these tenants, for report.html's comparison; empty when it cannot be read
   * (the report is still written).
   */
  private Optional<RunResult> previousRun(Connection target, RunResult run) {
    try {
      return new ReportReader(config.target().reportSchema())
          .previous(target, run)
          .map(ReportReader.StoredRun::run);
    } catch (SQLException | RuntimeException e) {
      LOG.warn("Cannot read the previous audit for report.html: {}", e.getMessage());
      return Optional.empty();
    }
  }

  /** The consolidated tables as they exist in the target now, tenant column left out. */
  private List<TargetTable> publishedTables(TenantCatalog existing) {
    List<TargetTable> tables = new ArrayList<>();
    for (TableSpec t : existing.tables()) {
      if (!t.partitioned() || t.column(config.tenantColumn()).isEmpty()) {
        continue;
      }
      if (tableFilter.isPresent() && !tableFilter.get().equals(t.key())) {
        continue;
      }
      tables.add(
          new TargetTable(
              t.key(),
              t.columns().stream().filter(c -> !c.name().equals(config.tenantColumn())).toList(),
              t.primaryKey().stream().filter(c -> !c.equals(config.tenantColumn())).toList()));
    }
    if (tableFilter.isPresent() && tables.isEmpty() && sharedTables(existing).isEmpty()) {
      throw new ConfigError(
          "Cannot validate table '"
              + tableFilter.get()
              + "': no consolidated table of that name in target schema "
              + config.target().schema());
    }
    return tables;
  }

  /**
   * The shared reference tables ({@code rules.T.shared}) as they exist in the target now: no tenant
   * column, the source's key.
   */
  private List<TargetTable> sharedTables(TenantCatalog existing) {
    return existing.tables().stream()
        .filter(t -> !t.partitioned() && config.rules().forTable(t.name()).shared().isPresent())
        .filter(t -> tableFilter.isEmpty() || tableFilter.get().equals(t.name()))
        .map(t -> new TargetTable(t.name(), t.columns(), t.primaryKey()))
        .toList();
  }

  private TenantResult audit(
      TenantConfig tenant,
      String runId,
      TenantSources sources,
      List<TargetTable> tables,
      List<TargetTable> shared,
      TenantCatalog existing,
      Connection target) {
    long start = System.nanoTime();
    int buckets = config.validate().buckets();
    TableValidator validator = new TableValidator(config.validate());
    List<TableResult> results = new ArrayList<>();
    String where = tenant.source().describe();
    // A thread of this tenant's own for the source side, as in a run: the common pool would queue
    // behind unrelated work.
    ExecutorService sourceThread =
        Executors.newSingleThreadExecutor(r -> new Thread(r, "tenantfold-audit-" + tenant.id()));
    try (TenantSource source = openSource(tenant, runId, sources, shared)) {
      RowLevelSecurity.actAsTenant(target, config.target(), tenant.id());
      planLikeARun(tenant, source, runId, sources, existing);
      TenantCatalog catalog = source.open(config.tables());
      where = source.describe();
      for (TargetTable table : tables) {
        results.add(
            auditTable(tenant, runId, source, catalog, table, target, validator, sourceThread));
      }
      for (TargetTable table : shared) {
        TableResult result = auditShared(tenant, source, catalog, table, runId, target, validator);
        results.add(result);
        progress.tableValidated(tenant.id(), result.counts().sourceRows());
      }
      for (TableSpec extra : unpublished(catalog, tables)) {
        results.add(missingInTarget(tenant, extra, source, buckets));
      }
      return new TenantResult(
          tenant.id(), false, "", results, (System.nanoTime() - start) / 1_000_000);
    } catch (SQLException | RuntimeException e) {
      String message =
          "Cannot validate tenant "
              + tenant.id()
              + " ("
              + where
              + "): "
              + Redaction.sqlMessage(e, config.secrets());
      LOG.error(message);
      return TenantResult.failed(
          tenant.id(), message, results, (System.nanoTime() - start) / 1_000_000);
    } finally {
      sourceThread.shutdownNow();
    }
  }

  /**
   * The tenant's source, opened for the audit. Shared tables copy the tenant's rows to the target
   * (a Spark job for a JDBC tenant too), so a Spark session is handed over when there are any.
   */
  private TenantSource openSource(
      TenantConfig tenant, String runId, TenantSources sources, List<TargetTable> shared) {
    return sources.forAudit(
        tenant, runId, tenant.source().readsThroughSpark() || !shared.isEmpty() ? spark() : null);
  }

  /**
   * The source's tables that are neither published nor shared (shared tables are checked against
   * the shared table): each is missing in the target. None when {@code --table} names one table.
   */
  private List<TableSpec> unpublished(TenantCatalog catalog, List<TargetTable> tables) {
    if (tableFilter.isPresent()) {
      return List.of();
    }
    return catalog.tables().stream()
        .filter(extra -> tables.stream().noneMatch(t -> t.name().equals(extra.key())))
        .filter(extra -> config.rules().forTable(extra.key()).shared().isEmpty())
        .toList();
  }

  /**
   * An export tenant without {@code export.catalog} is planned as a run plans it: keys, exact types
   * and partition parents the export metadata cannot tell come from the target and the other
   * tenants.
   */
  private void planLikeARun(
      TenantConfig tenant,
      TenantSource source,
      String runId,
      TenantSources sources,
      TenantCatalog existing)
      throws SQLException {
    if (tenant.source().catalogIncomplete()) {
      source.planWith(
          BorrowedKeys.fill(
              source.readCatalog(config.tables()),
              otherCatalogs(tenant, runId, sources),
              existing,
              config.tenantColumn()));
    }
  }

  /**
   * One published table of the tenant against its source: both checksums at once (the source's on
   * the tenant's own thread), drilled into where they differ, and the verdict of its facts.
   */
  private TableResult auditTable(
      TenantConfig tenant,
      String runId,
      TenantSource source,
      TenantCatalog catalog,
      TargetTable table,
      Connection target,
      TableValidator validator,
      ExecutorService sourceThread)
      throws SQLException {
    int buckets = config.validate().buckets();
    Optional<ChecksumSide> sourceSide =
        source.checksumSide(table, config.rules().forTable(table.name()));
    ChecksumSide targetSide =
        ChecksumSide.sql(
            target,
            ChecksumQueries.target(
                table,
                config.target().schemas().relation(table.name()),
                ident(config.tenantColumn()) + " = " + literal(tenant.id()),
                buckets));
    // Both sides scan at once: the source's where its rows live, the target's here.
    CompletableFuture<TableChecksum> sourceFuture =
        sourceSide.isEmpty()
            ? CompletableFuture.completedFuture(new TableChecksum(buckets, Map.of()))
            : CompletableFuture.supplyAsync(
                () -> checksum(sourceSide.get(), runId, tenant.id(), table.name()), sourceThread);
    TableChecksum targetSums = targetSide.checksum();
    TableChecksum sourceSums = Futures.join(sourceFuture);
    // A table the tenant lacks has no source side: the published rows face themselves, as in a
    // run.
    SparkJobNames.setIfActive("validate", runId, "drill-down", tenant.id(), List.of(table.name()));
    ChecksumCheck check;
    try {
      check = validator.compare(sourceSums, targetSums, sourceSide.orElse(targetSide), targetSide);
    } finally {
      SparkJobNames.clearIfActive();
    }
    TableVerdict verdict =
        TableVerifier.verdict(
            new TableFacts(
                Optional.empty(),
                sourceSums.totalRows(),
                targetSums.totalRows(),
                check,
                TableFacts.columnsMissing(
                    catalog.table(table.name()), table, config.rules().forTable(table.name())),
                sourceSide.isEmpty(),
                Optional.empty()));
    progress.tableValidated(tenant.id(), sourceSums.totalRows());
    return TableResult.audited(
        tenant.id(), table.name(), sourceSums.totalRows(), targetSums.totalRows(), verdict, check);
  }

  /**
   * One tenant's rows of a shared reference table against the published shared table: the rows, as
   * the tenant's source conforms them, are copied into a registered staging table on the target
   * (the run's transfer, checked against the source's checksum), then compared there with the
   * shared table's rows of the same keys ({@link SharedTableCheck}). Keys whose rows another
   * tenant's row overruled in the run that last published the tenant's rows ({@code
   * shared_conflicts}) are resolved conflicts; every other difference is a mismatch, named by key.
   * The copy is dropped.
   */
  private TableResult auditShared(
      TenantConfig tenant,
      TenantSource source,
      TenantCatalog catalog,
      TargetTable table,
      String runId,
      Connection target,
      TableValidator validator) {
    int buckets = config.validate().buckets();
    Optional<TableSpec> own = catalog.table(table.name());
    if (own.isEmpty()) {
      return absentShared(tenant, table, buckets);
    }
    String reportSchema = config.target().reportSchema();
    StagingRegistry registry = new StagingRegistry(reportSchema);
    StagingTable copy = null;
    String what = "tenant " + tenant.id() + " shared table " + table.name();
    try {
      copy = newCopy(registry, target, runId, tenant, table);
      StagedTable staged =
          source
              .stage(
                  List.of(new TablePlan(table, own, copy, config.rules().forTable(table.name()))))
              .table(table.name())
              .orElseThrow();
      Optional<String> copyProblem = copyProblem(staged, copy, table, target, what);
      if (copyProblem.isPresent()) {
        return TableResult.failed(tenant.id(), table.name(), copyProblem.get());
      }
      return compareShared(tenant, table, staged, copy, target, validator);
    } catch (SQLException | RuntimeException e) {
      return TableResult.failed(
          tenant.id(),
          table.name(),
          "Cannot validate " + what + ": " + Redaction.sqlMessage(e, config.secrets()));
    } finally {
      dropCopy(target, registry, copy, what);
    }
  }

  /**
   * The audit's copy of the tenant's shared rows against the published shared table, on the target:
   * the rows of the same keys compared by checksum, keys another tenant's row overruled in the run
   * that last published the tenant's rows counted as resolved conflicts.
   */
  private TableResult compareShared(
      TenantConfig tenant,
      TargetTable table,
      StagedTable staged,
      StagingTable copy,
      Connection target,
      TableValidator validator)
      throws SQLException {
    String reportSchema = config.target().reportSchema();
    Optional<String> published =
        SharedTableGate.publishingRun(target, reportSchema, tenant.id(), table.name());
    SharedTableCheck check =
        new SharedTableCheck(
            table,
            copy.qualifiedName(),
            config.target().schemas().relation(table.name()),
            published.map(
                r -> SharedTableGate.resolvedKeysSql(reportSchema, r, tenant.id(), table.name())),
            config.validate().buckets());
    ChecksumSide tenantSide = ChecksumSide.sql(target, check.tenantSide());
    ChecksumSide publishedSide = ChecksumSide.sql(target, check.publishedSide());
    TableChecksum tenantSums = tenantSide.checksum();
    TableChecksum publishedSums = publishedSide.checksum();
    ChecksumCheck compared =
        validator.compare(tenantSums, publishedSums, tenantSide, publishedSide);
    long resolved =
        Long.parseLong(dev.tenantfold.jdbc.Queries.string(target, check.resolvedRowsSql()));
    return TableResult.audited(
        tenant.id(),
        table.name(),
        staged.sourceChecksum().totalRows(),
        publishedSums.totalRows() + resolved,
        TableVerdict.of(
            compared.status(), sharedMessage(tenant, table, compared, published, resolved)),
        compared);
  }

  /**
   * A staging table for the audit's copy of the tenant's rows of a shared table, registered before
   * it is created so cleanup finds it whatever happens next.
   */
  private StagingTable newCopy(
      StagingRegistry registry,
      Connection target,
      String runId,
      TenantConfig tenant,
      TargetTable table)
      throws SQLException {
    registry.ensureTable(target);
    StagingTable copy =
        StagingTable.ofShared(
            registry.register(
                target, runId, tenant.id(), table.name(), config.target().stagingSchema()),
            config.target().schemas().targetSchemaOf(table.name()),
            table,
            config.tenantColumn(),
            tenant.id());
    copy.create(target);
    return copy;
  }

  /**
   * Why the copy of a tenant's shared rows cannot stand for its source, if it cannot: the copy
   * failed, or its checksum differs from the source's.
   */
  private Optional<String> copyProblem(
      StagedTable staged, StagingTable copy, TargetTable table, Connection target, String what)
      throws SQLException {
    if (staged.failure().isPresent()) {
      return Optional.of(
          "Cannot copy the rows of "
              + what
              + " to the target to compare them: "
              + staged.failure().get());
    }
    TableChecksum copied =
        ChecksumSide.sql(
                target,
                ChecksumQueries.target(
                    table, copy.qualifiedName(), null, config.validate().buckets()))
            .checksum();
    if (ChecksumComparison.compare(staged.sourceChecksum(), copied).matches()) {
      return Optional.empty();
    }
    return Optional.of(
        "Cannot compare "
            + what
            + ": its rows copied to the target differ from its source ("
            + staged.sourceChecksum().totalRows()
            + " rows in the source, "
            + copied.totalRows()
            + " copied); run validate again");
  }

  /** A shared table the tenant's source lacks: nothing of it to compare. */
  private static TableResult absentShared(TenantConfig tenant, TargetTable table, int buckets) {
    TableChecksum none = new TableChecksum(buckets, Map.of());
    return TableResult.audited(
        tenant.id(),
        table.name(),
        0,
        0,
        TableVerdict.of(TableStatus.OK, "table absent in this tenant's source"),
        new ChecksumCheck(
            ChecksumCheck.digest(none),
            ChecksumCheck.digest(none),
            buckets,
            0,
            0,
            Map.of(),
            List.of()));
  }

  /**
   * What a shared table's comparison says: the keys whose rows differ from the published shared
   * table and are no resolved conflict, or how many rows differ as resolved conflicts.
   */
  private String sharedMessage(
      TenantConfig tenant,
      TargetTable table,
      ChecksumCheck compared,
      Optional<String> published,
      long resolved) {
    String reportSchema = config.target().reportSchema();
    String message = "";
    if (compared.status() != TableStatus.OK) {
      List<String> keys = compared.listed().stream().map(d -> d.key()).limit(10).toList();
      message =
          "shared table "
              + table.name()
              + ": rows of tenant "
              + tenant.id()
              + " differ from the published shared table"
              + (keys.isEmpty() ? "" : " at keys " + String.join(", ", keys))
              + ", and are not conflicts resolved "
              + published
                  .map(r -> "by run " + r)
                  .orElse("(no run published this tenant's rows of it)")
              + " in "
              + reportSchema
              + ".shared_conflicts; "
              + compared.message();
    } else if (resolved > 0) {
      message =
          resolved
              + " rows differ from the shared table as conflicts resolved by run "
              + published.orElseThrow()
              + " (listed in "
              + reportSchema
              + ".shared_conflicts)";
    }
    return message;
  }

  /** Drops the audit's copy of a tenant's shared rows; a failure leaves it to cleanup. */
  private void dropCopy(
      Connection target, StagingRegistry registry, StagingTable copy, String what) {
    if (copy != null) {
      try {
        copy.drop(target);
        registry.mark(target, List.of(copy), "dropped");
      } catch (SQLException e) {
        LOG.warn(
            "Cannot drop {} (copy of {}; the next run or tenantfold cleanup drops it): {}",
            copy.qualifiedName(),
            what,
            Redaction.sqlMessage(e, config.secrets()));
      }
    }
  }

  /**
   * The planning catalogs of every other tenant that knows its own (JDBC, or export with
   * export.catalog), read once per audit; those that cannot be read are left out: they only lend
   * knowledge.
   */
  private List<TenantCatalog> otherCatalogs(
      TenantConfig tenant, String runId, TenantSources sources) {
    if (lenders == null) {
      lenders = new LinkedHashMap<>();
      for (TenantConfig other : config.tenants()) {
        if (other.source().catalogIncomplete()) {
          continue;
        }
        try (TenantSource source =
            sources.forAudit(other, runId, other.source().readsThroughSpark() ? spark() : null)) {
          lenders.put(other.id(), source.readCatalog(config.tables()));
        } catch (SQLException | RuntimeException e) {
          LOG.warn(
              "Cannot read the catalog of tenant {} to plan export tenants without export.catalog"
                  + " by it: {}",
              other.id(),
              Redaction.sqlMessage(e, config.secrets()));
        }
      }
    }
    return lenders.entrySet().stream()
        .filter(e -> !e.getKey().equals(tenant.id()))
        .map(Map.Entry::getValue)
        .toList();
  }

  /**
   * A source table with no consolidated table in the target: still checksummed in the source, so
   * the report shows how many source rows the target lacks, and a MISMATCH rather than an empty
   * match.
   */
  private TableResult missingInTarget(
      TenantConfig tenant, TableSpec source, TenantSource opened, int buckets) throws SQLException {
    TargetTable asInSource = new TargetTable(source.key(), source.columns(), source.primaryKey());
    TableChecksum sourceSums =
        opened
            .checksumSide(asInSource, config.rules().forTable(source.key()))
            .orElseThrow()
            .checksum();
    TableChecksum none = new TableChecksum(buckets, Map.of());
    ChecksumCheck check =
        new ChecksumCheck(
            ChecksumCheck.digest(sourceSums),
            ChecksumCheck.digest(none),
            buckets,
            sourceSums.byBucket().size(),
            0,
            Map.of(),
            List.of());
    String message =
        "table "
            + source.qualifiedName()
            + " is missing in the target: it exists in the source but has no consolidated table in"
            + " target schema "
            + config.target().schema()
            + ", so its "
            + sourceSums.totalRows()
            + " source rows are not published; run tenantfold run to consolidate it, or exclude it"
            + " with "
            + dev.tenantfold.config.TablesConfig.EXCLUDE.path();
    return TableResult.audited(
        tenant.id(),
        source.key(),
        sourceSums.totalRows(),
        0,
        TableVerdict.of(TableStatus.MISMATCH, message),
        check);
  }

  /**
   * The source side's sums; a Spark side's jobs named after the run and tenant, as a run names
   * them.
   */
  private TableChecksum checksum(ChecksumSide side, String runId, String tenantId, String table) {
    if (spark != null) {
      SparkJobNames.set(
          spark.sparkContext(), "validate", runId, "checksum", tenantId, List.of(table));
    }
    try {
      return side.checksum();
    } catch (SQLException e) {
      throw new CompletionException(e);
    } finally {
      if (spark != null) {
        SparkJobNames.clear(spark.sparkContext());
      }
    }
  }

  /**
   * The session export tenants are read through: the one given, the active or default one, or a
   * local one (as {@code run} starts it) stopped when the audit ends.
   */
  private SparkSession spark() {
    if (spark == null) {
      scala.Option<SparkSession> active =
          SparkSession.getActiveSession().isDefined()
              ? SparkSession.getActiveSession()
              : SparkSession.getDefaultSession();
      if (active.isDefined()) {
        spark = active.get();
      } else {
        spark = Jobs.sparkSession(config);
        ownsSpark = true;
      }
    }
    return spark;
  }
}
