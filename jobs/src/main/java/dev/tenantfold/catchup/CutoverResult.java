package dev.tenantfold.catchup;

import java.util.List;
import java.util.Optional;

/**
 * One tenant's cutover: the verdict, the drain that preceded it, what differed (when it did), the
 * sequences moved, and the freeze window (from the command's start to the verdict).
 */
public record CutoverResult(
    String tenantId,
    Verdict verdict,
    Optional<CatchUpResult> drain,
    long keysChecked,
    List<String> differences,
    List<String> sequences,
    long freezeMillis,
    Optional<String> error,
    List<String> notes) {
  public CutoverResult {
    differences = List.copyOf(differences);
    sequences = List.copyOf(sequences);
    notes = List.copyOf(notes);
  }

  /** This result with {@code more} lines to print after the verdict (the freeze, counts). */
  public CutoverResult withNotes(List<String> more) {
    List<String> all = new java.util.ArrayList<>(notes);
    all.addAll(more);
    return new CutoverResult(
        tenantId, verdict, drain, keysChecked, differences, sequences, freezeMillis, error, all);
  }

  /** How a cutover ended. */
  public enum Verdict {
    CUT_OVER,
    MISMATCH,
    FAILED
  }

  static CutoverResult failed(
      String tenantId, Optional<CatchUpResult> drain, String message, long millis) {
    return new CutoverResult(
        tenantId,
        Verdict.FAILED,
        drain,
        0,
        List.of(),
        List.of(),
        millis,
        Optional.of(message),
        List.of());
  }

  /** Lines for the terminal. */
  public String describe() {
    StringBuilder text = new StringBuilder();
    drain.ifPresent(d -> text.append(d.describe()).append('\n'));
    switch (verdict) {
      case CUT_OVER ->
          text.append(
              String.format(
                  "tenant %s: CUT OVER: the %d keys changed since the base copy match the"
                      + " source; %d sequences moved past the source's; %s",
                  tenantId,
                  keysChecked,
                  sequences.size(),
                  drain.isPresent() && drain.get().cursor()
                      ? "no slot to drop (cursor mode)"
                      : "slot and publication dropped"));
      case MISMATCH -> {
        text.append(
            String.format(
                "tenant %s: MISMATCH: the target differs from the source (%s; stop the"
                    + " application's writes, then run cutover again):",
                tenantId,
                drain.isPresent() && drain.get().cursor() ? "nothing recorded" : "slot kept"));
        differences.forEach(d -> text.append("\n  ").append(d));
      }
      case FAILED -> text.append("tenant " + tenantId + ": FAILED: " + error.orElse(""));
    }
    notes.forEach(n -> text.append('\n').append(n));
    text.append(String.format("%nFreeze window: %.1f s", freezeMillis / 1000.0));
    return text.toString();
  }
}
