package dev.tenantfold.job;

import dev.tenantfold.aws.ExportTask;
import dev.tenantfold.aws.RdsControlPlane;
import dev.tenantfold.aws.SdkRdsControlPlane;
import dev.tenantfold.config.AwsConfig;
import dev.tenantfold.config.ConfigError;
import dev.tenantfold.config.TenantConfig;
import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.report.ExitCode;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code export} command: starts an RDS snapshot export task for one tenant's latest (or named)
 * snapshot, limited with ExportOnly to the tenant's schemas or the configured tables, to {@code
 * aws.export}'s bucket and prefix with its IAM role and KMS key; polls DescribeExportTasks with
 * backoff until COMPLETE (prints the path and a ready {@code export { ... }} tenant block, exit 0)
 * or FAILED / CANCELED (prints AWS's failure cause, exit 1).
 */
public final class ExportTaskJob {
  private static final Logger LOG = LoggerFactory.getLogger(ExportTaskJob.class);
  private static final DateTimeFormatter TASK_TIME =
      DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

  /**
   * Polling backs off from aws.poll-interval by this factor up to {@link #MAX_POLL}: exports take
   * minutes to hours.
   */
  private static final double BACKOFF = 1.5;

  private static final Duration MAX_POLL = Duration.ofMinutes(5);

  private final TenantfoldConfig config;
  private final Supplier<RdsControlPlane> planes;

  public ExportTaskJob(TenantfoldConfig config) {
    this(config, () -> SdkRdsControlPlane.of(config.aws()));
  }

  ExportTaskJob(TenantfoldConfig config, Supplier<RdsControlPlane> planes) {
    this.config = config;
    this.planes = planes;
  }

  public int execute(String tenantId, Optional<String> snapshotId, PrintStream out)
      throws InterruptedException {
    TenantConfig tenant = tenant(tenantId);
    boolean catchUp = tenant.catchUp().logical();
    requireExportable(tenant, catchUp, snapshotId);
    String database = tenant.source().databaseName();
    List<String> exportOnly =
        exportOnly(database, tenant.schemas(), config.tables().explicitNames());
    try (RdsControlPlane rds = planes.get()) {
      if (catchUp) {
        return new SlotFirstExport(config, tenant.forCatchUp(), rds, this, out)
            .execute(database, exportOnly);
      }
      String snapshotArn = snapshotArn(rds, tenant, snapshotId);
      ExportTask task = export(rds, tenantId, snapshotArn, exportOnly, out);
      if (!task.complete()) {
        return ExitCode.ERROR;
      }
      printBlock(out, tenant, task, database, "");
      return ExitCode.OK;
    }
  }

  /** The configured tenant {@code tenantId}; a config error naming the known ones otherwise. */
  private TenantConfig tenant(String tenantId) {
    return config.tenants().stream()
        .filter(t -> t.id().equals(tenantId))
        .findFirst()
        .orElseThrow(
            () ->
                new ConfigError(
                    "Cannot export tenant '"
                        + tenantId
                        + "': it is not in "
                        + TenantfoldConfig.TENANTS.path()
                        + " (known: "
                        + config.tenants().stream().map(TenantConfig::id).toList()
                        + ")"));
  }

  /**
   * Refuses, before any AWS call, an export that cannot work: a tenant already read from an export,
   * no {@code aws.export} destination, a named snapshot with catch-up (taken before the slot, so
   * changes would be lost), or no instance where one is needed.
   */
  private void requireExportable(
      TenantConfig tenant, boolean catchUp, Optional<String> snapshotId) {
    String tenantId = tenant.id();
    if (!tenant.source().exportable() && !catchUp) {
      throw new ConfigError(
          "Cannot export tenant "
              + tenantId
              + ": it is already read from an export; give it a jdbc block and an instance");
    }
    config.aws().export().require();
    if (catchUp && snapshotId.isPresent()) {
      throw new ConfigError(
          "Cannot export snapshot "
              + snapshotId.get()
              + " of tenant "
              + tenantId
              + " with catch-up (catch-up.mode = logical): an existing snapshot was taken before"
              + " the replication slot an export creates, so the changes between them would be"
              + " lost; leave out --snapshot (the export creates the slot on production, then takes"
              + " a fresh snapshot), or set catch-up.mode = none");
    }
    if (catchUp && tenant.rdsInstance().isEmpty()) {
      throw new ConfigError(
          "Cannot export tenant "
              + tenantId
              + " with catch-up: set its instance (instance = <DB instance id>), the instance a"
              + " fresh snapshot is taken of after the replication slot is created");
    }
    if (snapshotId.isEmpty() && tenant.rdsInstance().isEmpty()) {
      throw new ConfigError(
          "Cannot find the latest snapshot of tenant "
              + tenantId
              + ": set its instance (instance = <DB instance id>) or pass --snapshot SNAPSHOT_ID");
    }
  }

  /** The named snapshot's ARN, or the ARN of the tenant's instance's latest available snapshot. */
  private static String snapshotArn(
      RdsControlPlane rds, TenantConfig tenant, Optional<String> snapshotId) {
    if (snapshotId.isPresent()) {
      return rds.snapshotArn(snapshotId.get());
    }
    String instance = tenant.rdsInstance().get();
    return rds.latestSnapshotArn(instance)
        .orElseThrow(
            () ->
                new IllegalStateException(
                    "Cannot export tenant "
                        + tenant.id()
                        + ": instance "
                        + instance
                        + " has no available snapshot"));
  }

  /**
   * Starts an export task of {@code snapshotArn} and polls it with backoff until it completes or
   * ends; prints what happened (AWS's failure cause when it did not complete).
   */
  ExportTask export(
      RdsControlPlane rds,
      String tenantId,
      String snapshotArn,
      List<String> exportOnly,
      PrintStream out)
      throws InterruptedException {
    AwsConfig.ExportDestination destination = config.aws().export();
    String taskId = taskId(tenantId, Instant.now());
    LOG.info(
        "Starting export task {} of {} to s3://{}/{} (ExportOnly {})",
        taskId,
        snapshotArn,
        destination.bucket().get(),
        destination.prefix(),
        exportOnly);
    ExportTask task =
        rds.startExport(
            taskId,
            snapshotArn,
            destination.bucket().get(),
            destination.prefix(),
            destination.iamRole().get(),
            destination.kmsKey().get(),
            exportOnly);
    out.printf("Started export task %s of %s%n", taskId, snapshotArn);
    Duration poll = config.aws().pollInterval();
    while (!task.complete() && !task.ended()) {
      Thread.sleep(poll.toMillis());
      poll = Duration.ofMillis(Math.min(MAX_POLL.toMillis(), (long) (poll.toMillis() * BACKOFF)));
      task = rds.exportTask(taskId);
      LOG.info("Export task {}: {} ({}%)", taskId, task.status(), task.percentProgress());
    }
    if (!task.complete()) {
      out.printf(
          "Export task %s %s: %s%n",
          task.id(), task.status(), task.failureCause().orElse("(AWS gave no failure cause)"));
    }
    return task;
  }

  /** Prints where the export is and a tenant block that reads it ({@code extra}: more keys). */
  static void printBlock(
      PrintStream out, TenantConfig tenant, ExportTask task, String database, String extra) {
    out.printf("Export task %s COMPLETE: %s%n", task.id(), task.path());
    out.printf(
        "Read tenant %s from it with this tenant block (%s):%n",
        tenant.id(), TenantfoldConfig.TENANTS.path());
    out.printf(
        "  { id = %s, export { path = \"%s\", database = %s, schemas = [%s]%s } }%n",
        tenant.id(),
        task.path(),
        quoted(database),
        String.join(", ", tenant.schemas().stream().map(ExportTaskJob::quoted).toList()),
        extra);
  }

  /**
   * ExportOnly: the tenant's schemas ({@code db.schema}), or each configured table in them ({@code
   * db.schema.table}).
   */
  static List<String> exportOnly(String database, List<String> schemas, List<String> tables) {
    List<String> out = new ArrayList<>();
    for (String schema : schemas) {
      if (tables.isEmpty()) {
        out.add(database + "." + schema);
      } else {
        // A qualified name (sales.orders) is exported from its own schema only.
        tables.stream()
            .filter(t -> !t.contains(".") || t.startsWith(schema + "."))
            .forEach(t -> out.add(database + "." + (t.contains(".") ? t : schema + "." + t)));
      }
    }
    return out;
  }

  /** An export task identifier: letters, digits and hyphens, starting with a letter, at most 60. */
  static String taskId(String tenantId, Instant now) {
    String tenant = tenantId.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
    String id = ("tf-" + tenant + "-" + TASK_TIME.format(now)).replaceAll("-+", "-");
    return id.length() <= 60
        ? id
        : "tf-" + tenant.substring(0, 60 - 19) + "-" + TASK_TIME.format(now);
  }

  static String quoted(String s) {
    return s.matches("[A-Za-z_][A-Za-z0-9_]*")
        ? s
        : "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }
}
