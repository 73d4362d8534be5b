package dev.tenantfold.load;

import static dev.tenantfold.jdbc.Sql.ident;
import static dev.tenantfold.jdbc.Sql.literal;

import dev.tenantfold.jdbc.Queries;
import dev.tenantfold.jdbc.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The rights a tenant's recreated code runs with (docs/security.md): one role per tenant ({@code
 * tenantfold_tenant_<id>}, NOLOGIN, no member of any role) owns the tenant's compatibility schemas,
 * its functions, views and materialized views, and the functions its triggers execute, which run
 * {@code SECURITY DEFINER} as that role. A {@code RESTRICTIVE} policy on every consolidated table
 * binds the role to its tenant's rows ({@code tenant_id = '<id>'}, for reads and writes), whatever
 * the session's tenant setting says: tenant code may call {@code set_config}, but never sees or
 * changes another tenant's rows, and never runs with the loader's rights.
 *
 * <p>The roles are created by an administrator once ({@link #createSql}); a loader that is
 * superuser (the embedded demo) creates them itself. The loader never needs {@code CREATEROLE}
 * (before PostgreSQL 16 that attribute lets a role grant itself almost anything): it is a member of
 * each tenant role that does not inherit its privileges (a policy for a role binds every role that
 * inherits its privileges) and switches to it ({@code SET LOCAL ROLE}) to create, fill and drop the
 * tenant's objects.
 */
public final class TenantRoles {
  /** Every tenant role's name starts with this. */
  public static final String PREFIX = dev.tenantfold.conform.CodePlan.TENANT_ROLE_PREFIX;

  /** The policy binding a tenant role to its tenant's rows: this prefix and the role's name. */
  static final String POLICY_PREFIX = "tenantfold_code_";

  /**
   * The permissive policy that keeps a table open to every session when {@code
   * target.row-level-security} is off but tenant roles are bound to it (row-level security enabled
   * for their restrictive policies only).
   */
  static final String OPEN_POLICY = "tenantfold_open";

  private final String tenantColumn;
  private final boolean rowLevelSecurity;

  public TenantRoles(String tenantColumn, boolean rowLevelSecurity) {
    this.tenantColumn = tenantColumn;
    this.rowLevelSecurity = rowLevelSecurity;
  }

  /** The role of {@code tenantId}'s code. */
  public static String role(String tenantId) {
    return Sql.boundedName(PREFIX + tenantId);
  }

  /** The policy name binding {@code tenantId}'s role on a table. */
  static String policy(String tenantId) {
    return Sql.boundedName(POLICY_PREFIX + tenantId);
  }

  /**
   * The SQL an administrator runs once so that {@code loader} can act as the roles of {@code
   * tenantIds} without inheriting their rights: a member that inherits a role's privileges is also
   * bound by that role's policies, and would see no tenant at all. From PostgreSQL 16 a membership
   * says so itself ({@code WITH INHERIT FALSE}); before, the loader role does ({@code NOINHERIT}).
   */
  public static String createSql(List<String> tenantIds, String loader, int serverVersionNum) {
    StringBuilder sql = new StringBuilder();
    for (String tenant : tenantIds) {
      sql.append("CREATE ROLE ")
          .append(ident(role(tenant)))
          .append(" NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT; GRANT ")
          .append(ident(role(tenant)))
          .append(" TO ")
          .append(ident(loader))
          .append(serverVersionNum >= 160000 ? " WITH INHERIT FALSE, SET TRUE" : "")
          .append("; ");
    }
    if (serverVersionNum < 160000) {
      sql.append("ALTER ROLE ").append(ident(loader)).append(" NOINHERIT;");
    }
    return sql.toString().strip();
  }

  /**
   * Makes sure each tenant's role exists and the loader may act as it: creates the missing ones
   * when the loader is superuser, otherwise fails naming the SQL an administrator runs. A role with
   * SUPERUSER, BYPASSRLS or LOGIN, or a member of another role, is refused: its code would escape
   * the policies. Also creates each role's own schema (same name, owned by it), where the functions
   * of its triggers live.
   */
  public void ensure(Connection conn, List<String> tenantIds) throws SQLException {
    ensure(conn, tenantIds, true);
  }

  /**
   * What {@link #ensure} would refuse, without creating anything: for {@code plan}, which refuses
   * what a run would fail on.
   */
  public void check(Connection conn, List<String> tenantIds) throws SQLException {
    ensure(conn, tenantIds, false);
  }

  private void ensure(Connection conn, List<String> tenantIds, boolean create) throws SQLException {
    String loader = Queries.string(conn, "SELECT current_user");
    boolean superuser =
        Queries.bool(conn, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user");
    int version = Integer.parseInt(Queries.string(conn, "SHOW server_version_num"));
    List<String> missing = new ArrayList<>();
    List<String> inheriting = new ArrayList<>();
    try (Statement st = conn.createStatement()) {
      for (String tenant : tenantIds) {
        String role = role(tenant);
        try (PreparedStatement ps =
            conn.prepareStatement(
                "SELECT rolsuper OR rolbypassrls OR rolcanlogin OR EXISTS (SELECT 1 FROM"
                    + " pg_auth_members m WHERE m.member = r.oid), pg_has_role(current_user,"
                    + " r.oid, 'MEMBER'), pg_has_role(current_user, r.oid, 'USAGE') FROM pg_roles r"
                    + " WHERE rolname = ?")) {
          ps.setString(1, role);
          try (ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
              if (superuser && !create) {
                continue;
              } else if (superuser) {
                st.execute(
                    "CREATE ROLE "
                        + ident(role)
                        + " NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT");
              } else {
                missing.add(tenant);
                continue;
              }
            } else if (rs.getBoolean(1)) {
              throw new SQLException(
                  "Cannot run tenant "
                      + tenant
                      + "'s code as role "
                      + role
                      + ": the role has SUPERUSER, BYPASSRLS or LOGIN, or is a member of another"
                      + " role, so its code would reach other tenants' rows; ALTER ROLE "
                      + ident(role)
                      + " NOLOGIN NOSUPERUSER NOBYPASSRLS and revoke its memberships");
            } else if (!rs.getBoolean(2)) {
              missing.add(tenant);
              continue;
            } else if (rs.getBoolean(3) && !superuser) {
              inheriting.add(tenant);
              continue;
            }
          }
        }
        if (create) {
          st.execute(
              "CREATE SCHEMA IF NOT EXISTS " + ident(role) + " AUTHORIZATION " + ident(role));
        }
      }
    }
    if (!missing.isEmpty()) {
      throw new SQLException(
          "Cannot run the code of tenants "
              + missing
              + " with their own rights: their roles are missing or "
              + loader
              + " is not a member of them (docs/security.md); an administrator runs once: "
              + createSql(missing, loader, version));
    }
    if (!inheriting.isEmpty()) {
      throw new SQLException(
          "Cannot run the code of tenants "
              + inheriting
              + " with their own rights: "
              + loader
              + " inherits the privileges of their roles, so their policies bind it too and it"
              + " would see no tenant's rows (docs/security.md); an administrator runs once: "
              + (version >= 160000
                  ? String.join(
                      " ",
                      inheriting.stream()
                          .map(
                              t ->
                                  "GRANT "
                                      + ident(role(t))
                                      + " TO "
                                      + ident(loader)
                                      + " WITH INHERIT FALSE;")
                          .toList())
                  : "ALTER ROLE " + ident(loader) + " NOINHERIT;"));
    }
  }

  /**
   * Binds every tenant role to its own rows of the consolidated table {@code parent} (a quoted
   * qualified name in {@code tableSchema}): row-level security enabled, a {@code RESTRICTIVE}
   * policy {@code tenant_id = '<id>'} for each role, and {@code SELECT, INSERT, UPDATE, DELETE}
   * granted to it. Without {@code target.row-level-security} a permissive policy open to every
   * session keeps the table as it was for everyone else. Changes nothing (takes no lock) when all
   * is in place; runs inside the caller's transaction. A {@code shared} table (one copy for every
   * tenant) is only granted for reading.
   */
  public void bind(
      Connection conn, String tableSchema, String parent, List<String> tenantIds, boolean shared)
      throws SQLException {
    if (tenantIds.isEmpty()) {
      return;
    }
    try (Statement st = conn.createStatement()) {
      if (shared) {
        for (String tenant : tenantIds) {
          String role = role(tenant);
          if (!Queries.bool(
              conn, "SELECT has_schema_privilege(?, ?, 'USAGE')", role, tableSchema)) {
            st.execute("GRANT USAGE ON SCHEMA " + ident(tableSchema) + " TO " + ident(role));
          }
          if (!Queries.bool(
              conn, "SELECT has_table_privilege(?, ?::regclass, 'SELECT')", role, parent)) {
            st.execute("GRANT SELECT ON " + parent + " TO " + ident(role));
          }
        }
        return;
      }
      if (!Queries.bool(
          conn, "SELECT relrowsecurity FROM pg_class WHERE oid = ?::regclass", parent)) {
        st.execute("ALTER TABLE " + parent + " ENABLE ROW LEVEL SECURITY");
      }
      if (!rowLevelSecurity
          && !policyExists(conn, parent, RowLevelSecurity.TENANT_POLICY)
          && !policyExists(conn, parent, OPEN_POLICY)) {
        st.execute(
            "CREATE POLICY "
                + ident(OPEN_POLICY)
                + " ON "
                + parent
                + " AS PERMISSIVE FOR ALL TO PUBLIC USING (true) WITH CHECK (true)");
      }
      for (String tenant : tenantIds) {
        String role = role(tenant);
        String condition = ident(tenantColumn) + " = " + literal(tenant);
        if (!policyExists(conn, parent, policy(tenant))) {
          st.execute(
              "CREATE POLICY "
                  + ident(policy(tenant))
                  + " ON "
                  + parent
                  + " AS RESTRICTIVE FOR ALL TO "
                  + ident(role)
                  + " USING ("
                  + condition
                  + ") WITH CHECK ("
                  + condition
                  + ")");
        }
        if (!Queries.bool(conn, "SELECT has_schema_privilege(?, ?, 'USAGE')", role, tableSchema)) {
          st.execute("GRANT USAGE ON SCHEMA " + ident(tableSchema) + " TO " + ident(role));
        }
        if (!Queries.bool(
            conn,
            "SELECT bool_and(has_table_privilege(?, ?::regclass, p)) FROM"
                + " unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']) p",
            role,
            parent)) {
          st.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON " + parent + " TO " + ident(role));
        }
      }
    }
  }

  /** Lets each tenant role draw ids from {@code sequence}: {@code USAGE}, granted when missing. */
  public void grantSequence(Connection conn, String sequence, List<String> tenantIds)
      throws SQLException {
    try (Statement st = conn.createStatement()) {
      for (String tenant : tenantIds) {
        if (!Queries.bool(
            conn, "SELECT has_sequence_privilege(?, ?, 'USAGE')", role(tenant), sequence)) {
          st.execute("GRANT USAGE ON SEQUENCE " + sequence + " TO " + ident(role(tenant)));
        }
      }
    }
  }

  /**
   * Makes the rest of the current transaction act as {@code tenantId}'s role, reading as that
   * tenant: what it creates, the role owns; what it runs, the role's policies bind.
   */
  public static void actAs(Connection conn, String tenantSetting, String tenantId)
      throws SQLException {
    try (Statement st = conn.createStatement()) {
      st.execute("SET LOCAL ROLE " + ident(role(tenantId)));
    }
    RowLevelSecurity.actAsTenantInTransaction(conn, tenantSetting, tenantId);
  }

  /** Back to the loader's own role, for the rest of the current transaction. */
  public static void actAsLoader(Connection conn) throws SQLException {
    try (Statement st = conn.createStatement()) {
      st.execute("SET LOCAL ROLE NONE");
    }
  }

  private static boolean policyExists(Connection conn, String parent, String policy)
      throws SQLException {
    return Queries.exists(
        conn,
        "SELECT 1 FROM pg_policy WHERE polrelid = ?::regclass AND polname = ?",
        parent,
        policy);
  }
}
