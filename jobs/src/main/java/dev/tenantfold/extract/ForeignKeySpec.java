package dev.tenantfold.extract;

import java.util.List;

/**
 * A foreign key of a source table as declared: its columns and the referenced table's, its actions
 * ({@code onDelete}, {@code onUpdate}: {@code pg_constraint}'s letters {@code a} no action, {@code
 * r} restrict, {@code c} cascade, {@code n} set null, {@code d} set default), {@code match} ({@code
 * s} simple, {@code f} full), whether it is deferrable and initially deferred, and the columns a
 * {@code SET NULL} / {@code SET DEFAULT} on delete is limited to (PostgreSQL 15+; empty: all of
 * them). {@code onPartitions} is true for a key declared on some partitions of a partitioned source
 * table but not on the table itself: it holds only for rows of those partitions in the source, so
 * the target recreates it on each tenant's partition (where it holds for all the tenant's rows)
 * when that tenant's rows satisfy it.
 */
public record ForeignKeySpec(
    String name,
    List<String> columns,
    String referencedTable,
    List<String> referencedColumns,
    char onDelete,
    char onUpdate,
    char match,
    boolean deferrable,
    boolean deferred,
    List<String> setColumns,
    boolean onPartitions) {
  public ForeignKeySpec {
    columns = List.copyOf(columns);
    referencedColumns = List.copyOf(referencedColumns);
    setColumns = List.copyOf(setColumns);
  }

  /** A plain key: NO ACTION, MATCH SIMPLE, not deferrable, declared on the table. */
  public ForeignKeySpec(
      String name, List<String> columns, String referencedTable, List<String> referencedColumns) {
    this(
        name,
        columns,
        referencedTable,
        referencedColumns,
        'a',
        'a',
        's',
        false,
        false,
        List.of(),
        false);
  }

  /** The same key declared on partitions of its table rather than on the table itself. */
  public ForeignKeySpec onPartitions(boolean onPartitions) {
    return new ForeignKeySpec(
        name,
        columns,
        referencedTable,
        referencedColumns,
        onDelete,
        onUpdate,
        match,
        deferrable,
        deferred,
        setColumns,
        onPartitions);
  }

  /**
   * What makes two keys the same key whatever their names (keys declared on each partition carry
   * each partition's name).
   */
  public String shape() {
    return columns
        + " -> "
        + referencedTable
        + referencedColumns
        + " "
        + onDelete
        + onUpdate
        + match
        + deferrable
        + deferred
        + setColumns;
  }
}
