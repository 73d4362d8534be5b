package dev.tenantfold.load;

import static dev.tenantfold.jdbc.Sql.qualified;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The exactly-once protocol every partition load follows, whatever moves the rows (a COPY stream
 * from a source, or Spark rows): in the load's own transaction, claim the partition's ledger row,
 * load, record the counts, commit. A retried or speculative attempt finds the row (waiting for an
 * in-flight attempt's commit or rollback) and reports the committed counts instead of loading
 * again.
 *
 * <p>The ledger owns its table: {@link #tableIn} names it, {@link #createTable} creates it (the
 * report schema's set-up calls both, so it lives beside {@code runs} and {@code table_results}).
 *
 * @param table the ledger table, quoted and qualified ({@link #tableIn})
 */
public record LoadLedger(String table, String runId, String tenantId, String tableName, int part) {
  private static final String TABLE_NAME = "load_ledger";

  /** What an earlier attempt committed. */
  public record Counts(long extracted, long loaded) {}

  /** The ledger table in {@code schema}, quoted and qualified. */
  public static String tableIn(String schema) {
    return qualified(schema, TABLE_NAME);
  }

  /**
   * Creates the ledger table {@code table} (from {@link #tableIn}) if it does not exist; its schema
   * must exist. One row per committed partition load, keyed by (run, tenant, table, part).
   */
  public static void createTable(Connection conn, String table) throws SQLException {
    try (Statement st = conn.createStatement()) {
      st.execute(
          "CREATE TABLE IF NOT EXISTS "
              + table
              + " (run_id text NOT NULL, tenant_id text NOT NULL, table_name text NOT NULL, part"
              + " int NOT NULL, rows_extracted bigint, rows_loaded bigint, started_at timestamptz"
              + " NOT NULL DEFAULT clock_timestamp(), finished_at timestamptz, PRIMARY KEY (run_id,"
              + " tenant_id, table_name, part))");
    }
  }

  /** Inserts the ledger row; false when an earlier attempt committed this partition already. */
  public boolean claim(Connection target) throws SQLException {
    try (PreparedStatement ps =
        target.prepareStatement(
            "INSERT INTO "
                + table
                + " (run_id, tenant_id, table_name, part) VALUES (?, ?, ?, ?) ON CONFLICT DO"
                + " NOTHING")) {
      bindKey(ps, 1);
      return ps.executeUpdate() == 1;
    }
  }

  public Counts committed(Connection target) throws SQLException {
    try (PreparedStatement ps =
        target.prepareStatement(
            "SELECT rows_extracted, rows_loaded FROM "
                + table
                + " WHERE run_id = ? AND tenant_id = ? AND table_name = ? AND part = ?")) {
      bindKey(ps, 1);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return new Counts(rs.getLong(1), rs.getLong(2));
      }
    }
  }

  /** Records the counts in the claiming transaction, before its commit. */
  public void record(Connection target, long extracted, long loaded) throws SQLException {
    try (PreparedStatement ps =
        target.prepareStatement(
            "UPDATE "
                + table
                + " SET rows_extracted = ?, rows_loaded = ?, finished_at = clock_timestamp() WHERE"
                + " run_id = ? AND tenant_id = ? AND table_name = ? AND part = ?")) {
      ps.setLong(1, extracted);
      ps.setLong(2, loaded);
      bindKey(ps, 3);
      ps.executeUpdate();
    }
  }

  private void bindKey(PreparedStatement ps, int first) throws SQLException {
    ps.setString(first, runId);
    ps.setString(first + 1, tenantId);
    ps.setString(first + 2, tableName);
    ps.setInt(first + 3, part);
  }
}
