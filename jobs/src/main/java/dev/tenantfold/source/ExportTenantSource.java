package dev.tenantfold.source;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.row_number;

import dev.tenantfold.config.ExportConfig;
import dev.tenantfold.config.JobOptions;
import dev.tenantfold.config.RulesConfig;
import dev.tenantfold.config.RulesConfig.TableRule;
import dev.tenantfold.config.TablesConfig;
import dev.tenantfold.config.TenantConfig;
import dev.tenantfold.conform.BorrowedKeys;
import dev.tenantfold.conform.ConformedSource;
import dev.tenantfold.conform.RowAccounting;
import dev.tenantfold.conform.TargetTable;
import dev.tenantfold.extract.CatalogReader;
import dev.tenantfold.extract.ColumnSpec;
import dev.tenantfold.extract.TableSpec;
import dev.tenantfold.extract.TenantCatalog;
import dev.tenantfold.extract.export.ExportCatalog;
import dev.tenantfold.extract.export.ExportException;
import dev.tenantfold.extract.export.ExportedTable;
import dev.tenantfold.extract.export.RdsExport;
import dev.tenantfold.jdbc.JdbcEndpoint;
import dev.tenantfold.load.CopyFormat;
import dev.tenantfold.load.DatasetCopyLoader;
import dev.tenantfold.load.DatasetLoad;
import dev.tenantfold.load.DatasetLoadFold;
import dev.tenantfold.load.DatasetLoadResult;
import dev.tenantfold.load.LandingTable;
import dev.tenantfold.progress.SparkJobNames;
import dev.tenantfold.validate.ChecksumQueries;
import dev.tenantfold.validate.ChecksumSide;
import dev.tenantfold.validate.checksum.ChecksumSpec;
import dev.tenantfold.validate.checksum.SparkChecksum;
import dev.tenantfold.validate.checksum.TableChecksum;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;
import org.apache.spark.sql.functions;

/**
 * A tenant read from an RDS snapshot export (Parquet on S3 or a local folder): the rows pass
 * through Spark, restored to their PostgreSQL values ({@link RdsExport#rows}), load with {@link
 * DatasetCopyLoader} (one exactly-once COPY per Spark partition) and are checksummed by Spark with
 * the same digest the target side computes in SQL. The export is immutable, so it is its own
 * snapshot: the point in time is the export's snapshot time.
 */
public final class ExportTenantSource implements TenantSource {
  private final TenantConfig tenant;
  private final ExportConfig export;
  private final String runId;
  private final JobOptions options;
  private final int buckets;
  private final JdbcEndpoint target;
  private final String ledgerTable;
  private final String tenantColumn;
  private final SparkSession spark;
  private RdsExport opened;
  private TenantCatalog planned;
  private TenantCatalog catalog;

  /** Where tables whose rules only SQL applies land ({@link ExportLanding}). */
  private final LazyLanding landing;

  /** The exports this run opened (planning's open is the run's). */
  private final OpenedExports exports;

  /**
   * How far (a fraction) an exported table's rows may be from the source's estimate before {@link
   * #warnings()} names it, and the fewest rows apart that count (docs/exports.md).
   */
  static final double ESTIMATE_MARGIN = 0.10;

  static final long ESTIMATE_MINIMUM_ROWS = 100;

  private List<String> warnings = List.of();

  public ExportTenantSource(
      TenantConfig tenant,
      String runId,
      JobOptions options,
      int buckets,
      JdbcEndpoint target,
      String ledgerTable,
      String tenantColumn,
      SparkSession spark,
      OpenedExports exports,
      LazyLanding landing) {
    this.tenant = tenant;
    this.export = tenant.export().orElseThrow();
    this.runId = runId;
    this.options = options;
    this.buckets = buckets;
    this.target = target;
    this.ledgerTable = ledgerTable;
    this.tenantColumn = tenantColumn;
    this.spark = spark;
    this.exports = exports;
    this.landing = landing;
  }

  @Override
  public String kind() {
    return "export";
  }

  @Override
  public String describe() {
    return opened == null
        ? "snapshot export at " + export.path()
        : "snapshot export "
            + opened.taskId()
            + " (snapshot "
            + opened.snapshotTime()
            + ") at "
            + export.path();
  }

  @Override
  public Optional<Instant> pointInTime() {
    return opened == null ? Optional.empty() : Optional.of(opened.snapshotTime());
  }

  @Override
  public TenantCatalog readCatalog(TablesConfig tables) throws SQLException {
    return exportCatalog(tables).catalog();
  }

