package dev.tenantfold.load;

import static dev.tenantfold.jdbc.Sql.ident;
import static dev.tenantfold.jdbc.Sql.literal;
import static dev.tenantfold.jdbc.Sql.qualified;

import dev.tenantfold.config.SchemaMap;
import dev.tenantfold.config.TargetConfig;
import dev.tenantfold.conform.TargetSchema;
import dev.tenantfold.conform.TargetTable;
import dev.tenantfold.extract.ColumnSpec;
import dev.tenantfold.extract.ForeignKeySpec;
import dev.tenantfold.jdbc.Queries;
import dev.tenantfold.jdbc.SearchPath;
import dev.tenantfold.jdbc.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
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
  static final String DDL_LOCK = DdlContext.DDL_LOCK;

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(TargetDdl.class);

  private final DdlContext ctx;
  private final String schema;
  private final SchemaMap schemas;
  private final String tenantColumn;
  private final Optional<RowLevelSecurity> rowLevelSecurity;

  /** The run's tenants (config order): those whose code is recreated get their role bound. */
  private final List<String> tenantIds;

  private final Optional<String> compatPrefix;
  private final TargetTypes types;
  private final ConsolidatedTables tables;
  private final TenantCode code;
  private final ColumnDefaults defaults;
  private final ForeignKeys foreignKeys;

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
    this.ctx = new DdlContext(schemas, tenantColumn);
    this.schema = schemas.defaultSchema();
    this.schemas = schemas;
    this.tenantColumn = tenantColumn;
    this.rowLevelSecurity = rowLevelSecurity;
    this.tenantIds = List.copyOf(tenantIds);
    this.compatPrefix = compatPrefix;
    this.types = new TargetTypes(ctx);
    this.tables = new ConsolidatedTables(ctx);
    this.code = new TenantCode(ctx, compatPrefix);
    this.defaults = new ColumnDefaults(ctx, rowLevelSecurity, code);
    this.foreignKeys = new ForeignKeys(ctx);
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
      // Definitions were read under the tenants' schemas as the search path: they are replayed
      // under the schemas those map to.
      String searchPath = "SET LOCAL search_path TO " + SearchPath.of(ctx.replayPath(target));
      Map<String, String> schemaProblems = ensureSchemas(conn, st, target, timeout);
      if (!schemaProblems.containsKey(schema)) {
        ensureExtensions(conn, st, target, timeout);
      }
      Map<String, String> typeProblems = new TreeMap<>();
      types.ensureEnums(conn, st, target, timeout, schemaProblems).forEach(typeProblems::put);
      Map<String, String> domainProblems =
          types.ensureDomains(conn, st, target, timeout, searchPath, schemaProblems);
      List<String> codeTenants = codeTenants(target);
      TenantRoles tenantRoles = new TenantRoles(tenantColumn, rowLevelSecurity.isPresent());
      Optional<String> roleProblem = ensureRoles(conn, st, tenantRoles, codeTenants, timeout);
      for (TargetTable table : target.tables().values()) {
        Optional<String> problem =
            tableProblem(table, schemaProblems, typeProblems, domainProblems).or(() -> roleProblem);
        if (problem.isPresent()) {
          failed.put(table.name(), problem.get());
          continue;
        }
        try {
          serialize(st, timeout);
          st.execute(searchPath);
          ensureTable(conn, st, target, table, tenantRoles, codeTenants);
          conn.commit();
        } catch (SQLException e) {
          conn.rollback();
          failed.put(
              table.name(),
              "Cannot create or evolve target table "
                  + schemas.relation(table.name())
                  + ": "
                  + ctx.reason(e));
        }
      }
      // Foreign keys last: both ends must exist, with their keys.
      ensureForeignKeys(conn, st, target, timeout, failed.keySet());
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

  /**
   * The foreign keys of every table that was built, each table's in its own transaction; those
   * whose other end failed, or that the target cannot keep, are noted ({@link #skipped()}).
   */
  private void ensureForeignKeys(
      Connection conn, Statement st, TargetSchema target, String timeout, Set<String> failed)
      throws SQLException {
    for (TargetTable table : target.tables().values()) {
      if (failed.contains(table.name())) {
        continue;
      }
      List<ForeignKeySpec> keys =
          target.foreignKeys(table.name()).stream()
              .filter(k -> !failed.contains(k.referencedTable()))
              .toList();
      foreignKeys.noteNotRecreated(target, table, keys, failed);
      if (keys.isEmpty()) {
        continue;
      }
      serialize(st, timeout);
      foreignKeys.ensure(conn, st, target, table, keys);
      conn.commit();
    }
  }

  /**
   * Creates every target schema the run needs, each in its own transaction: the default one, each
   * source schema's (schemas are mapped, never flattened), those of the domains, functions and
   * compatibility views; returns, per schema that could not be created, the reason.
   */
  private Map<String, String> ensureSchemas(
      Connection conn, Statement st, TargetSchema target, String timeout) throws SQLException {
    Set<String> targetSchemas = new java.util.LinkedHashSet<>();
    targetSchemas.add(schema);
    target.tables().keySet().forEach(k -> targetSchemas.add(schemas.targetSchemaOf(k)));
    target.enums().keySet().forEach(k -> targetSchemas.add(schemas.targetSchemaOf(k)));
    // Domains and functions live in the target schema their source schema maps to, as tables do
    // (sales.quote_ref() in sales).
    TargetTypes.domainsUsed(target).forEach(k -> targetSchemas.add(schemas.targetSchemaOf(k)));
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
    Map<String, String> problems = new TreeMap<>();
    for (String s : targetSchemas) {
      try {
        serialize(st, timeout);
        st.execute("CREATE SCHEMA IF NOT EXISTS " + ident(s));
        conn.commit();
      } catch (SQLException e) {
        conn.rollback();
        problems.put(s, "Cannot create target schema " + s + ": " + ctx.reason(e));
      }
    }
    return problems;
  }

  /**
   * The tenants' extensions (uuid-ossp for uuid_generate_v4() defaults, say), in the target schema
   * where it can create them: without them their functions' defaults and triggers are skipped. One
   * the target cannot create is a warning, not a failure.
   */
  private void ensureExtensions(Connection conn, Statement st, TargetSchema target, String timeout)
      throws SQLException {
    for (String extension : target.code().extensions()) {
      serialize(st, timeout);
      if (!Queries.exists(conn, "SELECT 1 FROM pg_extension WHERE extname = ?", extension)) {
        ctx.tryDdl(
            st,
            "CREATE EXTENSION IF NOT EXISTS " + ident(extension) + " SCHEMA " + ident(schema),
            "extension " + extension);
      }
      conn.commit();
    }
  }

  /**
   * Checks the application role (row-level security) and creates or checks the roles of the tenants
   * whose code runs as their own; the problem, if any, fails every table.
   */
  private Optional<String> ensureRoles(
      Connection conn,
      Statement st,
      TenantRoles tenantRoles,
      List<String> codeTenants,
      String timeout)
      throws SQLException {
    if (rowLevelSecurity.isPresent()) {
      try {
        rowLevelSecurity.get().checkApplicationRole(conn);
      } catch (SQLException e) {
        return Optional.of(e.getMessage());
      } finally {
        conn.rollback();
      }
    }
    if (codeTenants.isEmpty()) {
      return Optional.empty();
    }
    try {
      serialize(st, timeout);
      tenantRoles.ensure(conn, codeTenants);
      conn.commit();
      return Optional.empty();
    } catch (SQLException e) {
      conn.rollback();
      return Optional.of(e.getMessage());
    }
  }

  /**
   * Why {@code table} cannot be built, if it cannot: the default schema's or its own schema's
   * problem, or that of an enum or domain one of its columns uses.
   */
  private Optional<String> tableProblem(
      TargetTable table,
      Map<String, String> schemaProblems,
      Map<String, String> enumProblems,
      Map<String, String> domainProblems) {
    return Optional.ofNullable(schemaProblems.get(schema))
        .or(() -> Optional.ofNullable(schemaProblems.get(schemas.targetSchemaOf(table.name()))))
        .or(
            () ->
                table.columns().stream()
                    .filter(c -> c.enumType() != null && enumProblems.containsKey(c.enumType()))
                    .map(c -> enumProblems.get(c.enumType()))
                    .findFirst())
        .or(
            () ->
                table.columns().stream()
                    .filter(c -> c.domain() != null && domainProblems.containsKey(c.domainKey()))
                    .map(c -> domainProblems.get(c.domainKey()))
                    .findFirst());
  }

  /**
   * One table's DDL, inside the caller's transaction: the table, its defaults, unique constraints,
   * indexes and CHECKs, row-level security, the tenant roles' grants, and each tenant's partition
   * triggers and partition foreign keys.
   */
  private void ensureTable(
      Connection conn,
      Statement st,
      TargetSchema target,
      TargetTable table,
      TenantRoles tenantRoles,
      List<String> codeTenants)
      throws SQLException {
    boolean shared = target.rule(table.name()).shared().isPresent();
    tables.ensure(conn, st, target, table, shared);
    String own = schemas.targetSchemaOf(table.name());
    defaults.ensure(conn, st, target, table, target.code().defaultCode(target, table.name()));
    tables.ensureObjects(conn, st, table, target.objects(table.name()), shared);
    tables.dropConsolidatedTriggers(conn, st, table, target.code().triggerNames(table.name()));
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
      if (c.generatedBySequence() && DdlContext.sequenceExists(conn, sequence)) {
        // The tenant's code inserts without ids, as its application does.
        tenantRoles.grantSequence(conn, sequence, codeTenants);
      }
    }
    for (String tenant : tenantIds) {
      installOnPartitions(conn, target, tenant, List.of(table.name()));
    }
  }

  /**
   * Recreates on {@code tenantId}'s partitions of {@code tables} (those it has published) the
   * foreign keys the source declares on partitions ({@link ForeignKeys#addOnPartition}) and its row
   * triggers ({@link TenantCode#installTriggers}), run with the tenant's rights whoever fires them.
   * Runs inside the caller's transaction (the publish, for a new partition).
   */
  public void installOnPartitions(
      Connection conn, TargetSchema target, String tenantId, List<String> tables)
      throws SQLException {
    try (Statement st = conn.createStatement()) {
      for (String table : tables) {
        if (target.code().triggers(target, table, tenantId).triggers().isEmpty()
            && ForeignKeys.onPartitions(target, table).isEmpty()) {
          continue;
        }
        String partition =
            TenantPublisher.existingPartition(conn, schemas.relation(table), tenantId);
        if (partition == null) {
          continue;
        }
        foreignKeys.addOnPartition(st, target, table, tenantId, partition);
        code.installTriggers(st, target, table, tenantId, partition);
      }
    }
  }

  /**
   * The objects and defaults {@link #apply} skipped because the target could not build them, each
   * with why.
   */
  public List<String> skipped() {
    return ctx.skipped();
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

  private static void serialize(Statement st, String lockTimeout) throws SQLException {
    DdlContext.serialize(st, lockTimeout);
  }

  /** The {@code CREATE TABLE} of a shared table (tests read it). */
  String createSharedSql(TargetTable table) {
    return tables.createSharedSql(table);
  }

  /** The {@code CREATE TABLE} of a per-tenant consolidated table (tests read it). */
  String createSql(TargetTable table) {
    return tables.createSql(table);
  }

  String foreignKeySql(
      String table,
      ForeignKeySpec key,
      boolean parentShared,
      int targetVersion,
      List<String> lost) {
    return foreignKeys.foreignKeySql(table, key, parentShared, targetVersion, lost);
  }
}
