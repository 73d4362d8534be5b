package dev.tenantfold.catchup;

import dev.tenantfold.config.CatchUpConfig;
import dev.tenantfold.extract.TableSpec;
import dev.tenantfold.jdbc.Sql;
import dev.tenantfold.jdbc.Transaction;
import dev.tenantfold.report.ReportStore;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.postgresql.replication.LogSequenceNumber;

/**
 * Where each tenant's catch-up stands, kept in the target's report schema: the slot and publication
 * the base copy was tied to, the position the slot started at and the position applied so far and
 * the number of changes applied (both written in the same transaction as the applied rows), the
 * tables and columns the base copy had, and the keys changed since (what {@code cutover} checks).
 * Tables of the report schema since its version 3 ({@link ReportStore#ensureCurrent}): {@code
 * catchup_state}, {@code catchup_tables}, {@code catchup_changed_keys}, {@code catchup_freeze};
 * each pass and cutover is recorded for the report ({@link PassLog}, {@link CutoverLog}).
 */
public final class CatchUpState {
  /** The report schema, quoted. */
  private final String schema;

  /** The report schema as named. */
  private final String rawSchema;

  private CatchUpState(String quotedSchema) {
    this.schema = quotedSchema;
    this.rawSchema = quotedSchema.substring(1, quotedSchema.length() - 1).replace("\"\"", "\"");
  }

  /** The state in report schema {@code reportSchema} ({@code target.report-schema}). */
  public static CatchUpState of(String reportSchema) {
    return new CatchUpState(Sql.ident(reportSchema));
  }

  /**
   * The state beside the load ledger {@code ledgerTable} (quoted, qualified): the report schema.
   */
  public static CatchUpState besideLedger(String ledgerTable) {
    return new CatchUpState(ledgerTable.substring(0, ledgerTable.lastIndexOf('.')));
  }

  String table(String name) {
    return schema + "." + Sql.ident(name);
  }

  /** A tenant's catch-up as recorded. */
  public record Tenant(
      String tenantId,
      String runId,
      String slot,
      String publication,
      boolean publicationCreated,
      String source,
      LogSequenceNumber startLsn,
      LogSequenceNumber appliedLsn,
      String status) {
    public boolean cutOver() {
      return STATUS_CUT_OVER.equals(status);
    }

    /** The WAL guard dropped the slot: only a new base copy goes on. */
    public boolean slotDropped() {
      return STATUS_SLOT_DROPPED.equals(status);
    }
  }

