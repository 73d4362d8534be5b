package dev.tenantfold.load;

import static dev.tenantfold.jdbc.Sql.literal;
import static dev.tenantfold.jdbc.Sql.qualified;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Every staging table, recorded in {@code <report-schema>.staging_objects} before it is created:
 * cleanup finds leftovers by this record, never by parsing names. The record's id is part of the
 * staging table's name ({@code s<id>_<table>__<tenant>}, the id first so truncation never loses
 * it), which makes staging names unique by construction.
 *
 * <p>States: {@code created} (exists, belongs to its run), {@code published} (attached as a
 * partition in the publish transaction), {@code dropped}, {@code kept} ({@code
 * load.keep-failed-staging}: left for inspection, dropped only by {@code tenantfold cleanup}).
 */
public final class StagingRegistry {
  /**
   * Room left in a 63-byte identifier for the suffixes of the staging table's own constraints and
   * indexes.
   */
  private static final int NAME_BYTES = 48;

  private final String reportSchema;

  public StagingRegistry(String reportSchema) {
    this.reportSchema = reportSchema;
  }

  public String table() {
    return qualified(reportSchema, "staging_objects");
  }

  public void ensureTable(Connection conn) throws SQLException {
    try (Statement st = conn.createStatement()) {
      st.execute(
          "CREATE TABLE IF NOT EXISTS "
              + table()
              + " (id bigserial PRIMARY KEY, run_id text NOT NULL, tenant_id text NOT NULL,"
              + " table_name text NOT NULL, schema_name text NOT NULL, object_name text NOT NULL,"
              + " state text NOT NULL DEFAULT 'created' CHECK (state IN ('created', 'published',"
              + " 'dropped', 'kept')), created_at timestamptz NOT NULL DEFAULT clock_timestamp(),"
              + " finished_at timestamptz)");
    }
  }

  /**
   * Records a staging table of (run, tenant, table) and returns its name, unique by construction.
   */
  public StagingTable.Name register(
      Connection conn, String runId, String tenantId, String tableName, String stagingSchema)
      throws SQLException {
    long id;
    try (Statement st = conn.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT nextval(pg_get_serial_sequence(" + literal(table()) + ", 'id'))")) {
      rs.next();
      id = rs.getLong(1);
    }
    String name = name(id, tableName, tenantId);
    try (PreparedStatement ps =
        conn.prepareStatement(
            "INSERT INTO "
                + table()
                + " (id, run_id, tenant_id, table_name, schema_name, object_name) VALUES (?, ?, ?,"
                + " ?, ?, ?)")) {
      ps.setLong(1, id);
      ps.setString(2, runId);
      ps.setString(3, tenantId);
      ps.setString(4, tableName);
      ps.setString(5, stagingSchema);
      ps.setString(6, name);
      ps.executeUpdate();
    }
    return new StagingTable.Name(id, stagingSchema, name);
  }

  /** {@code s<id>_<table>__<tenant>}, cut to {@value #NAME_BYTES} bytes after the id. */
  static String name(long id, String tableName, String tenantId) {
    String prefix = "s" + id + "_";
    StringBuilder out = new StringBuilder(prefix);
    String rest = tableName.replace('.', '_') + "__" + tenantId;
    int bytes = prefix.length();
    for (int i = 0; i < rest.length(); ) {
      int cp = rest.codePointAt(i);
      int len = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8).length;
      if (bytes + len > NAME_BYTES) {
        break;
      }
      out.appendCodePoint(cp);
      bytes += len;
      i += Character.charCount(cp);
    }
    return out.toString();
  }

  public void mark(Connection conn, Collection<StagingTable> tables, String state)
      throws SQLException {
    if (tables.isEmpty()) {
      return;
    }
    try (PreparedStatement ps =
        conn.prepareStatement(
            "UPDATE " + table() + " SET state = ?, finished_at = clock_timestamp() WHERE id = ?")) {
      for (StagingTable t : tables) {
        ps.setString(1, state);
        ps.setLong(2, t.id());
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  /** A recorded staging table still in place. */
  public record Leftover(
      long id,
      String runId,
      String tenantId,
      String tableName,
      String schema,
      String name,
      String state) {
    public String qualifiedName() {
      return qualified(schema, name);
    }
  }

  /**
   * Staging tables still in place ({@code created}, or {@code kept} when {@code includeKept}) of
   * runs not in {@code liveRuns}: what a dead, failed or finished run left behind.
   */
  public List<Leftover> leftovers(Connection conn, Collection<String> liveRuns, boolean includeKept)
      throws SQLException {
    List<Leftover> out = new ArrayList<>();
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT id, run_id, tenant_id, table_name, schema_name, object_name, state FROM "
                + table()
                + " WHERE (state = 'created' OR (? AND state = 'kept')) AND NOT (run_id = ANY (?))"
                + " ORDER BY id")) {
      ps.setBoolean(1, includeKept);
      ps.setArray(2, conn.createArrayOf("text", liveRuns.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(
              new Leftover(
                  rs.getLong(1),
                  rs.getString(2),
                  rs.getString(3),
                  rs.getString(4),
                  rs.getString(5),
                  rs.getString(6),
                  rs.getString(7)));
        }
      }
    }
    return out;
  }

  /**
   * Staging tables of {@code runId} still recorded as {@code created}: what its tenants could not
   * drop themselves.
   */
  public List<Leftover> ofRun(Connection conn, String runId) throws SQLException {
    List<Leftover> out = new ArrayList<>();
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT id, run_id, tenant_id, table_name, schema_name, object_name, state FROM "
                + table()
                + " WHERE state = 'created' AND run_id = ? ORDER BY id")) {
      ps.setString(1, runId);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(
              new Leftover(
                  rs.getLong(1),
                  rs.getString(2),
                  rs.getString(3),
                  rs.getString(4),
                  rs.getString(5),
                  rs.getString(6),
                  rs.getString(7)));
        }
      }
    }
    return out;
  }

  /**
   * Drops a leftover and records it as dropped; a table already gone is recorded as dropped too.
   */
  public void drop(Connection conn, Leftover leftover) throws SQLException {
    try (Statement st = conn.createStatement()) {
      st.execute("DROP TABLE IF EXISTS " + leftover.qualifiedName());
    }
    try (PreparedStatement ps =
        conn.prepareStatement(
            "UPDATE "
                + table()
                + " SET state = 'dropped', finished_at = clock_timestamp() WHERE id = ?")) {
      ps.setLong(1, leftover.id());
      ps.executeUpdate();
    }
  }
}
