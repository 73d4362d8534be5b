package dev.tenantfold.load;

import static dev.tenantfold.jdbc.Sql.ident;
import static dev.tenantfold.load.DdlContext.constraintExists;
import static dev.tenantfold.load.DdlContext.relationExists;

import dev.tenantfold.config.RulesConfig;
import dev.tenantfold.config.SchemaMap;
import dev.tenantfold.config.TargetConfig;
import dev.tenantfold.conform.TargetSchema;
import dev.tenantfold.conform.TargetTable;
import dev.tenantfold.conform.TypeLattice;
import dev.tenantfold.extract.ColumnSpec;
import dev.tenantfold.extract.TableObjects;
import dev.tenantfold.jdbc.Queries;
import dev.tenantfold.jdbc.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The consolidated tables themselves: created {@code PARTITION BY LIST (tenant column)} (or as one
 * shared copy), evolved along the type lattice, their primary key named as the source names it, and
 * the tenants' unique constraints, indexes and CHECKs recreated tenant-aware.
 */
final class ConsolidatedTables {
  private final DdlContext ctx;
  private final SchemaMap schemas;
  private final String tenantColumn;

  private static final String ENUM = "(enum)";

  ConsolidatedTables(DdlContext ctx) {
    this.ctx = ctx;
    this.schemas = ctx.schemas;
    this.tenantColumn = ctx.tenantColumn;
  }

  /**
   * Creates {@code table} (partitioned by the tenant column, or one shared copy), or evolves the
   * existing one: missing columns added, types widened along the lattice, NOT NULL dropped where a
   * tenant allows NULL; a per-tenant table's primary key named as the source names it.
   */
  void ensure(Connection conn, Statement st, TargetSchema target, TargetTable table, boolean shared)
      throws SQLException {
    ensureTable(conn, st, table, shared);
    if (!shared) {
      namePrimaryKey(conn, st, target, table);
    }
  }

  private void ensureTable(Connection conn, Statement st, TargetTable table, boolean shared)
      throws SQLException {
    String relation = schemas.relation(table.name());
    String partitionKey = partitionKey(conn, table.name());
    if (partitionKey == null) {
      st.execute(shared ? createSharedSql(table) : createSql(table));
      return;
    }
    if (shared) {
      if (!partitionKey.isEmpty()) {
        throw new SQLException(
            "Cannot use existing table "
                + relation
                + " as a shared table: it is partitioned ("
                + partitionKey
                + "), as a per-tenant table is; drop or rename it, or remove the table's shared"
                + " rule");
      }
    } else if (!partitionKey.equals("LIST (" + tenantColumn + ")")
        && !partitionKey.equals("LIST (" + ident(tenantColumn) + ")")) {
      throw new SQLException(
          "Cannot publish into existing table "
              + relation
              + ": it is not partitioned by LIST ("
              + tenantColumn
              + ") (found: "
              + (partitionKey.isEmpty() ? "not partitioned" : partitionKey)
              + "); rename or drop it, or set "
              + TargetConfig.SCHEMA.path()
              + " to another schema");
    }
    evolveColumns(conn, st, table, relation);
  }

