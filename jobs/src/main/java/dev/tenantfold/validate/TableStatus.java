package dev.tenantfold.validate;

/**
 * Verdict for one tenant table, worst last: a tenant publishes only if every table is {@code OK}.
 */
public enum TableStatus {
  OK,
  MISMATCH,
  FAILED;

  public TableStatus worst(TableStatus other) {
    return other.ordinal() > ordinal() ? other : this;
  }
}
