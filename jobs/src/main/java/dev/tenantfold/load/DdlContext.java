package dev.tenantfold.load;

import static dev.tenantfold.jdbc.Sql.ident;

import dev.tenantfold.config.SchemaMap;
import dev.tenantfold.config.TargetConfig;
import dev.tenantfold.conform.TargetSchema;
import dev.tenantfold.jdbc.Queries;
import dev.tenantfold.jdbc.Redaction;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * What every part of the target's DDL ({@link TargetDdl}, {@link TargetTypes}, {@link
 * ConsolidatedTables}, {@link ColumnDefaults}, {@link TenantCode}, {@link ForeignKeys}) shares: the
 * schema mapping, the tenant column, the list of what could not be built (the run's notes), and the
 * way one object's DDL is tried without failing its table.
 */
final class DdlContext {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(TargetDdl.class);

  /**
   * The default target schema: where {@code public} consolidates and the tenants' extensions are
   * created.
   */
  final String schema;

  final SchemaMap schemas;
  final String tenantColumn;

  /** What could not be built and was gone on without (an object, a default), with why. */
  private final List<String> skipped = Collections.synchronizedList(new ArrayList<>());

  DdlContext(SchemaMap schemas, String tenantColumn) {
    this.schema = schemas.defaultSchema();
    this.schemas = schemas;
    this.tenantColumn = tenantColumn;
  }

  /** Notes {@code what} (an object, a default, with why) as not built. */
  void skip(String what) {
    skipped.add(what);
  }

  List<String> skipped() {
    return List.copyOf(skipped);
  }

  /** The server's message, and for a missing privilege the grant that would fix it. */
  String reason(SQLException e) {
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
        + " TO <loader>, or set "
        + TargetConfig.SCHEMA.path()
        + " to a schema the loader creates;"
        + " see docs/security.md)";
  }

  /**
   * Runs {@code sql} in a savepoint: one the target cannot build is rolled back, logged and noted
   * in {@link #skipped()}, and the table goes on without it.
   */
  void tryDdl(Statement st, String sql, String what) throws SQLException {
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
      skip(what + " (" + reason(e) + ")");
    }
  }

  /**
   * The search path the sources' definitions are replayed under: the target schemas of the tenants'
   * schemas, in order ({@link SchemaMap#searchPath}), then {@code public}, where a type or function
   * of an extension installed before the run may live.
   */
  List<String> replayPath(TargetSchema target) {
    List<String> path = new ArrayList<>(schemas.searchPath(target.code().searchPath()));
    if (!path.contains(schema)) {
      path.add(schema);
    }
    if (!path.contains(SchemaMap.DEFAULT_SOURCE)) {
      path.add(SchemaMap.DEFAULT_SOURCE);
    }
    return path;
  }

  static boolean sequenceExists(Connection conn, String sequence) throws SQLException {
    return Queries.bool(conn, "SELECT to_regclass(?) IS NOT NULL", sequence);
  }

  static boolean relationExists(Connection conn, String schema, String name) throws SQLException {
    return Queries.exists(
        conn,
        "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ?"
            + " AND c.relname = ?",
        schema,
        name);
  }

  static boolean constraintExists(Connection conn, String table, String name) throws SQLException {
    return Queries.exists(
        conn,
        "SELECT 1 FROM pg_constraint WHERE conrelid = ?::regclass AND conname = ?",
        table,
        name);
  }

  /** The advisory lock key all target DDL of every run serializes on (per database). */
  static final String DDL_LOCK =
      "SELECT pg_advisory_xact_lock(hashtextextended('tenantfold target ddl', 0))";

  /**
   * Starts a DDL transaction: waits for any other run's DDL transaction (no lock timeout: theirs
   * are bounded by their own), then bounds the waits for table locks (ALTER TABLE waits for readers
   * of the table) like the publish.
   */
  static void serialize(Statement st, String lockTimeout) throws SQLException {
    st.execute("SET LOCAL lock_timeout = 0");
    st.execute(DDL_LOCK);
    st.execute(lockTimeout);
  }
}
