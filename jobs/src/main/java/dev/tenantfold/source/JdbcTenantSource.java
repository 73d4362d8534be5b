package dev.tenantfold.source;

import static dev.tenantfold.jdbc.Sql.ident;
import static dev.tenantfold.jdbc.Sql.qualified;

import dev.tenantfold.catchup.CatchUpState;
import dev.tenantfold.catchup.SlotStart;
import dev.tenantfold.config.JobOptions;
import dev.tenantfold.config.RulesConfig.TableRule;
import dev.tenantfold.config.TablesConfig;
import dev.tenantfold.config.TenantConfig;
import dev.tenantfold.conform.ConformedSource;
import dev.tenantfold.conform.RowAccounting;
import dev.tenantfold.conform.TargetTable;
import dev.tenantfold.extract.CatalogReader;
import dev.tenantfold.extract.PartitionPlanner;
import dev.tenantfold.extract.PartitionPlanner.KeyBounds;
import dev.tenantfold.extract.ReadPartition;
import dev.tenantfold.extract.SourceSnapshot;
import dev.tenantfold.extract.TableSpec;
import dev.tenantfold.extract.TenantCatalog;
import dev.tenantfold.jdbc.JdbcEndpoint;
import dev.tenantfold.jdbc.SessionName;
import dev.tenantfold.jdbc.Sql;
import dev.tenantfold.load.CopyFormat;
import dev.tenantfold.load.CopyTransfer;
import dev.tenantfold.load.TransferBatches;
import dev.tenantfold.load.TransferOutcome;
import dev.tenantfold.load.TransferUnit;
import dev.tenantfold.progress.SparkJobNames;
import dev.tenantfold.validate.ChecksumQueries;
import dev.tenantfold.validate.ChecksumSide;
import dev.tenantfold.validate.checksum.ChecksumSql;
import dev.tenantfold.validate.checksum.PostgresChecksum;
import dev.tenantfold.validate.checksum.TableChecksum;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
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
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyManager;
import org.postgresql.copy.CopyOut;
import org.postgresql.core.BaseConnection;

/**
 * A live tenant database, read in one exported snapshot: every partition of every table is one
 * Spark task streaming {@code COPY (SELECT ...) TO STDOUT} from the snapshot into {@code COPY
 * staging FROM STDIN} ({@link CopyTransfer}), while the source checksums run in the exporting
 * transaction itself, so the rows and the numbers they are checked against are one instant.
 */
public final class JdbcTenantSource implements TenantSource {
  private final TenantConfig tenant;
  private final String runId;
  private final JobOptions options;
  private final int buckets;
  private final JdbcEndpoint target;
  private final String ledgerTable;
  private final String reportSchema;
  private final JavaSparkContext spark;
  private SourceSnapshot snapshot;
  private TenantCatalog catalog;
  private Instant openedAt;

  /**
   * Where tables land whose rule needs what the source's PostgreSQL lacks ({@code
   * pg_input_is_valid} before 16): they are conformed there.
   */
  private final LazyLanding landing;

  /** Whether {@link #open} starts catch-up (a base copy) or only reads (validate). */
  private boolean startsCatchUp = true;

  /** Catch-up of a tenant read from a restored copy: the slot made on production before it. */
  private SlotStart.SlotAhead slotAhead;

  private String slotSource;
  private Instant basePoint;
  private String baseDescription;

  public JdbcTenantSource(
      TenantConfig tenant,
      String runId,
      JobOptions options,
      int buckets,
      JdbcEndpoint target,
      String ledgerTable,
      String reportSchema,
      JavaSparkContext spark,
      LazyLanding landing) {
    this.tenant = tenant;
    this.runId = runId;
    this.options = options;
    this.buckets = buckets;
    this.target = target;
    this.ledgerTable = ledgerTable;
    this.reportSchema = reportSchema;
    this.spark = spark;
    this.landing = landing;
  }

  /** The rules naming per-table cursor columns ({@code catch-up.mode = cursor}). */
  private dev.tenantfold.config.RulesConfig cursorRules = dev.tenantfold.config.RulesConfig.none();

  /** {@code rules}: where {@code rules.<table>.cursor-column} is read for cursor catch-up. */
  public JdbcTenantSource cursorRules(dev.tenantfold.config.RulesConfig rules) {
    this.cursorRules = rules;
    return this;
  }

  /**
   * This source only reads the tenant ({@code validate}): {@link #open} takes a plain exported
   * snapshot even for a tenant with catch-up, and never creates, replaces or records a slot (that
   * would drop the slot the base copy's catch-up streams from).
   */
  @Override
  public JdbcTenantSource readOnly() {
    this.startsCatchUp = false;
    return this;
  }

