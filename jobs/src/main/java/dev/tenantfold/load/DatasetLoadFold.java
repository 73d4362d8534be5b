package dev.tenantfold.load;

import java.io.Serializable;
import java.util.List;
import org.apache.spark.sql.Row;

/**
 * Something computed from every row a Dataset load sends, in the same task and the same pass over
 * the rows (the source side of a checksum, say), so the rows are not read a second time for it.
 * {@link DatasetCopyLoader#load(org.apache.spark.sql.Dataset, DatasetLoad, DatasetLoadFold)} starts
 * one {@link Partial} per partition and returns each partition's result with its outcome; the
 * caller combines them.
 *
 * <p>Each partition counts once: the fold sees the rows of the attempt that committed, or, for a
 * partition an earlier attempt of the run had committed (found in the ledger), the same partition's
 * rows read again without loading them. The rows are the load's rows as its tasks see them:
 * timestamps as microseconds and dates as days since the epoch ({@link DatasetCopyLoader} says
 * why).
 *
 * @param <T> one partition's result, sent from the task to the driver
 */
public interface DatasetLoadFold<T extends Serializable> extends Serializable {
  /** A fresh fold for one partition's rows. */
  Partial<T> start();

  /** One partition's fold: rows added one at a time, in the task. */
  interface Partial<T> {
    void add(Row row);

    T result();
  }

  /**
   * What a folding load did: the load's outcomes, and the fold of every partition that committed,
   * in partition order (none for a failed partition, whose table fails anyway).
   */
  record Folded<T>(DatasetLoadResult load, List<T> folds) {
    public Folded {
      folds = List.copyOf(folds);
    }
  }
}
