package dev.tenantfold.validate.checksum;

import dev.tenantfold.config.ValidateConfig;
import dev.tenantfold.extract.ColumnSpec;
import java.io.Serializable;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What a table checksum covers: the digested columns, the key that assigns rows to buckets, and the
 * bucket count. Columns are digested in name order (sorted by {@link String#compareTo}), whatever
 * order they come in, so a source and a target with different column positions still compare. The
 * tenant column must not be among them: the target's tenant filter goes into the SQL predicate.
 *
 * @param columns the digested columns, sorted by name
 * @param keyColumns the primary-key columns in key order; empty for a table without a key, whose
 *     rows are then bucketed and identified by their own digest
 * @param buckets how many buckets rows are spread over, 1 to {@link #MAX_BUCKETS}
 */
public record ChecksumSpec(List<ColumnSpec> columns, List<String> keyColumns, int buckets)
    implements Serializable {
  public static final int DEFAULT_BUCKETS = 1024;
  public static final int MAX_BUCKETS = ValidateConfig.MAX_BUCKETS;

  public ChecksumSpec {
    columns = columns.stream().sorted(Comparator.comparing(ColumnSpec::name)).toList();
    keyColumns = List.copyOf(keyColumns);
    if (columns.isEmpty()) {
      throw new IllegalArgumentException("Cannot build a checksum spec: no columns to digest");
    }
    Set<String> names = new HashSet<>();
    for (ColumnSpec column : columns) {
      if (!names.add(column.name())) {
        throw new IllegalArgumentException(
            "Cannot build a checksum spec: column " + column.name() + " is listed twice");
      }
    }
    for (String key : keyColumns) {
      if (!names.contains(key)) {
        throw new IllegalArgumentException(
            "Cannot build a checksum spec: key column "
                + key
                + " is not among the digested columns "
                + names.stream().sorted().toList());
      }
    }
    if (buckets < 1 || buckets > MAX_BUCKETS) {
      throw new IllegalArgumentException(
          "Cannot build a checksum spec: buckets must be between 1 and "
              + MAX_BUCKETS
              + ", got "
              + buckets);
    }
  }

  /** A spec with {@link #DEFAULT_BUCKETS} buckets. */
  public static ChecksumSpec of(List<ColumnSpec> columns, List<String> keyColumns) {
    return new ChecksumSpec(columns, keyColumns, DEFAULT_BUCKETS);
  }

  /** The digested column names in digest order: the order of drill-down column values. */
  public List<String> columnNames() {
    return columns.stream().map(ColumnSpec::name).toList();
  }

  public boolean keyed() {
    return !keyColumns.isEmpty();
  }

  /** Positions of the key columns within {@link #columns()}, in key order. */
  int[] keyPositions() {
    List<String> names = columnNames();
    return keyColumns.stream().mapToInt(names::indexOf).toArray();
  }
}