  /**
   * One table as the base copy read it: its replicated columns (generated ones are not), their
   * types as the catalog names them ({@code types}, for casts and messages) and as type id and
   * modifier ({@code typeIds}, {@code oid/typmod}: what a relation message is compared with), and
   * its primary key.
   */
  public record PlannedTable(
      String key,
      String sourceSchema,
      String sourceName,
      List<String> columns,
      List<String> types,
      List<String> typeIds,
      List<String> primaryKey) {
    public PlannedTable {
      columns = List.copyOf(columns);
      types = List.copyOf(types);
      typeIds = List.copyOf(typeIds);
      primaryKey = List.copyOf(primaryKey);
    }

    /** Reads {@code spec}'s columns from the source session that copied it. */
    static PlannedTable of(Connection source, TableSpec spec) throws SQLException {
      List<String> columns = new ArrayList<>();
      List<String> types = new ArrayList<>();
      List<String> typeIds = new ArrayList<>();
      try (PreparedStatement ps =
          source.prepareStatement(
              "SELECT attname, format_type(atttypid, atttypmod), atttypid::int8 || '/' ||"
                  + " atttypmod FROM pg_attribute WHERE attrelid = ?::regclass AND attnum > 0 AND"
                  + " NOT attisdropped AND attgenerated = '' ORDER BY attnum")) {
        ps.setString(1, Sql.qualified(spec.schema(), spec.name()));
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            columns.add(rs.getString(1));
            types.add(rs.getString(2));
            typeIds.add(rs.getString(3));
          }
        }
      }
      return new PlannedTable(
          spec.key(), spec.schema(), spec.name(), columns, types, typeIds, spec.primaryKey());
    }

    String type(String column) {
      return types.get(columns.indexOf(column));
    }
  }

  static final String STATUS_BASE_COPY = "catching-up";
  static final String STATUS_CUT_OVER = "cut-over";
  static final String STATUS_SLOT_DROPPED = "slot-dropped";

  /**
   * Brings the report schema, which holds catch-up's tables, to the current version: the schema
   * owns their shape ({@link ReportStore}, docs/report-schema.md version 3).
   */
  public void ensure(Connection conn) throws SQLException {
    new ReportStore(rawSchema).ensureCurrent(conn);
  }

  /**
   * Records a base copy tied to a new slot: the tenant's earlier catch-up state, tables and changed
   * keys are replaced in one transaction.
   */
  public void recordStart(
      Connection conn,
      String tenantId,
      String runId,
      CatchUpConfig config,
      boolean publicationCreated,
      String source,
      LogSequenceNumber startLsn,
      Connection sourceSession,
      List<TableSpec> tables)
      throws SQLException {
    List<PlannedTable> planned = new ArrayList<>();
    for (TableSpec spec : tables) {
      planned.add(PlannedTable.of(sourceSession, spec));
    }
    ensure(conn);
    Transaction.in(
        conn,
        () -> {
          for (String t : List.of("catchup_state", "catchup_tables", "catchup_changed_keys")) {
            try (PreparedStatement ps =
                conn.prepareStatement("DELETE FROM " + table(t) + " WHERE tenant_id = ?")) {
              ps.setString(1, tenantId);
              ps.executeUpdate();
            }
          }
          try (PreparedStatement ps =
              conn.prepareStatement(
                  "INSERT INTO "
                      + table("catchup_state")
                      + " (tenant_id, run_id, slot_name, publication_name, publication_created,"
                      + " source, start_lsn, applied_lsn, status) VALUES (?, ?, ?, ?, ?, ?,"
                      + " ?::pg_lsn, ?::pg_lsn, ?)")) {
            ps.setString(1, tenantId);
            ps.setString(2, runId);
            ps.setString(3, config.slot());
            ps.setString(4, config.publication());
            ps.setBoolean(5, publicationCreated);
            ps.setString(6, source);
            ps.setString(7, startLsn.asString());
            ps.setString(8, startLsn.asString());
            ps.setString(9, STATUS_BASE_COPY);
            ps.executeUpdate();
          }
          try (PreparedStatement ps =
              conn.prepareStatement(
                  "INSERT INTO "
                      + table("catchup_tables")
                      + " (tenant_id, table_name, source_schema, source_name, columns, types,"
                      + " type_ids, primary_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
            for (PlannedTable t : planned) {
              ps.setString(1, tenantId);
              ps.setString(2, t.key());
              ps.setString(3, t.sourceSchema());
              ps.setString(4, t.sourceName());
              ps.setArray(5, conn.createArrayOf("text", t.columns().toArray()));
              ps.setArray(6, conn.createArrayOf("text", t.types().toArray()));
              ps.setArray(7, conn.createArrayOf("text", t.typeIds().toArray()));
              ps.setArray(8, conn.createArrayOf("text", t.primaryKey().toArray()));
              ps.addBatch();
            }
            ps.executeBatch();
          }
          return null;
        });
  }

  /**
   * Records that the tenant's base copy was read at a point later than its slot's start (a copy
   * restored to {@code basePoint}, after the slot was created at {@code slotCreatedAt}, server
   * time): catch-up then replays changes the copy may hold already ({@link #baseAheadOfSlot}). Call
   * after {@link #recordStart}.
   */
  public void recordBaseAhead(
      Connection conn,
      String tenantId,
      java.time.Instant slotCreatedAt,
      java.time.Instant basePoint,
      String baseDescription)
      throws SQLException {
    ensure(conn);
    try (PreparedStatement ps =
        conn.prepareStatement(
            "UPDATE "
                + table("catchup_state")
                + " SET slot_created_at = ?, base_point = ?, base_read_from = ? WHERE tenant_id ="
                + " ?")) {
      ps.setObject(1, java.time.OffsetDateTime.ofInstant(slotCreatedAt, java.time.ZoneOffset.UTC));
      ps.setObject(2, java.time.OffsetDateTime.ofInstant(basePoint, java.time.ZoneOffset.UTC));
      ps.setString(3, baseDescription);
      ps.setString(4, tenantId);
      if (ps.executeUpdate() != 1) {
        throw new SQLException(
            "Cannot record where tenant " + tenantId + "'s base copy was read: no catch-up state");
      }
    }
  }

  /**
   * The base copy's point when it is later than the tenant's slot's start ({@link
   * #recordBaseAhead}): the slot then streams changes the target may hold already, up to it.
   */
  public Optional<java.time.Instant> baseAheadOfSlot(Connection conn, String tenantId)
      throws SQLException {
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(?) AND attname ="
                + " 'base_point' AND NOT attisdropped")) {
      ps.setString(1, table("catchup_state"));
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
      }
    }
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT base_point FROM " + table("catchup_state") + " WHERE tenant_id = ?")) {
      ps.setString(1, tenantId);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        return Optional.ofNullable(rs.getObject(1, java.time.OffsetDateTime.class))
            .map(java.time.OffsetDateTime::toInstant);
      }
    }
  }

  /** The tenant's recorded catch-up, if a base copy with catch-up recorded one. */
  public Optional<Tenant> read(Connection conn, String tenantId) throws SQLException {
    if (!exists(conn)) {
      return Optional.empty();
    }
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT run_id, slot_name, publication_name, publication_created, source,"
                + " start_lsn::text, applied_lsn::text, status FROM "
                + table("catchup_state")
                + " WHERE tenant_id = ?")) {
      ps.setString(1, tenantId);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        return Optional.of(
            new Tenant(
                tenantId,
                rs.getString(1),
                rs.getString(2),
                rs.getString(3),
                rs.getBoolean(4),
                rs.getString(5),
                LogSequenceNumber.valueOf(rs.getString(6)),
                LogSequenceNumber.valueOf(rs.getString(7)),
                rs.getString(8)));
      }
    }
  }

  /** The tables the tenant's base copy read, in name order. */
  public List<PlannedTable> tables(Connection conn, String tenantId) throws SQLException {
    List<PlannedTable> out = new ArrayList<>();
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT table_name, source_schema, source_name, columns, types, type_ids, primary_key"
                + " FROM "
                + table("catchup_tables")
                + " WHERE tenant_id = ? ORDER BY table_name")) {
      ps.setString(1, tenantId);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(
              new PlannedTable(
                  rs.getString(1),
                  rs.getString(2),
                  rs.getString(3),
                  strings(rs.getArray(4)),
                  strings(rs.getArray(5)),
                  strings(rs.getArray(6)),
                  strings(rs.getArray(7))));
        }
      }
    }
    return out;
  }

  private static List<String> strings(Array array) throws SQLException {
    return Arrays.asList((String[]) array.getArray());
  }

  /**
   * Moves the applied position to {@code lsn}: call inside the transaction that applied the
   * changes, so rows and position commit together.
   */
  void advance(Connection conn, String tenantId, LogSequenceNumber lsn, long changes)
      throws SQLException {
    try (PreparedStatement ps =
        conn.prepareStatement(
            "UPDATE "
                + table("catchup_state")
                + " SET applied_lsn = ?::pg_lsn, applied_changes = applied_changes + ?, updated_at"
                + " = now() WHERE tenant_id = ? AND applied_lsn <= ?::pg_lsn")) {
      ps.setString(1, lsn.asString());
      ps.setLong(2, changes);
      ps.setString(3, tenantId);
      ps.setString(4, lsn.asString());
      if (ps.executeUpdate() != 1) {
        throw new SQLException(
            "Cannot record tenant "
                + tenantId
                + "'s applied position "
                + lsn.asString()
                + ": its catch-up state is gone or already past it (another catch-up of the"
                + " tenant ran at the same time?)");
      }
    }
  }

  /** Marks the tenant's slot dropped by the WAL guard: catch-up needs a new base copy. */
  void markSlotDropped(Connection conn, String tenantId) throws SQLException {
    try (PreparedStatement ps =
        conn.prepareStatement(
            "UPDATE "
                + table("catchup_state")
                + " SET status = ?, updated_at = now() WHERE tenant_id = ?")) {
      ps.setString(1, STATUS_SLOT_DROPPED);
      ps.setString(2, tenantId);
      ps.executeUpdate();
    }
  }

  /** Marks the tenant cut over (its slot and publication are gone). */
  void markCutOver(Connection conn, String tenantId) throws SQLException {
    try (PreparedStatement ps =
        conn.prepareStatement(
            "UPDATE "
                + table("catchup_state")
                + " SET status = ?, cut_over_at = now(), updated_at = now() WHERE tenant_id = ?")) {
      ps.setString(1, STATUS_CUT_OVER);
      ps.setString(2, tenantId);
      ps.executeUpdate();
    }
  }

  /**
   * Adds {@code delta} rows to the carried count of {@code table} (after emptying it first when
   * {@code reset}: a TRUNCATE): call inside the transaction that applied the changes.
   */
  void carryRows(Connection conn, String tenantId, String table, boolean reset, long delta)
      throws SQLException {
    try (PreparedStatement ps =
        conn.prepareStatement(
            "UPDATE "
                + table("catchup_tables")
                + " SET rows_delta = CASE WHEN ? THEN 0 ELSE rows_delta END + ?, rows_reset ="
                + " rows_reset OR ? WHERE tenant_id = ? AND table_name = ?")) {
      ps.setBoolean(1, reset);
      ps.setLong(2, delta);
      ps.setBoolean(3, reset);
      ps.setString(4, tenantId);
      ps.setString(5, table);
      ps.executeUpdate();
    }
  }

  /**
   * Each table's row count carried from the base copy: the rows {@code published} (the base copy's
   * published counts, by table) plus the inserts minus the deletes applied since, or only those
   * since the last TRUNCATE.
   */
  public java.util.Map<String, Long> carriedRows(
      Connection conn, String tenantId, java.util.Map<String, Long> published) throws SQLException {
    java.util.Map<String, Long> out = new java.util.TreeMap<>();
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT table_name, rows_delta, rows_reset FROM "
                + table("catchup_tables")
                + " WHERE tenant_id = ?")) {
      ps.setString(1, tenantId);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          long base = rs.getBoolean(3) ? 0 : published.getOrDefault(rs.getString(1), 0L);
          out.put(rs.getString(1), base + rs.getLong(2));
        }
      }
    }
    return out;
  }

  /** Records what a freeze is about to revoke (committed before it revokes). */
  void recordFreeze(Connection conn, String tenantId, List<Freeze.Grant> grants)
      throws SQLException {
    ensure(conn);
    Transaction.in(
        conn,
        () -> {
          try (PreparedStatement ps =
              conn.prepareStatement(
                  "INSERT INTO "
                      + table("catchup_freeze")
                      + " (tenant_id, role_name, database_name, grantable) VALUES (?, ?, ?, ?) ON"
                      + " CONFLICT (tenant_id, role_name) DO UPDATE SET grantable ="
                      + " EXCLUDED.grantable OR "
                      + table("catchup_freeze")
                      + ".grantable")) {
            for (Freeze.Grant g : grants) {
              ps.setString(1, tenantId);
              ps.setString(2, g.role());
              ps.setString(3, g.database());
              ps.setBoolean(4, g.grantable());
              ps.addBatch();
            }
            ps.executeBatch();
          }
          return null;
        });
  }

  /** Forgets the tenant's freeze record (its grants are back). */
  void forgetFreeze(Connection conn, String tenantId) throws SQLException {
    boolean auto = conn.getAutoCommit();
    conn.setAutoCommit(true);
    try (PreparedStatement ps =
        conn.prepareStatement("DELETE FROM " + table("catchup_freeze") + " WHERE tenant_id = ?")) {
      ps.setString(1, tenantId);
      ps.executeUpdate();
    } finally {
      conn.setAutoCommit(auto);
    }
  }

  /** The grants a freeze of the tenant revoked and did not grant back yet. */
  List<Freeze.Grant> frozen(Connection conn, String tenantId) throws SQLException {
    List<Freeze.Grant> out = new ArrayList<>();
    if (!exists(conn, "catchup_freeze")) {
      return out;
    }
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT role_name, database_name, grantable FROM "
                + table("catchup_freeze")
                + " WHERE tenant_id = ? ORDER BY role_name")) {
      ps.setString(1, tenantId);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new Freeze.Grant(rs.getString(1), rs.getString(2), rs.getBoolean(3)));
        }
      }
    }
    return out;
  }

  /** Every tenant with recorded catch-up state (cleanup walks them). */
  public List<Tenant> all(Connection conn) throws SQLException {
    List<Tenant> out = new ArrayList<>();
    if (!exists(conn)) {
      return out;
    }
    List<String> ids = new ArrayList<>();
    try (Statement st = conn.createStatement();
        ResultSet rs =
            st.executeQuery("SELECT tenant_id FROM " + table("catchup_state") + " ORDER BY 1")) {
      while (rs.next()) {
        ids.add(rs.getString(1));
      }
    }
    for (String id : ids) {
      read(conn, id).ifPresent(out::add);
    }
    return out;
  }

  private boolean exists(Connection conn) throws SQLException {
    return exists(conn, "catchup_state");
  }

  private boolean exists(Connection conn, String name) throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
      ps.setString(1, table(name));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getBoolean(1);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // catch-up.mode = cursor (docs/catch-up.md, "cursor"). A cursor tenant's catchup_state row has an
  // empty slot and publication and positions 0/0 (applied_changes still counts what was applied);
  // its watermarks live in catchup_cursor, written in the same target transaction as the rows
  // applied up to them.
  // ---------------------------------------------------------------------------------------------

  /** Whether {@code recorded} is a cursor tenant's state (no slot). */
  static boolean isCursor(Tenant recorded) {
    return recorded.slot().isEmpty();
  }

  /** One table's recorded cursor: its column and type and the watermark applied up to. */
  record CursorState(String table, String column, String type, Optional<String> watermark) {}

  /**
   * Records a base copy with cursor catch-up: the tenant's state as {@link #recordStart} writes it
   * (no slot, positions 0/0) and each table's starting watermark, read in the base copy's snapshot
   * ({@code sourceSession}).
   */
  public void recordCursorStart(
      Connection conn,
      String tenantId,
      String runId,
      CatchUpConfig config,
      String source,
      Connection sourceSession,
      List<TableSpec> tables,
      List<CursorTables.Watermark> watermarks)
      throws SQLException {
    CatchUpConfig noSlot =
        new CatchUpConfig(
            config.mode(),
            "",
            "",
            config.slotTimeout(),
            config.maxRetainedWal(),
            config.freezeRoles(),
            config.cursorColumn(),
            config.cursorOverlap());
    recordStart(
        conn,
        tenantId,
        runId,
        noSlot,
        false,
        source,
        LogSequenceNumber.valueOf(0L),
        sourceSession,
        tables);
    Transaction.in(
        conn,
        () -> {
          try (PreparedStatement ps =
              conn.prepareStatement(
                  "DELETE FROM " + table("catchup_cursor") + " WHERE tenant_id = ?")) {
            ps.setString(1, tenantId);
            ps.executeUpdate();
          }
          try (PreparedStatement ps =
              conn.prepareStatement(
                  "INSERT INTO "
                      + table("catchup_cursor")
                      + " (tenant_id, table_name, cursor_column, cursor_type, watermark) VALUES (?,"
                      + " ?, ?, ?, ?)")) {
            for (CursorTables.Watermark w : watermarks) {
              ps.setString(1, tenantId);
              ps.setString(2, w.table().key());
              ps.setString(3, w.table().column());
              ps.setString(4, w.table().type());
              ps.setString(5, w.value().orElse(null));
              ps.addBatch();
            }
            ps.executeBatch();
          }
          return null;
        });
  }

  /** The tenant's cursors by table. */
  java.util.Map<String, CursorState> cursors(Connection conn, String tenantId) throws SQLException {
    java.util.Map<String, CursorState> out = new java.util.TreeMap<>();
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT table_name, cursor_column, cursor_type, watermark FROM "
                + table("catchup_cursor")
                + " WHERE tenant_id = ?")) {
      ps.setString(1, tenantId);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.put(
              rs.getString(1),
              new CursorState(
                  rs.getString(1),
                  rs.getString(2),
                  rs.getString(3),
                  Optional.ofNullable(rs.getString(4))));
        }
      }
    }
    return out;
  }

  /**
   * Moves {@code table}'s watermark to {@code watermark} and records its key comparison's cost:
   * call inside the transaction that applied its rows, so rows and watermark commit together.
   */
  void advanceCursor(
      Connection conn,
      String tenantId,
      String table,
      Optional<String> watermark,
      long keysCompared,
      long compareMillis)
      throws SQLException {
    try (PreparedStatement ps =
        conn.prepareStatement(
            "UPDATE "
                + table("catchup_cursor")
                + " SET watermark = ?, keys_compared = ?, compare_millis = ?, updated_at = now()"
                + " WHERE tenant_id = ? AND table_name = ?")) {
      ps.setString(1, watermark.orElse(null));
      ps.setLong(2, keysCompared);
      ps.setLong(3, compareMillis);
      ps.setString(4, tenantId);
      ps.setString(5, table);
      if (ps.executeUpdate() != 1) {
        throw new SQLException(
            "Cannot record tenant "
                + tenantId
                + " table "
                + table
                + "'s cursor watermark: its"
                + " catch-up state is gone (another run of the tenant replaced it?)");
      }
    }
  }

  /**
   * What each table's last key comparison cost (keys compared, milliseconds), as a line for the
   * cutover: {@code key comparison: orders 1000 keys in 0.2 s, ...; 1000 keys in 0.2 s in all}.
   */
  String cursorCosts(Connection conn, String tenantId) throws SQLException {
    List<String> parts = new ArrayList<>();
    long keys = 0;
    long millis = 0;
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT table_name, keys_compared, compare_millis FROM "
                + table("catchup_cursor")
                + " WHERE tenant_id = ? ORDER BY table_name")) {
      ps.setString(1, tenantId);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          keys += rs.getLong(2);
          millis += rs.getLong(3);
          parts.add(
              String.format(
                  java.util.Locale.ROOT,
                  "%s %d keys in %.1f s",
                  rs.getString(1),
                  rs.getLong(2),
                  rs.getLong(3) / 1000.0));
        }
      }
    }
    return String.format(
        java.util.Locale.ROOT,
        "key comparison (cursor mode; grows with the tenant's tables): %s; %d source keys compared"
            + " with the target's in %.1f s in all",
        String.join(", ", parts),
        keys,
        millis / 1000.0);
  }
}
