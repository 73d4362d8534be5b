package dev.tenantfold.load;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * The exactly-once protocol every partition load follows, whatever moves the rows (a COPY stream
 * from a source, or Spark rows): in the load's own transaction, claim the partition's ledger row,
 * load, record the counts, commit. A retried or speculative attempt finds the row (waiting for an
 * in-flight attempt's commit or rollback) and reports the committed counts instead of loading again.
 *
 * @param table the ledger table, quoted and qualified ({@code ReportStore.ledgerTable()})
 */
public record LoadLedger(String table, String runId, String tenantId, String tableName, int part) {

  /** What an earlier attempt committed. */
  public record Counts(long extracted, long loaded) {}

  /** Inserts the ledger row; false when an earlier attempt committed this partition already. */
  public boolean claim(Connection target) throws SQLException {
    try (PreparedStatement ps = target.prepareStatement("INSERT INTO " + table
        + " (run_id, tenant_id, table_name, part) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING")) {
      bindKey(ps, 1);
      return ps.executeUpdate() == 1;
    }
  }

  public Counts committed(Connection target) throws SQLException {
    try (PreparedStatement ps = target.prepareStatement("SELECT rows_extracted, rows_loaded FROM " + table
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
    try (PreparedStatement ps = target.prepareStatement("UPDATE " + table
        + " SET rows_extracted = ?, rows_loaded = ?, finished_at = clock_timestamp() WHERE run_id = ? AND tenant_id = ? AND table_name = ? AND part = ?")) {
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