  /**
   * Whether {@code conformed} cannot run in this source: a cast rule needs {@code
   * pg_input_is_valid}, which PostgreSQL has from 16.
   */
  private boolean conformsOnTarget(ConformedSource conformed) {
    return conformed.needsInputValidation()
        && catalog.serverVersionNum() < ConformedSource.INPUT_VALIDATION_VERSION;
  }

  @Override
  public Optional<CopyFormat.Choice> copyFormat(TenantCatalog planned, ConformedSource conformed) {
    if (conformed.needsInputValidation()
        && planned.serverVersionNum() < ConformedSource.INPUT_VALIDATION_VERSION) {
      return Optional.of(
          CopyFormat.Choice.text(
              "landed in the target and cast there: a cast rule on PostgreSQL < 16"));
    }
    return Optional.of(CopyFormat.of(options.copyFormat(), conformed));
  }

  @Override
  public String kind() {
    return "jdbc";
  }

  @Override
  public String describe() {
    return "live database " + tenant.jdbc().describe();
  }

  @Override
  public Optional<Instant> pointInTime() {
    return Optional.ofNullable(openedAt);
  }

  @Override
  public TenantCatalog readCatalog(TablesConfig tables) throws SQLException {
    try (Connection conn = tenant.jdbc().connect("tenantfold-catalog-" + tenant.id())) {
      return CatalogReader.read(conn, tenant.id(), tenant.schemas(), tables);
    }
  }

  /**
   * This source reads a copy restored to {@code basePoint} ({@code baseDescription}) of the
   * tenant's production database {@code production}, on which {@code slot} was created before that
   * point: {@link #open} records catch-up from the slot's start instead of creating a slot.
   */
  @Override
  public JdbcTenantSource catchingUpFrom(
      SlotStart.SlotAhead slot, String production, Instant basePoint, String baseDescription) {
    this.slotAhead = slot;
    this.slotSource = production;
    this.basePoint = basePoint;
    this.baseDescription = baseDescription;
    return this;
  }

  @Override
  public TenantCatalog open(TablesConfig tables) throws SQLException {
    if (tenant.catchUp().logical() && startsCatchUp && tenant.restore().isPresent()) {
      return openCopyAfterSlot(tables);
    }
    if (!tenant.catchUp().logical() || !startsCatchUp) {
      snapshot = SourceSnapshot.export(tenant.jdbc(), tenant.id());
      openedAt = Instant.now();
      catalog = CatalogReader.read(snapshot.connection(), tenant.id(), tenant.schemas(), tables);
      snapshot.lockTables(tenant.id(), catalog.tables());
      if (tenant.catchUp().cursor() && startsCatchUp) {
        // Cursor catch-up starts at each table's largest cursor value in this very snapshot (a
        // restored copy's too: it is production as of its restore point).
        dev.tenantfold.catchup.CursorTables.recordStart(
            tenant, runId, target, ledgerTable, snapshot.connection(), catalog, cursorRules);
      }
      return catalog;
    }
    // Catch-up: the rows are the replication slot's snapshot, so the slot streams exactly the
    // changes the copy lacks.
    SlotStart slot = SlotStart.create(tenant, readCatalog(tables).tables());
    try (slot) {
      snapshot = SourceSnapshot.importing(tenant.jdbc(), tenant.id(), slot.snapshotName());
    }
    openedAt = Instant.now();
    catalog = CatalogReader.read(snapshot.connection(), tenant.id(), tenant.schemas(), tables);
    snapshot.lockTables(tenant.id(), catalog.tables());
    try (Connection conn = target.connect(SessionName.of(runId, "catchup-" + tenant.id()))) {
      CatchUpState.besideLedger(ledgerTable)
          .recordStart(
              conn,
              tenant.id(),
              runId,
              tenant.catchUp(),
              slot.publicationCreated(),
              tenant.jdbc().describe(),
              slot.consistentPoint(),
              snapshot.connection(),
              catalog.tables());
    }
    return catalog;
  }

