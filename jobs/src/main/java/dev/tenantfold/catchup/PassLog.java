package dev.tenantfold.catchup;

import dev.tenantfold.jdbc.Transaction;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.postgresql.replication.LogSequenceNumber;

/**
 * One catch-up pass as the report schema records it (docs/report-schema.md, version 3): a row of
 * {@code catchup_passes} written when the pass starts, its position and its transactions and
 * changes moved with every committed batch (in the batch's own transaction, so they count exactly
 * once across kills), the changes applied per table in {@code catchup_applied} (likewise), and its
 * end: status, message and the lag left. A pass killed before its end stays {@code running} until
 * the tenant's next pass marks it {@code interrupted}; what it committed is counted.
 */
final class PassLog {
  /** Statuses of {@code catchup_passes.status}. */
  static final String RUNNING = "running";

  static final String CAUGHT_UP = "caught-up";
  static final String STOPPED = "stopped";
  static final String FAILED = "failed";
  static final String YIELDED = "yielded";
  static final String INTERRUPTED = "interrupted";

  private final CatchUpState state;
  private final String tenantId;
  private final long passId;

  private PassLog(CatchUpState state, String tenantId, long passId) {
    this.state = state;
    this.tenantId = tenantId;
    this.passId = passId;
  }

  long id() {
    return passId;
  }

  /**
   * Records a pass of {@code tenantId} starting at {@code from}, continuing the base copy of run
   * {@code runId}, for {@code command} ({@code catch-up}, {@code catch-up --follow}, {@code
   * cutover}); the tenant's passes left {@code running} (their command was killed: this pass holds
   * the tenant's claim, so none runs) become {@code interrupted}. Commits on its own.
   */
  static PassLog start(
      Connection conn,
      CatchUpState state,
      String tenantId,
      String runId,
      String command,
      LogSequenceNumber from)
      throws SQLException {
    long id =
        Transaction.in(
            conn,
            () -> {
              try (PreparedStatement ps =
                  conn.prepareStatement(
                      "UPDATE "
                          + state.table("catchup_passes")
                          + " SET status = ? WHERE tenant_id = ? AND status = ?")) {
                ps.setString(1, INTERRUPTED);
                ps.setString(2, tenantId);
                ps.setString(3, RUNNING);
                ps.executeUpdate();
              }
              try (PreparedStatement ps =
                  conn.prepareStatement(
                      "INSERT INTO "
                          + state.table("catchup_passes")
                          + " (tenant_id, run_id, command, from_lsn, to_lsn, status) VALUES (?, ?,"
                          + " ?, ?::pg_lsn, ?::pg_lsn, ?) RETURNING pass_id")) {
                ps.setString(1, tenantId);
                ps.setString(2, runId);
                ps.setString(3, command);
                ps.setString(4, from.asString());
                ps.setString(5, from.asString());
                ps.setString(6, RUNNING);
                try (ResultSet rs = ps.executeQuery()) {
                  rs.next();
                  return rs.getLong(1);
                }
              }
            });
    return new PassLog(state, tenantId, id);
  }

  /**
   * A committed batch moved the pass to {@code to}, with {@code transactions} source transactions
   * and {@code changes} changes: call inside the batch's transaction.
   */
  void batch(Connection conn, LogSequenceNumber to, long transactions, long changes)
      throws SQLException {
    try (PreparedStatement ps =
        conn.prepareStatement(
            "UPDATE "
                + state.table("catchup_passes")
                + " SET to_lsn = greatest(to_lsn, ?::pg_lsn), transactions = transactions + ?,"
                + " changes = changes + ? WHERE pass_id = ?")) {
      ps.setString(1, to.asString());
      ps.setLong(2, transactions);
      ps.setLong(3, changes);
      ps.setLong(4, passId);
      ps.executeUpdate();
    }
  }

