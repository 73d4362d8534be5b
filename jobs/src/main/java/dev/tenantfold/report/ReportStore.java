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
import dev.tenantfold.validate.ChecksumCheck;
import dev.tenantfold.validate.checksum.RowDifference;
import java.sql.ResultSet;
import java.util.ArrayList;

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
      // Columns added after the first release: an existing report schema is upgraded in place.
      st.execute("ALTER TABLE " + qualified(schema, "runs") + " ADD COLUMN IF NOT EXISTS command text NOT NULL DEFAULT 'run'");
      st.execute("ALTER TABLE " + qualified(schema, "table_results")
          + " ADD COLUMN IF NOT EXISTS source_checksum text, ADD COLUMN IF NOT EXISTS target_checksum text,"
          + " ADD COLUMN IF NOT EXISTS buckets_compared int, ADD COLUMN IF NOT EXISTS mismatched_buckets int");
      st.execute("CREATE TABLE IF NOT EXISTS " + qualified(schema, "mismatches") + " ("
          + "run_id text NOT NULL, tenant_id text NOT NULL, table_name text NOT NULL, key text NOT NULL, kind text NOT NULL,"
          + " columns text[] NOT NULL, source_rows int NOT NULL, target_rows int NOT NULL)");
      st.execute("CREATE INDEX IF NOT EXISTS mismatches_run ON " + qualified(schema, "mismatches") + " (run_id, tenant_id, table_name)");
      st.execute("CREATE TABLE IF NOT EXISTS " + ledgerTable() + " ("
          + "run_id text NOT NULL, tenant_id text NOT NULL, table_name text NOT NULL, part int NOT NULL, rows_extracted bigint,"
          + " rows_loaded bigint, started_at timestamptz NOT NULL DEFAULT clock_timestamp(), finished_at timestamptz,"
          + " PRIMARY KEY (run_id, tenant_id, table_name, part))");
    }
  }

  /**
   * Marks runs whose driver died ({@code running}, but nobody holds their advisory lock) as {@code
   * abandoned} and drops their staging tables. Returns the run ids swept.
   */
  public List<String> sweepAbandoned(Connection conn, String stagingSchema) throws SQLException {
    List<String> running = new ArrayList<>();
    try (Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery("SELECT run_id FROM " + qualified(schema, "runs") + " WHERE status = 'running'")) {
      while (rs.next()) {
        running.add(rs.getString(1));
      }
    }
    List<String> swept = new ArrayList<>();
    for (String runId : running) {
      if (!tryLock(conn, runId)) {
        continue;
      }
      try {
        List<String> tables = new ArrayList<>();
        try (PreparedStatement ps = conn.prepareStatement("SELECT format('%I.%I', schemaname, tablename) FROM pg_tables"
            + " WHERE schemaname = ? AND strpos(tablename, ?) > 0")) {
          ps.setString(1, stagingSchema);
          ps.setString(2, "__" + runId.replace("-", "_").toLowerCase());
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              tables.add(rs.getString(1));
            }
          }
        }
        try (Statement st = conn.createStatement()) {
          for (String table : tables) {
            st.execute("DROP TABLE IF EXISTS " + table);
          }
        }
        // finishRun releases the lock.
        finishRun(conn, runId, Instant.now(), "abandoned");
        swept.add(runId);
      } catch (SQLException | RuntimeException e) {
        unlock(conn, runId);
        throw e;
      }
    }
    return swept;
  }

  private static boolean tryLock(Connection conn, String runId) throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement("SELECT pg_try_advisory_lock(hashtextextended('tenantfold run ' || ?, 0))")) {
      ps.setString(1, runId);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getBoolean(1);
      }
    }
  }

  private static void unlock(Connection conn, String runId) throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement("SELECT pg_advisory_unlock(hashtextextended('tenantfold run ' || ?, 0))")) {
      ps.setString(1, runId);
      ps.execute();
    }
  }

  /**
   * Records the run as {@code running} and takes its advisory lock on {@code conn}, held until
   * {@link #finishRun} or until the driver's connection ends: how a later run tells a live run from
   * one whose driver died.
   */
  public void startRun(Connection conn, String runId, Instant startedAt, String command) throws SQLException {
    if (!tryLock(conn, runId)) {
      throw new SQLException("Cannot start run " + runId + ": its lock is held");
    }
    try (PreparedStatement ps = conn.prepareStatement("INSERT INTO " + qualified(schema, "runs")
        + " (run_id, started_at, status, command) VALUES (?, ?, 'running', ?)")) {
      ps.setString(1, runId);
      ps.setTimestamp(2, Timestamp.from(startedAt));
      ps.setString(3, command);
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
    unlock(conn, runId);
  }

  /** How many tables of the tenant this run recorded as published: non-zero once its publish committed. */
  public long publishedTables(Connection conn, String runId, String tenantId) throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement("SELECT count(*) FROM " + qualified(schema, "table_results")
        + " WHERE run_id = ? AND tenant_id = ? AND published")) {
      ps.setString(1, runId);
      ps.setString(2, tenantId);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  /** A tenant that failed before any of its tables got a verdict is recorded as one row, table {@code *}. */
  public void recordTenantFailure(Connection conn, String runId, TenantResult tenant) throws SQLException {
    if (tenant.tables().isEmpty() && !tenant.message().isEmpty()) {
      recordTables(conn, runId, List.of(TableResult.failed(tenant.tenantId(), "*", tenant.message())));
    }
  }

  public void recordTables(Connection conn, String runId, List<TableResult> tables) throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement("INSERT INTO " + qualified(schema, "table_results")
        + " (run_id, tenant_id, table_name, source_rows, extracted_rows, duplicates_removed, rejected_rows, loaded_rows, status, published, message,"
        + " source_checksum, target_checksum, buckets_compared, mismatched_buckets)"
        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        + " ON CONFLICT (run_id, tenant_id, table_name) DO UPDATE SET source_rows = EXCLUDED.source_rows, extracted_rows = EXCLUDED.extracted_rows,"
        + " duplicates_removed = EXCLUDED.duplicates_removed, rejected_rows = EXCLUDED.rejected_rows, loaded_rows = EXCLUDED.loaded_rows,"
        + " status = EXCLUDED.status, published = EXCLUDED.published, message = EXCLUDED.message,"
        + " source_checksum = EXCLUDED.source_checksum, target_checksum = EXCLUDED.target_checksum,"
        + " buckets_compared = EXCLUDED.buckets_compared, mismatched_buckets = EXCLUDED.mismatched_buckets")) {
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
        ChecksumCheck c = t.checksum();
        ps.setString(12, c == null ? null : c.sourceDigest());
        ps.setString(13, c == null ? null : c.targetDigest());
        ps.setObject(14, c == null ? null : c.buckets(), java.sql.Types.INTEGER);
        ps.setObject(15, c == null ? null : c.mismatchedBuckets(), java.sql.Types.INTEGER);
        ps.addBatch();
      }
      ps.executeBatch();
    }
    recordMismatches(conn, runId, tables);
  }

  private void recordMismatches(Connection conn, String runId, List<TableResult> tables) throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement("INSERT INTO " + qualified(schema, "mismatches")
        + " (run_id, tenant_id, table_name, key, kind, columns, source_rows, target_rows) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
      int batched = 0;
      for (TableResult t : tables) {
        if (t.checksum() == null) {
          continue;
        }
        for (RowDifference d : t.checksum().listed()) {
          ps.setString(1, runId);
          ps.setString(2, t.tenantId());
          ps.setString(3, t.tableName());
          ps.setString(4, d.key());
          ps.setString(5, d.kind().name());
          ps.setArray(6, conn.createArrayOf("text", d.changedColumns().toArray()));
          ps.setInt(7, d.sourceRows());
          ps.setInt(8, d.targetRows());
          ps.addBatch();
          batched++;
        }
      }
      if (batched > 0) {
        ps.executeBatch();
      }
    }
  }
}
