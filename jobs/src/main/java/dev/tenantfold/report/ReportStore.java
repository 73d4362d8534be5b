package dev.tenantfold.report;

import static dev.tenantfold.jdbc.Sql.ident;
import static dev.tenantfold.jdbc.Sql.qualified;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;

/**
 * The reconciliation tables in the target's report schema: {@code runs}, {@code table_results} and
 * the {@code load_ledger} that makes partition loads exactly-once. A published tenant's rows are
 * written in its publish transaction, so the report never disagrees with the data.
 */
public final class ReportStore {
  private final String schema;

  public ReportStore(String schema) {
    this.schema = schema;
  }

  public String ledgerTable() {
    return qualified(schema, "load_ledger");
  }

  public void ensureTables(Connection conn) throws SQLException {
    try (Statement st = conn.createStatement()) {
      st.execute("CREATE SCHEMA IF NOT EXISTS " + ident(schema));
      st.execute("CREATE TABLE IF NOT EXISTS " + qualified(schema, "runs") + " ("
          + "run_id text PRIMARY KEY, started_at timestamptz NOT NULL, finished_at timestamptz, status text NOT NULL)");
      st.execute("CREATE TABLE IF NOT EXISTS " + qualified(schema, "table_results") + " ("
          + "run_id text NOT NULL, tenant_id text NOT NULL, table_name text NOT NULL, source_rows bigint, extracted_rows bigint,"
          + " duplicates_removed bigint, rejected_rows bigint, loaded_rows bigint, status text NOT NULL, published boolean NOT NULL,"
          + " message text, PRIMARY KEY (run_id, tenant_id, table_name))");
      st.execute("CREATE TABLE IF NOT EXISTS " + ledgerTable() + " ("
          + "run_id text NOT NULL, tenant_id text NOT NULL, table_name text NOT NULL, part int NOT NULL, rows_extracted bigint,"
          + " rows_loaded bigint, started_at timestamptz NOT NULL DEFAULT clock_timestamp(), finished_at timestamptz,"
          + " PRIMARY KEY (run_id, tenant_id, table_name, part))");
    }
  }

  public void startRun(Connection conn, String runId, Instant startedAt) throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement("INSERT INTO " + qualified(schema, "runs") + " (run_id, started_at, status) VALUES (?, ?, 'running')")) {
      ps.setString(1, runId);
      ps.setTimestamp(2, Timestamp.from(startedAt));
      ps.executeUpdate();
    }
  }

  public void finishRun(Connection conn, String runId, Instant finishedAt, String status) throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement("UPDATE " + qualified(schema, "runs") + " SET finished_at = ?, status = ? WHERE run_id = ?")) {
      ps.setTimestamp(1, Timestamp.from(finishedAt));
      ps.setString(2, status);
      ps.setString(3, runId);
      ps.executeUpdate();
    }
  }

  public void recordTables(Connection conn, String runId, List<TableResult> tables) throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement("INSERT INTO " + qualified(schema, "table_results")
        + " (run_id, tenant_id, table_name, source_rows, extracted_rows, duplicates_removed, rejected_rows, loaded_rows, status, published, message)"
        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        + " ON CONFLICT (run_id, tenant_id, table_name) DO UPDATE SET source_rows = EXCLUDED.source_rows, extracted_rows = EXCLUDED.extracted_rows,"
        + " duplicates_removed = EXCLUDED.duplicates_removed, rejected_rows = EXCLUDED.rejected_rows, loaded_rows = EXCLUDED.loaded_rows,"
        + " status = EXCLUDED.status, published = EXCLUDED.published, message = EXCLUDED.message")) {
      for (TableResult t : tables) {
        ps.setString(1, runId);
        ps.setString(2, t.tenantId());
        ps.setString(3, t.tableName());
        ps.setLong(4, t.sourceRows());
        ps.setLong(5, t.extractedRows());
        ps.setLong(6, t.duplicatesRemoved());
        ps.setLong(7, t.rejectedRows());
        ps.setLong(8, t.loadedRows());
        ps.setString(9, t.status().name());
        ps.setBoolean(10, t.published());
        ps.setString(11, t.message());
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }
}
