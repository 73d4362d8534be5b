package dev.tenantfold.aws;

import java.time.Instant;

/**
 * A temporary copy being restored: its identifier, the instance whose backups it comes from, what
 * it was restored from ({@code latest-restorable-time}, a snapshot id), and the point in time its
 * data represents.
 */
public record RestoredCopy(
    String copyId, String sourceInstance, String restoredFrom, Instant pointInTime) {
  /**
   * For reports: "copy tf-acme-... of instance acme-prod at 2026-11-29T14:55:00Z
   * (latest-restorable-time)".
   */
  public String describe() {
    return "copy "
        + copyId
        + " of instance "
        + sourceInstance
        + " at "
        + pointInTime
        + " ("
        + restoredFrom
        + ")";
  }
}
