package dev.tenantfold.report;

import dev.tenantfold.conform.RowAccounting;
import dev.tenantfold.validate.RowCountCheck;

/**
 * One tenant table's row counts, as the command that checked it took them. A {@code run} counts
 * every hop into staging ({@link Loaded}); {@code validate} counts the source's rows and the
 * published ones and loads nothing ({@link Audited}); a table that failed before it was counted has
 * none ({@link Uncounted}). Counts a command does not take are 0, as the report records them.
 */
public sealed interface TableCounts {
  /** Rows in the tenant's source table (in the snapshot). */
  long sourceRows();

  /**
   * The rows on the target side of the comparison: staged by a {@code run}, published for {@code
   * validate}. The report records them as {@code loaded_rows} (docs/report-schema.md).
   */
  long targetRows();

  /** Rows read from the source into staging; 0 for {@code validate}, which extracts nothing. */
  default long extractedRows() {
    return 0;
  }

  /** Rows a dedup rule removed before loading. */
  default long duplicatesRemoved() {
    return 0;
  }

  /** Rows a cast rule rejected before loading. */
  default long rejectedRows() {
    return 0;
  }

  /** Rows loaded into staging; 0 for {@code validate}, which loads nothing. */
  default long loadedRows() {
    return 0;
  }

  /** Parallel read partitions of the transfer. */
  default int partitions() {
    return 0;
  }

  /**
   * A table a {@code run} staged: the rows at every hop, where the source rows went under rules,
   * and how many partitions read them.
   */
  record Loaded(
      long sourceRows,
      long extractedRows,
      long duplicatesRemoved,
      long rejectedRows,
      long loadedRows,
      int partitions)
      implements TableCounts {

    /** The counts at every hop of a run: the staged table's {@code count(*)} is what it loaded. */
    public static Loaded of(RowCountCheck hops, int partitions) {
      return new Loaded(
          hops.sourceRows(), hops.extractedRows(), 0, 0, hops.stagedRows(), partitions);
    }

    /** The same counts with where the source rows went (rules that remove or reject rows). */
    public Loaded withAccounting(RowAccounting rows) {
      return new Loaded(
          rows.sourceRows(),
          extractedRows,
          rows.duplicatesRemoved(),
          rows.rejectedRows(),
          loadedRows,
          partitions);
    }

    @Override
    public long targetRows() {
      return loadedRows;
    }
  }

  /**
   * A published table {@code validate} audited: the source's rows against the rows published for
   * the tenant. Nothing was extracted or loaded.
   */
  record Audited(long sourceRows, long publishedRows) implements TableCounts {
    @Override
    public long targetRows() {
      return publishedRows;
    }
  }

  /** A table that failed before it was counted. */
  record Uncounted() implements TableCounts {
    @Override
    public long sourceRows() {
      return 0;
    }

    @Override
    public long targetRows() {
      return 0;
    }
  }
}
