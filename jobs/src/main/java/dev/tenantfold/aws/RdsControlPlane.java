package dev.tenantfold.aws;

import dev.tenantfold.config.RestoreConfig;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The RDS control-plane calls the job makes, and nothing else: restore a tagged copy, wait for it,
 * delete it, list instances with their tags, and run snapshot export tasks. One thin interface so
 * the job's lifecycle code reads the same against AWS and against the recorded API the tests serve.
 */
public interface RdsControlPlane extends AutoCloseable {
  /**
   * The tag every copy carries: the run that restored it (the sweep deletes copies of dead runs).
   */
  String RUN_TAG = "tenantfold:run-id";

  String TENANT_TAG = "tenantfold:tenant";

  /** {@code true} on copies restored with {@code restore.keep = true}: the sweep leaves them. */
  String KEEP_TAG = "tenantfold:keep";

  /**
   * Starts restoring a copy named {@code copyId} as {@code restore} says, tagged with {@code tags},
   * with IAM database authentication on when {@code iamAuth} (a restore does not carry it over);
   * returns at once (the copy is still being created).
   */
  RestoredCopy restore(
      String copyId, RestoreConfig restore, Map<String, String> tags, boolean iamAuth);

  /**
   * As {@link #restore} from the latest restorable time, to a point in time after {@code after}:
   * waits, saying so in the log, until the source instance's latest restorable time is past it (it
   * lags the instance by minutes), then restores to that time; fails past {@code timeout}, or when
   * {@code restore.from} names a snapshot (taken before).
   */
  RestoredCopy restoreAfter(
      String copyId,
      RestoreConfig restore,
      Map<String, String> tags,
      boolean iamAuth,
      Instant after,
      Duration timeout);

  /**
   * Waits, logging progress, until the instance is available; fails when it is not within {@code
   * timeout}.
   */
  DbInstance awaitAvailable(String instanceId, Duration timeout);

  /**
   * Requests deletion without a final snapshot and with its automated backups; an instance already
   * gone or going is fine.
   */
  void delete(String instanceId);

  /** Every DB instance of the account and region (all pages), with its tags. */
  List<DbInstance> instances();

  /** The latest available snapshot of {@code instanceId} (manual or automated). */
  Optional<String> latestSnapshotArn(String instanceId);

  /** The ARN of a snapshot by id. */
  String snapshotArn(String snapshotId);

  /**
   * Starts a manual snapshot {@code snapshotId} of {@code instanceId} (CreateDBSnapshot) and waits,
   * polling DescribeDBSnapshots, until it is available; fails when it fails or is not available
   * within {@code timeout}.
   */
  Snapshot createSnapshot(String instanceId, String snapshotId, Duration timeout);

  /**
   * Deletes the manual snapshot {@code snapshotId} (one this tool took); a snapshot already gone is
   * not an error.
   */
  void deleteSnapshot(String snapshotId);

  /** Starts an export task; returns the task as first described. */
  ExportTask startExport(
      String taskId,
      String snapshotArn,
      String bucket,
      String prefix,
      String iamRoleArn,
      String kmsKeyId,
      List<String> exportOnly);

  ExportTask exportTask(String taskId);

  @Override
  void close();
}
