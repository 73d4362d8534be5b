package dev.tenantfold.extract;

import java.util.List;

/** A foreign key of a source table, recorded for the report and for later referential checks. */
public record ForeignKeySpec(
    String name, List<String> columns, String referencedTable, List<String> referencedColumns) {
  public ForeignKeySpec {
    columns = List.copyOf(columns);
    referencedColumns = List.copyOf(referencedColumns);
  }
}
