package dev.tenantfold.bench;

import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * One timed path: rows found in its target afterwards (counted, not taken from the path's own
 * word), wall time, driver heap, and a free-text note (what the time includes, any failure). {@code
 * trial} is the index of the kept trial when the path ran more than once.
 */
record Measurement(
    String path,
    long rows,
    long expectedRows,
    long nanos,
    HeapMonitor.Reading heap,
    String note,
    int trial) {

  Measurement(
      String path,
      long rows,
      long expectedRows,
      long nanos,
      HeapMonitor.Reading heap,
      String note) {
    this(path, rows, expectedRows, nanos, heap, note, 0);
  }

  /**
   * The median trial by time (the lower one of an even count), with the worst heap of all trials
   * and the time range in its note.
   */
  static Measurement median(String path, List<Measurement> trials) {
    if (trials.size() == 1) {
      Measurement only = trials.get(0);
      return new Measurement(
          path, only.rows, only.expectedRows, only.nanos, only.heap, only.note, 0);
    }
    List<Integer> byTime =
        IntStream.range(0, trials.size())
            .boxed()
            .sorted(Comparator.comparingLong(i -> trials.get(i).nanos))
            .toList();
    int index = byTime.get((trials.size() - 1) / 2);
    Measurement kept = trials.get(index);
    HeapMonitor.Reading worst =
        new HeapMonitor.Reading(
            trials.stream().mapToLong(t -> t.heap.peakUsed()).max().orElse(0),
            trials.stream().mapToLong(t -> t.heap.peakAfterGc()).max().orElse(0),
            trials.stream().mapToInt(t -> t.heap.collections()).max().orElse(0));
    long incomplete = trials.stream().filter(t -> !t.complete()).count();
    String range =
        String.format(
            java.util.Locale.ROOT,
            "median of %d trials, %.1f-%.1f s%s",
            trials.size(),
            trials.get(byTime.get(0)).seconds(),
            trials.get(byTime.get(byTime.size() - 1)).seconds(),
            incomplete == 0 ? "" : ", " + incomplete + " trial(s) incomplete");
    return new Measurement(
        path, kept.rows, kept.expectedRows, kept.nanos, worst, kept.note + "; " + range, index);
  }

  double seconds() {
    return nanos / 1e9;
  }

  double rowsPerSecond() {
    return rows / seconds();
  }

  /** True when the kept trial's path threw (its note says why). */
  boolean failed() {
    return note.startsWith("FAILED");
  }

  boolean complete() {
    return rows == expectedRows;
  }
}
