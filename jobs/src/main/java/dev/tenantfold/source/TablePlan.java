package dev.tenantfold.source;

import dev.tenantfold.conform.TargetTable;
import dev.tenantfold.extract.TableSpec;
import dev.tenantfold.load.StagingTable;
import java.util.Optional;

/**
 * One table of one tenant in one run: the consolidated table's definition, the tenant's own table
 * ({@code empty} when the tenant lacks it: its staging stays empty), and the staging table its rows
 * go to.
 */
public record TablePlan(TargetTable table, Optional<TableSpec> source, StagingTable staging) {
  public String name() {
    return table.name();
  }
}
