package dev.tenantfold.bench;

/**
 * One timed path: rows found in its target afterwards (counted, not taken from the path's own
 * word), wall time, driver heap, and a free-text note (what the time includes, any failure).
 */
record Measurement(String path, long rows, long expectedRows, long nanos, HeapMonitor.Reading heap, String note) {

  double seconds() {
    return nanos / 1e9;
  }

  double rowsPerSecond() {
    return rows / seconds();
  }

  boolean complete() {
    return rows == expectedRows;
  }
}
