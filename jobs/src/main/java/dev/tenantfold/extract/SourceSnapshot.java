package dev.tenantfold.extract;

import dev.tenantfold.jdbc.JdbcEndpoint;
import dev.tenantfold.jdbc.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * A REPEATABLE READ transaction on a tenant database whose snapshot is exported with {@code
 * pg_export_snapshot()}. Every partition read imports the same snapshot, so the extract, the
 * catalog and the validation counts all see the database at one instant while it takes writes. The
 * exporting transaction must stay open until every importer has started; close it last.
 */
public final class SourceSnapshot implements AutoCloseable {
  private final Connection connection;
  private final String snapshotId;

  private SourceSnapshot(Connection connection, String snapshotId) {
    this.connection = connection;
    this.snapshotId = snapshotId;
  }

  public static SourceSnapshot export(JdbcEndpoint endpoint, String tenantId) throws SQLException {
    Connection conn = endpoint.connect("tenantfold-snapshot-" + tenantId);
    try {
      conn.setAutoCommit(false);
      conn.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
      conn.setReadOnly(true);
      try (Statement st = conn.createStatement();
          ResultSet rs = st.executeQuery("SELECT pg_export_snapshot()")) {
        rs.next();
        return new SourceSnapshot(conn, rs.getString(1));
      }
    } catch (SQLException | RuntimeException e) {
      conn.close();
      throw e;
    }
  }

  /**
   * The anchor of a snapshot exported elsewhere (a replication slot's, created with the slot): the
   * REPEATABLE READ transaction imports {@code exportedSnapshot} and exports it again, so partition
   * reads and retries import it from here, and the exporter may run its next command.
   */
  public static SourceSnapshot importing(
      JdbcEndpoint endpoint, String tenantId, String exportedSnapshot) throws SQLException {
    Connection conn = endpoint.connect("tenantfold-snapshot-" + tenantId);
    try {
      importInto(conn, exportedSnapshot);
      try (Statement st = conn.createStatement();
          ResultSet rs = st.executeQuery("SELECT pg_export_snapshot()")) {
        rs.next();
        return new SourceSnapshot(conn, rs.getString(1));
      }
    } catch (SQLException | RuntimeException e) {
      conn.close();
      throw e;
    }
  }

  /** Makes {@code conn}'s next transaction see this snapshot. Call on a fresh connection. */
  public static void importInto(Connection conn, String snapshotId) throws SQLException {
    conn.setAutoCommit(false);
    conn.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
    conn.setReadOnly(true);
    try (Statement st = conn.createStatement()) {
      // Must be the transaction's first statement; the id cannot be a bind parameter.
      st.execute("SET TRANSACTION SNAPSHOT " + Sql.literal(snapshotId));
      // A TRUNCATE or ALTER queued behind the exporter's locks would block this reader, and the
      // exporter waits for the readers: fail the read instead of hanging the tenant.
      st.execute("SET lock_timeout = '60s'");
    }
  }

  /**
   * Takes ACCESS SHARE locks on {@code tables} in the exporting transaction, as pg_dump does:
   * TRUNCATE and table rewrites (ALTER TABLE ... TYPE, VACUUM FULL, pg_repack) are not MVCC-safe,
   * and one committed during the extract would make every snapshot reader see an empty table that
   * validates against itself. The locks hold them off until the tenant is done. A rewrite that
   * slipped in between the export and the lock is detected by comparing the file node the snapshot
   * sees with the current one, and fails the tenant.
   */
  public void lockTables(String tenantId, List<TableSpec> tables) throws SQLException {
    if (tables.isEmpty()) {
      return;
    }
    List<String> names = tables.stream().map(t -> Sql.qualified(t.schema(), t.name())).toList();
    try (Statement st = connection.createStatement()) {
      // Like pg_dump's --lock-wait-timeout: a lock queued behind DDL fails the tenant instead of
      // waiting for ever.
      st.execute("SET LOCAL lock_timeout = '60s'");
      st.execute("LOCK TABLE " + String.join(", ", names) + " IN ACCESS SHARE MODE");
    }
    // Every relation holding rows: the tables and, for partitioned ones, each leaf partition.
    try (PreparedStatement ps =
        connection.prepareStatement(
            "SELECT c.oid::regclass::text FROM pg_class c WHERE (c.oid = ANY"
                + " (?::text[]::regclass[])   OR c.oid IN (SELECT pt.relid FROM"
                + " unnest(?::text[]::regclass[]) t(oid), pg_partition_tree(t.oid) pt)) AND"
                + " c.relkind = 'r' AND c.relfilenode IS DISTINCT FROM"
                + " pg_relation_filenode(c.oid)")) {
      ps.setArray(1, connection.createArrayOf("text", names.toArray()));
      ps.setArray(2, connection.createArrayOf("text", names.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          throw new SQLException(
              "Cannot extract tenant "
                  + tenantId
                  + " table "
                  + rs.getString(1)
                  + ": it was truncated or rewritten while the snapshot was being taken; run"
                  + " again");
        }
      }
    }
  }

  public String id() {
    return snapshotId;
  }

  /** The exporting transaction itself: reads through it see the snapshot too. */
  public Connection connection() {
    return connection;
  }

  @Override
  public void close() throws SQLException {
    try {
      connection.rollback();
    } finally {
      connection.close();
    }
  }
}
