package dev.tenantfold.report;

import dev.tenantfold.validate.ChecksumCheck;
import dev.tenantfold.validate.TableStatus;

/**
 * One tenant table in one run: the counts at every hop, the checksum verdict (null when the table
 * never got that far), the overall verdict and whether it is published.
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
    ChecksumCheck checksum) {

  public TableResult withPublished(boolean value, String newMessage) {
    return new TableResult(tenantId, tableName, sourceRows, extractedRows, duplicatesRemoved, rejectedRows, loadedRows, partitions, status, value,
        newMessage, checksum);
  }

  public static TableResult failed(String tenantId, String tableName, String message) {
    return new TableResult(tenantId, tableName, 0, 0, 0, 0, 0, 0, TableStatus.FAILED, false, message, null);
  }
}
