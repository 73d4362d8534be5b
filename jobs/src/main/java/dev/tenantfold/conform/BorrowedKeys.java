package dev.tenantfold.conform;

import dev.tenantfold.extract.TableSpec;
import dev.tenantfold.extract.TenantCatalog;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Primary keys for a catalog that cannot know them (an RDS export read without {@code
 * export.catalog}: its metadata has no keys): each table without a key takes the key the
 * consolidated table already has in the target, or else the key another tenant's same table has,
 * when every key column exists in this table. The staging table's primary key then proves the key
 * holds for this tenant's rows too; a table no one has a key for stays keyless.
 */
public final class BorrowedKeys {
  private BorrowedKeys() {}

  public static TenantCatalog fill(TenantCatalog lacking, List<TenantCatalog> others, TenantCatalog target, String tenantColumn) {
    List<TableSpec> tables = new ArrayList<>();
    for (TableSpec t : lacking.tables()) {
      if (!t.primaryKey().isEmpty()) {
        tables.add(t);
        continue;
      }
      Optional<List<String>> key = target.table(t.name()).map(s -> s.primaryKey().stream().filter(c -> !c.equals(tenantColumn)).toList())
          .filter(k -> usable(t, k));
      for (TenantCatalog other : others) {
        if (key.isEmpty()) {
          key = other.table(t.name()).map(TableSpec::primaryKey).filter(k -> usable(t, k));
        }
      }
      tables.add(key.map(k -> new TableSpec(t.schema(), t.name(), t.columns(), k, t.foreignKeys(), t.estimatedRows(), t.pages(), t.partitioned()))
          .orElse(t));
    }
    return new TenantCatalog(lacking.tenantId(), lacking.serverVersionNum(), tables, lacking.enums());
  }

  private static boolean usable(TableSpec table, List<String> key) {
    return !key.isEmpty() && key.stream().allMatch(c -> table.column(c).isPresent());
  }
}
