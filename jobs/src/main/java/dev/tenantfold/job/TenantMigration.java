package dev.tenantfold.job;

import static dev.tenantfold.jdbc.Sql.ident;
import static dev.tenantfold.jdbc.Sql.qualified;

import dev.tenantfold.config.TenantConfig;
import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.conform.TargetSchema;
import dev.tenantfold.conform.TargetTable;
import dev.tenantfold.extract.CatalogReader;
import dev.tenantfold.extract.PartitionPlanner;
import dev.tenantfold.extract.PartitionPlanner.KeyBounds;
import dev.tenantfold.extract.ReadPartition;
import dev.tenantfold.extract.SourceQuery;
import dev.tenantfold.extract.SourceSnapshot;
import dev.tenantfold.extract.TableSpec;
import dev.tenantfold.extract.TenantCatalog;
import dev.tenantfold.jdbc.Redaction;
import dev.tenantfold.load.CopyTransfer;
import dev.tenantfold.load.StagingRegistry;
import dev.tenantfold.load.StagingTable;
import dev.tenantfold.load.TenantPublisher;
import dev.tenantfold.load.TenantPublisher.Publication;
import dev.tenantfold.jdbc.SessionName;
import dev.tenantfold.validate.ShrinkGuard;
import java.util.OptionalLong;
import java.util.Set;
import java.util.stream.Collectors;
import org.postgresql.PGConnection;
import dev.tenantfold.load.TransferOutcome;
import dev.tenantfold.load.TransferUnit;
import dev.tenantfold.report.ReportStore;
import dev.tenantfold.report.TableResult;
import dev.tenantfold.report.TenantResult;
import dev.tenantfold.validate.ChecksumCheck;
import dev.tenantfold.validate.ChecksumQueries;
import dev.tenantfold.validate.RowCountCheck;
import dev.tenantfold.validate.TableStatus;
import dev.tenantfold.validate.TableValidator;
import dev.tenantfold.validate.checksum.ChecksumSql;
import dev.tenantfold.validate.checksum.PostgresChecksum;
import dev.tenantfold.validate.checksum.TableChecksum;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.spark.api.java.JavaSparkContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.sql.PreparedStatement;

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
  private final JavaSparkContext spark;
  private final ReportStore reports;
  private final StagingRegistry registry;
  private final ShrinkGuard guard;
  private final Map<String, Long> stageMillis = new LinkedHashMap<>();
  private long stageStart = System.nanoTime();
  /** The step under way, for the message when it fails ("Cannot transfer tenant acme: ..."). */
  private String step = "plan";

  /** One table of this tenant: where it comes from, where it is staged, how it is read and checked. */
  private record TablePlan(TargetTable table, Optional<TableSpec> source, StagingTable staging, List<ReadPartition> partitions,
      Optional<ChecksumSql> sourceChecksum) {}

  TenantMigration(TenantfoldConfig config, TenantConfig tenant, TenantCatalog plannedCatalog, TargetSchema target, String runId,
      JavaSparkContext spark, ReportStore reports, StagingRegistry registry, ShrinkGuard guard) {
    this.config = config;
    this.tenant = tenant;
    this.plannedCatalog = plannedCatalog;
    this.target = target;
    this.runId = runId;
    this.spark = spark;
    this.reports = reports;
    this.registry = registry;
    this.guard = guard;
  }

  TenantResult execute() {
    long start = System.nanoTime();
    List<StagingTable> staged = new ArrayList<>();
    try (TargetSession session = new TargetSession(config.target().endpoint(), runId, "tenant-" + tenant.id())) {
      List<TableResult> results;
      try {
        results = stageAndValidate(session, staged).stream().map(this::guarded).toList();
      } catch (SQLException | RuntimeException e) {
        String message = "Cannot " + step + " tenant " + tenant.id() + ": " + redact(e);
        dropStaging(session, staged);
        return TenantResult.failed(tenant.id(), message, List.of(), millisSince(start));
      }
      stageStart = System.nanoTime();
      if (!results.stream().allMatch(r -> r.status() == TableStatus.OK)) {
        return unpublished(session, staged, results, start);
      }
      return publish(session, staged, results, start);
    }
  }

  /** The table's verdict with the rows published before, failed if it would empty a published table. */
  private TableResult guarded(TableResult r) {
    TableResult withPrevious = r.withPreviousRows(guard.published(r.tableName()).map(p -> OptionalLong.of(p.rows())).orElse(OptionalLong.empty()));
    if (r.status() != TableStatus.OK) {
      return withPrevious;
    }
    return guard.refuseEmptied(r.tableName(), r.loadedRows()).map(withPrevious::refused).orElse(withPrevious);
  }

  private TenantResult unpublished(TargetSession session, List<StagingTable> staged, List<TableResult> results, long start) {
    List<TableResult> unpublished = results.stream().map(r -> r.withPublished(false, r.status() == TableStatus.OK
        ? "not published: another table of this tenant failed validation" : r.message())).toList();
    try {
      reports.recordTables(session.connection(), runId, unpublished);
    } catch (SQLException e) {
      // The run records every tenant's tables again at its end, on a connection of its own.
      LOG.warn("Cannot record the results of tenant {} yet: {}", tenant.id(), redact(e));
    }
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

  private TenantResult publish(TargetSession session, List<StagingTable> staged, List<TableResult> results, long start) {
    List<TableResult> published = results.stream().map(r -> r.withPublished(true, r.message())).toList();
    Set<String> stagedTables = staged.stream().map(s -> s.table().name()).collect(Collectors.toSet());
    // Reached only when the guard allowed it: tables the tenant no longer has leave with this publish.
    List<String> retired = guard.vanishedTables(stagedTables).stream().filter(t -> config.tables().selects(t)).toList();
    Publication publication = new Publication(tenant.id(), staged, retired, config.target().schema(), config.target().partitionSchema());
    int publishPid = -1;
    try {
      Connection conn = session.connection();
      publishPid = conn.unwrap(PGConnection.class).getBackendPID();
      TenantPublisher.publish(conn, publication, config.options().publishLockTimeout(), c -> {
        reports.recordTables(c, runId, published);
        registry.mark(c, staged, "published");
      });
    } catch (SQLException e) {
      // Only a lost connection leaves the outcome open; any other failure was rolled back.
      if (session.lost() && publishPid > 0 && publishCommitted(publishPid)) {
        // The connection broke after the server committed (the report rows commit with the swap).
        endStage("publish");
        LOG.warn("Publish of tenant {} reported an error ({}) but had committed", tenant.id(), redact(e));
        return new TenantResult(tenant.id(), true, "", published, millisSince(start), stageMillis);
      }
      dropStaging(session, staged);
      String message = "Cannot publish tenant " + tenant.id() + ": " + redact(e) + " (the previously published data is unchanged"
          + ("55P03".equals(e.getSQLState()) ? "; raise tenantfold.publish.lock-timeout if readers held locks)" : ")");
      List<TableResult> failed = results.stream().map(r -> r.withPublished(false, message)).toList();
      try {
        reports.recordTables(session.connection(), runId, failed);
      } catch (SQLException recordFailure) {
        LOG.warn("Cannot record the failed publish of tenant {} yet: {}", tenant.id(), redact(recordFailure));
      }
      return TenantResult.failed(tenant.id(), message, failed, millisSince(start));
    }
    endStage("publish");
    if (!retired.isEmpty()) {
      LOG.warn("Tenant {} no longer has tables {}: its partitions of them were dropped (allowed by --allow-shrink)", tenant.id(), retired);
    }
    LOG.info("Published tenant {}: {} tables in {} ms {}", tenant.id(), published.size(), millisSince(start), stageMillis);
    return new TenantResult(tenant.id(), true, "", published, millisSince(start), stageMillis);
  }

  private List<TableResult> stageAndValidate(TargetSession session, List<StagingTable> staged) throws SQLException {
    step = "open the source snapshot of";
    try (SourceSnapshot snapshot = SourceSnapshot.export(tenant.jdbc(), tenant.id())) {
      step = "read the catalog of";
      TenantCatalog catalog = CatalogReader.read(snapshot.connection(), tenant.id(), tenant.schemas(), config.tables());
      requireUnchanged(catalog);
      snapshot.lockTables(tenant.id(), catalog.tables());
      step = "stage";
      List<TablePlan> plans = new ArrayList<>();
      for (TargetTable table : target.tables().values()) {
        plans.add(planTable(session.connection(), snapshot, catalog, table, staged));
      }
      List<TransferUnit> units = new ArrayList<>();
      for (TablePlan plan : plans) {
        for (ReadPartition p : plan.partitions()) {
          units.add(new TransferUnit(runId, tenant.id(), plan.table().name(), p.index(), p.count(), tenant.jdbc(), snapshot.id(),
              SourceQuery.copyOut(SourceQuery.select(tenant.id(), plan.source().orElseThrow(), plan.table(), p)), config.target().endpoint(),
              plan.staging().copyInSql(), reports.ledgerTable(), config.options().transferAttempts()));
        }
      }
      endStage("plan");
      // Source checksums (row counts included) run in the exporting transaction while Spark streams the partitions.
      // A thread of this tenant's own: the common pool would queue tenants' checksums behind each other.
      ExecutorService checksumThread = Executors.newSingleThreadExecutor(r -> new Thread(r, "tenantfold-checksum-" + tenant.id()));
      try {
        CompletableFuture<Map<String, TableChecksum>> sourceSums =
            CompletableFuture.supplyAsync(() -> checksumSource(snapshot.connection(), plans), checksumThread);
        step = "transfer";
        List<TransferOutcome> outcomes = transfer(units);
        endStage("transfer");
        step = "checksum the source of";
        Map<String, TableChecksum> sourceChecksums = Futures.join(sourceSums);
        endStage("source_checksum_wait");
        step = "validate";
        // The snapshot stays open: drilling into a mismatch must see the source as it was extracted.
        return validateStaged(snapshot.connection(), session, plans, outcomes, sourceChecksums);
      } finally {
        checksumThread.shutdownNow();
      }
    }
  }

  private TablePlan planTable(Connection targetConn, SourceSnapshot snapshot, TenantCatalog catalog, TargetTable table, List<StagingTable> staged)
      throws SQLException {
    // Recorded before it is created: whatever happens next, cleanup finds it.
    StagingTable staging = StagingTable.of(registry.register(targetConn, runId, tenant.id(), table.name(), config.target().stagingSchema()),
        config.target().schema(), table, config.tenantColumn(), tenant.id());
    staged.add(staging);
    staging.create(targetConn);
    Optional<TableSpec> source = catalog.table(table.name());
    if (source.isEmpty()) {
      return new TablePlan(table, source, staging, List.of(), Optional.empty());
    }
    List<ReadPartition> partitions = PartitionPlanner.plan(source.get(), bounds(snapshot.connection(), source.get()), catalog.serverVersionNum(),
        config.options().rowsPerPartition(), config.options().maxPartitionsPerTable());
    return new TablePlan(table, source, staging, partitions, Optional.of(ChecksumQueries.source(table, source.get(), config.validate().buckets())));
  }

  private List<TableResult> validateStaged(Connection sourceConn, TargetSession session, List<TablePlan> plans, List<TransferOutcome> outcomes,
      Map<String, TableChecksum> sourceChecksums) {
    int buckets = config.validate().buckets();
    TableValidator validator = new TableValidator(config.validate());
    long keysNanos = 0;
    long validateNanos = 0;
    List<TableResult> results = new ArrayList<>();
    for (TablePlan plan : plans) {
      String table = plan.table().name();
      List<TransferOutcome> mine = outcomes.stream().filter(o -> o.table().equals(table)).toList();
      Optional<TransferOutcome> failure = mine.stream().filter(TransferOutcome::failed).findFirst();
      if (failure.isPresent()) {
        results.add(TableResult.failed(tenant.id(), table, failure.get().error()));
        continue;
      }
      long t0 = System.nanoTime();
      long t1 = t0;
      String tableStep = "build the keys of";
      ChecksumCheck checksum;
      TableChecksum sourceSums;
      TableChecksum targetSums;
      try {
        Connection targetConn = session.connection();
        plan.staging().buildKeys(targetConn, config.options().analyzeStaging());
        plan.staging().buildParentIndexes(targetConn);
        t1 = System.nanoTime();
        keysNanos += t1 - t0;
        tableStep = "validate";
        ChecksumSql targetSql = ChecksumQueries.target(plan.table(), plan.staging().qualifiedName(), null, buckets);
        targetSums = PostgresChecksum.checksum(targetConn, targetSql);
        sourceSums = plan.sourceChecksum().isPresent() ? sourceChecksums.get(table) : new TableChecksum(buckets, Map.of());
        checksum = validator.compare(sourceSums, targetSums, plan.sourceChecksum().isPresent() ? sourceConn : targetConn,
            plan.sourceChecksum().orElse(targetSql), targetConn, targetSql);
      } catch (SQLException e) {
        // Every table still gets its verdict; this one failed.
        results.add(TableResult.failed(tenant.id(), table, "Cannot " + tableStep + " tenant " + tenant.id() + " table " + table + ": " + redact(e)));
        continue;
      } finally {
        validateNanos += System.nanoTime() - t1;
      }
      long extracted = mine.stream().mapToLong(TransferOutcome::extractedRows).sum();
      long copied = mine.stream().mapToLong(TransferOutcome::loadedRows).sum();
      RowCountCheck counts = new RowCountCheck(sourceSums.totalRows(), extracted, copied, targetSums.totalRows());
      TableStatus status = counts.status().worst(checksum.status());
      String message = joinMessages(counts.message(), checksum.message());
      if (plan.source().isEmpty()) {
        message = joinMessages(message, "table absent in this tenant's source");
      }
      results.add(new TableResult(tenant.id(), table, counts.sourceRows(), extracted, 0, 0, counts.stagedRows(), plan.partitions().size(), status,
          false, message, checksum));
    }
    stageMillis.put("keys", keysNanos / 1_000_000);
    stageMillis.put("validate", validateNanos / 1_000_000);
    return results;
  }

  private Map<String, TableChecksum> checksumSource(Connection snapshotConn, List<TablePlan> plans) {
    Map<String, TableChecksum> sums = new LinkedHashMap<>();
    for (TablePlan plan : plans) {
      if (plan.sourceChecksum().isEmpty()) {
        continue;
      }
      try {
        sums.put(plan.table().name(), PostgresChecksum.checksum(snapshotConn, plan.sourceChecksum().get()));
      } catch (SQLException ex) {
        throw new CompletionException(new SQLException("Cannot checksum tenant " + tenant.id() + " table " + plan.table().name() + " in the source: "
            + ex.getMessage(), ex));
      }
    }
    return sums;
  }

  private static String joinMessages(String a, String b) {
    if (a.isEmpty()) {
      return b;
    }
    return b.isEmpty() ? a : a + "; " + b;
  }

  private void endStage(String name) {
    long now = System.nanoTime();
    stageMillis.put(name, (now - stageStart) / 1_000_000);
    stageStart = now;
  }

  private List<TransferOutcome> transfer(List<TransferUnit> units) {
    if (units.isEmpty()) {
      return List.of();
    }
    List<TransferUnit> ordered = units.stream().sorted(Comparator.comparing(TransferUnit::table)).toList();
    spark.setJobGroup("tenantfold-" + runId + "-" + tenant.id(), "tenant " + tenant.id() + ": stream " + units.size() + " partitions", true);
    try {
      return spark.parallelize(ordered, ordered.size()).map(CopyTransfer::run).collect();
    } finally {
      spark.clearJobGroup();
    }
  }

  /** Fails the tenant if its schema changed between planning and the snapshot: a new column would be silently lost. */
  private void requireUnchanged(TenantCatalog inSnapshot) throws SQLException {
    for (TableSpec planned : plannedCatalog.tables()) {
      Optional<TableSpec> now = inSnapshot.table(planned.name());
      if (now.isEmpty() || !now.get().columns().equals(planned.columns())) {
        throw new SQLException("Cannot extract tenant " + tenant.id() + " table " + planned.name()
            + ": its definition changed while the run was planning; run again");
      }
    }
    for (TableSpec now : inSnapshot.tables()) {
      if (plannedCatalog.table(now.name()).isEmpty()) {
        throw new SQLException("Cannot extract tenant " + tenant.id() + ": table " + now.name() + " appeared while the run was planning; run again");
      }
    }
  }

  private static Optional<KeyBounds> bounds(Connection snapshotConn, TableSpec table) throws SQLException {
    if (table.integerKey().isEmpty()) {
      return Optional.empty();
    }
    String key = ident(table.integerKey().get().name());
    try (Statement st = snapshotConn.createStatement();
        ResultSet rs = st.executeQuery("SELECT min(" + key + "), max(" + key + ") FROM " + qualified(table.schema(), table.name()))) {
      rs.next();
      long min = rs.getLong(1);
      return rs.wasNull() ? Optional.empty() : Optional.of(new KeyBounds(min, rs.getLong(2)));
    }
  }


  /**
   * Whether this run's publish of the tenant committed, asked on a fresh connection once the
   * publishing session ({@code pid}) is gone: a session whose client vanished may still finish its
   * COMMIT, so it is ended first and its outcome read after.
   */
  private boolean publishCommitted(int pid) {
    try (Connection conn = config.target().endpoint().connect(SessionName.of(runId, "publish-check-" + tenant.id()));
        PreparedStatement terminate = conn.prepareStatement("SELECT pg_terminate_backend(?)");
        PreparedStatement alive = conn.prepareStatement("SELECT count(*) FROM pg_stat_activity WHERE pid = ?")) {
      terminate.setInt(1, pid);
      terminate.execute();
      alive.setInt(1, pid);
      for (int i = 0; i < 300; i++) {
        try (ResultSet rs = alive.executeQuery()) {
          rs.next();
          if (rs.getLong(1) == 0) {
            break;
          }
        }
        Thread.sleep(100);
      }
      return reports.publishedTables(conn, runId, tenant.id()) > 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (SQLException e) {
      LOG.warn("Cannot tell whether tenant {} was published: {}", tenant.id(), redact(e));
      return false;
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
      LOG.warn("Cannot reconnect to drop the staging tables of tenant {} (the next run or tenantfold cleanup drops them): {}", tenant.id(),
          redact(e));
      return;
    }
    List<StagingTable> dropped = new ArrayList<>();
    for (StagingTable s : staged) {
      try {
        s.drop(conn);
        dropped.add(s);
      } catch (SQLException e) {
        LOG.warn("Cannot drop staging table {} of tenant {}: {}", s.qualifiedName(), tenant.id(), redact(e));
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
