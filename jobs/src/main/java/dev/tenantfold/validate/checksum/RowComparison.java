package dev.tenantfold.validate.checksum;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Drill-down rows of the mismatched buckets compared key by key: a pure function from both sides'
 * {@link DrillDownRow}s to the differing keys. Counts are exact; at most {@code maxListed}
 * differences are listed, smallest encoded keys first, so a badly broken table does not flood the
 * report.
 *
 * @param counts number of differing keys per kind (every kind present, zero when none)
 * @param listed the first {@code maxListed} differences, ordered by key
 */
public record RowComparison(Map<RowDifference.Kind, Long> counts, List<RowDifference> listed) {

  public RowComparison {
    EnumMap<RowDifference.Kind, Long> all = new EnumMap<>(RowDifference.Kind.class);
    for (RowDifference.Kind kind : RowDifference.Kind.values()) {
      all.put(kind, counts.getOrDefault(kind, 0L));
    }
    counts = Collections.unmodifiableMap(all);
    listed = List.copyOf(listed);
  }

  public long count(RowDifference.Kind kind) {
    return counts.get(kind);
  }

  public long totalDifferences() {
    return counts.values().stream().mapToLong(Long::longValue).sum();
  }

  /**
   * Classifies every key seen on either side. For a key: no target rows is MISSING_IN_TARGET, no
   * source rows EXTRA_IN_TARGET, more target than source rows DUPLICATED_IN_TARGET, fewer (but
   * some) MISSING_IN_TARGET, and the same count with a different multiset of row digests CHANGED.
   *
   * @param spec the checksum's columns and key: names the changed columns and renders each listed
   *     key readably ({@link ReadableKey})
   * @param maxListed how many differences to list (counts stay exact)
   */
  public static RowComparison classify(
      ChecksumSpec spec, List<DrillDownRow> source, List<DrillDownRow> target, int maxListed) {
    List<String> columnNames = spec.columnNames();
    if (maxListed < 0) {
      throw new IllegalArgumentException(
          "Cannot compare rows: maxListed must be >= 0, got " + maxListed);
    }
    Map<String, List<DrillDownRow>> sourceByKey = byKey(source);
    Map<String, List<DrillDownRow>> targetByKey = byKey(target);
    Set<String> keys = new java.util.TreeSet<>(sourceByKey.keySet());
    keys.addAll(targetByKey.keySet());
    EnumMap<RowDifference.Kind, Long> counts = new EnumMap<>(RowDifference.Kind.class);
    List<RowDifference> listed = new ArrayList<>();
    for (String key : keys) {
      List<DrillDownRow> s = sourceByKey.getOrDefault(key, List.of());
      List<DrillDownRow> t = targetByKey.getOrDefault(key, List.of());
      RowDifference.Kind kind = kind(s, t);
      if (kind == null) {
        continue;
      }
      counts.merge(kind, 1L, Long::sum);
      if (listed.size() < maxListed) {
        List<String> changed =
            kind == RowDifference.Kind.CHANGED || kind == RowDifference.Kind.DUPLICATED_IN_TARGET
                ? changedColumns(columnNames, s, t)
                : List.of();
        // Matched by the encoded key; listed by the readable one, taken from whichever side has the
        // row.
        DrillDownRow shown = s.isEmpty() ? t.get(0) : s.get(0);
        listed.add(
            new RowDifference(ReadableKey.json(spec, shown), kind, s.size(), t.size(), changed));
      }
    }
    return new RowComparison(counts, listed);
  }

  private static Map<String, List<DrillDownRow>> byKey(List<DrillDownRow> rows) {
    Map<String, List<DrillDownRow>> out = new TreeMap<>();
    for (DrillDownRow row : rows) {
      out.computeIfAbsent(row.key(), k -> new ArrayList<>()).add(row);
    }
    return out;
  }

  private static RowDifference.Kind kind(List<DrillDownRow> s, List<DrillDownRow> t) {
    if (t.isEmpty()) {
      return RowDifference.Kind.MISSING_IN_TARGET;
    }
    if (s.isEmpty()) {
      return RowDifference.Kind.EXTRA_IN_TARGET;
    }
    if (t.size() > s.size()) {
      return RowDifference.Kind.DUPLICATED_IN_TARGET;
    }
    if (t.size() < s.size()) {
      return RowDifference.Kind.MISSING_IN_TARGET;
    }
    return digests(s).equals(digests(t)) ? null : RowDifference.Kind.CHANGED;
  }

  private static List<String> digests(List<DrillDownRow> rows) {
    return rows.stream().map(DrillDownRow::rowDigest).sorted().toList();
  }

  /** Columns whose set of canonical values differs between the key's source and target rows. */
  private static List<String> changedColumns(
      List<String> columnNames, List<DrillDownRow> s, List<DrillDownRow> t) {
    Set<String> changed = new LinkedHashSet<>();
    for (int i = 0; i < columnNames.size(); i++) {
      if (!values(s, i).equals(values(t, i))) {
        changed.add(columnNames.get(i));
      }
    }
    return List.copyOf(changed);
  }

  private static Set<String> values(List<DrillDownRow> rows, int column) {
    Set<String> out = new java.util.HashSet<>();
    for (DrillDownRow row : rows) {
      out.add(row.values().size() > column ? row.values().get(column) : null);
    }
    return out;
  }
}
