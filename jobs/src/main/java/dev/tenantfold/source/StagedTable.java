package dev.tenantfold.source;

import dev.tenantfold.conform.RowAccounting;
import dev.tenantfold.validate.ChecksumSide;
import dev.tenantfold.validate.checksum.TableChecksum;
import java.util.Optional;

/**
 * What reaching staging produced for one table: rows the source sent and the target accepted, in
 * how many partitions, the source's side of the checksum (its sums, and how to drill into them), or
 * why the table failed.
 */
public record StagedTable(
    String table,
    long extractedRows,
    long loadedRows,
    int partitions,
    Optional<String> failure,
    TableChecksum sourceChecksum,
    ChecksumSide sourceSide,
    Optional<RowAccounting> accounting) {

  public StagedTable(
      String table,
      long extractedRows,
      long loadedRows,
      int partitions,
      Optional<String> failure,
      TableChecksum sourceChecksum,
      ChecksumSide sourceSide) {
    this(
        table,
        extractedRows,
        loadedRows,
        partitions,
        failure,
        sourceChecksum,
        sourceSide,
        Optional.empty());
  }

  /** The same table with where its source rows went (a table whose rules drop or reject rows). */
  public StagedTable withAccounting(RowAccounting rows) {
    return new StagedTable(
        table,
        extractedRows,
        loadedRows,
        partitions,
        failure,
        sourceChecksum,
        sourceSide,
        Optional.of(rows));
  }

  public static StagedTable loaded(
      String table,
      long extractedRows,
      long loadedRows,
      int partitions,
      TableChecksum sourceChecksum,
      ChecksumSide sourceSide) {
    return new StagedTable(
        table, extractedRows, loadedRows, partitions, Optional.empty(), sourceChecksum, sourceSide);
  }

  public static StagedTable failed(String table, String error) {
    return new StagedTable(table, 0, 0, 0, Optional.of(error), null, null);
  }

  public boolean present() {
    return sourceSide != null;
  }
}
