package dev.tenantfold.aws;

import dev.tenantfold.config.AwsConfig;
import dev.tenantfold.config.RestoreConfig;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.waiters.WaiterResponse;
import software.amazon.awssdk.services.rds.RdsClient;
import software.amazon.awssdk.services.rds.model.DBInstance;
import software.amazon.awssdk.services.rds.model.DBSnapshot;
import software.amazon.awssdk.services.rds.model.DbInstanceNotFoundException;
import software.amazon.awssdk.services.rds.model.DbSnapshotNotFoundException;
import software.amazon.awssdk.services.rds.model.DescribeDbInstancesResponse;
import software.amazon.awssdk.services.rds.model.InvalidDbInstanceStateException;
import software.amazon.awssdk.services.rds.model.Tag;

/**
 * {@link RdsControlPlane} through the AWS SDK's RDS client: the standard retry mode retries
 * throttling with jittered backoff ({@link AwsClients}); waiting uses the SDK's {@code
 * DBInstanceAvailable} waiter in slices of {@code poll x 10}, logging the status between slices,
 * until {@code restore.wait-timeout}.
 */
public final class SdkRdsControlPlane implements RdsControlPlane {
  private static final Logger LOG = LoggerFactory.getLogger(SdkRdsControlPlane.class);
  private final RdsClient rds;
  private final Duration poll;

  public SdkRdsControlPlane(RdsClient rds, Duration poll) {
    this.rds = rds;
    this.poll = poll;
  }

  /**
   * A client for {@code aws}'s region and endpoint, polling every {@code aws.poll-interval} while
   * waiting.
   */
  public static SdkRdsControlPlane of(AwsConfig aws) {
    return new SdkRdsControlPlane(AwsClients.rds(aws), aws.pollInterval());
  }

  @Override
  public RestoredCopy restore(
      String copyId, RestoreConfig restore, Map<String, String> tags, boolean iamAuth) {
    List<Tag> tagList =
        tags.entrySet().stream()
            .map(e -> Tag.builder().key(e.getKey()).value(e.getValue()).build())
            .toList();
    switch (restore.from().kind()) {
      case LATEST_RESTORABLE_TIME -> {
        return restoreToTime(copyId, restore, tagList, iamAuth, latestRestorableTime(restore));
      }
      default -> {
        DBSnapshot snapshot =
            restore.from().kind() == RestoreConfig.From.Kind.SNAPSHOT
                ? snapshot(restore.from().snapshotId().orElseThrow())
                : latestSnapshot(restore.sourceInstance())
                    .orElseThrow(
                        () ->
                            new IllegalStateException(
                                "Cannot restore instance "
                                    + restore.sourceInstance()
                                    + " from its latest snapshot: it has no available snapshot"));
        rds.restoreDBInstanceFromDBSnapshot(
            b ->
                b.dbSnapshotIdentifier(snapshot.dbSnapshotIdentifier())
                    .dbInstanceIdentifier(copyId)
                    .dbInstanceClass(restore.instanceClass().orElse(null))
                    .dbSubnetGroupName(restore.subnetGroup().orElse(null))
                    .vpcSecurityGroupIds(
                        restore.securityGroups().isEmpty() ? null : restore.securityGroups())
                    .multiAZ(false)
                    .publiclyAccessible(false)
                    .deletionProtection(false)
                    .enableIAMDatabaseAuthentication(iamAuth ? Boolean.TRUE : null)
                    .tags(tagList));
        Instant time =
            Optional.ofNullable(snapshot.originalSnapshotCreateTime())
                .orElse(snapshot.snapshotCreateTime());
        return new RestoredCopy(
            copyId, restore.sourceInstance(), "snapshot " + snapshot.dbSnapshotIdentifier(), time);
      }
    }
  }

