package dev.tenantfold.load;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.ToLongFunction;

/**
 * How a tenant's transfer units become Spark tasks. A task per unit paid, per small table, a task,
 * a new source and a new target backend, more than its rows cost; so units are packed into as many
 * tasks as the rows need ({@code rowsPerTask} each, the size a table is split at) but never fewer
 * than the cores that can run them, largest first into the least loaded task (so a large partition
 * keeps a task to itself, and small tables fill the others). A unit's weight is its estimated rows;
 * unknown (0) weighs 1, so tables without statistics are spread, not stacked.
 */
public final class TransferBatches {
  private TransferBatches() {}

  /**
   * {@code units} in at most {@code units.size()} and at least {@code min(units.size(), cores)}
   * tasks, each task's units in their given order.
   */
  public static List<List<TransferUnit>> pack(
      List<TransferUnit> units,
      ToLongFunction<TransferUnit> estimatedRows,
      int cores,
      long rowsPerTask) {
    if (cores < 1 || rowsPerTask < 1) {
      throw new IllegalArgumentException("cores and rowsPerTask must be positive");
    }
    long total = 0;
    for (TransferUnit unit : units) {
      total += weight(unit, estimatedRows);
    }
    long byRows = (total + rowsPerTask - 1) / rowsPerTask;
    int tasks = (int) Math.min(units.size(), Math.max(cores, byRows));
    List<List<Integer>> members = new ArrayList<>();
    long[] load = new long[tasks];
    for (int t = 0; t < tasks; t++) {
      members.add(new ArrayList<>());
    }
    List<Integer> heaviestFirst = new ArrayList<>();
    for (int i = 0; i < units.size(); i++) {
      heaviestFirst.add(i);
    }
    heaviestFirst.sort(
        Comparator.comparingLong((Integer i) -> weight(units.get(i), estimatedRows))
            .reversed()
            .thenComparing(i -> i));
    for (int i : heaviestFirst) {
      int lightest = 0;
      for (int t = 1; t < tasks; t++) {
        if (load[t] < load[lightest]) {
          lightest = t;
        }
      }
      members.get(lightest).add(i);
      load[lightest] += weight(units.get(i), estimatedRows);
    }
    List<List<TransferUnit>> out = new ArrayList<>();
    for (List<Integer> task : members) {
      task.sort(Comparator.naturalOrder());
      out.add(task.stream().map(units::get).toList());
    }
    return out;
  }

  private static long weight(TransferUnit unit, ToLongFunction<TransferUnit> estimatedRows) {
    return Math.max(1, estimatedRows.applyAsLong(unit));
  }
}