  /**
   * Adds {@code table}'s missing columns to the existing {@code relation} (nullable), widens the
   * types the plan widened (along the lattice only: a narrowing is refused, naming the rule that
   * would cast it), and drops NOT NULL where a tenant allows NULL.
   */
  private void evolveColumns(Connection conn, Statement st, TargetTable table, String relation)
      throws SQLException {
    Map<String, String> present = new HashMap<>();
    Set<String> notNull = new HashSet<>();
    // A domain column (an array of a domain) compares by its base type (the domain itself is
    // created and kept with the table's DDL).
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT a.attname, a.attnotnull, CASE WHEN t.typtype = 'd' THEN"
                + " format_type(t.typbasetype, t.typtypmod) WHEN e.typtype = 'd' THEN"
                + " format_type(e.typbasetype, e.typtypmod) || '[]' ELSE format_type(a.atttypid,"
                + " a.atttypmod) END, t.typtype IN ('e', 'c') OR (t.typcategory = 'A' AND e.typtype"
                + " = 'e') FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid LEFT JOIN"
                + " pg_type e ON e.oid = t.typelem AND t.typcategory = 'A' WHERE a.attrelid ="
                + " ?::regclass AND a.attnum > 0 AND NOT a.attisdropped")) {
      ps.setString(1, relation);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          // Enum and composite columns keep their type (labels are added to the type itself): mark
          // them so they are not compared.
          present.put(rs.getString(1), rs.getBoolean(4) ? ENUM : rs.getString(3));
          if (rs.getBoolean(2)) {
            notNull.add(rs.getString(1));
          }
        }
      }
    }
    for (ColumnSpec c : table.columns()) {
      String existing = present.get(c.name());
      if (existing == null) {
        st.execute(
            "ALTER TABLE "
                + relation
                + " ADD COLUMN "
                + ident(c.name())
                + " "
                + c.targetType(schemas)
                + schemas.requalify(c.generatedClause()));
        continue;
      }
      if (!existing.equals(ENUM) && c.enumType() == null) {
        widen(st, table, relation, c, existing);
      }
      if (notNull.contains(c.name()) && !c.notNull() && !table.primaryKey().contains(c.name())) {
        // A tenant lacks the column (it loads NULL) or allows NULL in it: the shared column must
        // too.
        st.execute(
            "ALTER TABLE " + relation + " ALTER COLUMN " + ident(c.name()) + " DROP NOT NULL");
      }
    }
  }

  /**
   * Widens {@code column} of the existing {@code relation} from {@code existing} to the plan's
   * type, along the lattice only: every published value fits the wider type unchanged; a narrower
   * one is refused, naming the cast rule that would fix it.
   */
  private void widen(
      Statement st, TargetTable table, String relation, ColumnSpec c, String existing)
      throws SQLException {
    if (TypeLattice.normal(existing).equals(TypeLattice.normal(c.type()))) {
      return;
    }
    // Only along the lattice: every published value fits the wider type unchanged; a narrower
    // one is refused.
    if (!TypeLattice.holds(c.type(), existing)) {
      throw new SQLException(
          "Cannot change column "
              + c.name()
              + " of existing table "
              + relation
              + " from "
              + existing
              + " to "
              + c.type()
              + ": that would narrow or convert published values (the target is only ever"
              + " widened); cast the tenants' column to "
              + existing
              + " or wider with "
              + RulesConfig.CAST.path(table.name(), c.name()));
    }
    try {
      st.execute(
          "ALTER TABLE " + relation + " ALTER COLUMN " + ident(c.name()) + " TYPE " + c.type());
    } catch (SQLException e) {
      if (!"0A000".equals(e.getSQLState())) {
        throw e;
      }
      // PostgreSQL cannot change the type of a column a view reads.
      throw new SQLException(
          "Cannot widen column "
              + c.name()
              + " of existing table "
              + relation
              + " from "
              + existing
              + " to "
              + c.type()
              + ": views read it ("
              + ctx.reason(e)
              + "); drop those views and run again (compatibility schemas: DROP SCHEMA"
              + " <prefix><tenant> and each <prefix><tenant>_<schema> CASCADE, which the next"
              + " publish of each tenant rebuilds)",
          e.getSQLState(),
          e);
    }
  }

  /**
   * Names the consolidated table's primary key as the first tenant (config order) that has one
   * names it in its source ({@code pk_shippers} rather than {@code shippers_pkey}): errors name it,
   * and each tenant's partition's key takes the name at publish ({@link TenantPublisher}). Left
   * alone when it has that name, or another relation of the schema does.
   */
  private void namePrimaryKey(Connection conn, Statement st, TargetSchema target, TargetTable table)
      throws SQLException {
    Optional<String> wanted =
        target.code().tenants().values().stream()
            .map(c -> c.primaryKeyName(table.name()))
            .flatMap(Optional::stream)
            .findFirst();
    if (wanted.isEmpty()) {
      return;
    }
    String parent = schemas.relation(table.name());
    String current;
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT conname FROM pg_constraint WHERE conrelid = ?::regclass AND contype = 'p'")) {
      ps.setString(1, parent);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return;
        }
        current = rs.getString(1);
      }
    }
    if (!current.equals(wanted.get())
        && !relationExists(conn, schemas.targetSchemaOf(table.name()), wanted.get())) {
      st.execute(
          "ALTER TABLE "
              + parent
              + " RENAME CONSTRAINT "
              + ident(current)
              + " TO "
              + ident(wanted.get()));
    }
  }

  /**
   * Recreates the tenants' unique constraints, indexes and CHECK constraints on the consolidated
   * table, tenant-aware: key columns get the tenant column first (a unique value is unique per
   * tenant, as in its own database; a shared table keeps the source's key). Indexes of methods
   * other than btree keep their own columns. Objects already there (by name) are left alone; one
   * the target cannot build (an extension it lacks, existing rows that break a CHECK) is skipped
   * with a warning, not a failed table. Staging tables copy them before publish ({@link
   * StagingTable}), so the swap builds nothing.
   */
  void ensureObjects(
      Connection conn, Statement st, TargetTable table, TableObjects objects, boolean shared)
      throws SQLException {
    String parent = schemas.relation(table.name());
    for (TableObjects.IndexSpec index : objects.indexes()) {
      List<String> keys = new ArrayList<>();
      if (!shared && index.method().equals("btree")) {
        keys.add(ident(tenantColumn));
      }
      index.keys().forEach(k -> keys.add(schemas.requalify(k)));
      String include =
          index.include().isEmpty() ? "" : " INCLUDE (" + String.join(", ", index.include()) + ")";
      String sql =
          index.constraint()
              ? "ALTER TABLE "
                  + parent
                  + " ADD CONSTRAINT "
                  + ident(index.name())
                  + " UNIQUE ("
                  + String.join(", ", keys)
                  + ")"
                  + include
              : "CREATE "
                  + (index.unique() ? "UNIQUE " : "")
                  + "INDEX "
                  + ident(index.name())
                  + " ON "
                  + parent
                  + " USING "
                  + index.method()
                  + " ("
                  + String.join(", ", keys)
                  + ")"
                  + include
                  + (index.predicate() == null
                      ? ""
                      : " WHERE " + schemas.requalify(index.predicate()));
      if (!relationExists(conn, schemas.targetSchemaOf(table.name()), index.name())) {
        ctx.tryDdl(st, sql, "index " + index.name() + " of " + parent);
      }
    }
    for (TableObjects.CheckSpec check : objects.checks()) {
      if (!constraintExists(conn, parent, check.name())) {
        ctx.tryDdl(
            st,
            "ALTER TABLE "
                + parent
                + " ADD CONSTRAINT "
                + ident(check.name())
                + " "
                + schemas.requalify(check.definition()),
            "constraint " + check.name() + " of " + parent);
      }
    }
  }

  /**
   * Drops the tenants' triggers an earlier version recreated on the consolidated table itself (one
   * definition firing for every tenant's rows): they are recreated per tenant on its partition
   * ({@link TenantCode#installTriggers}). Changes nothing when there are none.
   */
  void dropConsolidatedTriggers(Connection conn, Statement st, TargetTable table, Set<String> names)
      throws SQLException {
    String parent = schemas.relation(table.name());
    for (String name : names) {
      if (Queries.exists(
          conn,
          "SELECT 1 FROM pg_trigger WHERE tgrelid = ?::regclass AND tgname = ? AND NOT"
              + " tgisinternal AND tgparentid = 0",
          parent,
          name)) {
        st.execute("DROP TRIGGER " + ident(name) + " ON " + parent);
      }
    }
  }

  /**
   * {@code pg_get_partkeydef} of the table {@code key}; "" when it exists unpartitioned, null when
   * absent.
   */
  private String partitionKey(Connection conn, String key) throws SQLException {
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT c.relkind, pg_get_partkeydef(c.oid) FROM pg_class c JOIN pg_namespace n ON"
                + " n.oid = c.relnamespace WHERE n.nspname = ? AND c.relname = ?")) {
      ps.setString(1, schemas.targetSchemaOf(key));
      ps.setString(2, SchemaMap.nameOf(key));
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return null;
        }
        String def = rs.getString(2);
        return def == null ? "" : def;
      }
    }
  }

  /**
   * A shared reference table: one copy for every tenant, no tenant column, keyed by the source key.
   */
  String createSharedSql(TargetTable table) {
    List<String> columns = new ArrayList<>();
    for (ColumnSpec c : table.columns()) {
      columns.add(
          ident(c.name())
              + " "
              + c.targetType(schemas)
              + schemas.requalify(c.generatedClause())
              + (c.notNull() ? " NOT NULL" : ""));
    }
    columns.add("PRIMARY KEY (" + Sql.idents(table.primaryKey()) + ")");
    return "CREATE TABLE "
        + schemas.relation(table.name())
        + " (\n  "
        + String.join(",\n  ", columns)
        + "\n)";
  }

  String createSql(TargetTable table) {
    StringBuilder sql =
        new StringBuilder("CREATE TABLE ")
            .append(schemas.relation(table.name()))
            .append(" (\n  ")
            .append(ident(tenantColumn))
            .append(" text NOT NULL");
    for (ColumnSpec c : table.columns()) {
      sql.append(",\n  ")
          .append(ident(c.name()))
          .append(' ')
          .append(c.targetType(schemas))
          .append(schemas.requalify(c.generatedClause()));
      if (c.notNull()) {
        sql.append(" NOT NULL");
      }
    }
    if (!table.primaryKey().isEmpty()) {
      List<String> pk = new ArrayList<>();
      pk.add(tenantColumn);
      pk.addAll(table.primaryKey());
      sql.append(",\n  PRIMARY KEY (").append(Sql.idents(pk)).append(')');
    }
    return sql.append("\n) PARTITION BY LIST (").append(ident(tenantColumn)).append(')').toString();
  }
}
