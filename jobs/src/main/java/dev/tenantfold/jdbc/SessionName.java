package dev.tenantfold.jdbc;

/**
 * The {@code application_name} of every session a run opens on the target: {@code tf-<run
 * id>-<role>}. A later run tells a live run from a dead one by looking for its sessions in {@code
 * pg_stat_activity}, besides its advisory lock (which dies with one connection).
 */
public final class SessionName {
  private SessionName() {}

  public static String of(String runId, String role) {
    return "tf-" + runId + "-" + role;
  }

  /** A LIKE pattern matching every session name of the run (run ids hold no LIKE wildcards). */
  public static String likePattern(String runId) {
    return "tf-" + runId.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "-%";
  }
}
