package dev.tenantfold.load;

import static dev.tenantfold.jdbc.Sql.ident;
import static dev.tenantfold.jdbc.Sql.literal;
import static dev.tenantfold.jdbc.Sql.qualified;

import dev.tenantfold.config.RulesConfig;
import dev.tenantfold.config.SchemaMap;
import dev.tenantfold.config.TargetConfig;
import dev.tenantfold.conform.CodePlan;
import dev.tenantfold.conform.TargetSchema;
import dev.tenantfold.conform.TargetTable;
import dev.tenantfold.conform.TypeLattice;
import dev.tenantfold.extract.CodeObjects;
import dev.tenantfold.extract.ColumnSpec;
import dev.tenantfold.extract.EnumSpec;
import dev.tenantfold.extract.ForeignKeySpec;
import dev.tenantfold.extract.TableObjects;
import dev.tenantfold.jdbc.Queries;
import dev.tenantfold.jdbc.Redaction;
import dev.tenantfold.jdbc.SearchPath;
import dev.tenantfold.jdbc.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Creates or evolves the consolidated tables: each is {@code PARTITION BY LIST (tenant column)},
 * one partition per tenant, so a tenant can be swapped in atomically. Existing tables gain missing
 * columns (nullable); an existing table that is not list-partitioned by the tenant column is an
 * error, never silently rewritten. With row-level security configured, every table also gets its
 * tenant isolation ({@link RowLevelSecurity}).
 *
 * <p>Two runs may start on the same target at once. PostgreSQL's {@code IF NOT EXISTS} and our
 * look-then-create are not atomic (two {@code CREATE TYPE} or {@code CREATE TABLE} of one name
 * collide on {@code pg_type_typname_nsp_index}), so every DDL transaction here first takes a
 * transaction-level advisory lock on one fixed key: concurrent runs apply their DDL one after the
 * other, each seeing what the other created.
 */
public final class TargetDdl {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(TargetDdl.class);

  /** The advisory lock key all target DDL of every run serializes on (per database). */
  static final String DDL_LOCK =
      "SELECT pg_advisory_xact_lock(hashtextextended('tenantfold target ddl', 0))";

  private static final String ENUM = "(enum)";

  /**
   * The default target schema: where {@code public} consolidates and the tenants' extensions are
   * created.
   */
  private final String schema;

  private final SchemaMap schemas;
  private final String tenantColumn;
  private final Optional<RowLevelSecurity> rowLevelSecurity;

  /** The run's tenants (config order): those whose code is recreated get their role bound. */
  private final List<String> tenantIds;

  /**
   * {@code target.compat-schema-prefix} when compatibility schemas are on: the tenant's functions
   * its trigger functions call are found there.
   */
  private final Optional<String> compatPrefix;

  /**
   * What {@link #apply} could not build and went on without (an object, a default), with why: the
   * run's notes list them.
   */
  private final List<String> skipped = java.util.Collections.synchronizedList(new ArrayList<>());

  public TargetDdl(String schema, String tenantColumn) {
    this(SchemaMap.of(schema), tenantColumn, Optional.empty());
  }

  public TargetDdl(
      String schema, String tenantColumn, Optional<RowLevelSecurity> rowLevelSecurity) {
    this(SchemaMap.of(schema), tenantColumn, rowLevelSecurity);
  }

  public TargetDdl(
      SchemaMap schemas, String tenantColumn, Optional<RowLevelSecurity> rowLevelSecurity) {
    this(schemas, tenantColumn, rowLevelSecurity, List.of(), Optional.empty());
  }

  private TargetDdl(
      SchemaMap schemas,
      String tenantColumn,
      Optional<RowLevelSecurity> rowLevelSecurity,
      List<String> tenantIds,
      Optional<String> compatPrefix) {
    this.schema = schemas.defaultSchema();
    this.schemas = schemas;
    this.tenantColumn = tenantColumn;
    this.rowLevelSecurity = rowLevelSecurity;
    this.tenantIds = List.copyOf(tenantIds);
    this.compatPrefix = compatPrefix;
  }

  /**
   * The same DDL for a run of {@code tenantIds}: the roles of those whose code is recreated (every
   * tenant with compatibility schemas, otherwise those with triggers) are checked or created and
   * bound to their rows of every consolidated table ({@link TenantRoles}).
   */
  public TargetDdl forTenants(List<String> tenantIds) {
    return new TargetDdl(schemas, tenantColumn, rowLevelSecurity, tenantIds, compatPrefix);
  }

