package dev.tenantfold.jdbc;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * Runs work in one transaction of a connection that may be in autocommit: commits it, rolls it back
 * on any error, and leaves the connection's autocommit as it found it.
 */
public final class Transaction {
  private Transaction() {}

  /** Work that may fail with SQL errors. */
  @FunctionalInterface
  public interface Work<T> {
    T run() throws SQLException;
  }

  /** {@code work} in one transaction of {@code conn}; its result. */
  public static <T> T in(Connection conn, Work<T> work) throws SQLException {
    boolean auto = conn.getAutoCommit();
    conn.setAutoCommit(false);
    try {
      T result = work.run();
      conn.commit();
      return result;
    } catch (SQLException | RuntimeException e) {
      conn.rollback();
      throw e;
    } finally {
      conn.setAutoCommit(auto);
    }
  }
}