  /**
   * The export's catalog restricted to the run's selection, checked complete: every table and
   * column present, every type known. Without {@code export.catalog} an unknown type is left to
   * planning ({@link BorrowedKeys}: the target or another tenant may know it) and checked in {@link
   * #open}.
   */
  private ExportCatalog exportCatalog(TablesConfig tables) throws SQLException {
    RdsExport rds = openExport();
    Optional<TenantCatalog> jdbc = Optional.empty();
    if (export.catalog().isPresent()) {
      try (Connection conn = export.catalog().get().connect("tenantfold-catalog-" + tenant.id())) {
        jdbc = Optional.of(CatalogReader.read(conn, tenant.id(), export.schemas(), tables));
        warnings = estimateWarnings(conn, rds, jdbc.get());
      }
    }
    ExportCatalog catalog = rds.catalog(tenant.id(), jdbc);
    // Tables RDS listed but did not export (no permission, a '/' in the name, unlogged, ...): with
    // or without a catalog, never silent.
    List<String> skipped =
        rds.tables().stream()
            .filter(
                t ->
                    !t.exported()
                        && export.schemas().contains(t.schema())
                        && tables.selects(t.schema(), t.table()))
            .map(
                t ->
                    "tenant "
                        + tenant.id()
                        + " table "
                        + t.qualifiedName()
                        + ": not exported (status "
                        + t.status()
                        + (t.warningMessage() == null ? "" : ", " + t.warningMessage())
                        + ")")
            .toList();
    if (!skipped.isEmpty() && jdbc.isEmpty()) {
      throw new SQLException(
          "Cannot plan tenant "
              + tenant.id()
              + " from its export: "
              + String.join("; ", skipped)
              + " (export it again with the permissions it needs, or leave the table out with"
              + " "
              + TablesConfig.EXCLUDE.path()
              + ")");
    }
    List<TableSpec> selected =
        catalog.catalog().tables().stream()
            .filter(
                t -> export.schemas().contains(t.schema()) && tables.selects(t.schema(), t.name()))
            .toList();
    List<ExportCatalog.UnknownType> unknown =
        catalog.unknownTypes().stream()
            .filter(u -> selected.stream().anyMatch(t -> t.qualifiedName().equals(u.table())))
            .toList();
    // Missing tables come from export.catalog, read with the selection already: each is one this
    // run reads (and a name like
    // "public.orders" would not match an include pattern "orders").
    ExportCatalog restricted =
        new ExportCatalog(
            new TenantCatalog(
                tenant.id(),
                catalog.catalog().serverVersionNum(),
                selected,
                catalog.catalog().enums()),
            unknown,
            catalog.missingTables(),
            catalog.columnMismatches(),
            catalog.primaryKeysKnown());
    try {
      // Only what this run reads must be complete: a table the selection leaves out may be skipped.
      new ExportCatalog(
              restricted.catalog(),
              jdbc.isPresent() ? unknown : List.of(),
              restricted.missingTables(),
              restricted.columnMismatches(),
              restricted.primaryKeysKnown())
          .requireComplete();
    } catch (ExportException e) {
      throw new SQLException(e.getMessage(), e);
    }
    return restricted;
  }

  /**
   * The export's rows of every table {@code catalog} (the run's selection) holds, against the
   * source's statistics ({@code reltuples}; a partitioned table's leaves one by one).
   */
  private List<String> estimateWarnings(Connection conn, RdsExport rds, TenantCatalog catalog)
      throws SQLException {
    Map<String, Long> estimates = new LinkedHashMap<>();
    try (var st =
        conn.prepareStatement(
            "SELECT n.nspname || '.' || c.relname, CASE WHEN c.reltuples < 0 OR (c.reltuples = 0"
                + " AND c.relpages = 0) THEN -1 ELSE c.reltuples::bigint END FROM pg_class c JOIN"
                + " pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ANY (?) AND"
                + " c.relkind = 'r'")) {
      st.setArray(1, conn.createArrayOf("text", export.schemas().toArray()));
      try (var rs = st.executeQuery()) {
        while (rs.next()) {
          estimates.put(rs.getString(1), rs.getLong(2));
        }
      }
    }
    List<String> out = new ArrayList<>();
    for (TableSpec table : catalog.tables()) {
      List<String> names =
          table.leafPartitions().isEmpty()
              ? List.of(table.qualifiedName())
              : table.leafPartitions();
      for (String name : names) {
        int dot = name.indexOf('.');
        Optional<ExportedTable> exported =
            rds.table(name.substring(0, dot), name.substring(dot + 1));
        Long estimate = estimates.get(name);
        if (exported.isEmpty() || !exported.get().exported() || estimate == null) {
          continue;
        }
        OptionalLong rows = rds.rowsInFiles(List.of(exported.get()));
        if (rows.isPresent()) {
          String warning =
              dev.tenantfold.extract.export.ExportParts.estimateWarning(
                  tenant.id(),
                  name,
                  estimate,
                  rows.getAsLong(),
                  ESTIMATE_MARGIN,
                  ESTIMATE_MINIMUM_ROWS);
          if (warning != null) {
            out.add(warning);
          }
        }
      }
    }
    return out;
  }