  /**
   * The tenants of this run whose code runs as their own role: all of them with compatibility
   * schemas (the role owns them), otherwise those with triggers executing a function of theirs and
   * those whose functions column defaults call.
   */
  public List<String> codeTenants(TargetSchema target) {
    if (target.code().compatSchemas()) {
      return tenantIds;
    }
    Set<String> defaultCode = target.code().defaultCodeTenants(target);
    return tenantIds.stream()
        .filter(
            t ->
                defaultCode.contains(t)
                    || target.tables().keySet().stream()
                        .anyMatch(k -> !target.code().triggers(target, k, t).functions().isEmpty()))
        .toList();
  }

  /** The DDL {@code target} asks for: its schemas, and row-level security when configured. */
  public static TargetDdl of(TargetConfig target, String tenantColumn) {
    return new TargetDdl(
        target.schemas(),
        tenantColumn,
        RowLevelSecurity.of(target, tenantColumn),
        List.of(),
        target.compatSchemaPrefix());
  }

  /**
   * Creates or evolves every table; returns, per table that could not be created or evolved (an
   * extension type the target lacks, an incompatible existing table, a schema or enum type the
   * loader may not create), the reason. Each table's DDL is its own transaction, so one table's
   * failure leaves the others ready.
   */
  public Map<String, String> apply(Connection conn, TargetSchema target, Duration lockTimeout)
      throws SQLException {
    Map<String, String> failed = new TreeMap<>();
    boolean autoCommit = conn.getAutoCommit();
    conn.setAutoCommit(false);
    String timeout = "SET LOCAL lock_timeout = " + literal(lockTimeout.toMillis() + "ms");
    try (Statement st = conn.createStatement()) {
      // Each source schema's tables land in their own target schema (schemas are mapped, never
      // flattened).
      Set<String> targetSchemas = new java.util.LinkedHashSet<>();
      targetSchemas.add(schema);
      target.tables().keySet().forEach(k -> targetSchemas.add(schemas.targetSchemaOf(k)));
      target.enums().keySet().forEach(k -> targetSchemas.add(schemas.targetSchemaOf(k)));
      // Domains and functions live in the target schema their source schema maps to, as tables do
      // (sales.quote_ref() in sales).
      domainsUsed(target).forEach(k -> targetSchemas.add(schemas.targetSchemaOf(k)));
      if (target.code().compatSchemas()) {
        // A source schema holding only views (AdventureWorks' hr, pe, ...): the views united in
        // the target schema need it.
        target.code().tenants().values().stream()
            .flatMap(c -> c.views().stream())
            .forEach(v -> targetSchemas.add(schemas.targetSchema(v.schema())));
      }
      for (String key : target.tables().keySet()) {
        target
            .code()
            .defaultFunctions(target, key)
            .forEach(f -> targetSchemas.add(schemas.targetSchema(f.sourceSchema())));
      }
      // Definitions were read under the tenants' schemas as the search path: they are replayed
      // under the schemas those map to.
      String searchPath = "SET LOCAL search_path TO " + SearchPath.of(replayPath(target));
      Map<String, String> schemaProblems = new TreeMap<>();
      for (String s : targetSchemas) {
        try {
          serialize(st, timeout);
          st.execute("CREATE SCHEMA IF NOT EXISTS " + ident(s));
          conn.commit();
        } catch (SQLException e) {
          conn.rollback();
          schemaProblems.put(s, "Cannot create target schema " + s + ": " + reason(e));
        }
      }
      String schemaProblem = schemaProblems.get(schema);
      // The tenants' extensions (uuid-ossp for uuid_generate_v4() defaults, say), in the target
      // schema where it can create them:
      // without them their functions' defaults and triggers are skipped. One the target cannot
      // create is a warning, not a failure.
      for (String extension :
          schemaProblem == null ? target.code().extensions() : List.<String>of()) {
        serialize(st, timeout);
        if (!Queries.exists(conn, "SELECT 1 FROM pg_extension WHERE extname = ?", extension)) {
          tryDdl(
              st,
              "CREATE EXTENSION IF NOT EXISTS " + ident(extension) + " SCHEMA " + ident(schema),
              "extension " + extension);
        }
        conn.commit();
      }
      Map<String, String> enumProblems = new TreeMap<>();
      for (EnumSpec e : target.enums().values()) {
        if (schemaProblems.containsKey(schemas.targetSchemaOf(e.name()))) {
          enumProblems.put(e.name(), schemaProblems.get(schemas.targetSchemaOf(e.name())));
          continue;
        }
        try {
          serialize(st, timeout);
          ensureEnum(conn, st, e);
          conn.commit();
        } catch (SQLException ex) {
          conn.rollback();
          enumProblems.put(
              e.name(),
              "Cannot create or extend enum type "
                  + schemas.relation(e.name())
                  + ": "
                  + reason(ex));
        }
      }
      // Composite types and domains before the tables whose columns use them (composites first: a
      // domain is over a base type);
      // one the target cannot create fails those tables.
      Map<String, String> domainProblems = new TreeMap<>();
      List<String> types = new ArrayList<>(domainsUsed(target));
      types.sort(Comparator.comparing((String k) -> target.code().composite(k).isEmpty()));
      for (String domain : types) {
        var composite = target.code().composite(domain);
        try {
          serialize(st, timeout);
          st.execute(searchPath);
          if (schemaProblems.containsKey(schemas.targetSchemaOf(domain))) {
            throw new SQLException(schemaProblems.get(schemas.targetSchemaOf(domain)));
          }
          if (composite.isPresent()) {
            if (!Queries.bool(conn, "SELECT to_regtype(?) IS NOT NULL", schemas.relation(domain))) {
              st.execute(composite.get().createSql(schemas.relation(domain), schemas::requalify));
            }
          } else if (!Queries.bool(
              conn, "SELECT to_regtype(?) IS NOT NULL", schemas.relation(domain))) {
            var spec = target.code().domain(domain);
            if (spec.isEmpty()) {
              throw new SQLException("no tenant's catalog defines it");
            }
            st.execute(
                spec.get().rewritten(schemas::requalify).createSql(schemas.relation(domain)));
          }
          conn.commit();
        } catch (SQLException ex) {
          conn.rollback();
          domainProblems.put(
              domain,
              "Cannot create "
                  + (composite.isPresent() ? "composite type " : "domain ")
                  + schemas.relation(domain)
                  + ": "
                  + reason(ex));
        }
      }
      String roleProblem = null;
      if (rowLevelSecurity.isPresent()) {
        try {
          rowLevelSecurity.get().checkApplicationRole(conn);
        } catch (SQLException e) {
          roleProblem = e.getMessage();
        } finally {
          conn.rollback();
        }
      }
      List<String> codeTenants = codeTenants(target);
      TenantRoles tenantRoles = new TenantRoles(tenantColumn, rowLevelSecurity.isPresent());
      if (roleProblem == null && !codeTenants.isEmpty()) {
        try {
          serialize(st, timeout);
          tenantRoles.ensure(conn, codeTenants);
          conn.commit();
        } catch (SQLException e) {
          conn.rollback();
          roleProblem = e.getMessage();
        }
      }
      for (TargetTable table : target.tables().values()) {
        Optional<String> problem =
            Optional.ofNullable(schemaProblem)
                .or(
                    () ->
                        Optional.ofNullable(
                            schemaProblems.get(schemas.targetSchemaOf(table.name()))))
                .or(
                    () ->
                        table.columns().stream()
                            .filter(
                                c -> c.enumType() != null && enumProblems.containsKey(c.enumType()))
                            .map(c -> enumProblems.get(c.enumType()))
                            .findFirst())
                .or(
                    () ->
                        table.columns().stream()
                            .filter(
                                c ->
                                    c.domain() != null && domainProblems.containsKey(c.domainKey()))
                            .map(c -> domainProblems.get(c.domainKey()))
                            .findFirst());
        if (problem.isEmpty() && roleProblem != null) {
          problem = Optional.of(roleProblem);
        }
        if (problem.isPresent()) {
          failed.put(table.name(), problem.get());
          continue;
        }
        try {
          serialize(st, timeout);
          st.execute(searchPath);
          boolean shared = target.rule(table.name()).shared().isPresent();
          ensureTable(conn, st, table, shared);
          if (!shared) {
            namePrimaryKey(conn, st, target, table);
          }
          String own = schemas.targetSchemaOf(table.name());
          ensureDefaults(conn, st, target, table, target.code().defaultCode(target, table.name()));
          ensureObjects(conn, st, table, target.objects(table.name()), shared);
          dropConsolidatedTriggers(conn, st, table, target.code().triggerNames(table.name()));
          if (rowLevelSecurity.isPresent()) {
            rowLevelSecurity
                .get()
                .protect(
                    conn,
                    own,
                    schemas.relation(table.name()),
                    shared ? RowLevelSecurity.Access.SHARED : RowLevelSecurity.Access.TENANT);
          }
          tenantRoles.bind(conn, own, schemas.relation(table.name()), codeTenants, shared);
          for (ColumnSpec c : shared ? List.<ColumnSpec>of() : table.columns()) {
            String sequence = sequence(schemas, table.name(), c.name());
            if (c.generatedBySequence() && sequenceExists(conn, sequence)) {
              // The tenant's code inserts without ids, as its application does.
              tenantRoles.grantSequence(conn, sequence, codeTenants);
            }
          }
          for (String tenant : tenantIds) {
            installOnPartitions(conn, target, tenant, List.of(table.name()));
          }
          conn.commit();
        } catch (SQLException e) {
          conn.rollback();
          failed.put(
              table.name(),
              "Cannot create or evolve target table "
                  + schemas.relation(table.name())
                  + ": "
                  + reason(e));
        }
      }
      // Foreign keys last: both ends must exist, with their keys.
      for (TargetTable table : target.tables().values()) {
        if (failed.containsKey(table.name())) {
          continue;
        }
        List<ForeignKeySpec> keys =
            target.foreignKeys(table.name()).stream()
                .filter(k -> !failed.containsKey(k.referencedTable()))
                .toList();
        // Never dropped silently: the source's keys the target cannot recreate are in the notes.
        for (ForeignKeySpec key : target.objects(table.name()).foreignKeys()) {
          if (keys.stream().noneMatch(k -> k.name().equals(key.name()))) {
            skipped.add(
                "foreign key "
                    + key.name()
                    + " of "
                    + table.name()
                    + " ("
                    + (target.table(key.referencedTable()).isEmpty()
                        ? "its table " + key.referencedTable() + " is not consolidated"
                        : failed.containsKey(key.referencedTable())
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
        if (keys.isEmpty()) {
          continue;
        }
        serialize(st, timeout);
        ensureForeignKeys(conn, st, target, table, keys);
        conn.commit();
      }
      if (!target.inReferenceCycles().isEmpty()) {
        LOG.warn(
            "Tables {} reference each other in a cycle (or depend on such tables): consolidated"
                + " without their foreign keys",
            target.inReferenceCycles());
      }
    } finally {
      conn.setAutoCommit(autoCommit);
    }
    return failed;
  }

  /** The domains the planned columns are declared with (keys), each once. */
  private static Set<String> domainsUsed(TargetSchema target) {
    Set<String> domains = new java.util.TreeSet<>();
    target
        .tables()
        .values()
        .forEach(
            t ->
                t.columns().stream()
                    .map(ColumnSpec::domainKey)
                    .filter(d -> d != null)
                    .forEach(domains::add));
    return domains;
  }

  /**
   * The search path the sources' definitions are replayed under: the target schemas of the tenants'
   * schemas, in order ({@link SchemaMap#searchPath}), then {@code public}, where a type or function
   * of an extension installed before the run may live.
   */
  private List<String> replayPath(TargetSchema target) {
    List<String> path = new ArrayList<>(schemas.searchPath(target.code().searchPath()));
    if (!path.contains(schema)) {
      path.add(schema);
    }
    if (!path.contains(SchemaMap.DEFAULT_SOURCE)) {
      path.add(SchemaMap.DEFAULT_SOURCE);
    }
    return path;
  }

  /**
   * The objects and defaults {@link #apply} skipped because the target could not build them, each
   * with why.
   */
  public List<String> skipped() {
    return List.copyOf(skipped);
  }

  /**
   * Runs {@code work} (autocommit DDL of another component: the report tables, the staging schema)
   * while holding the same lock as this class's DDL, so concurrent runs on a fresh target do not
   * collide in {@code CREATE SCHEMA IF NOT EXISTS} or {@code CREATE TABLE IF NOT EXISTS}.
   */
  public static void serialized(Connection conn, DdlWork work) throws SQLException {
    try (Statement st = conn.createStatement()) {
      st.execute(DDL_LOCK.replace("pg_advisory_xact_lock", "pg_advisory_lock"));
      try {
        work.run();
      } finally {
        st.execute(DDL_LOCK.replace("pg_advisory_xact_lock", "pg_advisory_unlock"));
      }
    }
  }

  /** DDL that {@link #serialized} runs under the target DDL lock. */
  @FunctionalInterface
  public interface DdlWork {
    void run() throws SQLException;
  }

  /** The server's message, and for a missing privilege the grant that would fix it. */
  private String reason(SQLException e) {
    String message = Redaction.sqlMessage(e, List.of());
    if (!"42501".equals(e.getSQLState())) {
      return message;
    }
    return message
        + " (the loader role needs CREATE on the database and on schema "
        + schema
        + ", and must own the consolidated tables:"
        + " GRANT CREATE ON SCHEMA "
        + ident(schema)
        + " TO <loader>, or set tenantfold.target.schema to a schema the loader creates;"
        + " see docs/security.md)";
  }

  /**
   * Starts a DDL transaction: waits for any other run's DDL transaction (no lock timeout: theirs
   * are bounded by their own), then bounds the waits for table locks (ALTER TABLE waits for readers
   * of the table) like the publish.
   */
  private static void serialize(Statement st, String lockTimeout) throws SQLException {
    st.execute("SET LOCAL lock_timeout = 0");
    st.execute(DDL_LOCK);
    st.execute(lockTimeout);
  }

  private void ensureEnum(Connection conn, Statement st, EnumSpec e) throws SQLException {
    List<String> existing = new ArrayList<>();
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT e.enumlabel FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid JOIN"
                + " pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = ? AND t.typname = ?"
                + " ORDER BY e.enumsortorder")) {
      ps.setString(1, schemas.targetSchemaOf(e.name()));
      ps.setString(2, SchemaMap.nameOf(e.name()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          existing.add(rs.getString(1));
        }
      }
    }
    String type = schemas.relation(e.name());
    if (existing.isEmpty()) {
      st.execute(
          "CREATE TYPE "
              + type
              + " AS ENUM ("
              + String.join(", ", e.labels().stream().map(Sql::literal).toList())
              + ")");
      return;
    }
    // A new label goes where the plan puts it (after its predecessor), so the order, and with it <
    // and ORDER BY, stays the source's.
    for (int i = 0; i < e.labels().size(); i++) {
      String label = e.labels().get(i);
      if (!existing.contains(label)) {
        String place =
            i > 0 && existing.contains(e.labels().get(i - 1))
                ? " AFTER " + literal(e.labels().get(i - 1))
                : i + 1 < e.labels().size() && existing.contains(e.labels().get(i + 1))
                    ? " BEFORE " + literal(e.labels().get(i + 1))
                    : "";
        st.execute("ALTER TYPE " + type + " ADD VALUE IF NOT EXISTS " + literal(label) + place);
        existing.add(label);
      }
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
              + "); rename or drop it, or set tenantfold.target.schema to another schema");
    }
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
      if (!existing.equals(ENUM)
          && c.enumType() == null
          && !TypeLattice.normal(existing).equals(TypeLattice.normal(c.type()))) {
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
                  + " or wider with tenantfold.rules."
                  + RulesConfig.path(table.name())
                  + ".columns."
                  + c.name()
                  + ".cast");
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
                  + reason(e)
                  + "); drop those views and run again (compatibility schemas: DROP SCHEMA"
                  + " <prefix><tenant> and each <prefix><tenant>_<schema> CASCADE, which the next"
                  + " publish of each tenant rebuilds)",
              e.getSQLState(),
              e);
        }
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
   * The sequence an identity or serial column of a consolidated table draws from: one per column,
   * shared by every tenant, so a new row's id never collides with any tenant's (docs/reconcile.md).
   */
  public static String sequenceName(String table, String column) {
    return Sql.boundedName(table + "_" + column + "_seq");
  }

