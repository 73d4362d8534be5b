package dev.tenantfold.source;

import dev.tenantfold.config.RulesConfig;
import dev.tenantfold.config.RulesConfig.TableRule;
import dev.tenantfold.conform.ConformedSource;
import dev.tenantfold.conform.TargetTable;
import dev.tenantfold.extract.TableSpec;
import dev.tenantfold.load.StagingTable;
import java.util.Optional;

/**
 * One table of one tenant in one run: the consolidated table's definition, the tenant's own table
 * ({@code empty} when the tenant lacks it: its staging stays empty), and the staging table its rows
 * go to, and the table's rules.
 */
public record TablePlan(
    TargetTable table, Optional<TableSpec> source, StagingTable staging, TableRule rule) {
  public TablePlan(TargetTable table, Optional<TableSpec> source, StagingTable staging) {
    this(table, source, staging, RulesConfig.none().forTable(table.name()));
  }

  public String name() {
    return table.name();
  }

  /** How the tenant's rows become the table's rows; empty when the tenant lacks the table. */
  public Optional<ConformedSource> conformed() {
    return source.map(s -> new ConformedSource(table, s, rule));
  }
}