  @Override
  public List<String> warnings() {
    return warnings;
  }

  /**
   * The catalog to open with instead of the export's own: what planning made of it (keys, types and
   * partition parents borrowed by {@link BorrowedKeys#fill}). Without it, {@link #open} takes what
   * {@code fill} last made of this export's catalog.
   */
  @Override
  public void planWith(TenantCatalog planned) {
    this.planned = planned;
  }

  /** An export tenant with catch-up: the export must be the one taken after the tenant's slot. */
  @Override
  public void requireCatchUpStart(Connection target, String reportSchema) throws SQLException {
    if (tenant.catchUp().logical()) {
      dev.tenantfold.catchup.ExportCatchUp.requireRecorded(
          target, reportSchema, tenant, openExport().taskId());
    }
  }

  /** Whether {@link #open} records the base copy's catch-up (a run) or only reads (validate). */
  private boolean startsCatchUp = true;

  /**
   * This source only reads the tenant ({@code validate}): {@link #open} never records catch-up
   * (that would restart the tenant's recorded catch-up from its slot's start).
   */
  @Override
  public ExportTenantSource readOnly() {
    this.startsCatchUp = false;
    return this;
  }

  /**
   * Catch-up of an export tenant: the export must be the one {@code tenantfold export} took after
   * creating the tenant's slot on production; the base copy is recorded from the slot's start, with
   * the export's point, so catch-up replays the changes between them idempotently.
   */
  private void recordCatchUp() throws SQLException {
    try (Connection conn =
            target.connect(dev.tenantfold.jdbc.SessionName.of(runId, "catchup-" + tenant.id()));
        Connection production =
            export.catalog().get().connect("tenantfold-catchup-" + tenant.id())) {
      dev.tenantfold.catchup.ExportCatchUp.recordRun(
          conn, ledgerTable, tenant, runId, opened.taskId(), production, catalog.tables());
    }
  }

  @Override
  public TenantCatalog open(TablesConfig tables) throws SQLException {
    ExportCatalog own = exportCatalog(tables);
    if (export.catalog().isPresent()) {
      catalog = own.catalog();
      if (tenant.catchUp().logical() && startsCatchUp) {
        recordCatchUp();
      }
      return catalog;
    }
    Optional<TenantCatalog> fromPlan =
        planned != null ? Optional.of(planned) : BorrowedKeys.planned(own.catalog());
    TenantCatalog resolved = fromPlan.orElse(own.catalog());
    List<String> problems = new ArrayList<>();
    for (ExportCatalog.UnknownType u : own.unknownTypes()) {
      Optional<TableSpec> holder =
          resolved.tables().stream()
              .filter(
                  t ->
                      t.qualifiedName().equals(u.table()) || t.leafPartitions().contains(u.table()))
              .findFirst();
      // Planning leaves out a column whose type it could not borrow.
      boolean known = fromPlan.isPresent() && holder.flatMap(t -> t.column(u.column())).isPresent();
      if (!known) {
        problems.add(
            u.describe(tenant.id()).replace(", set export.catalog", "")
                + ", and neither the consolidated table in the target nor another"
                + " tenant's table "
                + holder.map(TableSpec::name).orElse(u.table())
                + " has column "
                + u.column()
                + " with a matching type to take it"
                + " from; set export.catalog");
      }
    }
    if (!problems.isEmpty()) {
      throw new SQLException(
          "Cannot plan tenant " + tenant.id() + " from its export: " + String.join("; ", problems));
    }
    catalog = resolved;
    return catalog;
  }

  private RdsExport openExport() throws SQLException {
    if (opened == null) {
      opened = exports.open(spark.sparkContext().hadoopConfiguration(), export, tenant.id());
    }
    return opened;
  }

  @Override
  public StagedTenant stage(List<TablePlan> plans) throws SQLException {
    Map<String, Long> millis = new LinkedHashMap<>();
    long start = System.nanoTime();
    List<StagedTable> staged = new ArrayList<>();
    for (TablePlan plan : plans) {
      staged.add(stageTable(plan));
    }
    millis.put("transfer", (System.nanoTime() - start) / 1_000_000);
    return new StagedTenant(staged, millis);
  }