  /**
   * Adds a batch's changes per table ({@link Counts}) to the pass's: call inside the batch's
   * transaction.
   */
  void applied(Connection conn, Counts counts) throws SQLException {
    if (counts.tables.isEmpty()) {
      return;
    }
    try (PreparedStatement ps =
        conn.prepareStatement(
            "INSERT INTO "
                + state.table("catchup_applied")
                + " AS a (pass_id, tenant_id, table_name, inserts, updates, deletes, truncates,"
                + " skipped) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (pass_id, table_name) DO"
                + " UPDATE SET inserts = a.inserts + EXCLUDED.inserts, updates = a.updates +"
                + " EXCLUDED.updates, deletes = a.deletes + EXCLUDED.deletes, truncates ="
                + " a.truncates + EXCLUDED.truncates, skipped = a.skipped + EXCLUDED.skipped")) {
      for (Map.Entry<String, long[]> e : counts.tables.entrySet()) {
        long[] n = e.getValue();
        ps.setLong(1, passId);
        ps.setString(2, tenantId);
        ps.setString(3, e.getKey());
        for (int i = 0; i < n.length; i++) {
          ps.setLong(4 + i, n[i]);
        }
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  /**
   * Ends the pass: {@code status}, {@code message} (empty: none), the lag left (empty: unknown),
   * and the position catch-up state holds now. Commits on its own.
   */
  void finish(Connection conn, String status, String message, Optional<TenantCatchUp.Lag> lag)
      throws SQLException {
    Transaction.in(
        conn,
        () -> {
          try (PreparedStatement ps =
              conn.prepareStatement(
                  "UPDATE "
                      + state.table("catchup_passes")
                      + " p SET finished_at = now(), status = ?, message = ?, lag_bytes = ?,"
                      + " lag_millis = ?, to_lsn = coalesce((SELECT greatest(s.applied_lsn,"
                      + " p.to_lsn) FROM "
                      + state.table("catchup_state")
                      + " s WHERE s.tenant_id = p.tenant_id), p.to_lsn) WHERE pass_id = ?")) {
            ps.setString(1, status);
            ps.setString(2, message.isEmpty() ? null : message);
            ps.setObject(
                2 + 1, lag.map(TenantCatchUp.Lag::bytes).orElse(null), java.sql.Types.BIGINT);
            ps.setObject(4, lag.map(l -> l.time().toMillis()).orElse(null), java.sql.Types.BIGINT);
            ps.setLong(5, passId);
            ps.executeUpdate();
          }
          return null;
        });
  }

  /**
   * Forgets a follower's pass that found nothing to apply: a follower passes every second, and only
   * passes that applied something (or failed) make the lag series.
   */
  void forget(Connection conn) throws SQLException {
    Transaction.in(
        conn,
        () -> {
          try (PreparedStatement ps =
              conn.prepareStatement(
                  "DELETE FROM "
                      + state.table("catchup_passes")
                      + " WHERE pass_id = ? AND transactions = 0 AND NOT EXISTS (SELECT 1 FROM "
                      + state.table("catchup_applied")
                      + " WHERE pass_id = ?)")) {
            ps.setLong(1, passId);
            ps.setLong(2, passId);
            ps.executeUpdate();
          }
          return null;
        });
  }

  /** A batch's changes per table: inserts, updates, deletes, truncates, skipped. */
  static final class Counts {
    static final int INSERTS = 0;
    static final int UPDATES = 1;
    static final int DELETES = 2;
    static final int TRUNCATES = 3;

    /** Changes the overlap replay found nothing to change for, or skipped as conflicting. */
    static final int SKIPPED = 4;

    private final Map<String, long[]> tables = new LinkedHashMap<>();

    void add(String table, int kind) {
      tables.computeIfAbsent(table, t -> new long[5])[kind]++;
    }

    /** Writes the batch's counts ({@code pass} null: not recorded) and starts a new batch. */
    void flush(Connection conn, PassLog pass) throws SQLException {
      if (pass != null) {
        pass.applied(conn, this);
      }
      tables.clear();
    }

    /** Forgets the batch (its transaction rolled back). */
    void discard() {
      tables.clear();
    }
  }
}
