package dev.tenantfold.load;

import static dev.tenantfold.jdbc.Sql.ident;
import static dev.tenantfold.jdbc.Sql.literal;
import static dev.tenantfold.jdbc.Sql.qualified;

import dev.tenantfold.conform.TargetSchema;
import dev.tenantfold.conform.TargetTable;
import dev.tenantfold.extract.CodeObjects;
import dev.tenantfold.jdbc.Sql;
import java.sql.Connection;
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

  private final String targetSchema;
  private final String tenantColumn;
  private final Optional<String> applicationRole;

  public CompatSchemas(String targetSchema, String tenantColumn, Optional<String> applicationRole) {
    this.targetSchema = targetSchema;
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
  public static void refresh(Connection conn, String tenantId, Rebuilt rebuilt) throws SQLException {
    boolean autoCommit = conn.getAutoCommit();
    conn.setAutoCommit(true);
    try (Statement st = conn.createStatement()) {
      for (String view : rebuilt.materializedViews()) {
        try {
          st.execute("REFRESH MATERIALIZED VIEW " + view);
        } catch (SQLException e) {
          LOG.warn("Tenant {}: cannot fill materialized view {} of its compatibility schema: {} (left empty: REFRESH MATERIALIZED VIEW it)",
              tenantId, view, e.getMessage().lines().findFirst().orElse(""));
        }
      }
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
      int tables = 0;
      for (TargetTable table : plan.tables().values()) {
        String base = qualified(targetSchema, table.name());
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
        String name = schema + "." + ident(view.name());
        pending.add(new String[] {view.kind() + " " + view.name(), view.materialized()
            ? "CREATE MATERIALIZED VIEW " + name + " AS " + view.definition() + " WITH NO DATA"
            : "CREATE VIEW " + name + " AS " + view.definition()});
        if (view.materialized()) {
          materialized.put(view.kind() + " " + view.name(), name);
        }
      }
      List<String> problems = new ArrayList<>();
      List<String> created = createAll(st, pending, problems);
      st.execute("RESET check_function_bodies");
      st.execute("RESET search_path");
      if (applicationRole.isPresent()) {
        String role = ident(applicationRole.get());
        st.execute("GRANT USAGE ON SCHEMA " + schema + " TO " + role);
        st.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA " + schema + " TO " + role);
        st.execute("GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA " + schema + " TO " + role);
      }
      problems.forEach(p -> LOG.warn("Tenant {}: compatibility schema {}: {}", tenantId, schemaName, p));
      // Created empty: refresh() fills them after the publish commits.
      List<String> toFill = materialized.entrySet().stream().filter(e -> created.contains(e.getKey())).map(Map.Entry::getValue).toList();
      return new Rebuilt(schemaName, tables, created.size(), problems, toFill);
    }
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
