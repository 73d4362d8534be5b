package dev.tenantfold.catchup;

import dev.tenantfold.config.TenantConfig;
import dev.tenantfold.extract.TableSpec;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;

/**
 * Catch-up of a tenant read from a snapshot export (docs/catch-up.md "Snapshot exports"): {@code
 * tenantfold export} creates the slot on production, records it here ({@link #recordSlot}), takes a
 * fresh snapshot and exports it, and records the export ({@link #recordExport}); the run loading
 * that export records its base copy from the slot's start ({@link #recordRun}), so catch-up replays
 * the changes between the slot and the snapshot idempotently, as for a restored copy.
 */
public final class ExportCatchUp {
  /** The run id the export command records: no run's published data carries it. */
  static final String EXPORT_RUN_PREFIX = "export:";

  private ExportCatchUp() {}

  /**
   * Records the slot {@code tenantfold export} created on {@code production} (the tenant's catch-up
   * connection) before the snapshot it exports, with the tables' columns as production has them.
   */
  public static void recordSlot(
      Connection target,
      String reportSchema,
      TenantConfig tenant,
      SlotStart.SlotAhead slot,
      Connection production,
      List<TableSpec> tables)
      throws SQLException {
    CatchUpState state = CatchUpState.of(reportSchema);
    state.recordStart(
        target,
        tenant.id(),
        EXPORT_RUN_PREFIX + slot.createdAt(),
        tenant.catchUp(),
        slot.publicationCreated(),
        tenant.catchUpSource().describe(),
        slot.consistentPoint(),
        production,
        tables);
    // The export's point is not known yet: only the slot's creation.
    state.recordBaseAhead(target, tenant.id(), slot.createdAt(), slot.createdAt(), null);
  }

  /**
   * Records the export task {@code taskId} of a snapshot created at {@code snapshotCreatedAt} as
   * the base copy's point: the run loading that export replays from the slot's start.
   */
  public static void recordExport(
      Connection target,
      String reportSchema,
      String tenantId,
      Instant slotCreatedAt,
      Instant snapshotCreatedAt,
      String taskId)
      throws SQLException {
    CatchUpState.of(reportSchema)
        .recordBaseAhead(target, tenantId, slotCreatedAt, snapshotCreatedAt, taskId);
  }

  /** Marks the tenant's slot dropped (the export it was made for failed). */
  public static void recordDropped(Connection target, String reportSchema, String tenantId)
      throws SQLException {
    CatchUpState state = CatchUpState.of(reportSchema);
    try (PreparedStatement ps =
        target.prepareStatement(
            "UPDATE "
                + state.table("catchup_state")
                + " SET status = ?, updated_at = now() WHERE tenant_id = ?")) {
      ps.setString(1, CatchUpState.STATUS_SLOT_DROPPED);
      ps.setString(2, tenantId);
      ps.executeUpdate();
    }
  }

  /**
   * The run loading export {@code taskId} of {@code tenant}: checks it is the export {@code
   * tenantfold export} took after creating the slot, and that the slot still holds every change
   * since its start; then records the base copy ({@code runId}, the tables as {@code production}
   * has them) from the slot's start, with the export's point, so catch-up replays the overlap.
   */
  public static void recordRun(
      Connection target,
      String ledgerTable,
      TenantConfig tenant,
      String runId,
      String taskId,
      Connection production,
      List<TableSpec> tables)
      throws SQLException {
    CatchUpState state = CatchUpState.besideLedger(ledgerTable);
    Checked c = checked(target, state, tenant, taskId);
    CatchUpState.Tenant t = c.state();
    Recorded base = c.base();
    state.recordStart(
        target,
        tenant.id(),
        runId,
        tenant.catchUp(),
        t.publicationCreated(),
        t.source(),
        t.startLsn(),
        production,
        tables);
    state.recordBaseAhead(target, tenant.id(), base.slotCreatedAt(), base.basePoint(), taskId);
  }

  /**
   * What {@link #recordRun} checks, for {@code plan}: fails, with what to do, when export {@code
   * taskId} is not the one {@code tenantfold export} took after creating the tenant's slot, or the
   * slot no longer holds every change since its start.
   */
  public static void requireRecorded(
      Connection target, String reportSchema, TenantConfig tenant, String taskId)
      throws SQLException {
    checked(target, CatchUpState.of(reportSchema), tenant, taskId);
  }

  private record Checked(CatchUpState.Tenant state, Recorded base) {}

  private static Checked checked(
      Connection target, CatchUpState state, TenantConfig tenant, String taskId)
      throws SQLException {
    String prefix = "Cannot catch up tenant " + tenant.id() + " from export " + taskId + ": ";
    String again =
        "run tenantfold export --tenant "
            + tenant.id()
            + " (it creates the replication slot on production, then exports a fresh snapshot)"
            + " and load the export it prints, or set catch-up.mode = none";
    Optional<CatchUpState.Tenant> recorded = state.read(target, tenant.id());
    if (recorded.isEmpty()) {
      throw new SQLException(prefix + "no replication slot was created for it; " + again);
    }
    CatchUpState.Tenant t = recorded.get();
    if (t.cutOver() || t.slotDropped()) {
      throw new SQLException(
          prefix
              + "its replication slot is "
              + (t.cutOver() ? "gone (cut over)" : "dropped")
              + "; "
              + again);
    }
    Optional<Recorded> base = recorded(target, state, tenant.id());
    if (base.isEmpty() || base.get().readFrom() == null) {
      throw new SQLException(
          prefix
              + "no export was recorded after its replication slot (an export that already"
              + " existed, or tenantfold export --snapshot, was taken before the slot: the changes"
              + " between them would be lost); "
              + again);
    }
    if (!base.get().readFrom().equals(taskId)) {
      throw new SQLException(
          prefix
              + "the export taken after its replication slot is "
              + base.get().readFrom()
              + "; this one is not tied to the slot (the changes between them could be lost); load"
              + " export "
              + base.get().readFrom()
              + ", or "
              + again);
    }
    if (!t.appliedLsn().equals(t.startLsn())) {
      throw new SQLException(
          prefix
              + "catch-up already applied changes up to "
              + t.appliedLsn()
              + " and the slot no longer holds those since its start ("
              + t.startLsn()
              + "), which a reload needs; "
              + again);
    }
    return new Checked(t, base.get());
  }

  private record Recorded(Instant slotCreatedAt, Instant basePoint, String readFrom) {}

  private static Optional<Recorded> recorded(Connection conn, CatchUpState state, String tenantId)
      throws SQLException {
    if (state.baseAheadOfSlot(conn, tenantId).isEmpty()) {
      return Optional.empty();
    }
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT slot_created_at, base_point, base_read_from FROM "
                + state.table("catchup_state")
                + " WHERE tenant_id = ?")) {
      ps.setString(1, tenantId);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        return Optional.of(
            new Recorded(
                rs.getObject(1, OffsetDateTime.class).toInstant(),
                rs.getObject(2, OffsetDateTime.class).toInstant(),
                rs.getString(3)));
      }
    }
  }
}
