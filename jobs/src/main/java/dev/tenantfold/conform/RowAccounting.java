package dev.tenantfold.conform;

import java.util.List;

/**
 * Where one tenant table's source rows went before loading: {@code sourceRows = kept +
 * duplicatesRemoved + rejectedRows}, counted in the tenant's snapshot by {@link
 * ConformedSource#accountingSql}. {@code rejects} holds the first rejected rows (at most the table's
 * threshold plus one), for the report.
 */
public record RowAccounting(long sourceRows, long duplicatesRemoved, long rejectedRows, List<Reject> rejects) {
  public RowAccounting {
    rejects = List.copyOf(rejects);
  }

  /** Rows counted as {@code sourceRows} with {@code keptRows} left after deduplication, {@code rejectedRows} of them rejected. */
  public static RowAccounting counted(long sourceRows, long keptRows, long rejectedRows, List<Reject> rejects) {
    return new RowAccounting(sourceRows, sourceRows - keptRows, rejectedRows, rejects);
  }

  /** The rows that should reach the target. */
  public long expectedRows() {
    return sourceRows - duplicatesRemoved - rejectedRows;
  }

  /**
   * One rejected row: its source key as JSON ({@code null} without a key), the column that failed,
   * PostgreSQL's reason, and the whole source row as JSON.
   */
  public record Reject(String keyJson, String column, String reason, String rowJson) {}
}
