package dev.tenantfold.load;

import static dev.tenantfold.jdbc.Sql.ident;
import static dev.tenantfold.jdbc.Sql.literal;

import dev.tenantfold.config.CompatSchemaNames;
import dev.tenantfold.config.SchemaMap;
import dev.tenantfold.config.TargetConfig;
import dev.tenantfold.conform.CompatViewSql;
import dev.tenantfold.conform.TargetSchema;
import dev.tenantfold.conform.TargetTable;
import dev.tenantfold.extract.CodeObjects;
import dev.tenantfold.jdbc.Queries;
import dev.tenantfold.jdbc.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A tenant's compatibility schema ({@code target.compat-schemas}): the database as the tenant's
 * application knew it, over the consolidated tables. For every consolidated table one automatically
 * updatable view of the tenant's rows (its columns in order, then the tenant column, which defaults
 * to the tenant: an INSERT without it lands in the tenant, {@code WITH CHECK OPTION} refuses rows
 * of another tenant); a shared table as it is; then the tenant's own functions and views recreated
 * inside it, so names in their SQL resolve to the tenant's rows only.
 *
 * <p>One such schema per consolidated source schema, named by the source schema ({@link
 * CompatSchemaNames}: {@code tenant_acme} for public, {@code tenant_acme_sales} for sales): each
 * holds its schema's tables and the tenant's views and functions of it. Views are created with the
 * tenant's schemas on the search path in the source's order, their schema qualifiers rewritten to
 * the tenant's schemas ({@link CompatViewSql}), and each is checked to read nothing outside them.
 *
 * <p>Rebuilt whole inside the tenant's publish transaction: applications see the new data and the
 * new schema together; materialized views are created empty there and filled right after the commit
 * ({@link #refresh}), so the publish holds its locks no longer than the swap. The schema belongs to
 * Tenantfold: objects created in it by hand are dropped with it.
 */
public final class CompatSchemas {
  private static final Logger LOG = LoggerFactory.getLogger(CompatSchemas.class);

  /**
   * The comment that marks a compatibility schema, followed by its tenant id (and {@link
   * #SOURCE_MARK} and its source schema).
   */
  private static final String MARK = "tenantfold compatibility schema of tenant ";

  /** The comment that marks a union of the tenants' views in the target schema. */
  private static final String UNION_MARK = "tenantfold: every tenant's view, united";

  /**
   * Between the tenant id and the source schema in the comment of a compatibility schema of a
   * schema other than public.
   */
  private static final String SOURCE_MARK = ", source schema ";

  /**
   * The relations a view's rewrite rule reads outside the given schemas and the system catalogs.
   */
  private static final String READS_SQL =
      """
      SELECT DISTINCT format('%I.%I', n.nspname, u.relname)
        FROM pg_rewrite r
        JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid AND d.refclassid = 'pg_class'::regclass
        JOIN pg_class u ON u.oid = d.refobjid
        JOIN pg_namespace n ON n.oid = u.relnamespace
       WHERE r.ev_class = to_regclass(?) AND u.oid <> r.ev_class AND n.nspname <> ALL (?)
         AND n.nspname NOT IN ('pg_catalog', 'information_schema')
       ORDER BY 1
      """;

  private final String targetSchema;
  private final SchemaMap schemas;
  private final String tenantColumn;
  private final Optional<String> applicationRole;
  private final String prefix;
  private final boolean rowLevelSecurity;
  private final String tenantSetting;

  /** The comment on the materialized view that stores a view's rows under row-level security. */
  private static final String STORED_MARK = "tenantfold: the stored rows of a materialized view";

  /** The name of the materialized view that stores the rows of materialized view {@code name}. */
  static String storedName(String name) {
    return Sql.boundedName(name + "__stored");
  }

  /**
   * The compatibility schemas of {@code target}'s consolidated tables ({@code
   * target.compat-schemas} on).
   */
  public static CompatSchemas of(dev.tenantfold.config.TargetConfig target, String tenantColumn) {
    return new CompatSchemas(
        target.schemas(),
        tenantColumn,
        target.applicationRole(),
        target
            .compatSchemaPrefix()
            .orElseThrow(() -> new IllegalStateException("target.compat-schemas is off")),
        target.rowLevelSecurity(),
        target.tenantSetting());
  }

  private CompatSchemas(
      SchemaMap schemas,
      String tenantColumn,
      Optional<String> applicationRole,
      String prefix,
      boolean rowLevelSecurity,
      String tenantSetting) {
    this.targetSchema = schemas.defaultSchema();
    this.schemas = schemas;
    this.tenantColumn = tenantColumn;
    this.applicationRole = applicationRole;
    this.prefix = prefix;
    this.rowLevelSecurity = rowLevelSecurity;
    this.tenantSetting = tenantSetting;
  }

  /**
   * What the rebuild recreated and which of the tenant's objects it could not, with PostgreSQL's
   * reason.
   */
  public record Rebuilt(
      List<String> schemas,
      int tableViews,
      int objects,
      List<String> problems,
      List<String> materializedViews) {
    public Rebuilt {
      schemas = List.copyOf(schemas);
      problems = List.copyOf(problems);
      materializedViews = List.copyOf(materializedViews);
    }
  }

  /**
   * Fills the materialized views {@link #rebuild} created empty, after the publish committed
   * (filling them inside it would hold the consolidated tables' locks for as long as their queries
   * run), as the tenant: {@code REFRESH} runs the view's query as its owner, the tenant's role,
   * with row-level security on and the tenant setting naming the tenant, so it reads that tenant's
   * rows only. One that fails stays empty; returns those, each with PostgreSQL's reason, for the
   * run's notes.
   */
  public List<String> refresh(Connection conn, String tenantId, Rebuilt rebuilt, TargetSchema plan)
      throws SQLException {
    List<String> unfilled = new ArrayList<>();
    if (rebuilt.materializedViews().isEmpty()) {
      return unfilled;
    }
    boolean autoCommit = conn.getAutoCommit();
    conn.setAutoCommit(false);
    try (Statement st = conn.createStatement()) {
      // The tables first, in the order publishes lock them: a refresh holds its view exclusively
      // while it reads the tables, and a
      // publish rebuilding the unions reads that view while it holds the tables.
      st.execute(
          "LOCK TABLE "
              + String.join(
                  ", ", plan.tables().keySet().stream().sorted().map(schemas::relation).toList())
              + " IN ACCESS SHARE MODE");
      // REFRESH runs the view's query as its owner, the tenant's role; the loader switches to it
      // (it does not inherit the role's rights, and needs them to refresh).
      TenantRoles.actAs(conn, tenantSetting, tenantId);
      for (String view : rebuilt.materializedViews()) {
        st.execute("SAVEPOINT tenantfold_refresh");
        try {
          st.execute("REFRESH MATERIALIZED VIEW " + view);
          st.execute("RELEASE SAVEPOINT tenantfold_refresh");
        } catch (SQLException e) {
          st.execute("ROLLBACK TO SAVEPOINT tenantfold_refresh");
          String reason = e.getMessage().lines().findFirst().orElse("");
          LOG.warn(
              "Tenant {}: cannot fill materialized view {} of its compatibility schema: {} (left"
                  + " empty: REFRESH MATERIALIZED VIEW it)",
              tenantId,
              view,
              reason);
          unfilled.add("materialized view " + view + " not filled: " + reason);
        }
      }
      conn.commit();
      return unfilled;
    } catch (SQLException e) {
      conn.rollback();
      throw e;
    } finally {
      conn.setAutoCommit(autoCommit);
    }
  }

  /**
   * Drops and recreates the compatibility schemas of {@code tenantId} on {@code conn}, inside the
   * caller's transaction: one per source schema the tenant reads ({@code tenantSchemas}, its search
   * path in the source) and per other consolidated source schema ({@link CompatSchemaNames}), after
   * dropping every schema marked as the tenant's (also that of a source schema it no longer has). A
   * table view that cannot be created fails the rebuild (and with it the publish); a function or
   * view of the tenant's that cannot is skipped, named in {@link Rebuilt#problems()}.
   */
  public Rebuilt rebuild(
      Connection conn,
      String tenantId,
      List<String> tenantSchemas,
      TargetSchema plan,
      CodeObjects code)
      throws SQLException {
    List<String> sources =
        CompatSchemaNames.mirrored(tenantSchemas, CompatViewSql.sourceSchemas(plan, code));
    Map<String, String> names = new LinkedHashMap<>();
    sources.forEach(s -> names.put(s, CompatSchemaNames.of(prefix, tenantId, s)));
    String role = ident(TenantRoles.role(tenantId));
    String loader = ident(Queries.string(conn, "SELECT current_user"));
    try (Statement st = conn.createStatement()) {
      // The tenant's sequences as its application left them: recreated no further back.
      List<OldSequence> oldSequences = sequencesOf(conn, st, tenantId, names.values());
      dropAll(conn, st, tenantId, names);
      createSchemas(st, sources, names, role);
      // The tenant's consolidated tables this run leaves out keep their views; their binding to
      // the tenant's role (made by the run that published them) is checked as the loader.
      Map<String, List<String[]>> unplanned = bindUnplanned(conn, tenantId, plan, sources);
      // Everything in the schemas is created by, owned by and run as the tenant's role, bound to
      // the tenant's rows by its policies (TenantRoles): never the loader's rights.
      TenantRoles.actAs(conn, tenantSetting, tenantId);
      markSchemas(st, tenantId, sources, names);
      int tables =
          createTableViews(st, tenantId, plan, names)
              + createUnplannedViews(st, tenantId, names, unplanned);
      Set<String> path = searchPath(tenantSchemas, names);
      st.execute("SET LOCAL search_path TO " + String.join(", ", path));
      st.execute("SET LOCAL check_function_bodies = off");
      // Functions first (bodies checked when called), then views in dependency order.
      List<Pending> pending = functions(code, names, path);
      List<String> problems = new ArrayList<>();
      Map<String, String> materialized = new LinkedHashMap<>();
      List<String> stored = new ArrayList<>();
      pending.addAll(views(tenantId, plan, code, sources, names, problems, materialized, stored));
      List<String> created = createAll(conn, st, pending, List.copyOf(names.values()), problems);
      List<String> sequences = new ArrayList<>();
      problems.addAll(
          tenantDefaults(conn, st, tenantId, plan, code, names, oldSequences, sequences));
      st.execute("RESET check_function_bodies");
      st.execute("RESET search_path");
      grantToApplication(conn, st, names, sequences, stored);
      // The views united in the target schema belong to the loader and read the tenant's views.
      grantToLoader(st, names, loader);
      TenantRoles.actAsLoader(conn);
      problems.addAll(unionViews(conn, st, plan));
      problems.forEach(
          p -> LOG.warn("Tenant {}: compatibility schemas {}: {}", tenantId, names.values(), p));
      return new Rebuilt(
          List.copyOf(names.values()),
          tables,
          created.size(),
          problems,
          toFill(materialized, created));
    }
  }

  /** The materialized views created empty: refresh() fills them after the publish commits. */
  private static List<String> toFill(Map<String, String> materialized, List<String> created) {
    return materialized.entrySet().stream()
        .filter(e -> created.contains(e.getKey()))
        .map(Map.Entry::getValue)
        .toList();
  }

  private static void createSchemas(
      Statement st, List<String> sources, Map<String, String> names, String role)
      throws SQLException {
    for (String source : sources) {
      st.execute("CREATE SCHEMA " + ident(names.get(source)) + " AUTHORIZATION " + role);
    }
  }

  private static void markSchemas(
      Statement st, String tenantId, List<String> sources, Map<String, String> names)
      throws SQLException {
    for (String source : sources) {
      st.execute(
          "COMMENT ON SCHEMA "
              + ident(names.get(source))
              + " IS "
              + literal(mark(tenantId, source)));
    }
  }

  /**
   * The tenant's consolidated tables of each of {@code sources} that {@code plan} leaves out, each
   * checked (as the loader) to be bound to the tenant's role.
   */
  private Map<String, List<String[]>> bindUnplanned(
      Connection conn, String tenantId, TargetSchema plan, List<String> sources)
      throws SQLException {
    Map<String, List<String[]>> unplanned = new LinkedHashMap<>();
    TenantRoles roles = new TenantRoles(tenantColumn, rowLevelSecurity);
    for (String source : sources) {
      String target = schemas.targetSchema(source);
      List<String[]> tables = unplannedTables(conn, plan, target, tenantId);
      unplanned.put(source, tables);
      for (String[] table : tables) {
        roles.bind(conn, target, Sql.qualified(target, table[0]), List.of(tenantId), false);
      }
    }
    return unplanned;
  }

  /**
   * A view of the tenant's rows of {@code base} with its {@code columns} and the tenant column:
   * writes through it are checked to stay the tenant's, and inserts get the tenant's id.
   */
  private void createTenantView(
      Statement st, String view, List<String> columns, String base, String tenantId)
      throws SQLException {
    List<String> withTenant = new ArrayList<>(columns);
    withTenant.add(tenantColumn);
    st.execute(
        "CREATE VIEW "
            + view
            + " AS SELECT "
            + Sql.idents(withTenant)
            + " FROM "
            + base
            + " WHERE "
            + ident(tenantColumn)
            + " = "
            + literal(tenantId)
            + " WITH CASCADED CHECK OPTION");
    st.execute(
        "ALTER VIEW "
            + view
            + " ALTER COLUMN "
            + ident(tenantColumn)
            + " SET DEFAULT "
            + literal(tenantId));
  }

  /** Creates the view of each table {@code plan} publishes; returns how many. */
  private int createTableViews(
      Statement st, String tenantId, TargetSchema plan, Map<String, String> names)
      throws SQLException {
    int tables = 0;
    for (TargetTable table : plan.tables().values()) {
      String view =
          ident(names.get(SchemaMap.sourceSchemaOf(table.name())))
              + "."
              + ident(SchemaMap.nameOf(table.name()));
      String base = schemas.relation(table.name());
      if (plan.rule(table.name()).shared().isPresent()) {
        st.execute("CREATE VIEW " + view + " AS SELECT * FROM " + base);
      } else {
        createTenantView(st, view, table.columnNames(), base, tenantId);
      }
      tables++;
    }
    return tables;
  }

  /**
   * The tenant's consolidated tables this run does not select (tables.include): their views stay,
   * from the target's catalog. Returns how many.
   */
  private int createUnplannedViews(
      Statement st,
      String tenantId,
      Map<String, String> names,
      Map<String, List<String[]>> unplanned)
      throws SQLException {
    int tables = 0;
    for (String source : unplanned.keySet()) {
      for (String[] other : unplanned.getOrDefault(source, List.of())) {
        createTenantView(
            st,
            ident(names.get(source)) + "." + ident(other[0]),
            List.of(other[1].split(",", -1)),
            Sql.qualified(schemas.targetSchema(source), other[0]),
            tenantId);
        tables++;
      }
    }
    return tables;
  }

  /**
   * The search path of the tenant's code, its names resolving as in the source: the tenant's
   * compatibility schemas in its search-path order, then the target schemas (types, domains).
   */
  private Set<String> searchPath(List<String> tenantSchemas, Map<String, String> names) {
    Set<String> path = new LinkedHashSet<>();
    tenantSchemas.stream().filter(names::containsKey).forEach(s -> path.add(ident(names.get(s))));
    tenantSchemas.forEach(s -> path.add(ident(schemas.targetSchema(s))));
    path.add(ident(targetSchema));
    path.add("pg_catalog");
    // Last, so a caller's temporary objects never shadow the tenant's in its SECURITY DEFINER
    // code.
    path.add("pg_temp");
    return path;
  }

  /** The tenant's functions to create, each run as the tenant's role. */
  private static List<Pending> functions(
      CodeObjects code, Map<String, String> names, Set<String> path) {
    List<Pending> pending = new ArrayList<>();
    for (CodeObjects.FunctionSpec function : code.functions()) {
      if (function.definition() != null) {
        String source = CompatViewSql.sourceSchemaOf(function);
        String schema = ident(names.get(source));
        // Run as the tenant's role whoever calls it: an invoker's function would run with the
        // caller's rights, which set_config could point at any tenant.
        boolean routine = function.kind().equals("function") || function.kind().equals("procedure");
        pending.add(
            new Pending(
                function.kind() + " " + function.signature(),
                function.definitionIn(schema)
                    + (routine
                        ? ";\nALTER "
                            + function.kind().toUpperCase(java.util.Locale.ROOT)
                            + " "
                            + function.signatureIn(schema)
                            + " SECURITY DEFINER SET search_path = "
                            + String.join(", ", path)
                        : ""),
                null));
      }
    }
    return pending;
  }

  /**
   * The tenant's views to create; adds to {@code problems} those that cannot be rewritten, to
   * {@code materialized} the populated materialized views to fill, and to {@code stored} the
   * materialized views whose rows a view shows the tenant only.
   */
  private List<Pending> views(
      String tenantId,
      TargetSchema plan,
      CodeObjects code,
      List<String> sources,
      Map<String, String> names,
      List<String> problems,
      Map<String, String> materialized,
      List<String> stored) {
    Map<String, Set<String>> mirrored = CompatViewSql.mirroredNames(plan, code, sources);
    List<Pending> pending = new ArrayList<>();
    for (CodeObjects.ViewSpec view : code.views()) {
      String label = view.kind() + " " + SchemaMap.key(view.schema(), view.name());
      CompatViewSql.Rewrite rewrite =
          CompatViewSql.rewrite(view.definition(), mirrored, names::get, schemas::targetSchema);
      if (!rewrite.exact()) {
        problems.add(label + " not recreated: " + rewrite.problem());
        continue;
      }
      String name = ident(names.get(view.schema())) + "." + ident(view.name());
      String sql;
      String filled = name;
      if (!view.materialized()) {
        sql = "CREATE VIEW " + name + " AS " + rewrite.definition();
      } else if (!rowLevelSecurity) {
        sql = "CREATE MATERIALIZED VIEW " + name + " AS " + rewrite.definition() + " WITH NO DATA";
      } else {
        // A materialized view has no row-level security: its rows are stored apart, and the name
        // the application reads is a view showing them to a session of this tenant only.
        filled = ident(names.get(view.schema())) + "." + ident(storedName(view.name()));
        stored.add(filled);
        sql =
            "CREATE MATERIALIZED VIEW "
                + filled
                + " AS "
                + rewrite.definition()
                + " WITH NO DATA;\nCOMMENT ON MATERIALIZED VIEW "
                + filled
                + " IS "
                + literal(STORED_MARK)
                + ";\nCREATE VIEW "
                + name
                + " AS SELECT * FROM "
                + filled
                + " WHERE current_setting("
                + literal(tenantSetting)
                + ", true) = "
                + literal(tenantId);
      }
      pending.add(new Pending(label, sql, filled));
      if (view.materialized() && view.populated()) {
        materialized.put(label, filled);
      }
    }
    return pending;
  }

  /** Grants the application role the tenant's schemas and sequences, and not the stored rows. */
  private void grantToApplication(
      Connection conn,
      Statement st,
      Map<String, String> names,
      List<String> sequences,
      List<String> stored)
      throws SQLException {
    if (applicationRole.isEmpty()) {
      return;
    }
    String app = ident(applicationRole.get());
    for (String schema : names.values()) {
      st.execute("GRANT USAGE ON SCHEMA " + ident(schema) + " TO " + app);
      st.execute(
          "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "
              + ident(schema)
              + " TO "
              + app);
      st.execute("GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA " + ident(schema) + " TO " + app);
    }
    // nextval, currval and setval of the tenant's own sequences (an ORM's reset moves only
    // this tenant's ids).
    for (String sequence : sequences) {
      st.execute("GRANT USAGE, SELECT, UPDATE ON SEQUENCE " + sequence + " TO " + app);
    }
    for (String view : stored) {
      if (Queries.bool(conn, "SELECT to_regclass(?) IS NOT NULL", view)) {
        st.execute("REVOKE ALL ON " + view + " FROM " + app);
      }
    }
  }

  private static void grantToLoader(Statement st, Map<String, String> names, String loader)
      throws SQLException {
    for (String schema : names.values()) {
      st.execute("GRANT USAGE ON SCHEMA " + ident(schema) + " TO " + loader);
      st.execute("GRANT SELECT ON ALL TABLES IN SCHEMA " + ident(schema) + " TO " + loader);
    }
  }

  /**
   * Moves {@code tenantId}'s own sequence of {@code view}'s {@code column} in its compatibility
   * schema of {@code sourceSchema} (if it has one) where {@link SequenceMove#next} says, as the
   * tenant's role (its owner): a cutover moves it past the source sequence's final position.
   * Returns the sequence and the value it hands out next, when there is such a sequence.
   */
  public static Optional<String> moveTenantSequence(
      Connection conn,
      String tenantId,
      String sourceSchema,
      String view,
      String column,
      Optional<SequenceMove.Position> source)
      throws SQLException {
    String role = TenantRoles.role(tenantId);
    String sequence;
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT format('%I.%I', n.nspname, s.relname) FROM pg_class s JOIN pg_namespace n ON"
                + " n.oid = s.relnamespace JOIN pg_depend d ON d.classid = 'pg_class'::regclass"
                + " AND d.objid = s.oid AND d.refclassid = 'pg_class'::regclass AND d.deptype ="
                + " 'a' JOIN pg_class v ON v.oid = d.refobjid AND v.relkind = 'v' JOIN"
                + " pg_attribute a ON a.attrelid = v.oid AND a.attnum = d.refobjsubid WHERE"
                + " s.relkind = 'S' AND obj_description(n.oid, 'pg_namespace') = ? AND v.relname"
                + " = ? AND a.attname = ?")) {
      ps.setString(1, mark(tenantId, sourceSchema));
      ps.setString(2, view);
      ps.setString(3, column);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        sequence = rs.getString(1);
      }
    }
    try (Statement st = conn.createStatement()) {
      st.execute("SET ROLE " + ident(role));
      try {
        TenantPublisher.moveSequence(conn, sequence, source, OptionalLong.empty());
        try (ResultSet rs =
            st.executeQuery(
                "SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM "
                    + sequence)) {
          rs.next();
          return Optional.of(sequence + " next " + rs.getLong(1));
        }
      } finally {
        st.execute("RESET ROLE");
      }
    }
  }

  /** A sequence of a compatibility schema before its rebuild: where it was and what owns it. */
  private record OldSequence(
      String schema, String name, String view, String column, Long lastValue) {}

  /**
   * The sequences in the tenant's compatibility schemas {@code schemas} (read as the tenant's role,
   * their owner), with the view column owning each and its position.
   */
  private static List<OldSequence> sequencesOf(
      Connection conn, Statement st, String tenantId, java.util.Collection<String> schemas)
      throws SQLException {
    List<OldSequence> out = new ArrayList<>();
    String role = TenantRoles.role(tenantId);
    if (!Queries.exists(conn, "SELECT 1 FROM pg_roles WHERE rolname = ?", role)) {
      return out;
    }
    st.execute("SET LOCAL ROLE " + ident(role));
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT n.nspname, s.relname, c.relname, a.attname, CASE WHEN"
                + " has_sequence_privilege(s.oid, 'SELECT') THEN pg_sequence_last_value(s.oid)"
                + " END FROM pg_class s JOIN pg_namespace n ON n.oid = s.relnamespace JOIN"
                + " pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.oid AND"
                + " d.refclassid = 'pg_class'::regclass AND d.deptype = 'a' JOIN pg_class c ON"
                + " c.oid = d.refobjid JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum ="
                + " d.refobjsubid WHERE s.relkind = 'S' AND n.nspname = ANY (?)")) {
      ps.setArray(1, conn.createArrayOf("text", schemas.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(
              new OldSequence(
                  rs.getString(1),
                  rs.getString(2),
                  rs.getString(3),
                  rs.getString(4),
                  rs.getObject(5) == null ? null : rs.getLong(5)));
        }
      }
    } finally {
      st.execute("SET LOCAL ROLE NONE");
      TenantRoles.actAsLoader(conn);
    }
    return out;
  }

  /**
   * The tenant's own defaults on its views, run as its role (docs/schema-fidelity.md, "Sequences"):
   * each serial or identity column draws from a sequence of the tenant's own in the compatibility
   * schema, named as in the source ({@code id_employee_seq}), {@code OWNED BY} the view's column
   * (so {@code pg_get_serial_sequence} answers), positioned past the source sequence, past the
   * tenant's largest id and never behind where the tenant's application left it ({@link
   * SequenceMove}); a column whose default calls a function of the tenant's gets its default with
   * the tenant's own definition (its copy in the compatibility schema). Sequences of views this run
   * keeps without planning them (tables.include) come back where they were. Returns the problems;
   * adds each sequence created to {@code sequences}.
   */
  private List<String> tenantDefaults(
      Connection conn,
      Statement st,
      String tenantId,
      TargetSchema plan,
      CodeObjects code,
      Map<String, String> names,
      List<OldSequence> old,
      List<String> sequences)
      throws SQLException {
    List<String> problems = new ArrayList<>();
    Set<String> done = new java.util.HashSet<>();
    for (TargetTable table : plan.tables().values()) {
      if (plan.rule(table.name()).shared().isPresent()) {
        continue;
      }
      String schema = names.get(SchemaMap.sourceSchemaOf(table.name()));
      String viewName = SchemaMap.nameOf(table.name());
      String view = ident(schema) + "." + ident(viewName);
      for (var c : table.columns()) {
        if (c.generatedBySequence()) {
          String name =
              code.sequence(table.name(), c.name())
                  .map(CodeObjects.SequenceSpec::name)
                  .orElse(TargetDdl.sequenceName(viewName, c.name()));
          Optional<SequenceMove.Position> source =
              code.sequence(table.name(), c.name())
                  .flatMap(q -> SequenceMove.Position.ofLastValue(q.lastValue()));
          Optional<SequenceMove.Position> before =
              old.stream()
                  .filter(
                      o ->
                          o.schema().equals(schema)
                              && o.view().equals(viewName)
                              && o.column().equals(c.name()))
                  .findFirst()
                  .flatMap(o -> SequenceMove.Position.ofLastValue(o.lastValue()));
          done.add(schema + "." + viewName + "." + c.name());
          tenantSequence(
              st, schema, name, view, c.name(), furthest(source, before), problems, sequences);
        } else if (c.defaultExpression() != null
            && code.defaultCalls().stream()
                .anyMatch(d -> d.table().equals(table.name()) && d.column().equals(c.name()))) {
          // Names resolve on the tenant's path: its own copy of the function.
          trySavepoint(
              st,
              "ALTER VIEW "
                  + view
                  + " ALTER COLUMN "
                  + ident(c.name())
                  + " SET DEFAULT "
                  + c.defaultExpression(),
              "the default of " + table.name() + "." + c.name(),
              problems);
        }
      }
    }
    for (OldSequence o : old) {
      if (!done.contains(o.schema() + "." + o.view() + "." + o.column())
          && Queries.bool(
              conn,
              "SELECT to_regclass(?) IS NOT NULL",
              ident(o.schema()) + "." + ident(o.view()))) {
        tenantSequence(
            st,
            o.schema(),
            o.name(),
            ident(o.schema()) + "." + ident(o.view()),
            o.column(),
            SequenceMove.Position.ofLastValue(o.lastValue()),
            problems,
            sequences);
      }
    }
    return problems;
  }

  /** The one of two positions whose next value is larger. */
  private static Optional<SequenceMove.Position> furthest(
      Optional<SequenceMove.Position> a, Optional<SequenceMove.Position> b) {
    if (a.isEmpty()) {
      return b;
    }
    if (b.isEmpty()) {
      return a;
    }
    return a.get().next() >= b.get().next() ? a : b;
  }

  private static void tenantSequence(
      Statement st,
      String schema,
      String name,
      String view,
      String column,
      Optional<SequenceMove.Position> past,
      List<String> problems,
      List<String> sequences)
      throws SQLException {
    String sequence = ident(schema) + "." + ident(name);
    st.execute("SAVEPOINT tenantfold_sequence");
    try {
      st.execute(
          "CREATE SEQUENCE " + sequence + " AS bigint OWNED BY " + view + "." + ident(column));
      OptionalLong largest;
      try (ResultSet rs =
          st.executeQuery("SELECT max(" + ident(column) + ")::bigint FROM " + view)) {
        rs.next();
        long m = rs.getLong(1);
        largest = rs.wasNull() ? OptionalLong.empty() : OptionalLong.of(m);
      }
      TenantPublisher.moveSequence(st.getConnection(), sequence, past, largest);
      st.execute(
          "ALTER VIEW "
              + view
              + " ALTER COLUMN "
              + ident(column)
              + " SET DEFAULT nextval("
              + literal(sequence)
              + "::regclass)");
      st.execute("RELEASE SAVEPOINT tenantfold_sequence");
      sequences.add(sequence);
    } catch (SQLException e) {
      st.execute("ROLLBACK TO SAVEPOINT tenantfold_sequence");
      problems.add(
          "sequence "
              + sequence
              + " of "
              + view
              + "."
              + column
              + " not created: "
              + e.getMessage().lines().findFirst().orElse(""));
    }
  }

  private static void trySavepoint(Statement st, String sql, String what, List<String> problems)
      throws SQLException {
    st.execute("SAVEPOINT tenantfold_default");
    try {
      st.execute(sql);
      st.execute("RELEASE SAVEPOINT tenantfold_default");
    } catch (SQLException e) {
      st.execute("ROLLBACK TO SAVEPOINT tenantfold_default");
      problems.add(what + " not set: " + e.getMessage().lines().findFirst().orElse(""));
    }
  }

  /**
   * The consolidated tables in {@code targetSchema} that hold a partition of {@code tenantId} but
   * are not in {@code plan} (left out of this run by tables.include): name, and the columns other
   * than the tenant column in order, comma-joined.
   */
  private List<String[]> unplannedTables(
      Connection conn, TargetSchema plan, String targetSchema, String tenantId)
      throws SQLException {
    List<String[]> out = new ArrayList<>();
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT c.relname, (SELECT string_agg(a.attname, ',' ORDER BY a.attnum) FROM"
                + " pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT"
                + " a.attisdropped AND a.attname <> ?) FROM pg_class c JOIN pg_namespace n ON"
                + " n.oid = c.relnamespace WHERE n.nspname = ? AND c.relkind = 'p' AND EXISTS"
                + " (SELECT 1 FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhrelid WHERE"
                + " i.inhparent = c.oid AND pg_get_expr(p.relpartbound, p.oid) = ?) ORDER BY 1")) {
      ps.setString(1, tenantColumn);
      ps.setString(2, targetSchema);
      ps.setString(3, "FOR VALUES IN (" + literal(tenantId) + ")");
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          if (plan.table(schemas.keyOfTarget(targetSchema, rs.getString(1))).isEmpty()) {
            out.add(new String[] {rs.getString(1), rs.getString(2)});
          }
        }
      }
    }
    return out;
  }

  /**
   * {@code problems} grouped for a person: one line per kind of problem (the reason, with quoted
   * names and the object's own name left out), most frequent first, with its count and one sample.
   * The full list is in the log.
   */
  public static List<String> summarize(List<String> problems) {
    Map<String, List<String>> byKind = new LinkedHashMap<>();
    for (String problem : problems) {
      int at = problem.indexOf(" not recreated");
      if (at < 0) {
        at = problem.indexOf(" not united");
      }
      String kind =
          (at < 0 ? problem : problem.substring(at + 1))
              .replaceAll("\"[^\"]*\"", "\"...\"")
              .replaceAll(" in [^ :]+:", ":");
      byKind.computeIfAbsent(kind, k -> new ArrayList<>()).add(problem);
    }
    return byKind.entrySet().stream()
        .sorted((x, y) -> y.getValue().size() - x.getValue().size())
        .map(
            e ->
                e.getValue().size() == 1
                    ? e.getValue().get(0)
                    : e.getValue().size()
                        + " x "
                        + e.getKey()
                        + " (e.g. "
                        + e.getValue().get(0)
                        + ")")
        .toList();
  }

  /** The comment marking the compatibility schema of {@code tenantId}'s {@code sourceSchema}. */
  private static String mark(String tenantId, String sourceSchema) {
    return SchemaMap.DEFAULT_SOURCE.equals(sourceSchema)
        ? MARK + tenantId
        : MARK + tenantId + SOURCE_MARK + sourceSchema;
  }

  /**
   * The tenant id and source schema a compatibility schema's comment names (its part after {@link
   * #MARK}).
   */
  private static String[] marked(String afterMark) {
    int at = afterMark.indexOf(SOURCE_MARK);
    return at < 0
        ? new String[] {afterMark, SchemaMap.DEFAULT_SOURCE}
        : new String[] {afterMark.substring(0, at), afterMark.substring(at + SOURCE_MARK.length())};
  }

  /**
   * Drops every schema marked as {@code tenantId}'s (also those of source schemas it no longer
   * has), and refuses to drop a schema of one of {@code names} that Tenantfold did not create.
   */
  private static void dropAll(
      Connection conn, Statement st, String tenantId, Map<String, String> names)
      throws SQLException {
    List<String> drop = new ArrayList<>();
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT nspname, obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE"
                + " starts_with(coalesce(obj_description(oid, 'pg_namespace'), ''), ?) OR nspname ="
                + " ANY (?) ORDER BY nspname")) {
      ps.setString(1, MARK + tenantId);
      ps.setArray(2, conn.createArrayOf("text", names.values().toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String schema = rs.getString(1);
          String comment = rs.getString(2);
          if (comment != null
              && comment.startsWith(MARK)
              && marked(comment.substring(MARK.length()))[0].equals(tenantId)) {
            drop.add(schema);
          } else if (names.containsValue(schema)) {
            String source =
                names.entrySet().stream()
                    .filter(e -> e.getValue().equals(schema))
                    .findFirst()
                    .orElseThrow()
                    .getKey();
            throw new SQLException(
                "Cannot rebuild "
                    + schema
                    + ", the compatibility schema of tenant "
                    + tenantId
                    + " for source schema "
                    + source
                    + ": a schema of that name exists that Tenantfold did not create (no"
                    + " compatibility-schema comment on it); rename or drop it, or change"
                    + " "
                    + TargetConfig.COMPAT_SCHEMA_PREFIX.path());
          }
        }
      }
    }
    String role = TenantRoles.role(tenantId);
    for (String schema : drop) {
      // The tenant's role owns its schemas; the loader acts as it (it does not inherit its rights).
      boolean owned =
          Queries.exists(
              conn,
              "SELECT 1 FROM pg_namespace WHERE nspname = ? AND nspowner::regrole::text ="
                  + " quote_ident(?) AND NOT pg_has_role(current_user, nspowner, 'USAGE')",
              schema,
              role);
      if (owned) {
        st.execute("SET LOCAL ROLE " + ident(role));
      }
      st.execute("DROP SCHEMA " + ident(schema) + " CASCADE");
      if (owned) {
        st.execute("SET LOCAL ROLE NONE");
      }
    }
  }

  /**
   * A statement creating one of the tenant's objects; {@code view}, when set, is checked to read
   * its tenant's schemas only.
   */
  private record Pending(String label, String sql, String view) {}

  /**
   * The tenants' views in the target schema of their source schema, tenant-aware and exact: for
   * each view (source schema and name) any compatibility schema holds, the union of every tenant's
   * view with the tenant column first ({@code SELECT 'acme' AS tenant_id, * FROM tenant_acme.v
   * UNION ALL ...}). Each tenant's view reads only its rows, so the union is what a rewrite of the
   * view over the consolidated tables would have to return. Rebuilt with every compatibility schema
   * (dropping one drops the unions over it); a relation of that name that Tenantfold did not create
   * is left alone, and views whose columns differ between tenants are not united (both named as
   * problems).
   */
  private List<String> unionViews(Connection conn, Statement st, TargetSchema plan)
      throws SQLException {
    Map<String, List<String[]>> byKey = new java.util.TreeMap<>();
    try (ResultSet rs =
        st.executeQuery(
            "SELECT c.relname, n.nspname, substr(obj_description(n.oid, 'pg_namespace'), "
                + (MARK.length() + 1)
                + ") FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE"
                + " starts_with(obj_description(n.oid, 'pg_namespace'), "
                + literal(MARK)
                + ") AND c.relkind IN ('v', 'm') AND obj_description(c.oid, 'pg_class') IS DISTINCT"
                + " FROM "
                + literal(STORED_MARK)
                + " ORDER BY c.relname, n.nspname")) {
      while (rs.next()) {
        String[] owner = marked(rs.getString(3));
        String key = SchemaMap.key(owner[1], rs.getString(1));
        if (plan.table(key).isEmpty()) {
          byKey
              .computeIfAbsent(key, k -> new ArrayList<>())
              .add(new String[] {rs.getString(2), owner[0]});
        }
      }
    }
    List<String> problems = new ArrayList<>();
    for (var view : byKey.entrySet()) {
      String target = schemas.relation(view.getKey());
      String where = schemas.targetSchemaOf(view.getKey());
      String name = SchemaMap.nameOf(view.getKey());
      if (Queries.exists(
          conn, "SELECT 1 FROM pg_class WHERE oid = to_regclass(?) AND relkind = 'p'", target)) {
        // A consolidated table this run does not select: its views are table views, not unions.
        continue;
      }
      boolean ours =
          Queries.exists(
              conn,
              "SELECT 1 FROM pg_class WHERE oid = to_regclass(?) AND obj_description(oid,"
                  + " 'pg_class') = ?",
              target,
              UNION_MARK);
      if (!ours && Queries.bool(conn, "SELECT to_regclass(?) IS NOT NULL", target)) {
        problems.add(
            "view "
                + view.getKey()
                + " not united in "
                + where
                + ": a relation of that name exists there");
        continue;
      }
      List<String> parts =
          view.getValue().stream()
              .map(
                  v ->
                      "SELECT "
                          + literal(v[1])
                          + "::text AS "
                          + ident(tenantColumn)
                          + ", * FROM "
                          + ident(v[0])
                          + "."
                          + ident(name))
              .toList();
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
        problems.add(
            "view "
                + view.getKey()
                + " not united in "
                + where
                + ": "
                + e.getMessage().lines().findFirst().orElse(""));
      }
    }
    return problems;
  }

  /**
   * Creates each statement under a savepoint, again and again while any succeeds (an object may
   * need one created after it); what never succeeds becomes a problem with PostgreSQL's reason. A
   * view that reads a relation outside {@code own} (a consolidated table of every tenant, through a
   * qualifier left as it was or a name the compatibility schemas lack) is rolled back like a
   * failure: it would show other tenants' rows.
   */
  private static List<String> createAll(
      Connection conn, Statement st, List<Pending> pending, List<String> own, List<String> problems)
      throws SQLException {
    List<String> created = new ArrayList<>();
    List<String> reasons = new ArrayList<>();
    boolean progressed = true;
    while (progressed && !pending.isEmpty()) {
      progressed = false;
      reasons.clear();
      for (Pending object : List.copyOf(pending)) {
        st.execute("SAVEPOINT tenantfold_compat");
        try {
          st.execute(object.sql());
          List<String> foreign =
              object.view() == null ? List.of() : readsOutside(conn, object.view(), own);
          if (!foreign.isEmpty()) {
            st.execute("ROLLBACK TO SAVEPOINT tenantfold_compat");
            reasons.add(
                object.label()
                    + " not recreated: it would read "
                    + String.join(", ", foreign)
                    + ", outside the tenant's"
                    + " compatibility schemas (every tenant's rows)");
            continue;
          }
          st.execute("RELEASE SAVEPOINT tenantfold_compat");
          pending.remove(object);
          created.add(object.label());
          progressed = true;
        } catch (SQLException e) {
          st.execute("ROLLBACK TO SAVEPOINT tenantfold_compat");
          reasons.add(
              object.label() + " not recreated: " + e.getMessage().lines().findFirst().orElse(""));
        }
      }
    }
    problems.addAll(reasons);
    return created;
  }

  /** The relations {@code view} reads outside the schemas {@code own} and the system catalogs. */
  private static List<String> readsOutside(Connection conn, String view, List<String> own)
      throws SQLException {
    List<String> out = new ArrayList<>();
    try (PreparedStatement ps = conn.prepareStatement(READS_SQL)) {
      ps.setString(1, view);
      ps.setArray(2, conn.createArrayOf("text", own.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
    }
    return out;
  }
}
