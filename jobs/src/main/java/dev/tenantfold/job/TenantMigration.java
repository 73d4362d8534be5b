package dev.tenantfold.job;

import static dev.tenantfold.jdbc.Sql.ident;
import static dev.tenantfold.jdbc.Sql.qualified;

import dev.tenantfold.config.JobOptions;
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
import dev.tenantfold.load.StagingTable;
import dev.tenantfold.load.TenantPublisher;
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
 * counts run in the same snapshot, build keys, validate, then publish all tables at once or drop
 * the staging. Every failure ends as a {@link TenantResult}, never as an escaped exception.
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
  private final Map<String, Long> stageMillis = new LinkedHashMap<>();
  private long stageStart = System.nanoTime();

  TenantMigration(TenantfoldConfig config, TenantConfig tenant, TenantCatalog plannedCatalog, TargetSchema target, String runId,
      JavaSparkContext spark, ReportStore reports) {
    this.config = config;
    this.tenant = tenant;
    this.plannedCatalog = plannedCatalog;
    this.target = target;
    this.runId = runId;
    this.spark = spark;
    this.reports = reports;
  }

  TenantResult execute() {
    long start = System.nanoTime();
    List<StagingTable> staged = new ArrayList<>();
    try (Connection targetConn = config.target().endpoint().connect("tenantfold-driver-" + tenant.id())) {
      targetConn.setAutoCommit(true);
      List<TableResult> results;
      try {
        results = stageAndValidate(targetConn, staged);
      } catch (SQLException | RuntimeException e) {
        dropStaging(targetConn, staged);
        return TenantResult.failed(tenant.id(), redact(e), List.of(), millisSince(start));
      }
      boolean valid = results.stream().allMatch(r -> r.status() == TableStatus.OK);
      stageStart = System.nanoTime();
      if (!valid) {
        List<TableResult> unpublished = results.stream().map(r -> r.withPublished(false, r.status() == TableStatus.OK
            ? "not published: another table of this tenant failed validation" : r.message())).toList();
        reports.recordTables(targetConn, runId, unpublished);
        if (!config.options().keepFailedStaging()) {
          dropStaging(targetConn, staged);
        }
        return new TenantResult(tenant.id(), false, "", unpublished, millisSince(start), stageMillis);
      }
      List<TableResult> published = results.stream().map(r -> r.withPublished(true, r.message())).toList();
      int publishPid = targetConn.unwrap(org.postgresql.PGConnection.class).getBackendPID();
      try {
        TenantPublisher.publish(targetConn, tenant.id(), staged, config.options().publishLockTimeout(),
            conn -> reports.recordTables(conn, runId, published));
      } catch (SQLException e) {
        // Only a lost connection leaves the outcome open; any other failure was rolled back.
        if (!targetConn.isValid(5) && publishCommitted(publishPid)) {
          // The connection broke after the server committed (the report rows commit with the swap).
          endStage("publish");
          LOG.warn("Publish of tenant {} reported an error ({}) but had committed", tenant.id(), redact(e));
          return new TenantResult(tenant.id(), true, "", published, millisSince(start), stageMillis);
        }
        dropStaging(targetConn, staged);
        String message = "Cannot publish tenant " + tenant.id() + ": " + redact(e)
            + " (the previously published data is unchanged; raise tenantfold.publish.lock-timeout if readers held locks)";
        List<TableResult> failed = results.stream().map(r -> r.withPublished(false, message)).toList();
        if (targetConn.isValid(5)) {
          reports.recordTables(targetConn, runId, failed);
        } else {
          try (Connection fresh = config.target().endpoint().connect("tenantfold-report-" + tenant.id())) {
            reports.recordTables(fresh, runId, failed);
          }
        }
        return TenantResult.failed(tenant.id(), message, failed, millisSince(start));
      }
      endStage("publish");
      LOG.info("Published tenant {}: {} tables in {} ms {}", tenant.id(), published.size(), millisSince(start), stageMillis);
      return new TenantResult(tenant.id(), true, "", published, millisSince(start), stageMillis);
    } catch (SQLException | RuntimeException e) {
      return TenantResult.failed(tenant.id(), "Cannot migrate tenant " + tenant.id() + ": " + redact(e), List.of(), millisSince(start));
    }
  }

  private List<TableResult> stageAndValidate(Connection targetConn, List<StagingTable> staged) throws SQLException {
    JobOptions options = config.options();
    int buckets = config.validate().buckets();
    Map<String, List<ReadPartition>> plans = new LinkedHashMap<>();
    try (SourceSnapshot snapshot = SourceSnapshot.export(tenant.jdbc(), tenant.id())) {
      TenantCatalog catalog = CatalogReader.read(snapshot.connection(), tenant.id(), tenant.schemas(), config.tables());
      requireUnchanged(catalog);
      snapshot.lockTables(tenant.id(), catalog.tables());
      List<TransferUnit> units = new ArrayList<>();
      Map<String, ChecksumSql> sourceSql = new LinkedHashMap<>();
      for (TargetTable table : target.tables().values()) {
        StagingTable staging = StagingTable.of(config.target().stagingSchema(), runId, config.target().schema(), table, config.tenantColumn(),
            tenant.id());
        staging.create(targetConn);
        staged.add(staging);
        Optional<TableSpec> source = catalog.table(table.name());
        if (source.isEmpty()) {
          plans.put(table.name(), List.of());
          continue;
        }
        sourceSql.put(table.name(), ChecksumQueries.source(table, source.get(), buckets));
        List<ReadPartition> partitions = PartitionPlanner.plan(source.get(), bounds(snapshot.connection(), source.get()),
            catalog.serverVersionNum(), options.rowsPerPartition(), options.maxPartitionsPerTable());
        plans.put(table.name(), partitions);
        for (ReadPartition p : partitions) {
          units.add(new TransferUnit(runId, tenant.id(), table.name(), p.index(), p.count(), tenant.jdbc(), snapshot.id(),
              SourceQuery.copyOut(SourceQuery.select(tenant.id(), source.get(), table, p)), config.target().endpoint(), staging.copyInSql(),
              reports.ledgerTable(), options.transferAttempts()));
        }
      }
      endStage("plan");
      // Source checksums (row counts included) run in the exporting transaction while Spark streams the partitions.
      // A thread of this tenant's own: the common pool would queue tenants' checksums behind each other.
      ExecutorService checksumThread = Executors.newSingleThreadExecutor(r -> new Thread(r, "tenantfold-checksum-" + tenant.id()));
      Map<String, TableChecksum> sourceChecksums;
      try {
        CompletableFuture<Map<String, TableChecksum>> sourceSums =
            CompletableFuture.supplyAsync(() -> checksumSource(snapshot.connection(), sourceSql), checksumThread);
        List<TransferOutcome> outcomes = transfer(units);
        endStage("transfer");
        sourceChecksums = Futures.join(sourceSums);
        endStage("source_checksum_wait");
        // The snapshot stays open: drilling into a mismatch must see the source as it was extracted.
        return validateStaged(snapshot.connection(), targetConn, staged, outcomes, sourceSql, sourceChecksums, plans);
      } finally {
        checksumThread.shutdownNow();
      }
    }
  }

  private List<TableResult> validateStaged(Connection sourceConn, Connection targetConn, List<StagingTable> staged, List<TransferOutcome> outcomes,
      Map<String, ChecksumSql> sourceSql, Map<String, TableChecksum> sourceChecksums, Map<String, List<ReadPartition>> plans) throws SQLException {
    int buckets = config.validate().buckets();
    TableValidator validator = new TableValidator(config.validate());
    long keysNanos = 0;
    long validateNanos = 0;
    List<TableResult> results = new ArrayList<>();
    for (StagingTable staging : staged) {
      String table = staging.table().name();
      List<TransferOutcome> mine = outcomes.stream().filter(o -> o.table().equals(table)).toList();
      Optional<TransferOutcome> failure = mine.stream().filter(TransferOutcome::failed).findFirst();
      if (failure.isPresent()) {
        results.add(TableResult.failed(tenant.id(), table, failure.get().error()));
        continue;
      }
      long t0 = System.nanoTime();
      long t1 = t0;
      ChecksumCheck checksum;
      TableChecksum sourceSums;
      TableChecksum targetSums;
      boolean present = sourceSql.containsKey(table);
      try {
        staging.buildKeys(targetConn, config.options().analyzeStaging());
        staging.buildParentIndexes(targetConn);
        t1 = System.nanoTime();
        keysNanos += t1 - t0;
        ChecksumSql targetSql = ChecksumQueries.target(staging.table(), staging.qualifiedName(), null, buckets);
        targetSums = PostgresChecksum.checksum(targetConn, targetSql);
        sourceSums = present ? sourceChecksums.get(table) : new TableChecksum(buckets, Map.of());
        ChecksumSql sourceQuery = present ? sourceSql.get(table) : targetSql;
        checksum = validator.compare(sourceSums, targetSums, present ? sourceConn : targetConn, sourceQuery, targetConn, targetSql);
      } catch (SQLException e) {
        // Every table still gets its verdict; this one failed.
        results.add(TableResult.failed(tenant.id(), table, "Cannot validate tenant " + tenant.id() + " table " + table + ": " + redact(e)));
        continue;
      } finally {
        validateNanos += System.nanoTime() - t1;
      }
      long extracted = mine.stream().mapToLong(TransferOutcome::extractedRows).sum();
      long copied = mine.stream().mapToLong(TransferOutcome::loadedRows).sum();
      RowCountCheck counts = new RowCountCheck(sourceSums.totalRows(), extracted, copied, targetSums.totalRows());
      TableStatus status = counts.status().worst(checksum.status());
      String message = joinMessages(counts.message(), checksum.message());
      if (!present) {
        message = joinMessages(message, "table absent in this tenant's source");
      }
      results.add(new TableResult(tenant.id(), table, counts.sourceRows(), extracted, 0, 0, counts.stagedRows(), plans.get(table).size(), status,
          false, message, checksum));
    }
    stageMillis.put("keys", keysNanos / 1_000_000);
    stageMillis.put("validate", validateNanos / 1_000_000);
    return results;
  }

  private Map<String, TableChecksum> checksumSource(Connection snapshotConn, Map<String, ChecksumSql> sourceSql) {
    Map<String, TableChecksum> sums = new LinkedHashMap<>();
    for (Map.Entry<String, ChecksumSql> e : sourceSql.entrySet()) {
      try {
        sums.put(e.getKey(), PostgresChecksum.checksum(snapshotConn, e.getValue()));
      } catch (SQLException ex) {
        throw new CompletionException(new SQLException("Cannot checksum tenant " + tenant.id() + " table " + e.getKey() + " in the source: "
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
    try (Connection conn = config.target().endpoint().connect("tenantfold-publish-check-" + tenant.id());
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

  private void dropStaging(Connection conn, List<StagingTable> staged) {
    if (staged.isEmpty()) {
      return;
    }
    try {
      if (!conn.isValid(5)) {
        // The failure took the connection with it: clean up on a fresh one.
        try (Connection fresh = config.target().endpoint().connect("tenantfold-cleanup-" + tenant.id())) {
          dropEach(fresh, staged);
        }
        return;
      }
    } catch (SQLException e) {
      LOG.warn("Cannot reconnect to drop the staging tables of tenant {}: {}", tenant.id(), redact(e));
      return;
    }
    dropEach(conn, staged);
  }

  private void dropEach(Connection conn, List<StagingTable> staged) {
    for (StagingTable s : staged) {
      try {
        s.drop(conn);
      } catch (SQLException e) {
        LOG.warn("Cannot drop staging table {} of tenant {}: {}", s.qualifiedName(), tenant.id(), redact(e));
      }
    }
  }

  private String redact(Throwable e) {
    return Redaction.sqlMessage(e, config.secrets());
  }

  private static long millisSince(long startNanos) {
    return (System.nanoTime() - startNanos) / 1_000_000;
  }
}
