package dev.tenantfold.extract;

import static dev.tenantfold.jdbc.Sql.ident;
import static dev.tenantfold.jdbc.Sql.literal;
import static dev.tenantfold.jdbc.Sql.qualified;

import dev.tenantfold.conform.TargetTable;
import java.util.ArrayList;
import java.util.List;

/**
 * The SELECT a tenant's partition is read with, in the target's column order: the tenant id as
 * the first column, each target column from the source (NULL where this tenant lacks it). Runs on
 * the source, so conforming costs no row materialisation in Spark.
 */
public final class SourceQuery {
  private SourceQuery() {}

  public static String select(String tenantId, TableSpec source, TargetTable target, ReadPartition partition) {
    List<String> items = new ArrayList<>();
    items.add(literal(tenantId) + "::text");
    for (ColumnSpec column : target.columns()) {
      items.add(source.column(column.name()).isPresent() ? ident(column.name()) : "NULL");
    }
    String sql = "SELECT " + String.join(", ", items) + " FROM " + source.readRelation();
    return partition.wholeTable() ? sql : sql + " WHERE " + partition.predicate();
  }

  public static String copyOut(String select) {
    return "COPY (" + select + ") TO STDOUT";
  }
}
