package dev.tenantfold.load;

import static dev.tenantfold.jdbc.Sql.ident;
import static dev.tenantfold.jdbc.Sql.qualified;

import dev.tenantfold.config.RulesConfig.TableRule;
import dev.tenantfold.conform.ConformedSource;
import dev.tenantfold.conform.TargetTable;
import dev.tenantfold.extract.ColumnSpec;
import dev.tenantfold.extract.TableSpec;
import dev.tenantfold.jdbc.JdbcEndpoint;
import dev.tenantfold.jdbc.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * An export tenant's rows of one table as the tenant had them (its own columns and types), landed
 * in the target so that {@link ConformedSource} can conform them with the same SQL a JDBC tenant's
 * snapshot runs: casts with their rejects, defaults, deduplication and the duplicates quarantine.
 * Unlogged (its rows are re-read from the export if the server restarts), in the staging schema,
 * registered in {@link StagingRegistry} before it is created like every staging table, so it is
 * named ({@code s<id>_<table>__<tenant>}) and swept (a dead run's leftovers, {@code tenantfold
 * cleanup}) the same way.
 *
 * <p>Types: each column as the tenant's catalog has it (a domain as its base type, generated
 * columns as plain columns holding the exported values); an enum column as the consolidated table's
 * enum type when the target column is one (labels then order as the target's enum, and a label the
 * target's enum lacks fails the landing COPY, as it fails a JDBC tenant's staging COPY), else as
 * text.
 */
