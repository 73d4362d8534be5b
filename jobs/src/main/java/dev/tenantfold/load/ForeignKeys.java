package dev.tenantfold.load;

import static dev.tenantfold.jdbc.Sql.ident;
import static dev.tenantfold.load.DdlContext.constraintExists;

import dev.tenantfold.config.SchemaMap;
import dev.tenantfold.conform.TargetSchema;
import dev.tenantfold.conform.TargetTable;
import dev.tenantfold.extract.ForeignKeySpec;
import dev.tenantfold.jdbc.Queries;
import dev.tenantfold.jdbc.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The sources' foreign keys on the consolidated tables, tenant-aware: a tenant's row references
 * only its own rows; a shared table is referenced by its key alone. What the target cannot keep is
 * noted, never dropped silently.
 */
final class ForeignKeys {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(TargetDdl.class);

  private final DdlContext ctx;
  private final SchemaMap schemas;
  private final String tenantColumn;

  ForeignKeys(DdlContext ctx) {
    this.ctx = ctx;
    this.schemas = ctx.schemas;
    this.tenantColumn = ctx.tenantColumn;
  }

  /**
   * Foreign keys, tenant-aware: a tenant's row can reference only its own rows ({@code (tenant,
   * columns) REFERENCES parent (tenant, key)}); a shared table is referenced by the key alone. A
   * key the existing rows break, or a shared table referencing a tenant table, is skipped with a
   * warning.
   */
  void ensure(
      Connection conn,
      Statement st,
      TargetSchema target,
      TargetTable table,
      List<ForeignKeySpec> keys)
      throws SQLException {
    String child = schemas.relation(table.name());
    boolean childShared = target.rule(table.name()).shared().isPresent();
    for (ForeignKeySpec key : keys) {
      if (constraintExists(conn, child, key.name())) {
        continue;
      }
      boolean parentShared = target.rule(key.referencedTable()).shared().isPresent();
      if (childShared && !parentShared) {
        LOG.warn(
            "Cannot recreate foreign key {} of shared table {}: it references {}, a per-tenant"
                + " table (skipped)",
            key.name(),
            child,
            key.referencedTable());
        continue;
      }
      if (key.onPartitions()) {
        // Declared on partitions in the source: recreated on each tenant's partition at its
        // publish (installOnPartitions).
        continue;
      }
      addForeignKey(
          conn, st, child, key, parentShared, "foreign key " + key.name() + " of " + child);
    }
  }

  /**
   * Adds {@code key} to {@code table} (the consolidated table, or a tenant's partition) as the
   * source declares it ({@link #foreignKeySql}), with a CHECK for MATCH FULL; what the target
   * cannot keep, or cannot build, is in {@link TargetDdl#skipped()}.
   */
  private void addForeignKey(
      Connection conn,
      Statement st,
      String table,
      ForeignKeySpec key,
      boolean parentShared,
      String what)
      throws SQLException {
    int version = Integer.parseInt(Queries.string(conn, "SHOW server_version_num"));
    List<String> lost = new ArrayList<>();
    String sql = foreignKeySql(table, key, parentShared, version, lost);
    lost.forEach(l -> ctx.skip(what + ": " + l));
    ctx.tryDdl(st, sql, what);
    if (key.match() == 'f'
        && key.columns().size() > 1
        && !constraintExists(conn, table, matchName(key))) {
      List<String> allNull = key.columns().stream().map(c -> ident(c) + " IS NULL").toList();
      List<String> noneNull = key.columns().stream().map(c -> ident(c) + " IS NOT NULL").toList();
      ctx.tryDdl(
          st,
          "ALTER TABLE "
              + table
              + " ADD CONSTRAINT "
              + ident(matchName(key))
              + " CHECK (("
              + String.join(" AND ", allNull)
              + ") OR ("
              + String.join(" AND ", noneNull)
              + "))",
          what + " (MATCH FULL)");
    }
  }

  private static String matchName(ForeignKeySpec key) {
    return Sql.boundedName(key.name() + "_match_full");
  }