  /** The Dataset load into {@code plan}'s staging table, in the format load.copy-format allows. */
  private DatasetLoad stagingLoad(TablePlan plan) {
    return DatasetLoad.into(
        plan.staging(),
        runId,
        target,
        ledgerTable,
        options.transferAttempts(),
        CopyFormat.allowedBy(options.copyFormat()));
  }

  /**
   * One row per dedup key (the first by {@code keep}, NULLs last, ties by every column in order),
   * or one row of each set of identical rows: the Spark side of the rule {@link
   * dev.tenantfold.conform.ConformedSource} applies in SQL to JDBC tenants. Deterministic, so the
   * load and the checksum, which read the rows separately, see the same rows.
   */
  static Dataset<Row> deduplicate(Dataset<Row> rows, RulesConfig.Dedup dedup, TargetTable table) {
    if (dedup.exact()) {
      return rows.dropDuplicates();
    }
    List<Column> order = new ArrayList<>();
    for (RulesConfig.SortKey k : dedup.keep()) {
      order.add(
          k.descending() ? col(k.column()).desc_nulls_last() : col(k.column()).asc_nulls_last());
    }
    table.columnNames().forEach(c -> order.add(col(c).asc_nulls_last()));
    WindowSpec window =
        Window.partitionBy(dedup.key().stream().map(functions::col).toArray(Column[]::new))
            .orderBy(order.toArray(Column[]::new));
    return rows.withColumn("tenantfold_rank", row_number().over(window))
        .where(col("tenantfold_rank").equalTo(1))
        .drop("tenantfold_rank");
  }

  private StagedTable stageTable(TablePlan plan) {
    ChecksumSpec spec = ChecksumQueries.spec(plan.table(), buckets);
    if (plan.source().isEmpty() && export.catalog().isPresent()) {
      // The tenant's own catalog says it has no such table: nothing to load, as for a JDBC tenant.
      return StagedTable.loaded(plan.name(), 0, 0, 0, new TableChecksum(buckets, Map.of()), null);
    }
    if (plan.source().isEmpty()) {
      // Other tenants (or the target) have it and nothing tells whether this tenant does: an export
      // lacking it is more likely incomplete.
      List<String> leafLike =
          catalog.tables().stream()
              .map(TableSpec::name)
              .filter(n -> n.startsWith(plan.name() + "_"))
              .toList();
      return StagedTable.failed(
          plan.name(),
          "Cannot read tenant "
              + tenant.id()
              + " table "
              + plan.name()
              + " from "
              + describe()
              + ": the export holds no such table in schemas "
              + export.schemas()
              + ", though the consolidated table has it (RDS skips tables it cannot export); export"
              + " it again, or leave the table out with "
              + TablesConfig.EXCLUDE.path()
              + (leafLike.isEmpty()
                  ? ""
                  : "; if its tables "
                      + leafLike
                      + " are partitions of "
                      + plan.name()
                      + ", no catalog says so: set"
                      + " export.catalog so their rows load into "
                      + plan.name()));
    }
    TableSpec source = plan.source().get();
    try {
      List<ExportedTable> parts = opened.tablesOf(source);
      if (plan.conformed().orElseThrow().appliesOnlyInSql()) {
        return landed(plan, source, parts);
      }
      Dataset<Row> exported = opened.rows(spark, parts, plan.table().columns());
      // A dedup rule runs here, in Spark, over the restored rows; load and checksum then read the
      // same deduplicated rows.
      Dataset<Row> rows =
          plan.rule().dedup().map(d -> deduplicate(exported, d, plan.table())).orElse(exported);
      List<Column> withTenant = new ArrayList<>();
      withTenant.add(lit(tenant.id()).as(tenantColumn));
      // Generated columns are computed by the target, not loaded (the checksum still reads the
      // exported values).
      plan.table().columns().stream()
          .filter(ColumnSpec::loaded)
          .forEach(c -> withTenant.add(col(c.name())));
      SparkJobNames.set(
          spark.sparkContext(),
          "run",
          runId,
          "transfer from export",
          tenant.id(),
          List.of(plan.name()));
      try {
        Dataset<Row> loadRows = rows.select(withTenant.toArray(Column[]::new));
        DatasetLoad into = stagingLoad(plan);
        // The source checksum folded in the load's own pass, unless the load lacks a digested
        // (generated) column.
        Optional<ChecksumFold> inLoad = ChecksumFold.over(spec, List.of(loadRows.columns()));
        DatasetLoadFold.Folded<TableChecksum> folded =
            inLoad.isPresent() ? DatasetCopyLoader.load(loadRows, into, inLoad.get()) : null;
        DatasetLoadResult loaded =
            folded != null ? folded.load() : DatasetCopyLoader.load(loadRows, into);
        if (loaded.failed()) {
          return StagedTable.failed(plan.name(), String.join("; ", loaded.errors()));
        }
        TableChecksum sums;
        if (folded != null) {
          sums = ChecksumFold.total(spec, folded.folds());
        } else {
          SparkJobNames.describeNext(
              spark.sparkContext(),
              "run",
              runId,
              "source checksum",
              tenant.id(),
              List.of(plan.name()));
          sums = SparkChecksum.checksum(rows, spec);
        }
        OptionalLong metadataRows = RdsExport.rowCount(parts);
        long exportedRows = plan.rule().dedup().isEmpty() ? sums.totalRows() : exported.count();
        if (metadataRows.isPresent() && metadataRows.getAsLong() != exportedRows) {
          return StagedTable.failed(
              plan.name(),
              "Cannot trust tenant "
                  + tenant.id()
                  + " table "
                  + plan.name()
                  + " from "
                  + describe()
                  + ": its metadata counts "
                  + metadataRows.getAsLong()
                  + " rows, its Parquet files hold "
                  + exportedRows);
        }
        StagedTable staged =
            StagedTable.loaded(
                plan.name(),
                loaded.sentRows(),
                loaded.loadedRows(),
                loaded.partitions().size(),
                sums,
                ChecksumSide.spark(rows, spec));
        return plan.rule().dedup().isEmpty()
            ? staged
            : staged.withAccounting(
                RowAccounting.counted(exportedRows, sums.totalRows(), 0, List.of()));
      } finally {
        SparkJobNames.clear(spark.sparkContext());
      }
    } catch (ExportException | RuntimeException e) {
      return StagedTable.failed(
          plan.name(),
          "Cannot load tenant "
              + tenant.id()
              + " table "
              + plan.name()
              + " from "
              + describe()
              + ": "
              + e.getMessage());
    }
  }

