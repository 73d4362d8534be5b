package dev.tenantfold.report;

import dev.tenantfold.validate.TableStatus;
import java.util.List;

/** One tenant's outcome; its status is the worst of its tables' (or FAILED with a tenant-level message). */
public record TenantResult(String tenantId, boolean published, String message, List<TableResult> tables, long millis) {
  public TenantResult {
    tables = List.copyOf(tables);
  }

  public TableStatus status() {
    TableStatus worst = message == null || message.isEmpty() ? TableStatus.OK : TableStatus.FAILED;
    for (TableResult t : tables) {
      worst = worst.worst(t.status());
    }
    return worst;
  }

  public static TenantResult failed(String tenantId, String message, List<TableResult> tables, long millis) {
    return new TenantResult(tenantId, false, message, tables, millis);
  }
}
