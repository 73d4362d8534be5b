package dev.tenantfold.extract;

import dev.tenantfold.config.SchemaMap;
import dev.tenantfold.jdbc.Sql;
import java.util.List;
import java.util.Optional;

/**
 * A source table: columns in ordinal order, primary key, foreign keys, and the planner's size
 * estimates ({@code reltuples}, {@code relpages}), read from the tenant's catalog. A declaratively
 * partitioned table ({@code partitioned}) also names its leaf partitions ({@code schema.name}, at
 * any depth): a snapshot export holds those instead of the parent.
 */
public record TableSpec(
    String schema,
    String name,
    List<ColumnSpec> columns,
    List<String> primaryKey,
    List<ForeignKeySpec> foreignKeys,
    long estimatedRows,
    long pages,
    boolean partitioned,
    List<String> leafPartitions) {

  public TableSpec {
    columns = List.copyOf(columns);
    primaryKey = List.copyOf(primaryKey);
    foreignKeys = List.copyOf(foreignKeys);
    leafPartitions = List.copyOf(leafPartitions);
  }

  /** A table whose leaf partitions are not known (or a plain table). */
  public TableSpec(
      String schema,
      String name,
      List<ColumnSpec> columns,
      List<String> primaryKey,
      List<ForeignKeySpec> foreignKeys,
      long estimatedRows,
      long pages,
      boolean partitioned) {
    this(
        schema,
        name,
        columns,
        primaryKey,
        foreignKeys,
        estimatedRows,
        pages,
        partitioned,
        List.of());
  }

  public String qualifiedName() {
    return schema + "." + name;
  }

  /**
   * The table's key in the plan, the rules and the reports: its name, qualified by its schema
   * unless that is {@code public} ({@link SchemaMap#key}).
   */
  public String key() {
    return SchemaMap.key(schema, name);
  }

  /**
   * The relation to read in a FROM clause: {@code ONLY} for plain tables, so a legacy inheritance
   * parent does not also return its children's rows (each child is consolidated as its own table);
   * a declaratively partitioned table is read with its partitions.
   */
  public String readRelation() {
    return (partitioned ? "" : "ONLY ") + Sql.qualified(schema, name);
  }

  public Optional<ColumnSpec> column(String columnName) {
    return columns.stream().filter(c -> c.name().equals(columnName)).findFirst();
  }

  /** The single integer primary-key column, if there is one: the best range-partitioning key. */
  public Optional<ColumnSpec> integerKey() {
    if (primaryKey.size() != 1) {
      return Optional.empty();
    }
    return column(primaryKey.get(0))
        .filter(
            c ->
                switch (c.type()) {
                  case "smallint", "integer", "bigint" -> true;
                  default -> false;
                });
  }
}
