package dev.tenantfold.validate.checksum;

import java.util.List;

/**
 * One key whose rows differ between source and target.
 *
 * @param key the key as readable JSON, column names and typed values ({@code {"order_id": 2002,
 *     "line_no": 2}}); for a table without a key, the row's columns ({@link ReadableKey})
 * @param kind what differs
 * @param sourceRows rows with this key in the source
 * @param targetRows rows with this key in the target
 * @param changedColumns for {@link Kind#CHANGED} (and a duplicate whose copies differ from the
 *     source), the columns whose canonical values differ, in digest order; empty otherwise
 */
public record RowDifference(
    String key, Kind kind, int sourceRows, int targetRows, List<String> changedColumns) {

  public enum Kind {
    /** The source has rows with this key (or more copies of this row) that the target lacks. */
    MISSING_IN_TARGET,
    /** The target has rows with a key the source does not have. */
    EXTRA_IN_TARGET,
    /** Same number of rows for the key on both sides, different values. */
    CHANGED,
    /** The target holds more rows for the key than the source: a duplicated row. */
    DUPLICATED_IN_TARGET
  }

  public RowDifference {
    changedColumns = List.copyOf(changedColumns);
  }
}
