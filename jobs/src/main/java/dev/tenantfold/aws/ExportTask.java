package dev.tenantfold.aws;

import java.time.Instant;
import java.util.Optional;

/** One snapshot export task as DescribeExportTasks shows it. */
public record ExportTask(
    String id,
    String status,
    Optional<String> failureCause,
    String sourceArn,
    String bucket,
    String prefix,
    Optional<Instant> snapshotTime,
    int percentProgress) {
  public boolean complete() {
    return "COMPLETE".equals(status);
  }

  /** FAILED or CANCELED: it will never complete. */
  public boolean ended() {
    return "FAILED".equals(status) || "CANCELED".equals(status);
  }

  /** Where the export's files are: {@code s3://bucket/prefix/<task id>}. */
  public String path() {
    String p = prefix == null || prefix.isEmpty() ? "" : prefix.replaceAll("/+$", "") + "/";
    return "s3://" + bucket + "/" + p + id;
  }
}
