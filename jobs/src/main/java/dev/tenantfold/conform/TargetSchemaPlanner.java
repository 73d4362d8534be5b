package dev.tenantfold.conform;

import dev.tenantfold.extract.ColumnSpec;
import dev.tenantfold.extract.EnumSpec;
import dev.tenantfold.extract.TableSpec;
import dev.tenantfold.extract.TenantCatalog;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Merges the tables that exist in the target already and every tenant's catalog into one target
 * schema. Pure: catalogs in, schema out. Columns are the union, in first-seen order (existing
 * target columns first); a column a tenant lacks loads as NULL. A tenant whose column type or
 * primary key disagrees with what is already planned is rejected with the reason.
 *
 * <p>Type reconciliation (widening, casts) belongs to the schema-drift work; here types must match.
 */
public final class TargetSchemaPlanner {
  private TargetSchemaPlanner() {}

  public static TargetSchema plan(TenantCatalog existingTarget, List<TenantCatalog> tenants, String tenantColumn) {
    Map<String, Draft> drafts = new LinkedHashMap<>();
    Map<String, EnumSpec> enums = new TreeMap<>();
    Map<String, String> rejected = new LinkedHashMap<>();
    if (existingTarget != null) {
      for (TableSpec table : existingTarget.tables()) {
        List<ColumnSpec> cols = table.columns().stream().filter(c -> !c.name().equals(tenantColumn)).toList();
        List<String> pk = table.primaryKey().stream().filter(c -> !c.equals(tenantColumn)).toList();
        drafts.put(table.name(), new Draft(table.name(), cols, pk, "the existing target table"));
      }
      mergeEnums(enums, existingTarget.enums());
    }
    for (TenantCatalog tenant : tenants) {
      Optional<String> conflict = conflict(drafts, tenant, tenantColumn);
      if (conflict.isPresent()) {
        rejected.put(tenant.tenantId(), conflict.get());
        continue;
      }
      for (TableSpec table : tenant.tables()) {
        Draft draft = drafts.get(table.name());
        if (draft == null) {
          draft = new Draft(table.name(), table.columns(), table.primaryKey(), "tenant " + tenant.tenantId());
          drafts.put(table.name(), draft);
        } else {
          draft.absorb(table.columns());
        }
        draft.fromTenant = true;
      }
      mergeEnums(enums, tenant.enums());
    }
    Map<String, TargetTable> tables = new TreeMap<>();
    // Only tables some tenant has are managed; other tables in the target schema are left alone.
    drafts.values().stream().filter(d -> d.fromTenant).forEach(d -> tables.put(d.name, d.build()));
    return new TargetSchema(new TreeMap<>(tables), enums, rejected);
  }

  private static Optional<String> conflict(Map<String, Draft> drafts, TenantCatalog tenant, String tenantColumn) {
    for (TableSpec table : tenant.tables()) {
      if (table.column(tenantColumn).isPresent()) {
        return Optional.of("table " + table.qualifiedName() + " already has a column named " + tenantColumn
            + ", the tenant column; set tenantfold.tenant-column to another name");
      }
      Draft draft = drafts.get(table.name());
      if (draft == null) {
        continue;
      }
      if (!draft.primaryKey.equals(table.primaryKey())) {
        return Optional.of("table " + table.name() + " has primary key " + table.primaryKey() + " but " + draft.origin
            + " has " + draft.primaryKey + "; the target needs one key per table");
      }
      for (ColumnSpec column : table.columns()) {
        ColumnSpec planned = draft.columns.get(column.name());
        if (planned != null && !sameType(planned, column)) {
          return Optional.of("table " + table.name() + " column " + column.name() + " is " + column.type() + " but "
              + draft.origin + " has " + planned.type() + "; align the types in the source or exclude the table");
        }
      }
    }
    return Optional.empty();
  }

  private static boolean sameType(ColumnSpec a, ColumnSpec b) {
    if (a.enumType() != null || b.enumType() != null) {
      return a.array() == b.array() && a.enumType() != null && a.enumType().equals(b.enumType());
    }
    return a.type().equals(b.type());
  }

  private static void mergeEnums(Map<String, EnumSpec> into, Map<String, EnumSpec> from) {
    for (EnumSpec e : from.values()) {
      EnumSpec existing = into.get(e.name());
      if (existing == null) {
        into.put(e.name(), e);
      } else {
        LinkedHashSet<String> labels = new LinkedHashSet<>(existing.labels());
        labels.addAll(e.labels());
        into.put(e.name(), new EnumSpec(e.name(), new ArrayList<>(labels)));
      }
    }
  }

  private static final class Draft {
    final String name;
    final LinkedHashMap<String, ColumnSpec> columns = new LinkedHashMap<>();
    final List<String> primaryKey;
    final String origin;
    boolean fromTenant;

    Draft(String name, List<ColumnSpec> columns, List<String> primaryKey, String origin) {
      this.name = name;
      columns.forEach(c -> this.columns.put(c.name(), c));
      this.primaryKey = List.copyOf(primaryKey);
      this.origin = origin;
    }

    void absorb(List<ColumnSpec> tenantColumns) {
      for (ColumnSpec c : tenantColumns) {
        ColumnSpec planned = columns.get(c.name());
        if (planned == null) {
          // A column only some tenants have: nullable, the others load NULL.
          columns.put(c.name(), new ColumnSpec(c.name(), c.type(), false, c.enumType(), c.array()));
        } else if (planned.notNull() && !c.notNull()) {
          columns.put(c.name(), new ColumnSpec(c.name(), planned.type(), false, planned.enumType(), planned.array()));
        }
      }
      for (Map.Entry<String, ColumnSpec> e : columns.entrySet()) {
        boolean tenantHas = tenantColumns.stream().anyMatch(c -> c.name().equals(e.getKey()));
        if (!tenantHas && e.getValue().notNull() && !primaryKey.contains(e.getKey())) {
          e.setValue(new ColumnSpec(e.getKey(), e.getValue().type(), false, e.getValue().enumType(), e.getValue().array()));
        }
      }
    }

    TargetTable build() {
      return new TargetTable(name, new ArrayList<>(columns.values()), primaryKey);
    }
  }
}
