package dev.tenantfold.extract;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/** What one tenant's database holds: the selected tables and the enum types they use. */
public record TenantCatalog(
    String tenantId, int serverVersionNum, List<TableSpec> tables, Map<String, EnumSpec> enums) {
  public TenantCatalog {
    tables = List.copyOf(tables);
    enums = Map.copyOf(enums);
  }

  /** The table of this key ({@link TableSpec#key}: {@code orders}, {@code sales.orders}). */
  public Optional<TableSpec> table(String key) {
    return tables.stream().filter(t -> t.key().equals(key)).findFirst();
  }
}