  /**
   * A restored copy of a tenant with catch-up: read in an exported snapshot as without catch-up;
   * the slot on production (created before the copy's point in time) is recorded as where catch-up
   * starts, with the copy's point: catch-up replays the changes between them idempotently.
   */
  private TenantCatalog openCopyAfterSlot(TablesConfig tables) throws SQLException {
    if (slotAhead == null) {
      throw new IllegalStateException(
          "Cannot read tenant "
              + tenant.id()
              + "'s restored copy with catch-up: no replication slot was created on production"
              + " before it");
    }
    snapshot = SourceSnapshot.export(tenant.jdbc(), tenant.id());
    openedAt = Instant.now();
    catalog = CatalogReader.read(snapshot.connection(), tenant.id(), tenant.schemas(), tables);
    snapshot.lockTables(tenant.id(), catalog.tables());
    try (Connection conn = target.connect(SessionName.of(runId, "catchup-" + tenant.id()))) {
      CatchUpState state = CatchUpState.besideLedger(ledgerTable);
      state.recordStart(
          conn,
          tenant.id(),
          runId,
          tenant.catchUp(),
          slotAhead.publicationCreated(),
          slotSource,
          slotAhead.consistentPoint(),
          snapshot.connection(),
          catalog.tables());
      state.recordBaseAhead(conn, tenant.id(), slotAhead.createdAt(), basePoint, baseDescription);
    }
    return catalog;
  }

  /**
   * One transfer unit per read partition of {@code plan}'s table, both COPYs in the table's format.
   */
  private List<TransferUnit> transferUnits(
      TablePlan plan, ConformedSource conformed, List<ReadPartition> parts) {
    List<TransferUnit> units = new ArrayList<>();
    CopyFormat format = copyFormat(catalog, conformed).orElseThrow().format();
    for (ReadPartition p : parts) {
      units.add(
          new TransferUnit(
              runId,
              tenant.id(),
              plan.name(),
              p.index(),
              p.count(),
              tenant.jdbc(),
              snapshot.id(),
              conformed.copyOut(tenant.id(), p) + format.option(),
              target,
              plan.staging().copyInSql(format),
              format,
              ledgerTable,
              options.transferAttempts()));
    }
    return units;
  }

  @Override
  public StagedTenant stage(List<TablePlan> plans) throws SQLException {
    Map<String, Long> millis = new LinkedHashMap<>();
    long t0 = System.nanoTime();
    Map<String, List<ReadPartition>> partitions = new LinkedHashMap<>();
    Map<String, ChecksumSql> sourceSql = new LinkedHashMap<>();
    List<TransferUnit> units = new ArrayList<>();
    Map<String, Long> unitRows = new LinkedHashMap<>();
    Map<String, ConformedSource> accounted = new LinkedHashMap<>();
    List<TablePlan> onTarget = new ArrayList<>();
    for (TablePlan plan : plans) {
      if (plan.source().isEmpty()) {
        continue;
      }
      TableSpec source = plan.source().get();
      ConformedSource conformed = plan.conformed().orElseThrow();
      if (conformsOnTarget(conformed)) {
        // Landed after the transfer (the snapshot's connection is the checksums' until then).
        onTarget.add(plan);
        continue;
      }
      // Deduplication compares rows across the whole table: such a table is one read.
      List<ReadPartition> parts =
          conformed.wholeTableOnly()
              ? List.of(new ReadPartition(0, 1, ""))
              : PartitionPlanner.plan(
                  source,
                  bounds(snapshot.connection(), source),
                  catalog.serverVersionNum(),
                  options.rowsPerPartition(),
                  options.maxPartitionsPerTable());
      partitions.put(plan.name(), parts);
      sourceSql.put(plan.name(), ChecksumQueries.source(conformed, buckets));
      if (conformed.changesRows()) {
        accounted.put(plan.name(), conformed);
      }
      units.addAll(transferUnits(plan, conformed, parts));
      unitRows.put(plan.name(), Math.max(0L, source.estimatedRows()) / parts.size());
    }
    millis.put("partitions", (System.nanoTime() - t0) / 1_000_000);
    // Source checksums (row counts included) run in the exporting transaction while Spark streams
    // the partitions.
    // A thread of this tenant's own: the common pool would queue tenants' checksums behind each
    // other.
    ExecutorService checksumThread =
        Executors.newSingleThreadExecutor(r -> new Thread(r, "tenantfold-checksum-" + tenant.id()));
    try {
      long t1 = System.nanoTime();
      Map<String, RowAccounting> accounting = new LinkedHashMap<>();
      CompletableFuture<Map<String, TableChecksum>> sums =
          CompletableFuture.supplyAsync(
              () -> {
                // Where dropped and rejected rows went, counted in the same snapshot as the
                // checksums.
                accounting.putAll(accounting(snapshot.connection(), accounted));
                return checksums(snapshot.connection(), sourceSql);
              },
              checksumThread);
      List<TransferOutcome> outcomes = transfer(units, unitRows);
      long t2 = System.nanoTime();
      millis.put("transfer", (t2 - t1) / 1_000_000);
      Map<String, TableChecksum> sourceChecksums = Futures.join(sums);
      millis.put("source_checksum_wait", (System.nanoTime() - t2) / 1_000_000);
      Map<String, StagedTable> conformedOnTarget = new LinkedHashMap<>();
      long t3 = System.nanoTime();
      for (TablePlan plan : onTarget) {
        conformedOnTarget.put(plan.name(), stageOnTarget(plan));
      }
      if (!onTarget.isEmpty()) {
        millis.put("conform_on_target", (System.nanoTime() - t3) / 1_000_000);
      }
      List<StagedTable> staged = new ArrayList<>();
      for (TablePlan plan : plans) {
        String name = plan.name();
        if (conformedOnTarget.containsKey(name)) {
          staged.add(conformedOnTarget.get(name));
          continue;
        }
        List<TransferOutcome> mine = outcomes.stream().filter(o -> o.table().equals(name)).toList();
        Optional<TransferOutcome> failure =
            mine.stream().filter(TransferOutcome::failed).findFirst();
        if (failure.isPresent()) {
          staged.add(StagedTable.failed(name, failure.get().error()));
        } else if (plan.source().isEmpty()) {
          staged.add(StagedTable.loaded(name, 0, 0, 0, new TableChecksum(buckets, Map.of()), null));
        } else {
          StagedTable loaded =
              StagedTable.loaded(
                  name,
                  mine.stream().mapToLong(TransferOutcome::extractedRows).sum(),
                  mine.stream().mapToLong(TransferOutcome::loadedRows).sum(),
                  partitions.get(name).size(),
                  sourceChecksums.get(name),
                  // The snapshot stays open until close(): drilling into a mismatch sees the source
                  // as it was extracted.
                  ChecksumSide.sql(snapshot.connection(), sourceSql.get(name)));
          staged.add(
              accounting.containsKey(name) ? loaded.withAccounting(accounting.get(name)) : loaded);
        }
      }
      return new StagedTenant(staged, millis);
    } finally {
      checksumThread.shutdownNow();
    }
  }

