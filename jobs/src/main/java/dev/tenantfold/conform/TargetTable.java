package dev.tenantfold.conform;

import dev.tenantfold.extract.ColumnSpec;
import java.util.List;
import java.util.Optional;

/**
 * A consolidated table: the tenant column first (implicit), then {@code columns}. Its primary key
 * is the tenant column followed by {@code primaryKey}; empty when the source has none.
 */
public record TargetTable(String name, List<ColumnSpec> columns, List<String> primaryKey) {
  public TargetTable {
    columns = List.copyOf(columns);
    primaryKey = List.copyOf(primaryKey);
  }

  public Optional<ColumnSpec> column(String columnName) {
    return columns.stream().filter(c -> c.name().equals(columnName)).findFirst();
  }

  public List<String> columnNames() {
    return columns.stream().map(ColumnSpec::name).toList();
  }
}
