package dev.tenantfold.catchup;

import java.util.Map;
import java.util.Optional;

/**
 * One tenant's catch-up: the positions it went from and to, what it applied, how long it took, and
 * the error that stopped it (empty when it caught up).
 */
public record CatchUpResult(
    String tenantId,
    String fromLsn,
    String toLsn,
    long transactions,
    Map<String, Long> changes,
    long millis,
    Optional<String> error) {
  public CatchUpResult {
    changes = Map.copyOf(changes);
  }

  static CatchUpResult failed(String tenantId, String message, long millis) {
    return new CatchUpResult(tenantId, "", "", 0, Map.of(), millis, Optional.of(message));
  }

  /** {@code fromLsn} of a cursor tenant's catch-up (it has watermarks, not positions). */
  static final String CURSOR_FROM = "cursor";

  /** Whether this is a cursor tenant's catch-up ({@code catch-up.mode = cursor}). */
  public boolean cursor() {
    return CURSOR_FROM.equals(fromLsn);
  }

  /** Marks a pass that left the tenant to another command (a follower yields, not fails). */
  static final String YIELDED = "(yielded) ";

  /** Marks a pass that found the tenant cut over meanwhile (a follower stops following it). */
  static final String CUT_OVER = "(cut over) ";

  static CatchUpResult yielded(String tenantId, String message, long millis) {
    return failed(tenantId, YIELDED + message, millis);
  }

  static CatchUpResult cutOverMeanwhile(String tenantId, String message, long millis) {
    return failed(tenantId, CUT_OVER + message, millis);
  }

  public boolean caughtUp() {
    return error.isEmpty();
  }

  /**
   * Another {@code catch-up} or {@code cutover} holds the tenant, or took it over from this pass: a
   * follower tries again on its next pass.
   */
  public boolean yielded() {
    return error.isPresent() && error.get().startsWith(YIELDED);
  }

  /** The tenant was cut over (by another command): there is nothing more to follow. */
  public boolean cutOver() {
    return error.isPresent() && error.get().startsWith(CUT_OVER);
  }

  /** Rows inserted, updated or deleted and tables truncated. */
  public long totalChanges() {
    return changes.values().stream().mapToLong(Long::longValue).sum();
  }

  /** Changes applied per second of the catch-up. */
  public double changesPerSecond() {
    return millis == 0 ? 0 : totalChanges() * 1000.0 / millis;
  }

  /** One line for the terminal. */
  public String describe() {
    if (yielded()) {
      return "tenant " + tenantId + ": " + error.get().substring(YIELDED.length());
    }
    if (cutOver()) {
      return "tenant " + tenantId + ": " + error.get().substring(CUT_OVER.length());
    }
    if (error.isPresent()) {
      return "tenant " + tenantId + ": FAILED: " + error.get();
    }
    if (cursor()) {
      return String.format(
          "tenant %s: caught up by cursor: %s in %.1f s (%.0f changes/s); %s",
          tenantId,
          totalChanges() == 0 ? "no changes" : ChangeApplier.describe(changes),
          millis / 1000.0,
          changesPerSecond(),
          toLsn);
    }
    return String.format(
        "tenant %s: caught up from %s to %s: %d transactions, %s in %.1f s (%.0f changes/s)",
        tenantId,
        fromLsn,
        toLsn,
        transactions,
        totalChanges() == 0 ? "no changes" : ChangeApplier.describe(changes),
        millis / 1000.0,
        changesPerSecond());
  }
}
