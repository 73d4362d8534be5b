package dev.tenantfold.job;

import dev.tenantfold.aws.ExportTask;
import dev.tenantfold.aws.RdsControlPlane;
import dev.tenantfold.aws.Snapshot;
import dev.tenantfold.catchup.ExportCatchUp;
import dev.tenantfold.catchup.SlotStart;
import dev.tenantfold.catchup.SourcePrerequisites;
import dev.tenantfold.config.TenantConfig;
import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.extract.CatalogReader;
import dev.tenantfold.extract.TenantCatalog;
import dev.tenantfold.report.ExitCode;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code tenantfold export} of a tenant with {@code catch-up.mode = logical} (docs/catch-up.md
 * "Snapshot exports"): the publication and replication slot are created on production first and
 * recorded in the target's {@code catchup_state}; then a fresh snapshot is taken
 * (CreateDBSnapshot), checked to be created after the slot, and exported; the export task and the
 * snapshot's creation time are recorded as the base copy's point, and the snapshot, needed only by
 * the export task, is deleted. When no export follows, the slot and the publication it made are
 * dropped: they would only keep WAL on production.
 */
final class SlotFirstExport {
  private static final Logger LOG = LoggerFactory.getLogger(SlotFirstExport.class);

  /** How long a fresh snapshot may take to become available. */
  static final Duration SNAPSHOT_TIMEOUT = Duration.ofHours(6);

  private final TenantfoldConfig config;
  private final TenantConfig tenant;
  private final RdsControlPlane rds;
  private final ExportTaskJob job;
  private final PrintStream out;

  /**
   * @param tenant the tenant as catch-up sees it ({@link TenantConfig#forCatchUp}): its {@code
   *     jdbc} is production
   */
  SlotFirstExport(
      TenantfoldConfig config,
      TenantConfig tenant,
      RdsControlPlane rds,
      ExportTaskJob job,
      PrintStream out) {
    this.config = config;
    this.tenant = tenant;
    this.rds = rds;
    this.job = job;
    this.out = out;
  }

  int execute(String database, List<String> exportOnly) throws InterruptedException {
    SlotStart.SlotAhead slot = startSlotAhead();
    printSlotCreated(slot);
    boolean exported = false;
    try {
      Snapshot snapshot = snapshotAfter(slot);
      ExportTask task = exportThenDeleteSnapshot(snapshot, exportOnly);
      if (!task.complete()) {
        return ExitCode.ERROR;
      }
      recordExport(slot, snapshot, task);
      exported = true;
      printNextSteps(slot, task, database);
      return ExitCode.OK;
    } catch (SQLException e) {
      throw new IllegalStateException(
          "Cannot record tenant " + tenant.id() + "'s export: " + e.getMessage(), e);
    } finally {
      if (!exported) {
        dropSlot();
      }
    }
  }

  /**
   * Reads the tenant's catalog on production, checks the source's prerequisites for catch-up,
   * creates the publication and replication slot and records the slot in the target's {@code
   * catchup_state}. A slot that cannot be recorded is dropped again, so production keeps no slot
   * nobody follows.
   */
  private SlotStart.SlotAhead startSlotAhead() {
    try {
      TenantCatalog catalog;
      try (Connection conn = tenant.jdbc().connect("tenantfold-catalog-" + tenant.id())) {
        catalog = CatalogReader.read(conn, tenant.id(), tenant.schemas(), config.tables());
      }
      SourcePrerequisites.require(tenant, catalog.tables(), config.rules());
      SlotStart.SlotAhead slot = SlotStart.createAhead(tenant, catalog.tables());
      try (Connection target = config.target().endpoint().connect("tenantfold-export-catchup");
          Connection production = tenant.jdbc().connect("tenantfold-catchup-" + tenant.id())) {
        ExportCatchUp.recordSlot(
            target, config.target().reportSchema(), tenant, slot, production, catalog.tables());
      } catch (SQLException | RuntimeException e) {
        SlotStart.dropAhead(tenant);
        throw e;
      }
      return slot;
    } catch (SQLException e) {
      throw new IllegalStateException(
          "Cannot start tenant " + tenant.id() + "'s catch-up on production: " + e.getMessage(), e);
    }
  }

