package dev.tenantfold.job;

import java.util.Optional;
import java.util.Set;

/**
 * What the command line adds to a {@code run} beyond its configuration: tenants allowed to shrink
 * ({@code --allow-shrink}), and a run to resume ({@code --resume RUN_ID}, or the latest run with
 * {@code --only-failed}): only the tenants that did not publish there run again.
 */
public record RunOptions(
    Set<String> allowShrink, Optional<String> resumeRunId, boolean resumeLatest) {
  public RunOptions {
    allowShrink = Set.copyOf(allowShrink);
  }

  public static RunOptions defaults() {
    return new RunOptions(Set.of(), Optional.empty(), false);
  }

  public boolean resuming() {
    return resumeRunId.isPresent() || resumeLatest;
  }
}