  /**
   * A table whose rule this source cannot apply: landed in the target from the snapshot and
   * conformed there ({@link ExportLanding}), with the same rejects, counts and checksum.
   */
  private StagedTable stageOnTarget(TablePlan plan) {
    try {
      return landing
          .get()
          .stage(
              plan,
              landing
                  .get()
                  .landFromSnapshot(
                      plan.source().orElseThrow(),
                      plan.table(),
                      plan.rule(),
                      snapshot.connection(),
                      describe()));
    } catch (SQLException | RuntimeException e) {
      return StagedTable.failed(
          plan.name(),
          "Cannot conform tenant "
              + tenant.id()
              + " table "
              + plan.name()
              + " on the target (its source runs PostgreSQL "
              + catalog.serverVersionNum() / 10000
              + ", without pg_input_is_valid): "
              + e.getMessage());
    }
  }

  private Map<String, TableChecksum> checksums(
      Connection snapshotConn, Map<String, ChecksumSql> sourceSql) {
    Map<String, TableChecksum> sums = new LinkedHashMap<>();
    for (Map.Entry<String, ChecksumSql> e : sourceSql.entrySet()) {
      try {
        sums.put(e.getKey(), PostgresChecksum.checksum(snapshotConn, e.getValue()));
      } catch (SQLException ex) {
        throw new CompletionException(
            new SQLException(
                "Cannot checksum tenant "
                    + tenant.id()
                    + " table "
                    + e.getKey()
                    + " in the source: "
                    + ex.getMessage(),
                ex.getSQLState(),
                ex));
      }
    }
    return sums;
  }

  /**
   * Source rows, rows removed as duplicates and rejected rows (with the first of them) of each
   * table whose rules drop rows.
   */
  private Map<String, RowAccounting> accounting(
      Connection snapshotConn, Map<String, ConformedSource> tables) {
    Map<String, RowAccounting> out = new LinkedHashMap<>();
    for (Map.Entry<String, ConformedSource> e : tables.entrySet()) {
      ConformedSource conformed = e.getValue();
      try (Statement st = snapshotConn.createStatement()) {
        RowAccounting counted = RowAccounting.count(st, conformed);
        if (conformed.rule().quarantineDuplicates() && counted.duplicatesRemoved() > 0) {
          quarantine(snapshotConn, conformed);
        }
        out.put(e.getKey(), counted);
      } catch (SQLException ex) {
        throw new CompletionException(
            new SQLException(
                "Cannot count the deduplicated and rejected rows of tenant "
                    + tenant.id()
                    + " table "
                    + e.getKey()
                    + " in the source: "
                    + ex.getMessage(),
                ex.getSQLState(),
                ex));
      }
    }
    return out;
  }