  /** Tells the operator which slot was created and at which point, before the snapshot is taken. */
  private void printSlotCreated(SlotStart.SlotAhead slot) {
    out.printf(
        "Created replication slot %s on %s at %s (server time %s); taking a fresh snapshot after"
            + " it%n",
        tenant.catchUp().slot(),
        tenant.jdbc().describe(),
        slot.consistentPoint(),
        slot.createdAt());
  }

  /**
   * Takes a fresh snapshot of the tenant's instance and refuses it unless it was created after the
   * slot: otherwise changes between the snapshot and the slot could be lost.
   */
  private Snapshot snapshotAfter(SlotStart.SlotAhead slot) {
    String instance = tenant.rdsInstance().orElseThrow();
    Snapshot snapshot =
        rds.createSnapshot(
            instance, ExportTaskJob.taskId(tenant.id(), Instant.now()), SNAPSHOT_TIMEOUT);
    if (!snapshot.createdAt().isAfter(slot.createdAt())) {
      throw new IllegalStateException(
          "Cannot export tenant "
              + tenant.id()
              + " with catch-up: snapshot "
              + snapshot.id()
              + " was created at "
              + snapshot.createdAt()
              + ", not after the replication slot ("
              + slot.createdAt()
              + "), so changes between them could be lost; check the instance's clock and export"
              + " again");
    }
    out.printf("Snapshot %s created at %s%n", snapshot.id(), snapshot.createdAt());
    return snapshot;
  }

  /** Exports the snapshot and deletes it once the export task ended, complete or not. */
  private ExportTask exportThenDeleteSnapshot(Snapshot snapshot, List<String> exportOnly)
      throws InterruptedException {
    try {
      return job.export(rds, tenant.id(), snapshot.arn(), exportOnly, out);
    } finally {
      deleteSnapshot(snapshot.id());
    }
  }

  /**
   * Records the export task and the snapshot's creation time in the target's {@code catchup_state}
   * as the base copy's point, the one catch-up starts after.
   */
  private void recordExport(SlotStart.SlotAhead slot, Snapshot snapshot, ExportTask task)
      throws SQLException {
    try (Connection target = config.target().endpoint().connect("tenantfold-export-catchup")) {
      ExportCatchUp.recordExport(
          target,
          config.target().reportSchema(),
          tenant.id(),
          slot.createdAt(),
          snapshot.createdAt(),
          task.id());
    }
  }

  /** Prints the tenant block that reads this export and the commands that follow. */
  private void printNextSteps(SlotStart.SlotAhead slot, ExportTask task, String database) {
    ExportTaskJob.printBlock(
        out,
        tenant,
        task,
        database,
        ", catalog { url = \""
            + tenant.jdbc().describe()
            + "\", user = ..., password = ... } }, catch-up { mode = logical");
    out.printf(
        "Catch-up of tenant %s starts at the slot (%s): load this export with tenantfold run,"
            + " then tenantfold catch-up%n",
        tenant.id(), slot.consistentPoint());
  }

  /**
   * The snapshot this command took is needed only while its export task runs (the export in S3 is
   * what {@code run} reads): deleted once the task ended, complete or not, so it costs nothing
   * afterwards. One that cannot be deleted is named with the command that deletes it.
   */
  private void deleteSnapshot(String snapshotId) {
    try {
      rds.deleteSnapshot(snapshotId);
      out.printf(
          "Deleted snapshot %s: taken for this export only, the export task has ended%n",
          snapshotId);
    } catch (RuntimeException e) {
      LOG.warn("Cannot delete snapshot {}: {}", snapshotId, e.getMessage());
      out.printf(
          "Cannot delete snapshot %s (%s); it was taken for this export only: delete it with aws"
              + " rds delete-db-snapshot --db-snapshot-identifier %s%n",
          snapshotId, e.getMessage(), snapshotId);
    }
  }

  /** No export follows: the slot would only keep WAL on production. */
  private void dropSlot() {
    LOG.warn(
        "Tenant {}: no export follows; dropping replication slot {} on production",
        tenant.id(),
        tenant.catchUp().slot());
    SlotStart.dropAhead(tenant);
    try (Connection target = config.target().endpoint().connect("tenantfold-export-catchup")) {
      ExportCatchUp.recordDropped(target, config.target().reportSchema(), tenant.id());
    } catch (SQLException | RuntimeException e) {
      LOG.warn("Cannot record tenant {}'s slot as dropped: {}", tenant.id(), e.getMessage());
    }
  }
}