  /**
   * The quoted name of {@link #sequenceName}'s sequence of the table {@code key}: in the table's
   * own target schema.
   */
  public static String sequence(SchemaMap schemas, String key, String column) {
    return qualified(schemas.targetSchemaOf(key), sequenceName(SchemaMap.nameOf(key), column));
  }

  /**
   * Recreates the source's column defaults on the consolidated table: identity and serial columns
   * get a sequence of the target's ({@link #sequenceName}, advanced past every tenant's largest
   * value at each publish); other defaults are set as the source prints them. A function a default
   * calls is a tenant's code: it is created in its tenant's own schema ({@link
   * #createTenantFunction}, run as the tenant's role, whoever inserts) and the default calls it
   * there. A default the target cannot evaluate (a function it lacks) is skipped with a warning,
   * not a failed table. Existing defaults are left alone, except one calling a function outside
   * every tenant's own schema that a tenant's default calls (an earlier version's, run with the
   * inserting session's rights): it is set again.
   */
  private void ensureDefaults(
      Connection conn,
      Statement st,
      TargetSchema target,
      TargetTable table,
      List<CodePlan.DefaultCode> functions)
      throws SQLException {
    for (CodePlan.DefaultCode code : functions) {
      String role = TenantRoles.role(code.tenantId());
      createTenantFunction(
          st,
          role,
          code.function(),
          tenantPath(target, code.tenantId()),
          "function "
              + code.function().signature()
              + " of tenant "
              + code.tenantId()
              + " for the column defaults of "
              + table.name());
    }
    Map<String, String> current = new HashMap<>();
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT a.attname, pg_get_expr(d.adbin, d.adrelid) FROM pg_attribute a JOIN pg_attrdef"
                + " d ON d.adrelid = a.attrelid AND d.adnum = a.attnum WHERE a.attrelid ="
                + " ?::regclass")) {
      ps.setString(1, schemas.relation(table.name()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          current.put(rs.getString(1), rs.getString(2));
        }
      }
    }
    for (ColumnSpec c : table.columns()) {
      String sequence = sequence(schemas, table.name(), c.name());
      if (c.generatedBySequence()
          && rowLevelSecurity.isPresent()
          && current.containsKey(c.name())
          && sequenceExists(conn, sequence)) {
        // The application inserts without ids: it needs the sequence too (also when the role was
        // configured after the first run).
        rowLevelSecurity.get().grantSequence(conn, st, sequence);
      }
      String expression =
          c.defaultExpression() == null || c.generatedBySequence()
              ? null
              : tenantCode(schemas.requalify(c.defaultExpression()), functions);
      boolean callsTenant =
          expression != null && !expression.equals(schemas.requalify(c.defaultExpression()));
      if (current.containsKey(c.name())
          && !(callsTenant && !callsTenantCode(conn, schemas.relation(table.name()), c.name()))) {
        continue;
      }
      String column = schemas.relation(table.name()) + " ALTER COLUMN " + ident(c.name());
      if (c.generatedBySequence()) {
        st.execute("CREATE SEQUENCE IF NOT EXISTS " + sequence + " AS bigint");
        st.execute(
            "ALTER TABLE " + column + " SET DEFAULT nextval(" + literal(sequence) + "::regclass)");
        if (rowLevelSecurity.isPresent()) {
          rowLevelSecurity.get().grantSequence(conn, st, sequence);
        }
      } else if (c.defaultExpression() != null) {
        // Qualified names (a shadowed function, a cast to another schema's enum) name the target
        // schemas their schemas map to; a tenant's function, its copy in the tenant's own schema.
        st.execute("SAVEPOINT tenantfold_default");
        try {
          st.execute("ALTER TABLE " + column + " SET DEFAULT " + expression);
          st.execute("RELEASE SAVEPOINT tenantfold_default");
        } catch (SQLException e) {
          st.execute("ROLLBACK TO SAVEPOINT tenantfold_default");
          LOG.warn(
              "Cannot recreate the default of {} column {} ({}): {}; the column has no default",
              schemas.relation(table.name()),
              c.name(),
              c.defaultExpression(),
              reason(e));
          skipped.add("the default of " + table.name() + "." + c.name() + " (" + reason(e) + ")");
        }
      }
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
  private void ensureObjects(
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
        tryDdl(st, sql, "index " + index.name() + " of " + parent);
      }
    }
    for (TableObjects.CheckSpec check : objects.checks()) {
      if (!constraintExists(conn, parent, check.name())) {
        tryDdl(
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
   * ({@link #installTriggers}). Changes nothing when there are none.
   */
  private void dropConsolidatedTriggers(
      Connection conn, Statement st, TargetTable table, Set<String> names) throws SQLException {
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
   * The quoted name of {@code function} in the tenant's own schema {@code role}: its own name for a
   * function of public, else prefixed by its source schema ({@code sales__shout}), so functions of
   * one name in two schemas stay two.
   */
  private static String tenantFunction(String role, CodeObjects.FunctionSpec function) {
    String name =
        SchemaMap.DEFAULT_SOURCE.equals(function.sourceSchema())
            ? function.bareName()
            : Sql.boundedName(function.sourceSchema() + "__" + function.bareName());
    return ident(role) + "." + ident(name);
  }

  /**
   * Recreates on {@code tenantId}'s partitions of {@code tables} (those it has published) the
   * foreign keys the source declares on partitions rather than on the table (on the tenant's
   * partition they hold for all the tenant's rows; one its rows break is skipped, in {@link
   * #skipped()}), and its row triggers, each with its own definition ({@link CodePlan#triggers}):
   * the functions they execute are created in the tenant's own schema (its role's name) as its
   * role, {@code SECURITY DEFINER} with the replay search path pinned, so they run with the
   * tenant's rights and its role's policies, whoever fires them. A trigger already on the partition
   * (by name) is left alone (its function is replaced); one the target cannot create is skipped,
   * named in {@link #skipped()}. Runs inside the caller's transaction (the publish, for a new
   * partition).
   */
  public void installOnPartitions(
      Connection conn, TargetSchema target, String tenantId, List<String> tables)
      throws SQLException {
    String role = TenantRoles.role(tenantId);
    String path = tenantPath(target, tenantId);
    try (Statement st = conn.createStatement()) {
      for (String table : tables) {
        CodePlan.TableTriggers code = target.code().triggers(target, table, tenantId);
        List<ForeignKeySpec> keys =
            target.table(table).isPresent() && !target.rule(table).shared().isPresent()
                ? target.foreignKeys(table).stream().filter(ForeignKeySpec::onPartitions).toList()
                : List.of();
        if (code.triggers().isEmpty() && keys.isEmpty()) {
          continue;
        }
        String parent = schemas.relation(table);
        String partition = TenantPublisher.existingPartition(conn, parent, tenantId);
        if (partition == null) {
          continue;
        }
        for (ForeignKeySpec key : keys) {
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
        for (CodeObjects.FunctionSpec function : code.functions()) {
          createTenantFunction(
              st,
              role,
              function,
              path,
              "function " + function.signature() + " of tenant " + tenantId + " for its triggers");
        }
        for (CodeObjects.TriggerSpec trigger : code.triggers()) {
          if (Queries.exists(
              conn,
              "SELECT 1 FROM pg_trigger WHERE tgrelid = ?::regclass AND tgname = ?",
              partition,
              trigger.name())) {
            continue;
          }
          String function =
              trigger.builtInFunction()
                  ? trigger.function().substring(0, trigger.function().indexOf('('))
                  : code.functions().stream()
                      .filter(f -> f.signature().equals(trigger.function()))
                      .findFirst()
                      .map(f -> tenantFunction(role, f))
                      .orElseThrow();
          Optional<String> sql = trigger.definitionOn(partition, function);
          if (sql.isEmpty()) {
            skipped.add(
                "trigger "
                    + trigger.name()
                    + " of tenant "
                    + tenantId
                    + " on "
                    + parent
                    + " (its definition does not parse: "
                    + trigger.definition()
                    + ")");
            continue;
          }
          tryDdl(
              st,
              "SET LOCAL search_path TO " + path + "; " + schemas.requalify(sql.get()),
              "trigger " + trigger.name() + " of tenant " + tenantId + " on " + partition);
        }
      }
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
   * The search path a tenant's own functions (of its triggers and defaults) run with, pinned: its
   * compatibility schemas first when they are on (its own functions and its rows' views, names as
   * in the source), then the target schemas, then {@code pg_temp} (a caller's temporary objects
   * never shadow its names).
   */
  private String tenantPath(TargetSchema target, String tenantId) {
    List<String> path = new ArrayList<>();
    compatPrefix.ifPresent(
        p ->
            target
                .code()
                .searchPath()
                .forEach(
                    s -> path.add(dev.tenantfold.config.CompatSchemaNames.of(p, tenantId, s))));
    replayPath(target).stream().filter(s -> !path.contains(s)).forEach(path::add);
    return SearchPath.of(path) + ", pg_temp";
  }

  /**
   * Creates (or replaces) {@code function} in the tenant's own schema (its role's name, {@link
   * #tenantFunction}) as its role, {@code SECURITY DEFINER} with {@code path} pinned: it runs with
   * the tenant's rights and its role's policies, whoever calls it. One the target cannot create is
   * skipped, named in {@link #skipped()}.
   */
  private void createTenantFunction(
      Statement st, String role, CodeObjects.FunctionSpec function, String path, String what)
      throws SQLException {
    st.execute("SAVEPOINT tenantfold_object");
    try {
      st.execute("SET LOCAL ROLE " + ident(role));
      st.execute("SET LOCAL search_path TO " + path);
      st.execute("SET LOCAL check_function_bodies = off");
      st.execute(schemas.requalify(function.definitionAs(tenantFunction(role, function))));
      st.execute(
          "ALTER FUNCTION "
              + tenantFunction(role, function)
              + function.signature().substring(function.signature().indexOf('('))
              + " SECURITY DEFINER SET search_path = "
              + path);
      st.execute("SET LOCAL ROLE NONE");
      st.execute("RELEASE SAVEPOINT tenantfold_object");
    } catch (SQLException e) {
      st.execute("ROLLBACK TO SAVEPOINT tenantfold_object");
      LOG.warn("Cannot recreate {}: {}", what, reason(e));
      skipped.add(what + " (" + reason(e) + ")");
    }
  }

  /**
   * {@code expression} (a default, requalified) with every call of one of {@code functions} naming
   * the copy in its tenant's own schema instead ({@code local_code()}, {@code sales.quote_ref()} ->
   * {@code "tenantfold_tenant_acme".local_code()}); the expression unchanged when it calls none.
   */
  static String tenantCode(String expression, List<CodePlan.DefaultCode> functions) {
    String out = expression;
    for (CodePlan.DefaultCode code : functions) {
      CodeObjects.FunctionSpec f = code.function();
      String bare = java.util.regex.Pattern.quote(f.bareName());
      String quotedBare = java.util.regex.Pattern.quote(ident(f.bareName()));
      String qualifier = "(?:(?:\\\"[^\\\"]+\\\"|[A-Za-z_][A-Za-z_0-9$]*)\\.)?";
      out =
          out.replaceAll(
              "(?<![A-Za-z_0-9$.\\\"])" + qualifier + "(?:" + quotedBare + "|" + bare + ")\\(",
              java.util.regex.Matcher.quoteReplacement(
                  tenantFunction(TenantRoles.role(code.tenantId()), f) + "("));
    }
    return out;
  }

  /**
   * Whether the default of {@code column} calls a function in a tenant's own schema (a tenant's
   * code, run as its role).
   */
  private static boolean callsTenantCode(Connection conn, String relation, String column)
      throws SQLException {
    return Queries.exists(
        conn,
        "SELECT 1 FROM pg_attrdef d JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum ="
            + " d.adnum JOIN pg_depend dep ON dep.classid = 'pg_attrdef'::regclass AND dep.objid ="
            + " d.oid AND dep.refclassid = 'pg_proc'::regclass JOIN pg_proc p ON p.oid ="
            + " dep.refobjid JOIN pg_namespace n ON n.oid = p.pronamespace WHERE d.adrelid ="
            + " ?::regclass AND a.attname = ? AND starts_with(n.nspname, ?)",
        relation,
        column,
        TenantRoles.PREFIX);
  }

  /**
   * Foreign keys, tenant-aware: a tenant's row can reference only its own rows ({@code (tenant,
   * columns) REFERENCES parent (tenant, key)}); a shared table is referenced by the key alone. A
   * key the existing rows break, or a shared table referencing a tenant table, is skipped with a
   * warning.
   */
  private void ensureForeignKeys(
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
   * cannot keep, or cannot build, is in {@link #skipped()}.
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
    lost.forEach(l -> skipped.add(what + ": " + l));
    tryDdl(st, sql, what);
    if (key.match() == 'f'
        && key.columns().size() > 1
        && !constraintExists(conn, table, matchName(key))) {
      List<String> allNull = key.columns().stream().map(c -> ident(c) + " IS NULL").toList();
      List<String> noneNull = key.columns().stream().map(c -> ident(c) + " IS NOT NULL").toList();
      tryDdl(
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

  private static boolean sequenceExists(Connection conn, String sequence) throws SQLException {
    return Queries.bool(conn, "SELECT to_regclass(?) IS NOT NULL", sequence);
  }

  private void tryDdl(Statement st, String sql, String what) throws SQLException {
    st.execute("SAVEPOINT tenantfold_object");
    try {
      st.execute(sql);
      st.execute("RELEASE SAVEPOINT tenantfold_object");
    } catch (SQLException e) {
      st.execute("ROLLBACK TO SAVEPOINT tenantfold_object");
      LOG.warn(
          "Cannot recreate {} on the target: {} (skipped; the table is consolidated without it)",
          what,
          reason(e));
      skipped.add(what + " (" + reason(e) + ")");
    }
  }

  private static boolean relationExists(Connection conn, String schema, String name)
      throws SQLException {
    return Queries.exists(
        conn,
        "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ?"
            + " AND c.relname = ?",
        schema,
        name);
  }

  private static boolean constraintExists(Connection conn, String table, String name)
      throws SQLException {
    return Queries.exists(
        conn,
        "SELECT 1 FROM pg_constraint WHERE conrelid = ?::regclass AND conname = ?",
        table,
        name);
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
