package dev.tenantfold.extract;

import dev.tenantfold.jdbc.JdbcEndpoint;
import dev.tenantfold.jdbc.Sql;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * A REPEATABLE READ transaction on a tenant database whose snapshot is exported with {@code
 * pg_export_snapshot()}. Every partition read imports the same snapshot, so the extract, the
 * catalog and the validation counts all see the database at one instant while it takes writes.
 * The exporting transaction must stay open until every importer has started; close it last.
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
      try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_export_snapshot()")) {
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
