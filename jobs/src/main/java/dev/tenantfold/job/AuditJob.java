package dev.tenantfold.job;

import static dev.tenantfold.jdbc.Sql.ident;
import static dev.tenantfold.jdbc.Sql.literal;
import static dev.tenantfold.jdbc.Sql.qualified;

import dev.tenantfold.config.ConfigError;
import dev.tenantfold.config.TenantConfig;
import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.conform.TargetTable;
import dev.tenantfold.extract.CatalogReader;
import dev.tenantfold.extract.SourceSnapshot;
import dev.tenantfold.extract.TableSpec;
import dev.tenantfold.extract.TenantCatalog;
import dev.tenantfold.jdbc.Redaction;
import dev.tenantfold.load.RowLevelSecurity;
import dev.tenantfold.report.ReportStore;
import dev.tenantfold.source.Futures;
import dev.tenantfold.report.ReportWriter;
import dev.tenantfold.report.RunResult;
import dev.tenantfold.report.TableResult;
import dev.tenantfold.report.TenantResult;
import dev.tenantfold.validate.ChecksumCheck;
import dev.tenantfold.validate.ChecksumQueries;
import dev.tenantfold.validate.TableStatus;
import dev.tenantfold.validate.TableValidator;
import dev.tenantfold.validate.checksum.ChecksumSql;
import dev.tenantfold.validate.checksum.PostgresChecksum;
import dev.tenantfold.validate.checksum.TableChecksum;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.apache.hadoop.conf.Configuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code validate} command: a post-cutover audit of published data against the live sources.
 * For each tenant it opens a snapshot of the source, checksums every consolidated table there and
 * the tenant's published rows in the target, and drills into differing buckets, exactly as a run
 * validates staging. It writes nothing but report rows; exit 0 when everything matches, 3 when not.
 */
public final class AuditJob {
  private static final Logger LOG = LoggerFactory.getLogger(AuditJob.class);

  private final TenantfoldConfig config;
  private final Optional<String> tenantFilter;
  private final Optional<String> tableFilter;

  public AuditJob(TenantfoldConfig config, Optional<String> tenantFilter, Optional<String> tableFilter) {
    this.config = config;
    this.tenantFilter = tenantFilter;
    this.tableFilter = tableFilter;
    tenantFilter.ifPresent(id -> {
      if (config.tenants().stream().noneMatch(t -> t.id().equals(id))) {
        throw new ConfigError("Cannot validate tenant '" + id + "': it is not in tenantfold.tenants (known: "
            + config.tenants().stream().map(TenantConfig::id).toList() + ")");
      }
      if (config.tenants().stream().anyMatch(t -> t.id().equals(id) && t.isExport())) {
        throw new ConfigError("Cannot validate tenant '" + id + "': it is read from a snapshot export, and validate audits published"
            + " data against live sources only; run tenantfold run again to re-check it against its export");
      }
    });
  }

  public RunResult execute() throws SQLException {
    Instant started = Instant.now();
    String runId = MigrationJob.newRunId(started);
    ReportStore reports = new ReportStore(config.target().reportSchema());
    try (Connection target = config.target().endpoint().connect("tenantfold-validate")) {
      // The table filter is checked before anything is written.
      List<TargetTable> tables = publishedTables(target);
      reports.ensureTables(target);
      reports.startRun(target, runId, started, "validate");
      List<TenantResult> results = new ArrayList<>();
      List<String> notes = new ArrayList<>();
      for (TenantConfig tenant : config.tenants()) {
        if (tenantFilter.isPresent() && !tenantFilter.get().equals(tenant.id())) {
          continue;
        }
        if (tenant.isExport()) {
          notes.add("tenant " + tenant.id() + " skipped: it is read from a snapshot export; validate audits live sources only"
              + " (tenantfold run re-checks it against its export)");
          continue;
        }
        TenantResult result = audit(tenant, tables, target);
        reports.recordTables(target, runId, result.tables());
        reports.recordTenantFailure(target, runId, result);
        results.add(result);
      }
      Instant finished = Instant.now();
      RunResult provisional = new RunResult(runId, "validate", started, finished, results, null, notes);
      reports.finishRun(target, runId, finished, provisional.statusLabel());
      String path = null;
      try {
        path = ReportWriter.write(config.reportDir(), provisional, new Configuration());
      } catch (java.io.IOException | RuntimeException e) {
        LOG.error("Cannot write report.json under {} (tenantfold.report.dir): {}", config.reportDir(), e.getMessage());
      }
      return new RunResult(runId, "validate", started, finished, results, path, notes);
    }
  }

  /** The consolidated tables as they exist in the target now, tenant column left out. */
  private List<TargetTable> publishedTables(Connection target) throws SQLException {
    TenantCatalog existing = CatalogReader.read(target, "target", List.of(config.target().schema()), config.tables());
    List<TargetTable> tables = new ArrayList<>();
    for (TableSpec t : existing.tables()) {
      if (!t.partitioned() || t.column(config.tenantColumn()).isEmpty()) {
        continue;
      }
      if (tableFilter.isPresent() && !tableFilter.get().equals(t.name())) {
        continue;
      }
      tables.add(new TargetTable(t.name(), t.columns().stream().filter(c -> !c.name().equals(config.tenantColumn())).toList(),
          t.primaryKey().stream().filter(c -> !c.equals(config.tenantColumn())).toList()));
    }
    if (tableFilter.isPresent() && tables.isEmpty()) {
      throw new ConfigError("Cannot validate table '" + tableFilter.get() + "': no consolidated table of that name in target schema "
          + config.target().schema());
    }
    return tables;
  }