  /**
   * A table whose rules only SQL applies: its rows land in the target, where {@link
   * ConformedSource} conforms them into staging.
   */
  private StagedTable landed(TablePlan plan, TableSpec source, List<ExportedTable> parts)
      throws ExportException {
    try {
      Dataset<Row> rows = opened.rows(spark, parts, LandingTable.columnsOf(source));
      return landing
          .get()
          .stage(
              plan,
              landing
                  .get()
                  .land(
                      source,
                      plan.table(),
                      plan.rule(),
                      rows,
                      RdsExport.rowCount(parts),
                      describe(),
                      "run"));
    } catch (SQLException e) {
      return StagedTable.failed(
          plan.name(),
          "Cannot load tenant "
              + tenant.id()
              + " table "
              + plan.name()
              + " from "
              + describe()
              + ": "
              + e.getMessage());
    }
  }

  @Override
  public Optional<ChecksumSide> checksumSide(TargetTable table, TableRule rule)
      throws SQLException {
    if (catalog == null) {
      throw new IllegalStateException(
          "Cannot checksum tenant "
              + tenant.id()
              + " table "
              + table.name()
              + ": the source is not open");
    }
    Optional<TableSpec> own = catalog.table(table.name());
    if (own.isEmpty()) {
      return Optional.empty();
    }
    try {
      if (new ConformedSource(table, own.get(), rule).appliesOnlyInSql()) {
        // As the run loaded them: landed in the target and conformed there.
        Dataset<Row> rows =
            opened.rows(spark, opened.tablesOf(own.get()), LandingTable.columnsOf(own.get()));
        return Optional.of(
            landing
                .get()
                .sourceSide(
                    landing
                        .get()
                        .land(
                            own.get(),
                            table,
                            rule,
                            rows,
                            OptionalLong.empty(),
                            describe(),
                            "validate")
                        .conformed()));
      }
      Dataset<Row> exported = opened.rows(spark, opened.tablesOf(own.get()), table.columns());
      // As the run loaded them: deduplicated by the table's rule.
      Dataset<Row> rows = rule.dedup().map(d -> deduplicate(exported, d, table)).orElse(exported);
      return Optional.of(ChecksumSide.spark(rows, ChecksumQueries.spec(table, buckets)));
    } catch (ExportException e) {
      throw new SQLException(
          "Cannot read tenant "
              + tenant.id()
              + " table "
              + table.name()
              + " from "
              + describe()
              + ": "
              + e.getMessage(),
          e);
    }
  }

  @Override
  public void close() {
    // The export is files: only landing tables to drop.
    landing.close();
  }
}
