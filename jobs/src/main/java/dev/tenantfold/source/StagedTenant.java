package dev.tenantfold.source;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every planned table of a tenant after staging, in plan order, with the wall time of each step
 * (ms).
 */
public record StagedTenant(List<StagedTable> tables, Map<String, Long> stageMillis) {
  public StagedTenant {
    tables = List.copyOf(tables);
    stageMillis = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(stageMillis));
  }

  public Optional<StagedTable> table(String name) {
    return tables.stream().filter(t -> t.table().equals(name)).findFirst();
  }
}