  private TenantResult audit(TenantConfig tenant, List<TargetTable> tables, Connection target) {
    long start = System.nanoTime();
    int buckets = config.validate().buckets();
    TableValidator validator = new TableValidator(config.validate());
    List<TableResult> results = new ArrayList<>();
    try (SourceSnapshot snapshot = SourceSnapshot.export(tenant.jdbc(), tenant.id())) {
      RowLevelSecurity.actAsTenant(target, config.target(), tenant.id());
      TenantCatalog catalog = CatalogReader.read(snapshot.connection(), tenant.id(), tenant.schemas(), config.tables());
      snapshot.lockTables(tenant.id(), catalog.tables());
      for (TargetTable table : tables) {
        Optional<TableSpec> source = catalog.table(table.name());
        ChecksumSql targetSql = ChecksumQueries.target(table, qualified(config.target().schema(), table.name()),
            ident(config.tenantColumn()) + " = " + literal(tenant.id()), buckets);
        ChecksumSql sourceSql = source.map(s -> ChecksumQueries.source(table, s, buckets)).orElse(targetSql);
        // Both sides scan at once: each in its own database.
        CompletableFuture<TableChecksum> sourceFuture = source.isEmpty() ? CompletableFuture.completedFuture(new TableChecksum(buckets, Map.of()))
            : CompletableFuture.supplyAsync(() -> checksum(snapshot.connection(), sourceSql));
        TableChecksum targetSums = PostgresChecksum.checksum(target, targetSql);
        TableChecksum sourceSums = Futures.join(sourceFuture);
        ChecksumCheck check = validator.compare(sourceSums, targetSums, source.isPresent() ? snapshot.connection() : target, sourceSql, target,
            targetSql);
        String message = check.message();
        TableStatus status = check.status();
        List<String> notInTarget = source.map(s -> s.columns().stream().map(c -> c.name()).filter(c -> table.column(c).isEmpty()).toList())
            .orElse(List.of());
        if (!notInTarget.isEmpty()) {
          // Data the target cannot hold at all: a column added in the source after the migration.
          status = TableStatus.MISMATCH;
          message = "source columns missing in the target: " + notInTarget + (message.isEmpty() ? "" : "; " + message);
        }
        if (sourceSums.totalRows() != targetSums.totalRows()) {
          message = "row counts differ: source " + sourceSums.totalRows() + ", published " + targetSums.totalRows() + "; " + message;
        }
        if (source.isEmpty()) {
          message = (message.isEmpty() ? "" : message + "; ") + "table absent in this tenant's source";
        }
        results.add(new TableResult(tenant.id(), table.name(), sourceSums.totalRows(), 0, 0, 0, targetSums.totalRows(), 0, status, false,
            message, check));
      }
      if (tableFilter.isEmpty()) {
        for (TableSpec extra : catalog.tables()) {
          if (tables.stream().noneMatch(t -> t.name().equals(extra.name()))) {
            results.add(missingInTarget(tenant, extra, snapshot.connection(), buckets));
          }
        }
      }
      return new TenantResult(tenant.id(), false, "", results, (System.nanoTime() - start) / 1_000_000);
    } catch (SQLException | RuntimeException e) {
      String message = "Cannot validate tenant " + tenant.id() + " (" + tenant.jdbc().describe() + "): "
          + Redaction.sqlMessage(e, config.secrets());
      LOG.error(message);
      return TenantResult.failed(tenant.id(), message, results, (System.nanoTime() - start) / 1_000_000);
    }
  }

  /**
   * A source table with no consolidated table in the target: still checksummed in the snapshot, so
   * the report shows how many source rows the target lacks, and a MISMATCH rather than an empty match.
   */
  private TableResult missingInTarget(TenantConfig tenant, TableSpec source, Connection snapshot, int buckets) throws SQLException {
    TargetTable asInSource = new TargetTable(source.name(), source.columns(), source.primaryKey());
    TableChecksum sourceSums = PostgresChecksum.checksum(snapshot, ChecksumQueries.source(asInSource, source, buckets));
    TableChecksum none = new TableChecksum(buckets, Map.of());
    ChecksumCheck check = new ChecksumCheck(ChecksumCheck.digest(sourceSums), ChecksumCheck.digest(none), buckets,
        sourceSums.byBucket().size(), 0, Map.of(), List.of());
    String message = "table " + source.qualifiedName() + " is missing in the target: it exists in the source but has no consolidated table in"
        + " target schema " + config.target().schema() + ", so its " + sourceSums.totalRows()
        + " source rows are not published; run tenantfold run to consolidate it, or exclude it with tenantfold.tables.exclude";
    return new TableResult(tenant.id(), source.name(), sourceSums.totalRows(), 0, 0, 0, 0, 0, TableStatus.MISMATCH, false, message, check);
  }

  private static TableChecksum checksum(Connection conn, ChecksumSql sql) {
    try {
      return PostgresChecksum.checksum(conn, sql);
    } catch (SQLException e) {
      throw new CompletionException(e);
    }
  }


}
