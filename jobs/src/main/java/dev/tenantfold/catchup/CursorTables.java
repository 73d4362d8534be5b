package dev.tenantfold.catchup;

import dev.tenantfold.config.CatchUpConfig;
import dev.tenantfold.config.RulesConfig;
import dev.tenantfold.config.RulesConfig.TableRule;
import dev.tenantfold.config.TenantConfig;
import dev.tenantfold.extract.TableSpec;
import dev.tenantfold.jdbc.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What {@code catch-up.mode = cursor} needs of a tenant's tables, and what it costs: per table a
 * primary key (deleted rows are found by comparing key sets) and a cursor column ({@code
 * rules.<table>.cursor-column}, else {@code catch-up.cursor-column}) of a type whose values only
 * grow ({@link #CURSOR_TYPES}); checked at plan time so {@code plan} refuses what {@code run} and
 * {@code catch-up} would fail on. The base copy reads each table's starting watermark through
 * {@link #watermarks} in its own snapshot (docs/catch-up.md, "cursor").
 */
public final class CursorTables {
  private CursorTables() {}

  /** Types a cursor may have (pg_type.typname): values compare and a later change is larger. */
  static final Set<String> TIME_TYPES = Set.of("timestamp", "timestamptz");

  static final Set<String> NUMBER_TYPES = Set.of("int2", "int4", "int8", "numeric");

  /** Both, for messages. */
  static final String CURSOR_TYPES = "timestamp, timestamptz, smallint, integer, bigint or numeric";

  /**
   * One table's cursor: the column, its type as the catalog names it ({@code format_type}), whether
   * it is a time, and where the column was named ({@code catch-up.cursor-column} or {@code
   * rules.<table>.cursor-column}).
   */
  public record CursorTable(
      String key,
      String schema,
      String name,
      List<String> primaryKey,
      String column,
      String type,
      boolean time,
      String namedBy) {
    public CursorTable {
      primaryKey = List.copyOf(primaryKey);
    }
  }

  /** The tables' cursors and every problem found (one sentence each). */
  public record Resolved(List<CursorTable> tables, List<String> problems) {
    public Resolved {
      tables = List.copyOf(tables);
      problems = List.copyOf(problems);
    }
  }

  /**
   * Fails with every problem found when {@code tenant} asks for cursor catch-up and its tables
   * cannot give it; does nothing for other modes.
   */
  public static void require(TenantConfig tenant, List<TableSpec> tables, RulesConfig rules)
      throws SQLException {
    if (!tenant.catchUp().cursor()) {
      return;
    }
    Resolved resolved = resolve(tenant, tables, rules);
    if (!resolved.problems().isEmpty()) {
      throw new SQLException(String.join("; ", resolved.problems()));
    }
  }

  /** Resolves {@code tables}' cursors on the tenant's source. */
  public static Resolved resolve(TenantConfig tenant, List<TableSpec> tables, RulesConfig rules)
      throws SQLException {
    try (Connection conn = tenant.jdbc().connect("tenantfold-catchup-plan-" + tenant.id())) {
      return resolve(conn, tenant.id(), tenant.catchUp(), tables, rules);
    }
  }

  /** As {@link #resolve(TenantConfig, List, RulesConfig)} on an open source session. */
  static Resolved resolve(
      Connection conn,
      String tenantId,
      CatchUpConfig config,
      List<TableSpec> tables,
      RulesConfig rules)
      throws SQLException {
    List<String> problems = new ArrayList<>();
    List<CursorTable> out = new ArrayList<>();
    String prefix = "Cannot catch up tenant " + tenantId + " (catch-up.mode = cursor): ";
    for (TableSpec table : tables) {
      TableRule rule = rules.forTable(table.key());
      String named = prefix + "table " + table.qualifiedName() + " ";
      if (table.primaryKey().isEmpty()) {
        problems.add(
            named
                + "has no primary key: cursor catch-up upserts changed rows by key and finds"
                + " deleted rows by comparing the key sets of source and target; add a primary"
                + " key, or leave the tenant's catch-up off");
        continue;
      }
      String unsupported = SourcePrerequisites.unsupportedRule(rule, table);
      if (unsupported != null) {
        problems.add(named + unsupported);
        continue;
      }
      Optional<String> column = rule.cursorColumn().or(config::cursorColumn);
      String namedBy =
          rule.cursorColumn().isPresent()
              ? rule.path() + ".cursor-column"
              : "tenants[].catch-up.cursor-column";
      if (column.isEmpty()) {
        problems.add(
            named
                + "has no cursor column: set tenants[].catch-up.cursor-column (the tenant's"
                + " default, e.g. updated_at) or "
                + rule.path()
                + ".cursor-column = <column>");
        continue;
      }
      String[] type = columnType(conn, table, column.get());
      if (type == null) {
        problems.add(
            named
                + "has no column "
                + column.get()
                + " (the cursor column "
                + namedBy
                + " names); name an existing column whose value every insert and update sets,"
                + " or set "
                + rule.path()
                + ".cursor-column for this table");
        continue;
      }
      boolean time = TIME_TYPES.contains(type[1]);
      if (!time && !NUMBER_TYPES.contains(type[1])) {
        problems.add(
            named
                + "column "
                + column.get()
                + " ("
                + namedBy
                + ") is of type "
                + type[0]
                + ", which is not a cursor catch-up can compare: use a column of type "
                + CURSOR_TYPES
                + " that every insert and update sets to a larger value");
        continue;
      }
      CatchUpConfig.CursorOverlap overlap = config.cursorOverlap();
      if (time && overlap.amount().isPresent()) {
        problems.add(
            named
                + "has a time cursor ("
                + column.get()
                + " "
                + type[0]
                + ") but catch-up.cursor-overlap = "
                + overlap.text()
                + " is a number; give a duration, e.g. cursor-overlap = 5m");
        continue;
      }
      if (!time && overlap.time().isPresent()) {
        problems.add(
            named
                + "has a numeric cursor ("
                + column.get()
                + " "
                + type[0]
                + ") but catch-up.cursor-overlap = "
                + overlap.text()
                + " is a duration; give a number of cursor values, e.g. cursor-overlap = 1000");
        continue;
      }
      out.add(
          new CursorTable(
              table.key(),
              table.schema(),
              table.name(),
              table.primaryKey(),
              column.get(),
              type[0],
              time,
              namedBy));
    }
    return new Resolved(out, problems);
  }

  /** {format_type, typname of the base type} of {@code column}, or null when there is none. */
  private static String[] columnType(Connection conn, TableSpec table, String column)
      throws SQLException {
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT format_type(a.atttypid, a.atttypmod), t.typname::text FROM pg_attribute a"
                + " JOIN pg_type t ON t.oid = a.atttypid WHERE a.attrelid = ?::regclass AND"
                + " a.attname = ? AND a.attnum > 0 AND NOT a.attisdropped")) {
      ps.setString(1, Sql.qualified(table.schema(), table.name()));
      ps.setString(2, column);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? new String[] {rs.getString(1), rs.getString(2)} : null;
      }
    }
  }

  /**
   * What cursor catch-up of each table misses and costs, for the plan's output: one line per table.
   */
  public static List<String> planLines(String tenantId, CatchUpConfig config, Resolved resolved) {
    List<String> lines = new ArrayList<>();
    for (CursorTable t : resolved.tables()) {
      String overlap =
          t.time()
              ? config.cursorOverlap().forTime().toSeconds()
                  + " s"
                  + (config.cursorOverlap().time().isEmpty() ? " (the default)" : "")
              : config.cursorOverlap().forNumber().toPlainString()
                  + " cursor values"
                  + (config.cursorOverlap().amount().isEmpty() ? " (the default)" : "");
      lines.add(
          "tenant "
              + tenantId
              + " table "
              + t.key()
              + ": cursor "
              + t.column()
              + " ("
              + t.type()
              + "), key "
              + t.primaryKey()
              + ". Misses rows changed without setting "
              + t.column()
              + " to a larger value (an UPDATE that leaves it alone, a NULL cursor); re-reads"
              + " rows with "
              + t.column()
              + " >= watermark - "
              + overlap
              + " each catch-up, so a transaction committing up to that far out of cursor order"
              + (t.time() ? " (or a clock that far behind)" : "")
              + " is still read; further out, its rows are missed. Deletes are found by"
              + " comparing the source's keys with the target's: each catch-up and the cutover"
              + " read every key of the table on both sides (work that grows with the table).");
    }
    return lines;
  }

  /** A table's starting watermark: the largest cursor value in the base copy's snapshot. */
  public record Watermark(CursorTable table, Optional<String> value) {}

  /**
   * Each table's largest cursor value, read in {@code snapshot}: the session whose snapshot the
   * base copy reads, so no row the copy lacks has a cursor at or below it unless it committed out
   * of cursor order (what the overlap covers).
   */
  public static List<Watermark> watermarks(Connection snapshot, List<CursorTable> tables)
      throws SQLException {
    List<Watermark> out = new ArrayList<>();
    for (CursorTable t : tables) {
      try (PreparedStatement ps =
              snapshot.prepareStatement(
                  "SELECT max(" + Sql.ident(t.column()) + ")::text FROM " + relation(snapshot, t));
          ResultSet rs = ps.executeQuery()) {
        rs.next();
        out.add(new Watermark(t, Optional.ofNullable(rs.getString(1))));
      }
    }
    return out;
  }

  /**
   * Records where a cursor tenant's catch-up starts, at its base copy's open: each table's largest
   * cursor value read in {@code snapshot} (the session whose snapshot the copy reads), with the
   * tenant's catch-up state ({@link CatchUpState#recordCursorStart}) in the target's report schema.
   */
  public static void recordStart(
      TenantConfig tenant,
      String runId,
      dev.tenantfold.jdbc.JdbcEndpoint target,
      String ledgerTable,
      Connection snapshot,
      dev.tenantfold.extract.TenantCatalog catalog,
      RulesConfig rules)
      throws SQLException {
    Resolved resolved = resolve(snapshot, tenant.id(), tenant.catchUp(), catalog.tables(), rules);
    if (!resolved.problems().isEmpty()) {
      throw new SQLException(String.join("; ", resolved.problems()));
    }
    List<Watermark> marks = watermarks(snapshot, resolved.tables());
    try (Connection conn =
        target.connect(dev.tenantfold.jdbc.SessionName.of(runId, "catchup-" + tenant.id()))) {
      CatchUpState.besideLedger(ledgerTable)
          .recordCursorStart(
              conn,
              tenant.id(),
              runId,
              tenant.catchUp(),
              tenant.jdbc().describe(),
              snapshot,
              catalog.tables(),
              marks);
    }
  }

  /** The table as a query reads it: a partitioned table whole, a plain one without children. */
  static String relation(Connection conn, CursorTable t) throws SQLException {
    String relation = Sql.qualified(t.schema(), t.name());
    try (PreparedStatement ps =
        conn.prepareStatement("SELECT relkind::text FROM pg_class WHERE oid = ?::regclass")) {
      ps.setString(1, relation);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return "p".equals(rs.getString(1)) ? relation : "ONLY " + relation;
      }
    }
  }
}