  /**
   * The source instance's latest restorable time (DescribeDBInstances): point-in-time restores
   * reach up to it.
   */
  private Instant latestRestorableTime(RestoreConfig restore) {
    DBInstance source =
        describe(restore.sourceInstance())
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "Cannot restore from instance "
                            + restore.sourceInstance()
                            + ": no such DB instance (restore.source-instance)"));
    return Optional.ofNullable(source.latestRestorableTime())
        .orElseThrow(
            () ->
                new IllegalStateException(
                    "Cannot restore instance "
                        + restore.sourceInstance()
                        + " to a point in time: it has no automated backups (set a backup"
                        + " retention period, or use restore.from = latest-snapshot)"));
  }

  private RestoredCopy restoreToTime(
      String copyId, RestoreConfig restore, List<Tag> tagList, boolean iamAuth, Instant time) {
    rds.restoreDBInstanceToPointInTime(
        b ->
            b.sourceDBInstanceIdentifier(restore.sourceInstance())
                .targetDBInstanceIdentifier(copyId)
                .restoreTime(time)
                .dbInstanceClass(restore.instanceClass().orElse(null))
                .dbSubnetGroupName(restore.subnetGroup().orElse(null))
                .vpcSecurityGroupIds(
                    restore.securityGroups().isEmpty() ? null : restore.securityGroups())
                .multiAZ(false)
                .publiclyAccessible(false)
                .deletionProtection(false)
                .enableIAMDatabaseAuthentication(iamAuth ? Boolean.TRUE : null)
                .tags(tagList));
    return new RestoredCopy(copyId, restore.sourceInstance(), "latest-restorable-time", time);
  }

  @Override
  public RestoredCopy restoreAfter(
      String copyId,
      RestoreConfig restore,
      Map<String, String> tags,
      boolean iamAuth,
      Instant after,
      Duration timeout) {
    if (restore.from().kind() != RestoreConfig.From.Kind.LATEST_RESTORABLE_TIME) {
      throw new IllegalStateException(
          "Cannot restore instance "
              + restore.sourceInstance()
              + " to a point after "
              + after
              + ": restore.from = "
              + restore.from()
              + " is a snapshot taken before; use restore.from = latest-restorable-time");
    }
    List<Tag> tagList =
        tags.entrySet().stream()
            .map(e -> Tag.builder().key(e.getKey()).value(e.getValue()).build())
            .toList();
    long start = System.nanoTime();
    long deadline = start + timeout.toNanos();
    boolean said = false;
    while (true) {
      Instant latest = latestRestorableTime(restore);
      if (latest.isAfter(after)) {
        LOG.info(
            "Restoring instance {} to {}: past {}{}",
            restore.sourceInstance(),
            latest,
            after,
            said ? " after waiting " + (System.nanoTime() - start) / 1_000_000_000L + " s" : "");
        return restoreToTime(copyId, restore, tagList, iamAuth, latest);
      }
      if (!said) {
        LOG.info(
            "Waiting until instance {}'s latest restorable time ({}) is past {} (the replication"
                + " slot's creation): it lags production by about 5 minutes",
            restore.sourceInstance(),
            latest,
            after);
        said = true;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "Cannot restore instance "
                + restore.sourceInstance()
                + " to a point after "
                + after
                + ": its latest restorable time is still "
                + latest
                + " after "
                + timeout.toString().substring(2).toLowerCase(java.util.Locale.ROOT)
                + " (restore.wait-timeout); check the instance's automated backups");
      }
      try {
        Thread.sleep(poll.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(
            "Stopped waiting to restore instance "
                + restore.sourceInstance()
                + ": the run no longer needs it");
      }
    }
  }

  @Override
  public DbInstance awaitAvailable(String instanceId, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    long start = System.nanoTime();
    Duration slice = poll.multipliedBy(10);
    while (true) {
      if (Thread.currentThread().isInterrupted()) {
        throw new IllegalStateException(
            "Stopped waiting for copy " + instanceId + ": the run no longer needs it");
      }
      Duration left = Duration.ofNanos(deadline - System.nanoTime());
      if (left.isNegative() || left.isZero()) {
        throw new IllegalStateException(
            "Copy "
                + instanceId
                + " did not become available within "
                + timeout.toString().substring(2).toLowerCase(java.util.Locale.ROOT)
                + " (restore.wait-timeout; last status "
                + describe(instanceId).map(DBInstance::dbInstanceStatus).orElse("unknown")
                + ")");
      }
      Duration wait = left.compareTo(slice) < 0 ? left : slice;
      if (wait.compareTo(poll) < 0) {
        // Less than one poll interval left: the waiter would give up at once, again and again. One
        // last look when it is up.
        try {
          Thread.sleep(Math.max(1, wait.toMillis()));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException(
              "Stopped waiting for copy " + instanceId + ": the run no longer needs it");
        }
        Optional<DBInstance> last = describe(instanceId);
        if (last.isPresent()
            && "available".equals(last.get().dbInstanceStatus())
            && last.get().endpoint() != null) {
          return of(last.get());
        }
        continue;
      }
      try {
        WaiterResponse<DescribeDbInstancesResponse> response =
            rds.waiter()
                .waitUntilDBInstanceAvailable(
                    b -> b.dbInstanceIdentifier(instanceId),
                    o ->
                        o.waitTimeout(wait)
                            .maxAttempts(Integer.MAX_VALUE)
                            .backoffStrategy(
                                software.amazon.awssdk.core.retry.backoff.FixedDelayBackoffStrategy
                                    .create(poll)));
        if (response.matched().response().isPresent()) {
          DBInstance instance = response.matched().response().get().dbInstances().get(0);
          LOG.info(
              "Copy {} is available after {} s at {}",
              instanceId,
              (System.nanoTime() - start) / 1_000_000_000L,
              instance.endpoint().address());
          return of(instance);
        }
        throw new IllegalStateException(
            "Copy "
                + instanceId
                + " cannot become available: "
                + response
                    .matched()
                    .exception()
                    .map(Throwable::getMessage)
                    .orElse("the waiter stopped"));
      } catch (SdkClientException e) {
        if (e.getMessage() == null || !e.getMessage().contains("exceeded the max wait time")) {
          throw e;
        }
        LOG.info(
            "Waiting for copy {}: status {}, {} s so far",
            instanceId,
            describe(instanceId).map(DBInstance::dbInstanceStatus).orElse("unknown"),
            (System.nanoTime() - start) / 1_000_000_000L);
      }
    }
  }

  @Override
  public void delete(String instanceId) {
    try {
      rds.deleteDBInstance(
          b ->
              b.dbInstanceIdentifier(instanceId)
                  .skipFinalSnapshot(true)
                  .deleteAutomatedBackups(true));
      LOG.info("Deleting copy {}", instanceId);
    } catch (DbInstanceNotFoundException e) {
      LOG.info("Copy {} is already gone", instanceId);
    } catch (InvalidDbInstanceStateException e) {
      if (e.getMessage() != null && e.getMessage().contains("already being deleted")) {
        return;
      }
      throw new IllegalStateException(
          "Cannot delete copy "
              + instanceId
              + " yet: "
              + e.awsErrorDetails().errorMessage()
              + "; it is tagged with its run, and tenantfold cleanup (or the next run) deletes it"
              + " once it can",
          e);
    }
  }

  @Override
  public List<DbInstance> instances() {
    List<DbInstance> out = new ArrayList<>();
    rds.describeDBInstancesPaginator(b -> {}).dbInstances().forEach(i -> out.add(of(i)));
    return out;
  }

  @Override
  public Optional<String> latestSnapshotArn(String instanceId) {
    return latestSnapshot(instanceId).map(DBSnapshot::dbSnapshotArn);
  }

  @Override
  public String snapshotArn(String snapshotId) {
    return snapshot(snapshotId).dbSnapshotArn();
  }

  @Override
  public void deleteSnapshot(String snapshotId) {
    try {
      rds.deleteDBSnapshot(b -> b.dbSnapshotIdentifier(snapshotId));
      LOG.info("Deleting snapshot {}", snapshotId);
    } catch (DbSnapshotNotFoundException e) {
      LOG.info("Snapshot {} is already gone", snapshotId);
    }
  }

  @Override
  public Snapshot createSnapshot(String instanceId, String snapshotId, Duration timeout) {
    rds.createDBSnapshot(b -> b.dbInstanceIdentifier(instanceId).dbSnapshotIdentifier(snapshotId));
    LOG.info("Creating snapshot {} of instance {}", snapshotId, instanceId);
    long start = System.nanoTime();
    long deadline = start + timeout.toNanos();
    while (true) {
      DBSnapshot s = snapshot(snapshotId);
      if ("available".equals(s.status()) && s.snapshotCreateTime() != null) {
        LOG.info(
            "Snapshot {} is available after {} s (created {})",
            snapshotId,
            (System.nanoTime() - start) / 1_000_000_000L,
            s.snapshotCreateTime());
        return new Snapshot(snapshotId, s.dbSnapshotArn(), s.snapshotCreateTime());
      }
      if ("failed".equals(s.status()) || "deleted".equals(s.status())) {
        throw new IllegalStateException(
            "Snapshot " + snapshotId + " of instance " + instanceId + " " + s.status());
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "Snapshot "
                + snapshotId
                + " of instance "
                + instanceId
                + " is not available after "
                + timeout.toString().substring(2).toLowerCase(java.util.Locale.ROOT)
                + " (status "
                + s.status()
                + ")");
      }
      try {
        Thread.sleep(poll.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("Stopped waiting for snapshot " + snapshotId);
      }
    }
  }

  @Override
  public ExportTask startExport(
      String taskId,
      String snapshotArn,
      String bucket,
      String prefix,
      String iamRoleArn,
      String kmsKeyId,
      List<String> exportOnly) {
    var response =
        rds.startExportTask(
            b ->
                b.exportTaskIdentifier(taskId)
                    .sourceArn(snapshotArn)
                    .s3BucketName(bucket)
                    .s3Prefix(prefix == null || prefix.isEmpty() ? null : prefix)
                    .iamRoleArn(iamRoleArn)
                    .kmsKeyId(kmsKeyId)
                    .exportOnly(exportOnly.isEmpty() ? null : exportOnly));
    return new ExportTask(
        response.exportTaskIdentifier(),
        response.status(),
        Optional.ofNullable(response.failureCause()),
        response.sourceArn(),
        response.s3Bucket(),
        response.s3Prefix(),
        Optional.ofNullable(response.snapshotTime()),
        response.percentProgress() == null ? 0 : response.percentProgress());
  }

  @Override
  public ExportTask exportTask(String taskId) {
    var tasks = rds.describeExportTasks(b -> b.exportTaskIdentifier(taskId)).exportTasks();
    if (tasks.isEmpty()) {
      throw new IllegalStateException("Cannot find export task " + taskId);
    }
    var t = tasks.get(0);
    return new ExportTask(
        t.exportTaskIdentifier(),
        t.status(),
        Optional.ofNullable(t.failureCause()).filter(s -> !s.isEmpty()),
        t.sourceArn(),
        t.s3Bucket(),
        t.s3Prefix(),
        Optional.ofNullable(t.snapshotTime()),
        t.percentProgress() == null ? 0 : t.percentProgress());
  }

  private Optional<DBInstance> describe(String instanceId) {
    try {
      return rds.describeDBInstances(b -> b.dbInstanceIdentifier(instanceId)).dbInstances().stream()
          .findFirst();
    } catch (DbInstanceNotFoundException e) {
      return Optional.empty();
    }
  }

  private Optional<DBSnapshot> latestSnapshot(String instanceId) {
    List<DBSnapshot> snapshots = new ArrayList<>();
    rds.describeDBSnapshotsPaginator(b -> b.dbInstanceIdentifier(instanceId))
        .dbSnapshots()
        .forEach(snapshots::add);
    return snapshots.stream()
        .filter(s -> "available".equals(s.status()) && s.snapshotCreateTime() != null)
        .max(Comparator.comparing(DBSnapshot::snapshotCreateTime));
  }

  private DBSnapshot snapshot(String snapshotId) {
    return rds.describeDBSnapshots(b -> b.dbSnapshotIdentifier(snapshotId)).dbSnapshots().stream()
        .findFirst()
        .orElseThrow(() -> new IllegalStateException("Cannot find snapshot " + snapshotId));
  }

  private static DbInstance of(DBInstance i) {
    Map<String, String> tags = new LinkedHashMap<>();
    if (i.hasTagList()) {
      i.tagList().forEach(t -> tags.put(t.key(), t.value() == null ? "" : t.value()));
    }
    return new DbInstance(
        i.dbInstanceIdentifier(),
        i.dbInstanceStatus(),
        Optional.ofNullable(i.endpoint()).map(e -> e.address()),
        Optional.ofNullable(i.endpoint()).map(e -> e.port()),
        i.engine(),
        Optional.ofNullable(i.dbName()),
        tags);
  }

  @Override
  public void close() {
    rds.close();
  }
}