public record LandingTable(
    long id,
    String schema,
    String name,
    TableSpec source,
    TargetTable table,
    dev.tenantfold.config.SchemaMap targetSchema) {

  /**
   * Registers the landing table of {@code source} (tenant {@code tenantId}, run {@code runId}) in
   * the staging schema; creates nothing yet.
   */
  public static LandingTable register(
      Connection conn,
      StagingRegistry registry,
      String runId,
      String tenantId,
      TableSpec source,
      TargetTable table,
      String stagingSchema,
      dev.tenantfold.config.SchemaMap targetSchema)
      throws SQLException {
    StagingTable.Name name = registry.register(conn, runId, tenantId, table.name(), stagingSchema);
    return new LandingTable(name.id(), name.schema(), name.name(), source, table, targetSchema);
  }

  public String qualifiedName() {
    return qualified(schema, name);
  }

  /**
   * The landed columns, in the tenant's column order: what the export's rows are restored as and
   * COPY writes.
   */
  public List<ColumnSpec> columns() {
    return columnsOf(source);
  }

  /**
   * {@link #columns} of the landing table of {@code source}: its columns, generated ones as plain
   * columns.
   */
  public static List<ColumnSpec> columnsOf(TableSpec source) {
    return source.columns().stream().map(c -> c.loaded() ? c : c.notGenerated()).toList();
  }

  /**
   * The landing table as a source relation for {@link ConformedSource} (its key is the tenant's).
   */
  public TableSpec asSource() {
    return new TableSpec(schema, name, columns(), source.primaryKey(), List.of(), 0, 0, false);
  }

  /**
   * The landing table as a table to checksum against the export's rows (every landed column, the
   * tenant's key).
   */
  public TargetTable asChecksummed() {
    return new TargetTable(name, columns(), source.primaryKey());
  }

  /** How the tenant's rows become the consolidated table's, over this landing table. */
  public ConformedSource conformed(TableRule rule) {
    return new ConformedSource(table, asSource(), rule);
  }

  public void create(Connection conn) throws SQLException {
    try (Statement st = conn.createStatement()) {
      // No DROP IF EXISTS first: the registered name is unique, and an unexpected relation of that
      // name is not ours to drop.
      st.execute("CREATE UNLOGGED TABLE " + qualifiedName() + " (" + columnDefinitions() + ")");
    }
  }

  /**
   * A landing table of the session's own ({@code CREATE TEMP TABLE} named {@link #name}, its schema
   * ignored): catch-up lands a tenant's changed rows there, typed as this table types them, and
   * conforms them with the same SQL ({@link #conformInto}).
   */
  public void createTemporary(Connection conn) throws SQLException {
    try (Statement st = conn.createStatement()) {
      st.execute(
          "CREATE TEMP TABLE IF NOT EXISTS " + ident(name) + " (" + columnDefinitions() + ")");
    }
  }

  private String columnDefinitions() {
    List<String> columns = new ArrayList<>();
    for (ColumnSpec c : columns()) {
      columns.add(ident(c.name()) + " " + landedType(c));
    }
    return String.join(", ", columns);
  }

  private String landedType(ColumnSpec c) {
    if (c.enumType() == null) {
      return c.type();
    }
    return table
        .column(c.name())
        .filter(t -> t.enumType() != null)
        .map(t -> t.targetType(targetSchema))
        .orElse(c.array() ? "text[]" : "text");
  }

  /**
   * The Dataset load into this table. The ledger key's table is the landing table's own name,
   * unique by construction: a landing table of a resumed run is a new, empty table, which the
   * ledger must not answer for with an earlier table's partitions.
   */
  public DatasetLoad load(
      String runId,
      String tenantId,
      JdbcEndpoint target,
      String ledgerTable,
      int attempts,
      CopyFormat format) {
    String copyIn =
        "COPY "
            + qualifiedName()
            + " ("
            + Sql.idents(columns().stream().map(ColumnSpec::name).toList())
            + ") FROM STDIN";
    return new DatasetLoad(
        runId, tenantId, name, target, copyIn, columns(), ledgerTable, attempts, format);
  }

  /**
   * Fills {@code staging} with the conformed rows ({@link ConformedSource#select} over this table:
   * tenant id first, then the loaded target columns, as {@link StagingTable#copyColumns}) and
   * returns how many rows it inserted.
   */
  public long conformInto(Connection conn, StagingTable staging, ConformedSource conformed)
      throws SQLException {
    return conformInto(
        conn, staging.qualifiedName(), staging.copyColumns(), staging.tenantId(), conformed, "");
  }

  /**
   * Inserts {@code conformed}'s rows of tenant {@code tenantId} into {@code relation}'s {@code
   * columns} (the tenant column, then the loaded target columns: {@link ConformedSource#select}'s
   * order), followed by {@code suffix} (an {@code ON CONFLICT} clause, or ""); returns how many
   * rows it inserted. {@code columns} may leave the tenant column out (a shared table has none).
   */
  public long conformInto(
      Connection conn,
      String relation,
      List<String> columns,
      String tenantId,
      ConformedSource conformed,
      String suffix)
      throws SQLException {
    // The select's columns: the tenant id, then the loaded target columns.
    String tenantItem = "tenantfold_tenant_id";
    List<String> selected = new ArrayList<>();
    selected.add(tenantItem);
    table.columns().stream()
        .filter(ColumnSpec::loaded)
        .map(ColumnSpec::name)
        .forEach(selected::add);
    List<String> items = new ArrayList<>();
    for (String c : columns) {
      if (table.column(c).isEmpty()) {
        items.add(ident(tenantItem)); // the tenant column
        continue;
      }
      // The select types an enum column's NULL or default as text (COPY reads it as a label); an
      // INSERT needs the enum type itself.
      items.add(
          table
              .column(c)
              .filter(t -> t.enumType() != null)
              .map(t -> ident(c) + "::" + t.targetType(targetSchema))
              .orElse(ident(c)));
    }
    try (Statement st = conn.createStatement()) {
      return st.executeLargeUpdate(
          "INSERT INTO "
              + relation
              + " ("
              + Sql.idents(columns)
              + ") SELECT "
              + String.join(", ", items)
              + " FROM ("
              + conformed.select(tenantId, "")
              + ") conformed ("
              + Sql.idents(selected)
              + ")"
              + suffix);
    }
  }

  /**
   * Drops the table and records it as dropped in {@code registry}, as a staging table's leftover
   * is.
   */
  public void drop(Connection conn, StagingRegistry registry, String runId, String tenantId)
      throws SQLException {
    registry.drop(
        conn,
        new StagingRegistry.Leftover(id, runId, tenantId, table.name(), schema, name, "created"));
  }
}
