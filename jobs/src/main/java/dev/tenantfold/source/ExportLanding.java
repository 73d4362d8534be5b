package dev.tenantfold.source;

import static dev.tenantfold.jdbc.Sql.qualified;

import dev.tenantfold.config.RulesConfig.TableRule;
import dev.tenantfold.conform.ConformedSource;
import dev.tenantfold.conform.RowAccounting;
import dev.tenantfold.conform.TargetTable;
import dev.tenantfold.extract.TableSpec;
import dev.tenantfold.jdbc.JdbcEndpoint;
import dev.tenantfold.jdbc.SessionName;
import dev.tenantfold.load.CopyFormat;
import dev.tenantfold.load.DatasetCopyLoader;
import dev.tenantfold.load.DatasetLoadFold;
import dev.tenantfold.load.DatasetLoadResult;
import dev.tenantfold.load.LandingTable;
import dev.tenantfold.load.StagingRegistry;
import dev.tenantfold.load.StagingTable;
import dev.tenantfold.progress.SparkJobNames;
import dev.tenantfold.validate.ChecksumQueries;
import dev.tenantfold.validate.ChecksumSide;
import dev.tenantfold.validate.checksum.ChecksumComparison;
import dev.tenantfold.validate.checksum.ChecksumSpec;
import dev.tenantfold.validate.checksum.PostgresChecksum;
import dev.tenantfold.validate.checksum.TableChecksum;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The path of an export tenant's table whose rule only SQL applies ({@link
 * ConformedSource#appliesOnlyInSql}: casts with their rejects, defaults, the duplicates
 * quarantine): the export's rows, restored as the tenant's own columns, are loaded into a {@link
 * LandingTable} in the target and checked against the export (Spark checksum of the export, SQL
 * checksum of the landing table); then {@link ConformedSource}, over the landing table, fills the
 * staging table, counts and lists what it drops and rejects, quarantines the duplicates and is the
 * source side of the checksum. The same SQL a JDBC tenant's snapshot runs, so the same rows, counts
 * and rejects.
 *
 * <p>Landing tables live until {@link #close} (the source's close, after validation has drilled
 * into any mismatch), on one target connection of their own that the source checksum side reads
 * through.
 */
