package dev.tenantfold.extract;

import static dev.tenantfold.jdbc.Sql.ident;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Splits a table into parallel reads. A pure function from sizes and key bounds to WHERE clauses,
 * so it is tested without a database. The first and last ranges are open-ended: together the
 * predicates always cover every row, whatever the estimates said.
 *
 * <p>Strategy, best first: ranges of a single integer primary key between its real min and max;
 * physical ranges of heap pages ({@code ctid}, TID range scans need PostgreSQL 14+); hash buckets
 * of the primary key (each bucket scans the table, so only when nothing else applies).
 */
public final class PartitionPlanner {
  public static final int TID_RANGE_SCAN_VERSION = 140000;

  private PartitionPlanner() {}

  /**
   * Key bounds as read in the snapshot: {@code SELECT min(k), max(k)}; empty for an empty table.
   */
  public record KeyBounds(long min, long max) {}

  public static List<ReadPartition> plan(
      TableSpec table,
      Optional<KeyBounds> bounds,
      int serverVersionNum,
      long rowsPerPartition,
      int maxPartitions) {
    long wanted = (table.estimatedRows() + rowsPerPartition - 1) / rowsPerPartition;
    int n = (int) Math.max(1, Math.min(maxPartitions, wanted));
    if (n == 1) {
      return List.of(new ReadPartition(0, 1, ""));
    }
    Optional<ColumnSpec> key = table.integerKey();
    if (key.isPresent()) {
      return bounds
          .map(b -> integerRanges(ident(key.get().name()), b, n))
          .orElse(List.of(new ReadPartition(0, 1, "")));
    }
    if (!table.partitioned() && serverVersionNum >= TID_RANGE_SCAN_VERSION && table.pages() > 1) {
      return pageRanges(table.pages(), n);
    }
    if (!table.primaryKey().isEmpty()) {
      return hashBuckets(table.primaryKey(), n);
    }
    return List.of(new ReadPartition(0, 1, ""));
  }

  /**
   * At most {@code n} ranges of the integer {@code column} (an identifier, quoted) between {@code
   * b}'s min and max, the first and last open-ended.
   */
  public static List<ReadPartition> integerRanges(String column, KeyBounds b, int n) {
    BigInteger span =
        BigInteger.valueOf(b.max()).subtract(BigInteger.valueOf(b.min())).add(BigInteger.ONE);
    int parts = (int) Math.min(n, span.min(BigInteger.valueOf(n)).longValue());
    if (parts <= 1) {
      return List.of(new ReadPartition(0, 1, ""));
    }
    BigInteger stride = span.add(BigInteger.valueOf(parts - 1)).divide(BigInteger.valueOf(parts));
    List<Long> cuts = new ArrayList<>();
    for (int i = 1; i < parts; i++) {
      cuts.add(
          BigInteger.valueOf(b.min()).add(stride.multiply(BigInteger.valueOf(i))).longValueExact());
    }
    return ranges(column, cuts, Long::toString);
  }

  /**
   * At most {@code n} ranges of a table's {@code pages} heap pages, the first and last open-ended.
   */
  public static List<ReadPartition> pageRanges(long pages, int n) {
    int parts = (int) Math.min(n, pages);
    long stride = (pages + parts - 1) / parts;
    List<Long> cuts = new ArrayList<>();
    for (int i = 1; i < parts; i++) {
      cuts.add(stride * i);
    }
    return ranges("ctid", cuts, page -> "'(" + page + ",0)'::tid");
  }

  private static List<ReadPartition> ranges(
      String column, List<Long> cuts, java.util.function.LongFunction<String> literal) {
    int parts = cuts.size() + 1;
    List<ReadPartition> out = new ArrayList<>();
    for (int i = 0; i < parts; i++) {
      String predicate;
      if (i == 0) {
        predicate = column + " < " + literal.apply(cuts.get(0));
      } else if (i == parts - 1) {
        predicate = column + " >= " + literal.apply(cuts.get(i - 1));
      } else {
        predicate =
            column
                + " >= "
                + literal.apply(cuts.get(i - 1))
                + " AND "
                + column
                + " < "
                + literal.apply(cuts.get(i));
      }
      out.add(new ReadPartition(i, parts, predicate));
    }
    return out;
  }

  static List<ReadPartition> hashBuckets(List<String> key, int n) {
    String row =
        key.stream()
            .map(c -> ident(c) + "::text")
            .collect(Collectors.joining(", ", "ROW(", ")::text"));
    List<ReadPartition> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(
          new ReadPartition(
              i, n, "mod(hashtext(" + row + ")::bigint + 2147483648, " + n + ") = " + i));
    }
    return out;
  }
}
