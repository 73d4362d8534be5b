package dev.tenantfold.job;

import dev.tenantfold.jdbc.JdbcEndpoint;
import dev.tenantfold.jdbc.SessionName;
import java.sql.Connection;
import java.sql.SQLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A driver's connection to the target that survives the connection's death: {@link #connection()}
 * hands out the open connection, or a fresh one when the old one was closed or terminated. Work
 * that must not be repeated is the caller's to guard; this only makes sure the run can still find
 * out what happened, record it and clean up.
 */
final class TargetSession implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TargetSession.class);

  private final JdbcEndpoint endpoint;
  private final String name;
  private final Reconnected onReconnect;
  private Connection current;

  /**
   * Runs on each fresh connection that replaces a lost one (the run takes its lock again there).
   */
  @FunctionalInterface
  interface Reconnected {
    void accept(Connection conn) throws SQLException;
  }

  TargetSession(JdbcEndpoint endpoint, String runId, String role) {
    this(endpoint, runId, role, conn -> {});
  }

  TargetSession(JdbcEndpoint endpoint, String runId, String role, Reconnected onReconnect) {
    this.endpoint = endpoint;
    this.name = SessionName.of(runId, role);
    this.onReconnect = onReconnect;
  }

  /** The live connection, reconnecting (autocommit on) if there is none or it died. */
  synchronized Connection connection() throws SQLException {
    if (current != null && alive(current)) {
      return current;
    }
    boolean replacing = current != null;
    if (replacing) {
      LOG.warn("Connection {} to the target was lost; continuing on a fresh one", name);
      closeQuietly(current);
      current = null;
    }
    Connection fresh = endpoint.connect(name);
    fresh.setAutoCommit(true);
    if (replacing) {
      onReconnect.accept(fresh);
    }
    current = fresh;
    return current;
  }

  /**
   * Whether the last connection handed out died since (so the next {@link #connection()} is fresh).
   */
  synchronized boolean lost() {
    return current != null && !alive(current);
  }

  private static boolean alive(Connection conn) {
    try {
      return !conn.isClosed() && conn.isValid(5);
    } catch (SQLException e) {
      return false;
    }
  }

  private static void closeQuietly(Connection conn) {
    try {
      conn.close();
    } catch (SQLException ignored) {
      // Already gone.
    }
  }

  @Override
  public synchronized void close() {
    if (current != null) {
      closeQuietly(current);
      current = null;
    }
  }
}
