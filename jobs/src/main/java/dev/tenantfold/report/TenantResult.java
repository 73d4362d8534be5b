package dev.tenantfold.report;

import dev.tenantfold.validate.TableStatus;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One tenant's outcome; its status is the worst of its tables' (or FAILED with a tenant-level
 * message). {@code stageMillis} holds wall time per stage (plan, transfer, keys, validate,
 * publish).
 */
public record TenantResult(
    String tenantId,
    boolean published,
    String message,
    List<TableResult> tables,
    long millis,
    Map<String, Long> stageMillis,
    java.util.Optional<SourceInfo> source) {
  public TenantResult {
    tables = List.copyOf(tables);
    stageMillis = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(stageMillis));
  }

  public TenantResult(
      String tenantId,
      boolean published,
      String message,
      List<TableResult> tables,
      long millis,
      Map<String, Long> stageMillis) {
    this(tenantId, published, message, tables, millis, stageMillis, java.util.Optional.empty());
  }

  public TenantResult(
      String tenantId, boolean published, String message, List<TableResult> tables, long millis) {
    this(tenantId, published, message, tables, millis, Map.of());
  }

  public TenantResult withSource(SourceInfo info) {
    return new TenantResult(
        tenantId, published, message, tables, millis, stageMillis, java.util.Optional.of(info));
  }

  /** The table's result, if the tenant got that far. */
  public java.util.Optional<TableResult> table(String tableName) {
    return tables.stream().filter(t -> t.tableName().equals(tableName)).findFirst();
  }

  public TableStatus status() {
    boolean unknown =
        !tables.isEmpty() && tables.stream().allMatch(t -> t.status() == TableStatus.UNKNOWN);
    TableStatus worst =
        message == null || message.isEmpty()
            ? TableStatus.OK
            : unknown ? TableStatus.UNKNOWN : TableStatus.FAILED;
    for (TableResult t : tables) {
      worst = worst.worst(t.status());
    }
    return worst;
  }

  /** This result with {@code other}'s source, if it has one. */
  public TenantResult withSourceOf(TenantResult other) {
    return other.source().map(this::withSource).orElse(this);
  }

  /** Whether the tenant's publish outcome is unknown (see {@link TableStatus#UNKNOWN}). */
  public boolean outcomeUnknown() {
    return status() == TableStatus.UNKNOWN;
  }

  public static TenantResult failed(
      String tenantId, String message, List<TableResult> tables, long millis) {
    return new TenantResult(tenantId, false, message, tables, millis);
  }
}
