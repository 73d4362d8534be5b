package dev.tenantfold.catchup;

import dev.tenantfold.catchup.CatchUpState.PlannedTable;
import dev.tenantfold.config.RulesConfig.TableRule;
import dev.tenantfold.config.SchemaMap;
import dev.tenantfold.config.TablesConfig;
import dev.tenantfold.config.TenantConfig;
import dev.tenantfold.conform.TargetTable;
import dev.tenantfold.extract.CatalogReader;
import dev.tenantfold.extract.TableSpec;
import dev.tenantfold.extract.TenantCatalog;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiPredicate;

/**
 * Sets a tenant's catch-up up with its rules: where each table's changes go (its partition, or the
 * shared table itself), which tables are under rules ({@link RuledTable}) and the consolidated
 * tables' user triggers disabled on the tenant's partitions ({@link TriggerGuard}).
 */
final class RuledTables {
  private RuledTables() {}

  /** Whether catch-up applies {@code rule}'s table through {@link RuledTable}. */
  static boolean ruled(TableRule rule) {
    return !rule.columns().isEmpty() || rule.dedup().isPresent() || rule.shared().isPresent();
  }

  /**
   * The tenant's partition of {@code table}; a shared table is its own (it has no tenant column).
   */
  static TenantPartition partition(
      Connection target,
      SchemaMap schemas,
      PlannedTable table,
      String tenantColumn,
      String tenantId,
      CatchUpRules rules)
      throws SQLException {
    if (rules.rules().forTable(table.key()).shared().isPresent()) {
      return new TenantPartition(
          table, schemas.relation(table.key()), tenantColumn, tenantId, List.of());
    }
    return TenantPartition.find(target, schemas, table, tenantColumn, tenantId);
  }

  /** Source tables the rules exclude (schema, name): never published, their changes skipped. */
  static BiPredicate<String, String> excluded(CatchUpRules rules) {
    return (schema, name) -> rules.rules().forTable(SchemaMap.key(schema, name)).exclude();
  }

  /**
   * The tenant's tables under rules, by key, each with its temporary tables created; and the user
   * triggers of the tenant's partitions disabled. Runs before the target transaction opens
   * (autocommit): what it creates stays.
   */
  static Map<String, RuledTable> prepare(
      TenantConfig tenant,
      String runId,
      Map<String, TenantPartition> partitions,
      CatchUpRules rules,
      SchemaMap schemas,
      String reportSchema,
      String tenantColumn,
      Connection target,
      Connection source)
      throws SQLException {
    List<String> own = new ArrayList<>();
    List<TenantPartition> underRules = new ArrayList<>();
    for (TenantPartition p : partitions.values()) {
      TableRule rule = rules.rules().forTable(p.table().key());
      if (rule.shared().isEmpty()) {
        own.add(p.relation());
      }
      if (ruled(rule)) {
        underRules.add(p);
      }
    }
    TriggerGuard.disable(target, tenant.id(), own);
    return build(
        tenant, runId, underRules, rules, schemas, reportSchema, tenantColumn, target, source);
  }

  /** The tables under rules among {@code underRules}, their temporary tables created. */
  static Map<String, RuledTable> build(
      TenantConfig tenant,
      String runId,
      List<TenantPartition> underRules,
      CatchUpRules rules,
      SchemaMap schemas,
      String reportSchema,
      String tenantColumn,
      Connection target,
      Connection source)
      throws SQLException {
    Map<String, RuledTable> out = new LinkedHashMap<>();
    if (underRules.isEmpty()) {
      return out;
    }
    TablesConfig only =
        new TablesConfig(
            underRules.stream()
                .map(p -> p.table().sourceSchema() + "." + p.table().sourceName())
                .toList(),
            List.of());
    TenantCatalog sourceCatalog = CatalogReader.read(source, tenant.id(), tenant.schemas(), only);
    TenantCatalog targetCatalog = CatalogReader.readTarget(target, schemas, tenant.schemas(), only);
    int index = 0;
    for (TenantPartition p : underRules) {
      PlannedTable planned = p.table();
      TableRule rule = rules.rules().forTable(planned.key());
      TableSpec sourceTable =
          sourceCatalog
              .table(planned.key())
              .orElseThrow(
                  () ->
                      new SQLException(
                          "Cannot catch up tenant "
                              + tenant.id()
                              + ": table "
                              + planned.key()
                              + " is gone from the source; re-plan and run the tenant again"));
      TableSpec consolidated =
          targetCatalog
              .table(planned.key())
              .orElseThrow(
                  () ->
                      new SQLException(
                          "Cannot catch up tenant "
                              + tenant.id()
                              + ": the target has no consolidated table "
                              + schemas.relation(planned.key())
                              + "; publish the tenant's base copy first (tenantfold run)"));
      TargetTable table =
          new TargetTable(
              planned.key(),
              consolidated.columns().stream().filter(c -> !c.name().equals(tenantColumn)).toList(),
              consolidated.primaryKey().stream().filter(c -> !c.equals(tenantColumn)).toList());
      RuledTable r =
          new RuledTable(
              index++,
              tenant.id(),
              runId,
              planned,
              rule,
              sourceTable,
              table,
              p.relation(),
              tenantColumn,
              reportSchema,
              schemas,
              target,
              source);
      r.prepare();
      out.put(planned.key(), r);
    }
    return out;
  }
}
