package dev.tenantfold.report;

import dev.tenantfold.validate.TableStatus;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A whole run. Totals and the exit code are derived from the tenant entries, never kept on the
 * side.
 */
public record RunResult(
    String runId,
    String command,
    Instant startedAt,
    Instant finishedAt,
    List<TenantResult> tenants,
    String reportPath,
    List<String> notes,
    Map<String, List<String>> noteItems) {
  public RunResult {
    tenants = List.copyOf(tenants);
    notes = List.copyOf(notes);
    noteItems = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(noteItems));
  }

  /** A run whose notes are single lines. */
  public RunResult(
      String runId,
      String command,
      Instant startedAt,
      Instant finishedAt,
      List<TenantResult> tenants,
      String reportPath,
      List<String> notes) {
    this(runId, command, startedAt, finishedAt, tenants, reportPath, notes, Map.of());
  }

  /** The full list under {@code note}, if it has one ({@link RunNotes}). */
  public List<String> noteItems(String note) {
    return noteItems.getOrDefault(note, List.of());
  }

  public RunResult(
      String runId,
      String command,
      Instant startedAt,
      Instant finishedAt,
      List<TenantResult> tenants,
      String reportPath) {
    this(runId, command, startedAt, finishedAt, tenants, reportPath, List.of());
  }

  /** report.html, written beside report.json; null when no report was written. */
  public String htmlReportPath() {
    return reportPath == null ? null : reportPath.replaceFirst("report\\.json$", "report.html");
  }

  /** The tenant's result in this run, if it ran. */
  public java.util.Optional<TenantResult> tenant(String tenantId) {
    return tenants.stream().filter(t -> t.tenantId().equals(tenantId)).findFirst();
  }

  public TableStatus status() {
    return tenants.stream().map(TenantResult::status).reduce(TableStatus.OK, TableStatus::worst);
  }

  public boolean allPublished() {
    return tenants.stream().allMatch(TenantResult::published);
  }

  /** An audit ({@code validate}) publishes nothing: it succeeds when everything matches. */
  private boolean audit() {
    return "validate".equals(command);
  }

  public long publishedRows() {
    return tenants.stream()
        .filter(TenantResult::published)
        .flatMap(t -> t.tables().stream())
        .mapToLong(r -> r.counts().loadedRows())
        .sum();
  }

  /**
   * 0 all published; 3 every tenant ran but some did not validate; 1 an error stopped some tenant.
   */
  public int exitCode() {
    return switch (status()) {
      case OK -> audit() || allPublished() ? ExitCode.OK : ExitCode.ERROR;
      case MISMATCH -> ExitCode.VALIDATION_FAILED;
      case UNKNOWN, FAILED -> ExitCode.ERROR;
    };
  }

  public String statusLabel() {
    return switch (status()) {
      case OK -> audit() || allPublished() ? "succeeded" : "failed";
      case MISMATCH -> "validation_failed";
      case UNKNOWN -> "outcome_unknown";
      case FAILED -> "failed";
    };
  }
}
