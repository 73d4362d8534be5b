package dev.tenantfold.source;

import dev.tenantfold.load.DatasetLoadFold;
import dev.tenantfold.validate.checksum.ChecksumSpec;
import dev.tenantfold.validate.checksum.SparkChecksum;
import dev.tenantfold.validate.checksum.TableChecksum;
import java.util.List;
import java.util.Optional;
import org.apache.spark.sql.Row;

/**
 * The source side of a table's checksum, computed by the load in the pass that sends the rows to
 * staging ({@link DatasetLoadFold}): each task hashes the restored rows it encodes for COPY with
 * {@link SparkChecksum#fold}, the same digest as {@link SparkChecksum#checksum}, so an export's
 * Parquet is read and restored once instead of twice. Still independent of the target: the sums
 * come from the rows before they are encoded, the target side from SQL over staging.
 *
 * @param positions where each of the spec's columns is among the load's columns
 */
public record ChecksumFold(ChecksumSpec spec, int[] positions)
    implements DatasetLoadFold<TableChecksum> {

  /**
   * The fold over a load whose columns are {@code loadColumns} (a staging load's tenant column
   * first, which is never digested and never a source column's name; a landing table's own
   * columns); empty when the load does not carry every digested column (a generated column the
   * target computes), whose checksum must then read the rows apart.
   */
  public static Optional<ChecksumFold> over(ChecksumSpec spec, List<String> loadColumns) {
    int[] positions = new int[spec.columns().size()];
    for (int i = 0; i < positions.length; i++) {
      int at = loadColumns.indexOf(spec.columns().get(i).name());
      if (at < 0) {
        return Optional.empty();
      }
      positions[i] = at;
    }
    return Optional.of(new ChecksumFold(spec, positions));
  }

  /** The table's checksum: the sum of its partitions' folds. */
  public static TableChecksum total(ChecksumSpec spec, List<TableChecksum> folds) {
    return folds.stream().reduce(TableChecksum.empty(spec.buckets()), TableChecksum::plus);
  }

  @Override
  public Partial<TableChecksum> start() {
    SparkChecksum.BucketFold fold = SparkChecksum.fold(spec, positions);
    return new Partial<>() {
      @Override
      public void add(Row row) {
        fold.add(row);
      }

      @Override
      public TableChecksum result() {
        return fold.result();
      }
    };
  }
}
