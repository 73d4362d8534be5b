package dev.tenantfold.progress;

import dev.tenantfold.jdbc.JdbcEndpoint;
import dev.tenantfold.jdbc.SessionName;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rows a run has moved, as the target counts them, read from the driver without touching the
 * COPY path: the committed partitions in the run's load ledger (every load path records its rows
 * there in the transaction that commits them) plus the rows the COPYs still in flight have
 * processed ({@code pg_stat_progress_copy.tuples_processed}, PostgreSQL 14+, matched to tenants by
 * the loads' {@code application_name} {@code tf-<run>-load-<tenant>}). Both are real counts, for
 * JDBC and export tenants alike. One connection, one cheap query per poll; a poll that fails
 * reports nothing new, never an error.
 */
public final class CopyProgressProbe implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CopyProgressProbe.class);

  /** One tenant's counts at one poll. */
  public record Copied(long committedRows, long committedPartitions, long inFlightRows) {}

  private final JdbcEndpoint target;
  private final String ledgerTable;
  private final String runId;
  private final List<String> tenantIds;
  private Connection conn;
  private boolean inFlightVisible = true;
  private boolean warned;

  /**
   * @param ledgerTable the load ledger, quoted and qualified
   */
  public CopyProgressProbe(
      JdbcEndpoint target, String ledgerTable, String runId, List<String> tenantIds) {
    this.target = target;
    this.ledgerTable = ledgerTable;
    this.runId = runId;
    this.tenantIds = List.copyOf(tenantIds);
  }

  /**
   * Per tenant: rows and partitions committed, rows of COPYs in flight. Empty when the target
   * cannot be asked now.
   */
  public synchronized Map<String, Copied> poll() {
    Map<String, long[]> counts = new LinkedHashMap<>();
    try {
      if (conn == null || conn.isClosed()) {
        conn = target.connect(SessionName.of(runId, "progress"));
        conn.setAutoCommit(true);
      }
      try (PreparedStatement ps =
          conn.prepareStatement(
              "SELECT tenant_id, coalesce(sum(rows_loaded), 0), count(*) FROM "
                  + ledgerTable
                  + " WHERE run_id = ? AND finished_at IS NOT NULL GROUP BY tenant_id")) {
        ps.setString(1, runId);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            counts.computeIfAbsent(rs.getString(1), k -> new long[3]);
            counts.get(rs.getString(1))[0] = rs.getLong(2);
            counts.get(rs.getString(1))[1] = rs.getLong(3);
          }
        }
      }
      if (inFlightVisible) {
        inFlight(counts);
      }
    } catch (SQLException e) {
      if (!warned) {
        LOG.warn(
            "Cannot read the run's progress from the target (progress shows what it last knew): {}",
            e.getMessage());
        warned = true;
      }
      closeQuietly();
      return Map.of();
    }
    Map<String, Copied> out = new LinkedHashMap<>();
    counts.forEach((id, c) -> out.put(id, new Copied(c[0], c[1], c[2])));
    return out;
  }

  private void inFlight(Map<String, long[]> counts) throws SQLException {
    String prefix = SessionName.of(runId, "load-");
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT a.application_name, p.tuples_processed FROM pg_stat_progress_copy p JOIN"
                + " pg_stat_activity a ON a.pid = p.pid WHERE p.command = 'COPY FROM' AND"
                + " a.application_name LIKE ?")) {
      ps.setString(1, SessionName.likePattern(runId));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String name = rs.getString(1);
          if (name == null || !name.startsWith(prefix)) {
            continue;
          }
          String tenant = tenantOf(name.substring(prefix.length()));
          if (tenant != null) {
            counts.computeIfAbsent(tenant, k -> new long[3])[2] += rs.getLong(2);
          }
        }
      }
    } catch (SQLException e) {
      if (!"42P01".equals(e.getSQLState())) {
        throw e;
      }
      // PostgreSQL 13 has no pg_stat_progress_copy: committed partitions only.
      inFlightVisible = false;
      LOG.info(
          "The target has no pg_stat_progress_copy (PostgreSQL 13 or older): progress counts"
              + " committed partitions only");
    }
  }

  /**
   * The tenant a session name ends with; PostgreSQL cuts application_name at 63 bytes, so a unique
   * prefix is enough.
   */
  private String tenantOf(String suffix) {
    if (tenantIds.contains(suffix)) {
      return suffix;
    }
    List<String> candidates = tenantIds.stream().filter(id -> id.startsWith(suffix)).toList();
    return candidates.size() == 1 ? candidates.get(0) : null;
  }

  private void closeQuietly() {
    try {
      if (conn != null) {
        conn.close();
      }
    } catch (SQLException ignored) {
      // Closing a broken connection: nothing to do.
    }
    conn = null;
  }

  @Override
  public synchronized void close() {
    closeQuietly();
  }
}
