package dev.tenantfold.validate;

/**
 * Row counts taken independently at each hop: {@code count(*)} in the source snapshot, rows the
 * source COPY sent, rows the target COPY accepted, {@code count(*)} of the staged table. Any
 * difference is a mismatch, reported with all four numbers.
 */
public record RowCountCheck(long sourceRows, long extractedRows, long copiedRows, long stagedRows) {

  public TableStatus status() {
    return sourceRows == extractedRows && extractedRows == copiedRows && copiedRows == stagedRows
        ? TableStatus.OK
        : TableStatus.MISMATCH;
  }

  public String message() {
    if (status() == TableStatus.OK) {
      return "";
    }
    return "row counts differ: source snapshot "
        + sourceRows
        + ", extracted "
        + extractedRows
        + ", copied into staging "
        + copiedRows
        + ", staged "
        + stagedRows;
  }
}
