package dev.tenantfold.catchup;

import dev.tenantfold.config.CatchUpConfig;
import dev.tenantfold.config.TenantConfig;
import dev.tenantfold.extract.TableSpec;
import dev.tenantfold.jdbc.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.postgresql.PGConnection;
import org.postgresql.replication.LogSequenceNumber;
import org.postgresql.replication.ReplicationSlotInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The start of a tenant's catch-up, taken when its base copy opens: the publication (created if
 * missing), then a logical replication slot created through the replication protocol. Creating the
 * slot exports a snapshot that sees exactly the transactions committed before the slot's consistent
 * point; the base copy imports it ({@code extract.SourceSnapshot#importing}), so every change the
 * slot streams is one the copy does not hold. The exported snapshot lives only while the
 * replication session runs no further command: import it, then {@link #close} this.
 */
public final class SlotStart implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SlotStart.class);

  private final Connection replication;
  private final ReplicationSlotInfo slot;
  private final boolean publicationCreated;

  private SlotStart(Connection replication, ReplicationSlotInfo slot, boolean publicationCreated) {
    this.replication = replication;
    this.slot = slot;
    this.publicationCreated = publicationCreated;
  }

  /**
   * Ensures the publication over {@code tables}, replaces an inactive slot of the same name (a new
   * base copy starts over), and creates the slot. Creating it waits for the transactions open on
   * the source; past {@code catch-up.slot-timeout} it is cancelled with a message.
   */
  public static SlotStart create(TenantConfig tenant, List<TableSpec> tables) throws SQLException {
    CatchUpConfig config = tenant.catchUp();
    boolean created;
    try (Connection conn = tenant.jdbc().connect("tenantfold-catchup-" + tenant.id())) {
      created = ensurePublication(conn, tenant.id(), config.publication(), tables);
      dropInactiveSlot(conn, tenant.id(), config.slot());
    }
    Connection replication = tenant.jdbc().connectForReplication("tenantfold-slot-" + tenant.id());
    try {
      ReplicationSlotInfo info = createSlot(replication, tenant.id(), config);
      if (info.getSnapshotName() == null) {
        throw new SQLException(
            "Cannot tie tenant "
                + tenant.id()
                + "'s base copy to slot "
                + config.slot()
                + ": the server exported no snapshot with it");
      }
      LOG.info(
          "Tenant {}: replication slot {} created at {} (snapshot {}); the base copy reads that"
              + " snapshot",
          tenant.id(),
          config.slot(),
          info.getConsistentPoint(),
          info.getSnapshotName());
      return new SlotStart(replication, info, created);
    } catch (SQLException | RuntimeException e) {
      replication.close();
      throw e;
    }
  }

  /**
   * A slot created on a tenant's production instance before its base copy's point in time was
   * chosen (a restored copy, a snapshot export): where it starts and the server's time just after
   * it was created. A copy of production at any later time holds every transaction the slot does
   * not stream.
   *
   * @param consistentPoint the slot's consistent point: it streams the transactions committed after
   * @param createdAt production's {@code clock_timestamp()} read after the slot was made
   * @param publicationCreated whether this created the publication
   */
  public record SlotAhead(
      LogSequenceNumber consistentPoint, Instant createdAt, boolean publicationCreated) {}

  /**
   * As {@link #create}, for a tenant whose base copy is read elsewhere, later (a copy restored from
   * production's backups, a snapshot export): the slot's exported snapshot is not used and ends
   * with the replication session, here and now.
   */
  public static SlotAhead createAhead(TenantConfig tenant, List<TableSpec> tables)
      throws SQLException {
    Instant createdAt;
    LogSequenceNumber point;
    boolean created;
    try (SlotStart slot = create(tenant, tables)) {
      point = slot.consistentPoint();
      created = slot.publicationCreated();
    }
    try (Connection conn = tenant.jdbc().connect("tenantfold-catchup-" + tenant.id());
        Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery("SELECT clock_timestamp()")) {
      rs.next();
      createdAt = rs.getObject(1, java.time.OffsetDateTime.class).toInstant();
    }
    LOG.info(
        "Tenant {}: replication slot {} created on the source at {} (server time {}); its base"
            + " copy must be of a later point in time",
        tenant.id(),
        tenant.catchUp().slot(),
        point,
        createdAt);
    return new SlotAhead(point, createdAt, created);
  }

  /**
   * Drops a slot {@link #createAhead} made, and the publication if it made it, when no base copy
   * will follow (the copy's restore failed, the tenant was abandoned): the slot would only keep WAL
   * on production. A failure is logged, never thrown (the tenant has failed already).
   */
  public static void dropAhead(TenantConfig tenant) {
    try (Connection conn = tenant.jdbc().connect("tenantfold-catchup-" + tenant.id())) {
      SourceSlot.drop(conn, tenant.id(), tenant.catchUp().slot(), tenant.catchUp().publication());
    } catch (SQLException | RuntimeException e) {
      LOG.warn(
          "Cannot drop replication slot {} of tenant {} on the source (drop it yourself: SELECT"
              + " pg_drop_replication_slot('{}')): {}",
          tenant.catchUp().slot(),
          tenant.id(),
          tenant.catchUp().slot(),
          e.getMessage());
    }
  }

  private static ReplicationSlotInfo createSlot(
      Connection replication, String tenantId, CatchUpConfig config) throws SQLException {
    PGConnection pg = replication.unwrap(PGConnection.class);
    Duration timeout = config.slotTimeout();
    ScheduledExecutorService timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "tenantfold-slot-timeout-" + tenantId);
              t.setDaemon(true);
              return t;
            });
    AtomicBoolean timedOut = new AtomicBoolean();
    // Cancelling interrupts the wait for open transactions; the half-made slot is dropped by the
    // server with the failed command.
    ScheduledFuture<?> cancel =
        timer.schedule(
            () -> {
              timedOut.set(true);
              try {
                pg.cancelQuery();
              } catch (SQLException e) {
                LOG.warn(
                    "Cannot cancel the slot creation of tenant {}: {}", tenantId, e.getMessage());
              }
            },
            timeout.toMillis(),
            TimeUnit.MILLISECONDS);
    try {
      // CREATE_REPLICATION_SLOT ... LOGICAL pgoutput: exporting the snapshot is the default on
      // every version (EXPORT_SNAPSHOT before PostgreSQL 15, SNAPSHOT 'export' from 15).
      return pg.getReplicationAPI()
          .createReplicationSlot()
          .logical()
          .withSlotName(config.slot())
          .withOutputPlugin("pgoutput")
          .make();
    } catch (SQLException e) {
      if (timedOut.get()) {
        throw new SQLException(
            "Cannot create replication slot "
                + config.slot()
                + " for tenant "
                + tenantId
                + ": it waited "
                + timeout.toSeconds()
                + " s for transactions already open on the source to end (see pg_stat_activity"
                + " for old xact_start); end them, or raise tenants[].catch-up.slot-timeout",
            "57014",
            e);
      }
      throw e;
    } finally {
      cancel.cancel(false);
      timer.shutdownNow();
    }
  }

  /** Creates the publication if it does not exist; true when this call created it. */
  private static boolean ensurePublication(
      Connection conn, String tenantId, String publication, List<TableSpec> tables)
      throws SQLException {
    if (PublicationSql.exists(conn, publication)) {
      var missing = PublicationSql.uncovered(conn, publication, tables);
      if (!missing.isEmpty()) {
        throw new SQLException(
            "Cannot catch up tenant "
                + tenantId
                + ": publication "
                + publication
                + " does not publish tables "
                + missing
                + "; ALTER PUBLICATION "
                + Sql.ident(publication)
                + " ADD TABLE "
                + String.join(", ", missing));
      }
      return false;
    }
    try (Statement st = conn.createStatement()) {
      st.execute(PublicationSql.create(publication, tables));
      st.execute(
          "COMMENT ON PUBLICATION "
              + Sql.ident(publication)
              + " IS "
              + Sql.literal(PublicationSql.COMMENT_PREFIX + tenantId));
    }
    LOG.info("Tenant {}: publication {} created", tenantId, publication);
    return true;
  }

  private static void dropInactiveSlot(Connection conn, String tenantId, String slot)
      throws SQLException {
    try (PreparedStatement ps =
        conn.prepareStatement("SELECT active FROM pg_replication_slots WHERE slot_name = ?")) {
      ps.setString(1, slot);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return;
        }
        if (rs.getBoolean(1)) {
          throw new SQLException(
              "Cannot start tenant "
                  + tenantId
                  + "'s catch-up: replication slot "
                  + slot
                  + " is in use (a catch-up or cutover of the tenant is running); wait for it to"
                  + " end");
        }
      }
    }
    try (PreparedStatement ps = conn.prepareStatement("SELECT pg_drop_replication_slot(?)")) {
      ps.setString(1, slot);
      ps.execute();
    }
    LOG.info("Tenant {}: replication slot {} of an earlier base copy dropped", tenantId, slot);
  }

  public String snapshotName() {
    return slot.getSnapshotName();
  }

  public LogSequenceNumber consistentPoint() {
    return slot.getConsistentPoint();
  }

  public boolean publicationCreated() {
    return publicationCreated;
  }

  /** Ends the replication session (the slot stays); its exported snapshot is gone with it. */
  @Override
  public void close() throws SQLException {
    replication.close();
  }
}