  /**
   * Streams the rows deduplication removed from the snapshot into {@code <report>.duplicates} (COPY
   * out, COPY in; nothing held in memory), committed on its own: they are facts of this run whether
   * or not the tenant publishes.
   */
  private void quarantine(Connection snapshotConn, ConformedSource conformed) throws SQLException {
    String table = Sql.qualified(reportSchema, "duplicates");
    try (Connection targetConn =
        target.connect(SessionName.of(runId, "duplicates-" + tenant.id()))) {
      CopyOut out =
          new CopyManager(snapshotConn.unwrap(BaseConnection.class))
              .copyOut(conformed.duplicatesCopyOut(runId, tenant.id()).orElseThrow());
      CopyIn in =
          new CopyManager(targetConn.unwrap(BaseConnection.class))
              .copyIn(
                  "COPY " + table + " (run_id, tenant_id, table_name, key, row_data) FROM STDIN");
      try {
        byte[] chunk;
        while ((chunk = out.readFromCopy()) != null) {
          in.writeToCopy(chunk, 0, chunk.length);
        }
        in.endCopy();
      } finally {
        if (out.isActive()) {
          out.cancelCopy();
        }
        if (in.isActive()) {
          in.cancelCopy();
        }
      }
    }
  }

  /**
   * Every unit in one Spark job, small tables packed into shared tasks ({@link TransferBatches}, a
   * unit weighing its table's estimated rows over its partitions).
   */
  private List<TransferOutcome> transfer(List<TransferUnit> units, Map<String, Long> unitRows) {
    if (units.isEmpty()) {
      return List.of();
    }
    List<TransferUnit> ordered =
        units.stream().sorted(Comparator.comparing(TransferUnit::table)).toList();
    List<List<TransferUnit>> tasks =
        TransferBatches.pack(
            ordered,
            u -> unitRows.getOrDefault(u.table(), 0L),
            spark.defaultParallelism(),
            options.rowsPerPartition());
    // One job streams every partition of every table of the tenant: its description names them all.
    SparkJobNames.set(
        spark.sc(),
        "run",
        runId,
        "transfer (" + units.size() + " partitions)",
        tenant.id(),
        ordered.stream().map(TransferUnit::table).distinct().toList());
    try {
      return spark
          .parallelize(tasks, tasks.size())
          .flatMap(task -> CopyTransfer.runAll(task).iterator())
          .collect();
    } finally {
      SparkJobNames.clear(spark.sc());
    }
  }

  @Override
  public Optional<ChecksumSide> checksumSide(TargetTable table, TableRule rule)
      throws SQLException {
    if (snapshot == null) {
      throw new IllegalStateException(
          "Cannot checksum tenant "
              + tenant.id()
              + " table "
              + table.name()
              + ": the source is not open");
    }
    // The snapshot stays open until close(): drilling into a mismatch sees the source as it was
    // read.
    // The rows as a run loads them (deduplicated, cast, defaulted), so validate checks what was
    // published.
    Optional<TableSpec> own = catalog.table(table.name());
    if (own.isPresent() && conformsOnTarget(new ConformedSource(table, own.get(), rule))) {
      // As the run loaded it: landed in the target and conformed there.
      return Optional.of(
          landing
              .get()
              .sourceSide(
                  landing
                      .get()
                      .landFromSnapshot(own.get(), table, rule, snapshot.connection(), describe())
                      .conformed()));
    }
    return own.map(
        s ->
            ChecksumSide.sql(
                snapshot.connection(),
                ChecksumQueries.source(new ConformedSource(table, s, rule), buckets)));
  }

  private static Optional<KeyBounds> bounds(Connection snapshotConn, TableSpec table)
      throws SQLException {
    if (table.integerKey().isEmpty()) {
      return Optional.empty();
    }
    String key = ident(table.integerKey().get().name());
    try (Statement st = snapshotConn.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT min("
                    + key
                    + "), max("
                    + key
                    + ") FROM "
                    + qualified(table.schema(), table.name()))) {
      rs.next();
      long min = rs.getLong(1);
      return rs.wasNull() ? Optional.empty() : Optional.of(new KeyBounds(min, rs.getLong(2)));
    }
  }

  @Override
  public void close() throws SQLException {
    landing.close();
    if (snapshot != null) {
      snapshot.close();
      snapshot = null;
    }
  }
}