final class ExportLanding implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ExportLanding.class);

  private final String tenantId;
  private final String runId;
  private final int buckets;
  private final int attempts;
  private final JdbcEndpoint target;
  private final String ledgerTable;
  private final String reportSchema;
  private final String stagingSchema;
  private final dev.tenantfold.config.SchemaMap targetSchema;
  private final SparkSession spark;
  private final CopyFormat format;
  private final List<LandingTable> landed = new ArrayList<>();
  private Connection conn;

  ExportLanding(
      String tenantId,
      String runId,
      int buckets,
      int attempts,
      CopyFormat format,
      JdbcEndpoint target,
      String ledgerTable,
      String reportSchema,
      String stagingSchema,
      dev.tenantfold.config.SchemaMap targetSchema,
      SparkSession spark) {
    this.tenantId = tenantId;
    this.runId = runId;
    this.buckets = buckets;
    this.attempts = attempts;
    this.format = format;
    this.target = target;
    this.ledgerTable = ledgerTable;
    this.reportSchema = reportSchema;
    this.stagingSchema = stagingSchema;
    this.targetSchema = targetSchema;
    this.spark = spark;
  }

  /** A landed table: what it holds, conformed by the table's rule, and the export's row count. */
  record Landed(LandingTable table, ConformedSource conformed, long exportedRows, int partitions) {}

  /**
   * Loads {@code rows} (the export's rows of {@code source} restored as {@link
   * LandingTable#columns}) into a new landing table and checks it against them.
   *
   * @param command {@code run} or {@code validate}: names the Spark jobs
   * @throws SQLException when the landing table cannot be made or loaded, or holds other rows than
   *     the export
   */
  Landed land(
      TableSpec source,
      TargetTable table,
      TableRule rule,
      Dataset<Row> rows,
      OptionalLong metadataRows,
      String describe,
      String command)
      throws SQLException {
    Connection c = connection();
    LandingTable landing = newLandingTable(c, source, table);
    SparkJobNames.set(
        spark.sparkContext(), command, runId, "land from export", tenantId, List.of(table.name()));
    TableChecksum exported;
    DatasetLoadResult loaded;
    try {
      // The export's side of the landing check folded in the load's own pass (ChecksumFold), as a
      // direct load's: one read of the Parquet.
      ChecksumSpec spec = ChecksumQueries.spec(landing.asChecksummed(), buckets);
      ChecksumFold fold =
          ChecksumFold.over(spec, List.of(rows.columns()))
              .orElseThrow(
                  () ->
                      new SQLException(
                          "Cannot land tenant "
                              + tenantId
                              + " table "
                              + table.name()
                              + ": the landing load lacks a checksummed column"));
      DatasetLoadFold.Folded<TableChecksum> folded =
          DatasetCopyLoader.load(
              rows, landing.load(runId, tenantId, target, ledgerTable, attempts, format), fold);
      loaded = folded.load();
      if (loaded.failed()) {
        throw new SQLException(String.join("; ", loaded.errors()));
      }
      exported = ChecksumFold.total(spec, folded.folds());
    } finally {
      SparkJobNames.clear(spark.sparkContext());
    }
    if (metadataRows.isPresent() && metadataRows.getAsLong() != exported.totalRows()) {
      throw new SQLException(
          "Cannot trust tenant "
              + tenantId
              + " table "
              + table.name()
              + " from "
              + describe
              + ": its metadata counts "
              + metadataRows.getAsLong()
              + " rows, its Parquet files hold "
              + exported.totalRows());
    }
    TableChecksum inTarget =
        PostgresChecksum.checksum(
            c,
            ChecksumQueries.target(
                landing.asChecksummed(), landing.qualifiedName(), null, buckets));
    ChecksumComparison comparison = ChecksumComparison.compare(exported, inTarget);
    if (!comparison.matches()) {
      throw new SQLException(
          "Cannot land tenant "
              + tenantId
              + " table "
              + table.name()
              + " from "
              + describe
              + ": landing table "
              + landing.qualifiedName()
              + " holds "
              + inTarget.totalRows()
              + " rows, the export "
              + exported.totalRows()
              + ", and their checksums differ in "
              + comparison.mismatchedBuckets().size()
              + " of "
              + buckets
              + " buckets; run again");
    }
    return new Landed(
        landing, landing.conformed(rule), exported.totalRows(), loaded.partitions().size());
  }

  /**
   * Lands {@code source}'s rows from a JDBC tenant's snapshot ({@code snapshot}, the exporting
   * transaction): {@code COPY (SELECT ...) TO STDOUT} there streamed into the landing table's
   * {@code COPY FROM STDIN} on the driver (nothing held in memory), then the landing table checked
   * against the snapshot's table by the checksum. For a source whose PostgreSQL lacks what the
   * table's rule needs ({@code pg_input_is_valid} before 16): {@link #stage} then conforms it on
   * the target.
   *
   * @throws SQLException when the landing table cannot be made or loaded, or holds other rows than
   *     the source
   */
  Landed landFromSnapshot(
      TableSpec source, TargetTable table, TableRule rule, Connection snapshot, String describe)
      throws SQLException {
    Connection c = connection();
    LandingTable landing = newLandingTable(c, source, table);
    String columns =
        dev.tenantfold.jdbc.Sql.idents(
            landing.columns().stream().map(dev.tenantfold.extract.ColumnSpec::name).toList());
    org.postgresql.copy.CopyOut out =
        new org.postgresql.copy.CopyManager(
                snapshot.unwrap(org.postgresql.core.BaseConnection.class))
            .copyOut(
                "COPY (SELECT "
                    + columns
                    + " FROM "
                    + qualified(source.schema(), source.name())
                    + ") TO STDOUT");
    org.postgresql.copy.CopyIn in = null;
    try {
      in =
          new org.postgresql.copy.CopyManager(c.unwrap(org.postgresql.core.BaseConnection.class))
              .copyIn("COPY " + landing.qualifiedName() + " (" + columns + ") FROM STDIN");
      byte[] chunk;
      while ((chunk = out.readFromCopy()) != null) {
        in.writeToCopy(chunk, 0, chunk.length);
      }
      in.endCopy();
    } finally {
      if (out.isActive()) {
        out.cancelCopy();
      }
      if (in != null && in.isActive()) {
        in.cancelCopy();
      }
    }
    TableChecksum inSource =
        PostgresChecksum.checksum(
            snapshot,
            ChecksumQueries.target(
                landing.asChecksummed(), qualified(source.schema(), source.name()), null, buckets));
    TableChecksum inTarget =
        PostgresChecksum.checksum(
            c,
            ChecksumQueries.target(
                landing.asChecksummed(), landing.qualifiedName(), null, buckets));
    ChecksumComparison comparison = ChecksumComparison.compare(inSource, inTarget);
    if (!comparison.matches()) {
      throw new SQLException(
          "Cannot land tenant "
              + tenantId
              + " table "
              + table.name()
              + " from "
              + describe
              + ": landing table "
              + landing.qualifiedName()
              + " holds "
              + inTarget.totalRows()
              + " rows, the source "
              + inSource.totalRows()
              + ", and their checksums differ in "
              + comparison.mismatchedBuckets().size()
              + " of "
              + buckets
              + " buckets; run again");
    }
    return new Landed(landing, landing.conformed(rule), inSource.totalRows(), 1);
  }

  /**
   * Stages {@code plan}'s landed rows: conformed into staging; rows dropped and rejected counted
   * (with the first rejects), duplicates quarantined when the rule says so, the source checksum
   * computed over the conformed landing table, all on the target.
   */
  StagedTable stage(TablePlan plan, Landed landed) throws SQLException {
    Connection c = connection();
    ConformedSource conformed = landed.conformed();
    StagingTable staging = plan.staging();
    long inserted = landed.table().conformInto(c, staging, conformed);
    RowAccounting accounting = null;
    if (conformed.changesRows()) {
      accounting = accounting(c, conformed);
    }
    ChecksumSide side = sourceSide(conformed);
    TableChecksum sums = side.checksum();
    StagedTable staged =
        StagedTable.loaded(plan.name(), inserted, inserted, landed.partitions(), sums, side);
    return accounting == null ? staged : staged.withAccounting(accounting);
  }

  /**
   * The source side of the checksum: the conformed rows of the landing table, read on the landing
   * connection.
   */
  ChecksumSide sourceSide(ConformedSource conformed) throws SQLException {
    return ChecksumSide.sql(connection(), ChecksumQueries.source(conformed, buckets));
  }

  /**
   * As {@code JdbcTenantSource} counts in the snapshot: source, kept after deduplication, rejected
   * among them.
   */
  private RowAccounting accounting(Connection c, ConformedSource conformed) throws SQLException {
    try (Statement st = c.createStatement()) {
      RowAccounting counted = RowAccounting.count(st, conformed);
      if (conformed.rule().quarantineDuplicates() && counted.duplicatesRemoved() > 0) {
        // Facts of this run whether or not the tenant publishes: committed on their own
        // (autocommit).
        st.executeUpdate(
            "INSERT INTO "
                + qualified(reportSchema, "duplicates")
                + " (run_id, tenant_id, table_name, key, row_data) "
                + conformed.duplicatesSelect(runId, tenantId).orElseThrow());
      }
      return counted;
    }
  }

  private Connection connection() throws SQLException {
    if (conn == null || conn.isClosed()) {
      conn = target.connect(SessionName.of(runId, "landing-" + tenantId));
    }
    return conn;
  }

  /**
   * Drops every landing table (recorded as dropped; one that cannot be dropped is left to the
   * sweep) and closes the connection.
   */
  @Override
  public void close() {
    if (landed.isEmpty() && conn == null) {
      return;
    }
    StagingRegistry registry = new StagingRegistry(reportSchema);
    try (Connection c = connection()) {
      for (LandingTable t : landed) {
        try {
          t.drop(c, registry, runId, tenantId);
        } catch (SQLException e) {
          LOG.warn(
              "Cannot drop landing table {} of tenant {} (the next run or tenantfold cleanup drops"
                  + " it): {}",
              t.qualifiedName(),
              tenantId,
              e.getMessage());
        }
      }
    } catch (SQLException e) {
      LOG.warn(
          "Cannot reach the target to drop the landing tables of tenant {} (the next run or"
              + " tenantfold cleanup drops them): {}",
          tenantId,
          e.getMessage());
    } finally {
      landed.clear();
      conn = null;
    }
  }

  /** Registers (so cleanup finds it) and creates the landing table of {@code source}. */
  private LandingTable newLandingTable(Connection c, TableSpec source, TargetTable table)
      throws SQLException {
    LandingTable landing =
        LandingTable.register(
            c,
            new StagingRegistry(reportSchema),
            runId,
            tenantId,
            source,
            table,
            stagingSchema,
            targetSchema);
    landed.add(landing);
    landing.create(c);
    return landing;
  }
}
