package dev.tenantfold.report;

import dev.tenantfold.validate.TableStatus;
import java.util.OptionalLong;

/**
 * What became of one tenant table's publication: whether this command published it, why not when
 * that is not its verdict's doing, and how many rows the tenant had published in it before (empty
 * when never).
 */
public record TablePublication(Outcome outcome, String reason, OptionalLong previousRows) {

  /** Not published (yet), nothing published before: where every table starts. */
  public static final TablePublication NONE =
      new TablePublication(Outcome.NOT_PUBLISHED, "", OptionalLong.empty());

  public enum Outcome {
    /**
     * Not published: the command publishes nothing ({@code validate}), the table's verdict kept it
     * back, or its tenant has not published yet.
     */
    NOT_PUBLISHED,
    /** Published by this run. */
    PUBLISHED,
    /**
     * Its verdict allowed it, but it was not published with its tenant (another table failed, the
     * publish was rolled back): the reason says which.
     */
    HELD_BACK,
    /**
     * A guard refused to publish it (it would empty a published table, a shared table's gate
     * refused, its rejects could not be recorded): the table failed, the reason says why.
     */
    REFUSED,
    /**
     * The target could not say whether the publish committed ({@link TableStatus#UNKNOWN}): the
     * reason says what to do.
     */
    OUTCOME_UNKNOWN
  }

  public boolean published() {
    return outcome == Outcome.PUBLISHED;
  }

  /** The table's status: its verdict's, unless the publication overrules it. */
  public TableStatus status(TableStatus verdict) {
    return switch (outcome) {
      case REFUSED -> TableStatus.FAILED;
      case OUTCOME_UNKNOWN -> TableStatus.UNKNOWN;
      case NOT_PUBLISHED, PUBLISHED, HELD_BACK -> verdict;
    };
  }

  /** The table's message: its verdict's, unless the publication says why it was not published. */
  public String message(String verdict) {
    return switch (outcome) {
      case NOT_PUBLISHED, PUBLISHED -> verdict;
      case HELD_BACK, REFUSED, OUTCOME_UNKNOWN -> reason;
    };
  }

  public TablePublication with(Outcome newOutcome, String newReason) {
    return new TablePublication(newOutcome, newReason, previousRows);
  }

  public TablePublication withPreviousRows(OptionalLong rows) {
    return new TablePublication(outcome, reason, rows);
  }
}
