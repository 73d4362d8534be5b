package dev.tenantfold.load;

import static dev.tenantfold.jdbc.Sql.ident;
import static dev.tenantfold.jdbc.Sql.literal;
import static dev.tenantfold.jdbc.Sql.qualified;

import dev.tenantfold.conform.TargetSchema;
import dev.tenantfold.config.SchemaMap;
import dev.tenantfold.conform.TargetTable;
import dev.tenantfold.extract.CodeObjects;
import dev.tenantfold.jdbc.Sql;
import dev.tenantfold.jdbc.Queries;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A tenant's compatibility schema ({@code target.compat-schemas}): the database as the tenant's
 * application knew it, over the consolidated tables. For every consolidated table one automatically
 * updatable view of the tenant's rows (its columns in order, then the tenant column, which defaults
 * to the tenant: an INSERT without it lands in the tenant, {@code WITH CHECK OPTION} refuses rows of
 * another tenant); a shared table as it is; then the tenant's own functions and views recreated
 * inside it, so names in their SQL resolve to the tenant's rows only.
 *
 * <p>Rebuilt whole inside the tenant's publish transaction: applications see the new data and the
 * new schema together; materialized views are created empty there and filled right after the
 * commit ({@link #refresh}), so the publish holds its locks no longer than the swap. The schema belongs to Tenantfold: objects created in it by hand are dropped
 * with it.
 */
public final class CompatSchemas {
  private static final Logger LOG = LoggerFactory.getLogger(CompatSchemas.class);
  /** The comment that marks a compatibility schema, followed by its tenant id. */
  private static final String MARK = "tenantfold compatibility schema of tenant ";
  /** The comment that marks a union of the tenants' views in the target schema. */
  private static final String UNION_MARK = "tenantfold: every tenant's view, united";

  private final String targetSchema;
  private final SchemaMap schemas;
  private final String tenantColumn;
  private final Optional<String> applicationRole;

  /** The compatibility schemas of {@code target}'s consolidated tables. */
  public static CompatSchemas of(dev.tenantfold.config.TargetConfig target, String tenantColumn) {
    return new CompatSchemas(target.schemas(), tenantColumn, target.applicationRole());
  }

  public CompatSchemas(SchemaMap schemas, String tenantColumn, Optional<String> applicationRole) {
    this.targetSchema = schemas.defaultSchema();
    this.schemas = schemas;
    this.tenantColumn = tenantColumn;
    this.applicationRole = applicationRole;
  }

  /** What the rebuild recreated and which of the tenant's objects it could not, with PostgreSQL's reason. */
  public record Rebuilt(String schema, int tableViews, int objects, List<String> problems, List<String> materializedViews) {
    public Rebuilt {
      problems = List.copyOf(problems);
      materializedViews = List.copyOf(materializedViews);
    }
  }

  /**
   * Fills the materialized views {@link #rebuild} created empty, each in its own transaction after
   * the publish committed (filling them inside it would hold the consolidated tables' locks for as
   * long as their queries run). One that fails stays empty, with a warning.
   */
  public void refresh(Connection conn, String tenantId, Rebuilt rebuilt, TargetSchema plan) throws SQLException {
    if (rebuilt.materializedViews().isEmpty()) {
      return;
    }
    boolean autoCommit = conn.getAutoCommit();
    conn.setAutoCommit(false);
    try (Statement st = conn.createStatement()) {
      // The tables first, in the order publishes lock them: a refresh holds its view exclusively while it reads the tables, and a
      // publish rebuilding the unions reads that view while it holds the tables.
      st.execute("LOCK TABLE " + String.join(", ", plan.tables().keySet().stream().sorted().map(schemas::relation).toList())
          + " IN ACCESS SHARE MODE");
      for (String view : rebuilt.materializedViews()) {
        st.execute("SAVEPOINT tenantfold_refresh");
        try {
          st.execute("REFRESH MATERIALIZED VIEW " + view);
          st.execute("RELEASE SAVEPOINT tenantfold_refresh");
        } catch (SQLException e) {
          st.execute("ROLLBACK TO SAVEPOINT tenantfold_refresh");
          LOG.warn("Tenant {}: cannot fill materialized view {} of its compatibility schema: {} (left empty: REFRESH MATERIALIZED VIEW it)",
              tenantId, view, e.getMessage().lines().findFirst().orElse(""));
        }
      }
      conn.commit();
    } catch (SQLException e) {
      conn.rollback();
      throw e;
    } finally {
      conn.setAutoCommit(autoCommit);
    }
  }

  /**
   * Drops and recreates {@code schemaName} for {@code tenantId} on {@code conn}, inside the caller's
   * transaction. A table view that cannot be created fails the rebuild (and with it the publish); a
   * function or view of the tenant's that cannot is skipped, named in {@link Rebuilt#problems()}.
   */
  public Rebuilt rebuild(Connection conn, String schemaName, String tenantId, TargetSchema plan, CodeObjects code) throws SQLException {
    String schema = ident(Sql.boundedName(schemaName));
    try (Statement st = conn.createStatement()) {
      st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
      st.execute("CREATE SCHEMA " + schema);
      st.execute("COMMENT ON SCHEMA " + schema + " IS " + literal(MARK + tenantId));
      int tables = 0;
      List<String> outside = new ArrayList<>();
      for (TargetTable table : plan.tables().values()) {
        if (table.name().contains(".")) {
          // One schema per tenant mirrors one source schema: public's. Tables of other schemas are reached by their own names.
          outside.add(table.name());
          continue;
        }
        String base = schemas.relation(table.name());
        if (plan.rule(table.name()).shared().isPresent()) {
          st.execute("CREATE VIEW " + schema + "." + ident(table.name()) + " AS SELECT * FROM " + base);
        } else {
          List<String> columns = new ArrayList<>(table.columnNames());
          columns.add(tenantColumn);
          st.execute("CREATE VIEW " + schema + "." + ident(table.name()) + " AS SELECT " + Sql.idents(columns) + " FROM " + base + " WHERE "
              + ident(tenantColumn) + " = " + literal(tenantId) + " WITH CASCADED CHECK OPTION");
          st.execute("ALTER VIEW " + schema + "." + ident(table.name()) + " ALTER COLUMN " + ident(tenantColumn) + " SET DEFAULT "
              + literal(tenantId));
        }
        tables++;
      }
      // The tenant's code, with its names resolving here first: functions (bodies checked when called), then views in dependency order.
      st.execute("SET LOCAL search_path TO " + schema + ", " + ident(targetSchema) + ", pg_catalog");
      st.execute("SET LOCAL check_function_bodies = off");
      List<String[]> pending = new ArrayList<>();
      for (CodeObjects.FunctionSpec function : code.functions()) {
        if (function.definition() != null) {
          pending.add(new String[] {function.kind() + " " + function.signature(), function.definitionIn(schema)});
        }
      }
      Map<String, String> materialized = new LinkedHashMap<>();
      for (CodeObjects.ViewSpec view : code.views()) {
        if (!SchemaMap.DEFAULT_SOURCE.equals(view.schema())) {
          // Not mirrored here (the plan lists it as not recreated): its tables live outside public.
          continue;
        }
        String name = schema + "." + ident(view.name());
        pending.add(new String[] {view.kind() + " " + view.name(), view.materialized()
            ? "CREATE MATERIALIZED VIEW " + name + " AS " + view.definition() + " WITH NO DATA"
            : "CREATE VIEW " + name + " AS " + view.definition()});
        if (view.materialized()) {
          materialized.put(view.kind() + " " + view.name(), name);
        }
      }
      List<String> problems = new ArrayList<>();
      if (!outside.isEmpty()) {
        problems.add("tables " + outside + ": outside schema public, not mirrored in the compatibility schema (query them by their own schema,"
            + " filtered by " + tenantColumn + ")");
      }
      List<String> created = createAll(st, pending, problems);
      st.execute("RESET check_function_bodies");
      st.execute("RESET search_path");
      if (applicationRole.isPresent()) {
        String role = ident(applicationRole.get());
        st.execute("GRANT USAGE ON SCHEMA " + schema + " TO " + role);
        st.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA " + schema + " TO " + role);
        st.execute("GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA " + schema + " TO " + role);
      }
      problems.addAll(unionViews(conn, st, plan));
      problems.forEach(p -> LOG.warn("Tenant {}: compatibility schema {}: {}", tenantId, schemaName, p));
      // Created empty: refresh() fills them after the publish commits.
      List<String> toFill = materialized.entrySet().stream().filter(e -> created.contains(e.getKey())).map(Map.Entry::getValue).toList();
      return new Rebuilt(schemaName, tables, created.size(), problems, toFill);
    }
  }

  /**
   * The tenants' views in the target schema, tenant-aware and exact: for each view name any
   * compatibility schema holds, the union of every tenant's view with the tenant column first
   * ({@code SELECT 'acme' AS tenant_id, * FROM tenant_acme.v UNION ALL ...}). Each tenant's view
   * reads only its rows, so the union is what a rewrite of the view over the consolidated tables
   * would have to return. Rebuilt with every compatibility schema (dropping one drops the unions
   * over it); a relation of that name that Tenantfold did not create is left alone, and views
   * whose columns differ between tenants are not united (both named as problems).
   */
  private List<String> unionViews(Connection conn, Statement st, TargetSchema plan) throws SQLException {
    Map<String, List<String[]>> byName = new java.util.TreeMap<>();
    try (ResultSet rs = st.executeQuery("SELECT c.relname, n.nspname, substr(obj_description(n.oid, 'pg_namespace'), " + (MARK.length() + 1)
        + ") FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE obj_description(n.oid, 'pg_namespace') LIKE "
        + literal(MARK + "%") + " AND c.relkind IN ('v', 'm') ORDER BY c.relname, n.nspname")) {
      while (rs.next()) {
        if (plan.table(rs.getString(1)).isEmpty()) {
          byName.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(new String[] {rs.getString(2), rs.getString(3)});
        }
      }
    }
    List<String> problems = new ArrayList<>();
    for (var view : byName.entrySet()) {
      String target = qualified(targetSchema, view.getKey());
      boolean ours = Queries.exists(conn, "SELECT 1 FROM pg_class WHERE oid = to_regclass(?) AND obj_description(oid, 'pg_class') = ?", target,
          UNION_MARK);
      if (!ours && Queries.bool(conn, "SELECT to_regclass(?) IS NOT NULL", target)) {
        problems.add("view " + view.getKey() + " not united in " + targetSchema + ": a relation of that name exists there");
        continue;
      }
      List<String> parts = view.getValue().stream().map(v -> "SELECT " + literal(v[1]) + "::text AS " + ident(tenantColumn) + ", * FROM "
          + ident(v[0]) + "." + ident(view.getKey())).toList();
      st.execute("SAVEPOINT tenantfold_union");
      try {
        st.execute("DROP VIEW IF EXISTS " + target);
        st.execute("CREATE VIEW " + target + " AS " + String.join(" UNION ALL ", parts));
        st.execute("COMMENT ON VIEW " + target + " IS " + literal(UNION_MARK));
        if (applicationRole.isPresent()) {
          st.execute("GRANT SELECT ON " + target + " TO " + ident(applicationRole.get()));
        }
        st.execute("RELEASE SAVEPOINT tenantfold_union");
      } catch (SQLException e) {
        st.execute("ROLLBACK TO SAVEPOINT tenantfold_union");
        problems.add("view " + view.getKey() + " not united in " + targetSchema + ": " + e.getMessage().lines().findFirst().orElse(""));
      }
    }
    return problems;
  }

  /**
   * Creates each statement under a savepoint, again and again while any succeeds (an object may
   * need one created after it); what never succeeds becomes a problem with PostgreSQL's reason.
   */
  private static List<String> createAll(Statement st, List<String[]> pending, List<String> problems) throws SQLException {
    List<String> created = new ArrayList<>();
    List<String> reasons = new ArrayList<>();
    boolean progressed = true;
    while (progressed && !pending.isEmpty()) {
      progressed = false;
      reasons.clear();
      for (String[] object : List.copyOf(pending)) {
        st.execute("SAVEPOINT tenantfold_compat");
        try {
          st.execute(object[1]);
          st.execute("RELEASE SAVEPOINT tenantfold_compat");
          pending.remove(object);
          created.add(object[0]);
          progressed = true;
        } catch (SQLException e) {
          st.execute("ROLLBACK TO SAVEPOINT tenantfold_compat");
          reasons.add(object[0] + " not recreated: " + e.getMessage().lines().findFirst().orElse(""));
        }
      }
    }
    problems.addAll(reasons);
    return created;
  }
}
