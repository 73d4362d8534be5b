package dev.tenantfold.report;

import dev.tenantfold.validate.ChecksumCheck;
import dev.tenantfold.validate.TableStatus;
import dev.tenantfold.validate.TableVerdict;
import java.util.OptionalLong;

/**
 * One tenant table in one command: its row counts, its verdict ({@link
 * dev.tenantfold.validate.TableVerifier}'s) with the checksum comparison it drew on (null when the
 * table never got that far), and what became of its publication. The status and message a report
 * shows are the verdict's unless the publication overrules them (a guard refused the table, its
 * tenant held it back, the publish's outcome is unknown).
 */
public record TableResult(
    String tenantId,
    String tableName,
    TableCounts counts,
    TableVerdict verdict,
    ChecksumCheck checksum,
    TablePublication publication) {

  /** A table a {@code run} staged and validated; not published yet. */
  public static TableResult checked(
      String tenantId,
      String tableName,
      TableCounts.Loaded counts,
      TableVerdict verdict,
      ChecksumCheck checksum) {
    return new TableResult(tenantId, tableName, counts, verdict, checksum, TablePublication.NONE);
  }

  /**
   * A published table {@code validate} audited: the source's rows against the published ones
   * (nothing extracted or loaded).
   */
  public static TableResult audited(
      String tenantId,
      String tableName,
      long sourceRows,
      long publishedRows,
      TableVerdict verdict,
      ChecksumCheck checksum) {
    return new TableResult(
        tenantId,
        tableName,
        new TableCounts.Audited(sourceRows, publishedRows),
        verdict,
        checksum,
        TablePublication.NONE);
  }

  /** A table that failed before it had a verdict of its checks: {@code message} says why. */
  public static TableResult failed(String tenantId, String tableName, String message) {
    return new TableResult(
        tenantId,
        tableName,
        new TableCounts.Uncounted(),
        TableVerdict.of(TableStatus.FAILED, message),
        null,
        TablePublication.NONE);
  }

  /**
   * A table as the report tables recorded it: its verdict is what they say, a table whose publish
   * outcome was unknown is so again.
   */
  public static TableResult recorded(
      String tenantId,
      String tableName,
      TableCounts counts,
      TableStatus status,
      String message,
      ChecksumCheck checksum,
      boolean published,
      OptionalLong previousRows) {
    TableResult recorded =
        new TableResult(
            tenantId,
            tableName,
            counts,
            status == TableStatus.UNKNOWN
                ? TableVerdict.of(TableStatus.OK, "")
                : TableVerdict.of(status, message),
            checksum,
            TablePublication.NONE.withPreviousRows(previousRows));
    if (status == TableStatus.UNKNOWN) {
      return recorded.outcomeUnknown(message);
    }
    return published ? recorded.asPublished() : recorded;
  }

  public TableStatus status() {
    return publication.status(verdict.status());
  }

  public String message() {
    return publication.message(verdict.message());
  }

  public boolean published() {
    return publication.published();
  }

  /** The same table with a note after its verdict's findings. */
  public TableResult withNote(String note) {
    return new TableResult(
        tenantId, tableName, counts, verdict.withNote(note), checksum, publication);
  }

  /** The same table with how many rows the tenant had published in it before (empty when never). */
  public TableResult withPreviousRows(OptionalLong rows) {
    return withPublication(publication.withPreviousRows(rows));
  }

  /** The same table, published by this run. */
  public TableResult asPublished() {
    return withPublication(publication.with(TablePublication.Outcome.PUBLISHED, ""));
  }

  /**
   * The same table, not published with its tenant although its verdict allowed it: {@code reason}
   * says why.
   */
  public TableResult heldBack(String reason) {
    return withPublication(publication.with(TablePublication.Outcome.HELD_BACK, reason));
  }

  /** The same table, failed with {@code reason}: a guard refused to publish it. */
  public TableResult refused(String reason) {
    return withPublication(publication.with(TablePublication.Outcome.REFUSED, reason));
  }

  /**
   * The same table with its publish outcome unknown: the target could not say whether the publish
   * committed ({@link TableStatus#UNKNOWN}); {@code reason} says what to do.
   */
  public TableResult outcomeUnknown(String reason) {
    return withPublication(publication.with(TablePublication.Outcome.OUTCOME_UNKNOWN, reason));
  }

  private TableResult withPublication(TablePublication p) {
    return new TableResult(tenantId, tableName, counts, verdict, checksum, p);
  }
}
