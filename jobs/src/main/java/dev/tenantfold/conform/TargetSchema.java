package dev.tenantfold.conform;

import dev.tenantfold.extract.EnumSpec;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.Collection;

/**
 * The one schema every tenant conforms to, plus the tenants that could not conform (a tenant
 * whose table disagrees on a column's type fails alone, with the reason, instead of failing all).
 */
public record TargetSchema(SortedMap<String, TargetTable> tables, Map<String, EnumSpec> enums, Map<String, String> rejectedTenants) {
  public TargetSchema {
    tables = new TreeMap<>(tables);
    enums = Map.copyOf(enums);
    rejectedTenants = Map.copyOf(rejectedTenants);
  }

  public Optional<TargetTable> table(String name) {
    return Optional.ofNullable(tables.get(name));
  }

  /** This schema without {@code tableNames} (tables the target could not create). */
  public TargetSchema without(Collection<String> tableNames) {
    SortedMap<String, TargetTable> kept = new TreeMap<>(tables);
    tableNames.forEach(kept::remove);
    return new TargetSchema(kept, enums, rejectedTenants);
  }
}
