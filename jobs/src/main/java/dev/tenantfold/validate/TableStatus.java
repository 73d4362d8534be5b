package dev.tenantfold.validate;

/**
 * Verdict for one tenant table, worst last: a tenant publishes only if every table is {@code OK}.
 */
public enum TableStatus {
  OK,
  MISMATCH,
  /**
   * The publish's outcome could not be read from the target (the connection broke as it committed
   * and the target did not answer in {@code publish.outcome-wait}); the target's own record settles
   * it later ({@code tenantfold report}, the next run, {@code cleanup}).
   */
  UNKNOWN,
  FAILED;

  public TableStatus worst(TableStatus other) {
    return other.ordinal() > ordinal() ? other : this;
  }
}