  /**
   * The {@code ALTER TABLE ... ADD CONSTRAINT ... FOREIGN KEY} of {@code key} on {@code table},
   * tenant-aware ({@code (tenant, columns) REFERENCES parent (tenant, key)} unless the parent is
   * shared), with the source's actions and deferrability. The tenant column is never nulled or
   * reset: {@code SET NULL} / {@code SET DEFAULT} on delete name the key's own columns (PostgreSQL
   * 15 or later on the target); where the target cannot say that (older targets, and every {@code
   * ON UPDATE SET ...}), the action becomes {@code NO ACTION} and {@code lost} says so. {@code
   * MATCH FULL} becomes MATCH SIMPLE (the tenant column is never null, so FULL would refuse the
   * rows whose key is all null, which the source accepts) plus a CHECK that the key is all null or
   * none.
   */
  String foreignKeySql(
      String table,
      ForeignKeySpec key,
      boolean parentShared,
      int targetVersion,
      List<String> lost) {
    List<String> columns = new ArrayList<>();
    List<String> referenced = new ArrayList<>();
    if (!parentShared) {
      columns.add(tenantColumn);
      referenced.add(tenantColumn);
    }
    columns.addAll(key.columns());
    referenced.addAll(key.referencedColumns());
    StringBuilder sql =
        new StringBuilder("ALTER TABLE ")
            .append(table)
            .append(" ADD CONSTRAINT ")
            .append(ident(key.name()))
            .append(" FOREIGN KEY (")
            .append(Sql.idents(columns))
            .append(") REFERENCES ")
            .append(schemas.relation(key.referencedTable()))
            .append(" (")
            .append(Sql.idents(referenced))
            .append(")");
    List<String> setColumns = key.setColumns().isEmpty() ? key.columns() : key.setColumns();
    char onDelete = key.onDelete();
    if ((onDelete == 'n' || onDelete == 'd') && !parentShared && targetVersion < 150000) {
      lost.add(
          "ON DELETE "
              + action(onDelete)
              + " kept as NO ACTION (it would "
              + (onDelete == 'n' ? "null" : "reset")
              + " the tenant column; limiting it to the key's own columns needs PostgreSQL 15 on"
              + " the target)");
      onDelete = 'a';
    }
    sql.append(" ON DELETE ").append(action(onDelete));
    if ((onDelete == 'n' || onDelete == 'd') && !parentShared) {
      sql.append(" (").append(Sql.idents(setColumns)).append(")");
    }
    char onUpdate = key.onUpdate();
    if ((onUpdate == 'n' || onUpdate == 'd') && !parentShared) {
      lost.add(
          "ON UPDATE "
              + action(onUpdate)
              + " kept as NO ACTION (PostgreSQL cannot limit it to the key's own columns, and it"
              + " would "
              + (onUpdate == 'n' ? "null" : "reset")
              + " the tenant column)");
      onUpdate = 'a';
    }
    sql.append(" ON UPDATE ").append(action(onUpdate));
    if (key.deferrable()) {
      sql.append(" DEFERRABLE INITIALLY ").append(key.deferred() ? "DEFERRED" : "IMMEDIATE");
    }
    return sql.toString();
  }

  private static String action(char code) {
    return switch (code) {
      case 'r' -> "RESTRICT";
      case 'c' -> "CASCADE";
      case 'n' -> "SET NULL";
      case 'd' -> "SET DEFAULT";
      default -> "NO ACTION";
    };
  }

  /**
   * Notes each foreign key the source declares on {@code table} that is not among {@code keys} (the
   * ones to recreate), with why: never dropped silently.
   */
  void noteNotRecreated(
      TargetSchema target, TargetTable table, List<ForeignKeySpec> keys, Set<String> failed) {
    for (ForeignKeySpec key : target.objects(table.name()).foreignKeys()) {
      if (keys.stream().noneMatch(k -> k.name().equals(key.name()))) {
        ctx.skip(
            "foreign key "
                + key.name()
                + " of "
                + table.name()
                + " ("
                + (target.table(key.referencedTable()).isEmpty()
                    ? "its table " + key.referencedTable() + " is not consolidated"
                    : failed.contains(key.referencedTable())
                        ? "its table " + key.referencedTable() + " failed"
                        : key.referencedTable().equals(table.name())
                            ? "it references its own table"
                            : target.inReferenceCycles().contains(table.name())
                                ? "its table is in a cycle of references"
                                : "the referenced columns are not a unique key of "
                                    + key.referencedTable()
                                    + " in the target")
                + ")");
      }
    }
  }

  /** The foreign keys of {@code table} the source declares on partitions rather than the table. */
  static List<ForeignKeySpec> onPartitions(TargetSchema target, String table) {
    return target.table(table).isPresent() && !target.rule(table).shared().isPresent()
        ? target.foreignKeys(table).stream().filter(ForeignKeySpec::onPartitions).toList()
        : List.of();
  }

  /**
   * Recreates on {@code tenantId}'s partition {@code partition} of {@code table} the foreign keys
   * the source declares on partitions ({@link #onPartitions}): on the tenant's partition they hold
   * for all the tenant's rows; one its rows break is skipped, in {@link TargetDdl#skipped()}.
   */
  void addOnPartition(
      Statement st, TargetSchema target, String table, String tenantId, String partition)
      throws SQLException {
    Connection conn = st.getConnection();
    for (ForeignKeySpec key : onPartitions(target, table)) {
      if (!constraintExists(conn, partition, key.name())) {
        addForeignKey(
            conn,
            st,
            partition,
            key,
            target.rule(key.referencedTable()).shared().isPresent(),
            "foreign key "
                + key.name()
                + " of "
                + table
                + " (declared on partitions in the source) on the partition of tenant "
                + tenantId);
      }
    }
  }
}
