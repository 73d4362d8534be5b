package dev.tenantfold.load;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * A connection the partitions of one Spark task share: opened when first needed, kept while work on
 * it ends cleanly, dropped after work that did not (whose transaction it rolls back), so the next
 * {@link #get} opens a new one; closed with the task. A new backend per small table cost more than
 * the table's rows.
 */
final class LazyConnection implements AutoCloseable {
  /** Opens a connection. */
  @FunctionalInterface
  interface Opener {
    Connection open() throws SQLException;
  }

  /** Readies a connection just opened (autocommit off, a snapshot imported, ...). */
  @FunctionalInterface
  interface Ready {
    void apply(Connection conn) throws SQLException;
  }

  private final Opener opener;
  private final Ready ready;
  private Connection conn;

  LazyConnection(Opener opener, Ready ready) {
    this.opener = opener;
    this.ready = ready;
  }

  /**
   * The shared connection, opened and readied now if there is none (closed again if readying
   * fails).
   */
  Connection get() throws SQLException {
    if (conn == null) {
      Connection opened = opener.open();
      try {
        ready.apply(opened);
      } catch (SQLException | RuntimeException e) {
        opened.close();
        throw e;
      }
      conn = opened;
    }
    return conn;
  }

  /** Rolls back what failed work left and drops the connection: the next one is new. */
  void discard() {
    if (conn != null) {
      try {
        conn.rollback();
      } catch (SQLException ignored) {
        // Closed next; the server rolls back an open transaction then anyway.
      }
      close();
    }
  }

  @Override
  public void close() {
    if (conn != null) {
      try {
        conn.close();
      } catch (SQLException ignored) {
        // Already gone; the server rolls back what was open.
      }
      conn = null;
    }
  }
}
