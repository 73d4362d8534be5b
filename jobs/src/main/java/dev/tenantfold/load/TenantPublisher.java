package dev.tenantfold.load;

import static dev.tenantfold.jdbc.Sql.ident;
import static dev.tenantfold.jdbc.Sql.literal;
import static dev.tenantfold.jdbc.Sql.qualified;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;

/**
 * Makes a tenant's staged tables visible together, in one transaction: for each table, detach and
 * drop the tenant's previous partition (if any), attach the staging table as the new partition and
 * move it into the target schema. Readers see either the old tenant or the new one, never a mix;
 * other tenants' partitions are not touched. Tables are locked in name order, so concurrent
 * publishes cannot deadlock; the lock timeout bounds the wait behind long-running readers.
 */
public final class TenantPublisher {
  private TenantPublisher() {}

  /** Longest single wait for the tables' locks; readers queue behind a waiting publish, so keep it short. */
  private static final long ATTEMPT_LOCK_WAIT_MILLIS = 2_000;

  /**
   * Runs the swap; {@code inTransaction} runs last, before COMMIT (the report rows). All parent
   * tables are locked up front, in name order, each attempt waiting at most a couple of seconds so
   * readers of every tenant are not stuck behind a waiting publish; attempts repeat with backoff
   * until {@code lockTimeout} has passed, then the publish fails and nothing changes.
   */
  public static void publish(Connection conn, String tenantId, List<StagingTable> staged, Duration lockTimeout, TransactionWork inTransaction)
      throws SQLException {
    long deadline = System.nanoTime() + lockTimeout.toNanos();
    for (int attempt = 1; ; attempt++) {
      long remaining = (deadline - System.nanoTime()) / 1_000_000;
      try {
        swap(conn, tenantId, staged, Math.max(1, Math.min(ATTEMPT_LOCK_WAIT_MILLIS, remaining)), inTransaction);
        return;
      } catch (SQLException e) {
        boolean lockBusy = "55P03".equals(e.getSQLState());
        if (!lockBusy || System.nanoTime() >= deadline) {
          throw lockBusy ? new SQLException("could not lock the target tables within " + lockTimeout.toSeconds() + " s ("
              + attempt + " attempts): long-running queries hold them", e.getSQLState(), e) : e;
        }
        Attempts.sleep(Math.min(200L * attempt, 2_000));
      }
    }
  }

  private static void swap(Connection conn, String tenantId, List<StagingTable> staged, long lockWaitMillis, TransactionWork inTransaction)
      throws SQLException {
    boolean autoCommit = conn.getAutoCommit();
    conn.setAutoCommit(false);
    List<StagingTable> ordered = staged.stream().sorted(Comparator.comparing(t -> t.table().name())).toList();
    try (Statement st = conn.createStatement()) {
      st.execute("SET LOCAL lock_timeout = " + literal(lockWaitMillis + "ms"));
      if (!ordered.isEmpty()) {
        st.execute("LOCK TABLE " + String.join(", ", ordered.stream().map(s -> qualified(s.targetSchema(), s.table().name())).toList())
            + " IN ACCESS EXCLUSIVE MODE");
      }
      for (StagingTable s : ordered) {
        String parent = qualified(s.targetSchema(), s.table().name());
        String previous = existingPartition(conn, parent, tenantId);
        if (previous != null) {
          st.execute("ALTER TABLE " + parent + " DETACH PARTITION " + previous);
          st.execute("DROP TABLE " + previous);
        }
        st.execute("ALTER TABLE " + parent + " ATTACH PARTITION " + s.qualifiedName() + " FOR VALUES IN (" + literal(tenantId) + ")");
        st.execute("ALTER TABLE " + s.qualifiedName() + " SET SCHEMA " + ident(s.targetSchema()));
        st.execute("ALTER TABLE " + qualified(s.targetSchema(), s.name()) + " RENAME TO " + ident(s.partitionName()));
        RowLevelSecurity.protectPartition(conn, parent, qualified(s.targetSchema(), s.partitionName()));
      }
      inTransaction.run(conn);
      conn.commit();
    } catch (SQLException | RuntimeException e) {
      try {
        conn.rollback();
      } catch (SQLException rollbackFailure) {
        e.addSuppressed(rollbackFailure);
      }
      throw e;
    } finally {
      try {
        conn.setAutoCommit(autoCommit);
      } catch (SQLException ignored) {
        // The connection is gone; the caller reports the original failure.
      }
    }
  }


  /** The partition of {@code parent} holding {@code tenantId}, as a quoted qualified name, or null. */
  static String existingPartition(Connection conn, String parent, String tenantId) throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement(
        "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            + " JOIN pg_namespace n ON n.oid = c.relnamespace"
            + " WHERE i.inhparent = ?::regclass AND pg_get_expr(c.relpartbound, c.oid) = ?")) {
      ps.setString(1, parent);
      ps.setString(2, "FOR VALUES IN (" + literal(tenantId) + ")");
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }

  /** Work that must commit atomically with the swap. */
  @FunctionalInterface
  public interface TransactionWork {
    void run(Connection conn) throws SQLException;
  }
}
