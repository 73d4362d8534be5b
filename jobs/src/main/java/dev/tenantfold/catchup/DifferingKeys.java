package dev.tenantfold.catchup;

import dev.tenantfold.validate.CutoverFacts;
import dev.tenantfold.validate.CutoverFacts.ComparedWith;
import dev.tenantfold.validate.CutoverFacts.DifferingKey;
import dev.tenantfold.validate.CutoverFacts.RowCount;
import java.util.ArrayList;
import java.util.List;

/**
 * One table's changed keys as the cutover compares them, batch by batch: how many were compared,
 * the first {@code limit} that differ held (the tenant's listing is bounded), the rest counted.
 */
final class DifferingKeys {
  private final int limit;
  private final List<DifferingKey> listed = new ArrayList<>();
  private long unlisted;
  private long compared;

  DifferingKeys(int limit) {
    this.limit = limit;
  }

  void compared(int keys) {
    compared += keys;
  }

  void add(DifferingKey key) {
    if (listed.size() < limit) {
      listed.add(key);
    } else {
      unlisted++;
    }
  }

  CutoverFacts facts(String table, ComparedWith comparedWith, RowCount rowCount) {
    return new CutoverFacts(table, comparedWith, compared, listed, unlisted, rowCount);
  }
}
