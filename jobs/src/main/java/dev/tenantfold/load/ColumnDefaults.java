package dev.tenantfold.load;

import static dev.tenantfold.jdbc.Sql.ident;
import static dev.tenantfold.jdbc.Sql.literal;
import static dev.tenantfold.load.DdlContext.sequenceExists;

import dev.tenantfold.config.SchemaMap;
import dev.tenantfold.conform.CodePlan;
import dev.tenantfold.conform.TargetSchema;
import dev.tenantfold.conform.TargetTable;
import dev.tenantfold.extract.ColumnSpec;
import dev.tenantfold.jdbc.Queries;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The source's column defaults on the consolidated tables: identity and serial columns draw from a
 * sequence of the target ({@link TargetDdl#sequenceName}); other defaults are set as the source
 * prints them, a tenant's function they call replaced by its copy in the tenant's own schema
 * ({@link TenantCode}).
 */
final class ColumnDefaults {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(TargetDdl.class);

  private final DdlContext ctx;
  private final SchemaMap schemas;
  private final String tenantColumn;
  private final Optional<RowLevelSecurity> rowLevelSecurity;
  private final TenantCode tenantCode;

  ColumnDefaults(DdlContext ctx, Optional<RowLevelSecurity> rowLevelSecurity, TenantCode code) {
    this.ctx = ctx;
    this.schemas = ctx.schemas;
    this.tenantColumn = ctx.tenantColumn;
    this.rowLevelSecurity = rowLevelSecurity;
    this.tenantCode = code;
  }

  /**
   * Recreates the source's column defaults on the consolidated table: identity and serial columns
   * get a sequence of the target's ({@link #sequenceName}, advanced past every tenant's largest
   * value at each publish); other defaults are set as the source prints them. A function a default
   * calls is a tenant's code: it is created in its tenant's own schema ({@link
   * TenantCode#createFunction}, run as the tenant's role, whoever inserts) and the default calls it
   * there. A default the target cannot evaluate (a function it lacks) is skipped with a warning,
   * not a failed table. Existing defaults are left alone, except one calling a function outside
   * every tenant's own schema that a tenant's default calls (an earlier version's, run with the
   * inserting session's rights): it is set again.
   */
  void ensure(
      Connection conn,
      Statement st,
      TargetSchema target,
      TargetTable table,
      List<CodePlan.DefaultCode> functions)
      throws SQLException {
    for (CodePlan.DefaultCode code : functions) {
      String role = TenantRoles.role(code.tenantId());
      tenantCode.createFunction(
          st,
          role,
          code.function(),
          tenantCode.path(target, code.tenantId()),
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
      String sequence = TargetDdl.sequence(schemas, table.name(), c.name());
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
              : TenantCode.rewriteCalls(schemas.requalify(c.defaultExpression()), functions);
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
              ctx.reason(e));
          ctx.skip("the default of " + table.name() + "." + c.name() + " (" + ctx.reason(e) + ")");
        }
      }
    }
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
}
