package dev.tenantfold.catchup;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One reader per tenant slot. Whoever catches a tenant up or cuts it over first holds the tenant's
 * advisory lock on the target (session-level, on its target connection: it goes with the session,
 * also when the process is killed). A {@code catch-up} or {@code cutover} that finds it held takes
 * over: it ends the holder's target session (its batch not committed rolls back, so nothing is
 * applied twice) and, on the source, the session streaming the slot, then waits, bounded, until
 * both are free. A {@code catch-up --follow} pass does not take over: it yields and tries again on
 * its next pass.
 */
final class SlotClaim {
  private static final Logger LOG = LoggerFactory.getLogger(SlotClaim.class);

  /** How long a take-over waits for the ended sessions to let go. */
  static final Duration WAIT = Duration.ofSeconds(30);

  private static final String LOCK_KEYS = "hashtext('tenantfold catch-up'), hashtext(?)";

  private SlotClaim() {}

  /** The tenant's slot is used by another catch-up or cutover and this one yields. */
  static final class Busy extends SQLException {
    Busy(String message) {
      super(message);
    }
  }

  /**
   * Takes the tenant's lock on {@code targetConn}; when another session holds it: ends that session
   * ({@code takeOver}) and waits for the lock, or throws {@link Busy}.
   */
  static void lock(Connection targetConn, String tenantId, boolean takeOver) throws SQLException {
    if (tryLock(targetConn, tenantId)) {
      return;
    }
    if (!takeOver) {
      throw new Busy(
          "tenant "
              + tenantId
              + " is being caught up or cut over by another command; this follower yields");
    }
    int ended;
    try (PreparedStatement ps =
        targetConn.prepareStatement(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_locks WHERE"
                + " locktype = 'advisory' AND classid = hashtext('tenantfold catch-up')::oid AND"
                + " objid = hashtext(?)::oid AND objsubid = 2 AND granted AND pid <>"
                + " pg_backend_pid()")) {
      ps.setString(1, tenantId);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        ended = rs.getInt(1);
      }
    }
    LOG.info(
        "Tenant {}: taking over from another catch-up ({} target sessions ended)", tenantId, ended);
    boolean auto = targetConn.getAutoCommit();
    targetConn.setAutoCommit(false);
    try (Statement st = targetConn.createStatement()) {
      st.execute("SET LOCAL lock_timeout = '" + WAIT.toMillis() + "ms'");
      try (PreparedStatement ps =
          targetConn.prepareStatement("SELECT pg_advisory_lock(" + LOCK_KEYS + ")")) {
        ps.setString(1, tenantId);
        ps.execute();
      }
      targetConn.commit();
    } catch (SQLException e) {
      targetConn.rollback();
      throw new SQLException(
          "Cannot take over tenant "
              + tenantId
              + " from the catch-up holding it: its target session still held the tenant "
              + WAIT.toSeconds()
              + " s after it was ended ("
              + e.getMessage()
              + "); see pg_locks on the target, then run again",
          e.getSQLState(),
          e);
    } finally {
      targetConn.setAutoCommit(auto);
    }
  }

  private static boolean tryLock(Connection targetConn, String tenantId) throws SQLException {
    try (PreparedStatement ps =
        targetConn.prepareStatement("SELECT pg_try_advisory_lock(" + LOCK_KEYS + ")")) {
      ps.setString(1, tenantId);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getBoolean(1);
      }
    }
  }

  /**
   * When {@code slot} is streamed by another session (a follower of an older version, or one whose
   * target session is gone but whose stream is not yet): ends that session ({@code takeOver}) and
   * waits, bounded, until the slot is free; or throws {@link Busy}.
   */
  static void freeSlot(Connection source, String tenantId, String slot, boolean takeOver)
      throws SQLException {
    Integer pid = activePid(source, slot);
    if (pid == null) {
      return;
    }
    if (!takeOver) {
      throw new Busy(
          "replication slot "
              + slot
              + " of tenant "
              + tenantId
              + " is in use; this follower"
              + " yields");
    }
    try (PreparedStatement ps = source.prepareStatement("SELECT pg_terminate_backend(?)")) {
      ps.setInt(1, pid);
      ps.execute();
    } catch (SQLException e) {
      throw new SQLException(
          "Cannot take over replication slot "
              + slot
              + " of tenant "
              + tenantId
              + " from session "
              + pid
              + " ("
              + e.getMessage()
              + "); stop the catch-up using it (SIGTERM), then run again",
          e.getSQLState(),
          e);
    }
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (activePid(source, slot) != null) {
      if (System.nanoTime() > deadline) {
        throw new SQLException(
            "Cannot take over replication slot "
                + slot
                + " of tenant "
                + tenantId
                + ": it was still in use "
                + WAIT.toSeconds()
                + " s after its session "
                + pid
                + " was ended; see pg_replication_slots.active_pid on the source, then run again");
      }
      LockSupport.parkNanos(20_000_000L);
    }
    LOG.info("Tenant {}: replication slot {} taken over from session {}", tenantId, slot, pid);
  }

  private static Integer activePid(Connection source, String slot) throws SQLException {
    try (PreparedStatement ps =
        source.prepareStatement(
            "SELECT active_pid FROM pg_replication_slots WHERE slot_name = ? AND active")) {
      ps.setString(1, slot);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getInt(1) : null;
      }
    }
  }
}
