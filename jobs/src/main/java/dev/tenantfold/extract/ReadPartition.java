package dev.tenantfold.extract;

import java.io.Serializable;

/** One parallel read of a table: a WHERE predicate (empty for the whole table). */
public record ReadPartition(int index, int count, String predicate) implements Serializable {
  public boolean wholeTable() {
    return predicate.isEmpty();
  }
}
