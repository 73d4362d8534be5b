package dev.tenantfold.report;

import dev.tenantfold.conform.RowAccounting;
import dev.tenantfold.validate.ChecksumCheck;
import dev.tenantfold.validate.RowCountCheck;
import dev.tenantfold.validate.TableStatus;
import java.util.OptionalLong;

/**
 * One tenant table in one run: the counts at every hop, the checksum verdict (null when the table
 * never got that far), the overall verdict, whether it is published, and how many rows the tenant
 * had published in this table before (empty when never).
 */
public record TableResult(
    String tenantId,
    String tableName,
    long sourceRows,
    long extractedRows,
    long duplicatesRemoved,
    long rejectedRows,
    long loadedRows,
    int partitions,
    TableStatus status,
    boolean published,
    String message,
    ChecksumCheck checksum,
    OptionalLong previousRows) {

  public TableResult(
      String tenantId,
      String tableName,
      long sourceRows,
      long extractedRows,
      long duplicatesRemoved,
      long rejectedRows,
      long loadedRows,
      int partitions,
      TableStatus status,
      boolean published,
      String message,
      ChecksumCheck checksum) {
    this(
        tenantId,
        tableName,
        sourceRows,
        extractedRows,
        duplicatesRemoved,
        rejectedRows,
        loadedRows,
        partitions,
        status,
        published,
        message,
        checksum,
        OptionalLong.empty());
  }

  /**
   * A table {@code validate} audited: the source's rows against the published ones (nothing
   * extracted or loaded).
   */
  public static TableResult audited(
      String tenantId,
      String tableName,
      long sourceRows,
      long publishedRows,
      TableStatus status,
      String message,
      ChecksumCheck checksum) {
    return new TableResult(
        tenantId,
        tableName,
        sourceRows,
        0,
        0,
        0,
        publishedRows,
        0,
        status,
        false,
        message,
        checksum);
  }

  /** A table that reached validation: its counts at every hop and the checksum verdict. */
  public static TableResult checked(
      String tenantId,
      String tableName,
      RowCountCheck counts,
      int partitions,
      TableStatus status,
      String message,
      ChecksumCheck checksum) {
    return new TableResult(
        tenantId,
        tableName,
        counts.sourceRows(),
        counts.extractedRows(),
        0,
        0,
        counts.stagedRows(),
        partitions,
        status,
        false,
        message,
        checksum);
  }

  /**
   * The same verdict with where the source rows went (rules that remove duplicates or reject rows).
   */
  public TableResult withAccounting(RowAccounting rows) {
    return new TableResult(
        tenantId,
        tableName,
        rows.sourceRows(),
        extractedRows,
        rows.duplicatesRemoved(),
        rows.rejectedRows(),
        loadedRows,
        partitions,
        status,
        published,
        message,
        checksum,
        previousRows);
  }

  /** The same verdict with another message. */
  public TableResult withMessage(String newMessage) {
    return new TableResult(
        tenantId,
        tableName,
        sourceRows,
        extractedRows,
        duplicatesRemoved,
        rejectedRows,
        loadedRows,
        partitions,
        status,
        published,
        newMessage,
        checksum,
        previousRows);
  }

  public TableResult withPublished(boolean value, String newMessage) {
    return new TableResult(
        tenantId,
        tableName,
        sourceRows,
        extractedRows,
        duplicatesRemoved,
        rejectedRows,
        loadedRows,
        partitions,
        status,
        value,
        newMessage,
        checksum,
        previousRows);
  }

  /** The same verdict, failed with {@code reason} (a guard refused to publish it). */
  public TableResult refused(String reason) {
    return new TableResult(
        tenantId,
        tableName,
        sourceRows,
        extractedRows,
        duplicatesRemoved,
        rejectedRows,
        loadedRows,
        partitions,
        TableStatus.FAILED,
        false,
        reason,
        checksum,
        previousRows);
  }

  /**
   * The same verdict with its publish outcome unknown: the target could not say whether the publish
   * committed ({@link TableStatus#UNKNOWN}); {@code reason} says what to do.
   */
  public TableResult outcomeUnknown(String reason) {
    return new TableResult(
        tenantId,
        tableName,
        sourceRows,
        extractedRows,
        duplicatesRemoved,
        rejectedRows,
        loadedRows,
        partitions,
        TableStatus.UNKNOWN,
        false,
        reason,
        checksum,
        previousRows);
  }

  public TableResult withPreviousRows(OptionalLong rows) {
    return new TableResult(
        tenantId,
        tableName,
        sourceRows,
        extractedRows,
        duplicatesRemoved,
        rejectedRows,
        loadedRows,
        partitions,
        status,
        published,
        message,
        checksum,
        rows);
  }

  public static TableResult failed(String tenantId, String tableName, String message) {
    return new TableResult(
        tenantId, tableName, 0, 0, 0, 0, 0, 0, TableStatus.FAILED, false, message, null);
  }
}
