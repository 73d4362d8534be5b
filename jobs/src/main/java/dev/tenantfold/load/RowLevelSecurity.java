package dev.tenantfold.load;

import static dev.tenantfold.jdbc.Sql.ident;
import static dev.tenantfold.jdbc.Sql.literal;

import dev.tenantfold.config.TargetConfig;
import dev.tenantfold.jdbc.Queries;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Tenant isolation inside the consolidated tables (docs/security.md). Every consolidated parent
 * table gets {@code ENABLE} and {@code FORCE ROW LEVEL SECURITY} and one policy for all commands,
 * {@code USING} and {@code WITH CHECK} {@code tenant_id = current_setting('app.tenant_id', true)}:
 * a session sees, inserts, updates and deletes only the rows of the tenant it has set, and nothing
 * when it has set none. The tenant column defaults to the same setting, so the application's
 * inserts (and its triggers' inserts into other consolidated tables) need not name it.
 *
 * <p>The loader is exempt by what it does, not by a policy: the job runs with {@code row_security =
 * off}, under which a forced policy would be an error for the owner whatever the policy says, so
 * the run never reads or writes rows through a parent table. It loads and validates staging tables
 * (no policies), publishes with ATTACH and DETACH PARTITION (DDL, which row security does not
 * filter), and the {@code validate} command reads the published rows as the tenant it audits
 * ({@link #actAsTenant}). No BYPASSRLS is needed.
 *
 * <p>Partitions are tables of their own, and a query naming one directly is not filtered by the
 * parent's policies. Each partition of a tenant table therefore has row level security enabled and
 * forced, with the parent's tenant policy ({@link #PARTITION_POLICY}: its owner too reads it only
 * as the tenant its session names), and no privileges for anyone but its owner; the publisher does
 * this in the publish transaction ({@link #protectPartition}), every run re-checks all partitions.
 */
public final class RowLevelSecurity {
  /** The policy on every tenant table. */
  public static final String TENANT_POLICY = "tenantfold_tenant_isolation";

  /**
   * The policy on every partition of a tenant table: the parent's, so a session naming a partition
   * directly (its owner too: row-level security is forced there) sees only the tenant it names.
   */
  public static final String PARTITION_POLICY = "tenantfold_partition_isolation";

  /** The read policy of a shared reference table ({@link Access#SHARED}). */
  public static final String SHARED_POLICY = "tenantfold_shared_read";

  /**
   * Who may see a table's rows: a consolidated table is {@code TENANT}; a shared reference table
   * (one copy for all tenants, a {@code shared} rule) is {@code SHARED}: readable by every session,
   * written only by the loader.
   */
  public enum Access {
    TENANT,
    SHARED
  }

  private final String schema;
  private final String tenantColumn;
  private final String setting;
  private final Optional<String> applicationRole;

  public RowLevelSecurity(
      String schema, String tenantColumn, String setting, Optional<String> applicationRole) {
    this.schema = schema;
    this.tenantColumn = tenantColumn;
    this.setting = setting;
    this.applicationRole = applicationRole;
  }

  /**
   * The isolation {@code target} asks for, or empty when {@code
   * tenantfold.target.row-level-security} is off.
   */
  public static Optional<RowLevelSecurity> of(TargetConfig target, String tenantColumn) {
    return target.rowLevelSecurity()
        ? Optional.of(
            new RowLevelSecurity(
                target.schema(), tenantColumn, target.tenantSetting(), target.applicationRole()))
        : Optional.empty();
  }

  /**
   * The policy expression: the row's tenant is the session's ({@code NULL}, so no row, when unset).
   */
  String tenantCondition() {
    return ident(tenantColumn) + " = current_setting(" + literal(setting) + ", true)";
  }

  /**
   * Fails unless the application role exists: a GRANT to a missing role would fail every table
   * alike.
   */
  public void checkApplicationRole(Connection conn) throws SQLException {
    if (applicationRole.isEmpty()) {
      return;
    }
    try (PreparedStatement ps = conn.prepareStatement("SELECT 1 FROM pg_roles WHERE rolname = ?")) {
      ps.setString(1, applicationRole.get());
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw new SQLException(
              "Cannot grant the consolidated tables to role "
                  + applicationRole.get()
                  + ": it does not exist;"
                  + " create it or change "
                  + TargetConfig.APPLICATION_ROLE.path());
        }
      }
    }
  }

  /**
   * Enables and forces row-level security on {@code table}, (re)creates its policy when missing or
   * different, grants it to the application role and protects its partitions. Runs inside the
   * caller's transaction; changes nothing (takes no lock beyond a catalog read) when all is in
   * place.
   */
  public void protect(Connection conn, String tableSchema, String parent, Access access)
      throws SQLException {
    try (Statement st = conn.createStatement()) {
      boolean enabled;
      boolean forced;
      try (PreparedStatement ps =
          conn.prepareStatement(
              "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = ?::regclass")) {
        ps.setString(1, parent);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          enabled = rs.getBoolean(1);
          forced = rs.getBoolean(2);
        }
      }
      if (!enabled) {
        st.execute("ALTER TABLE " + parent + " ENABLE ROW LEVEL SECURITY");
      }
      if (!forced && access == Access.TENANT) {
        // Also the owner is filtered: an application connected as the owner by mistake still sees
        // one tenant.
        st.execute("ALTER TABLE " + parent + " FORCE ROW LEVEL SECURITY");
      } else if (forced && access == Access.SHARED) {
        // Every tenant sees a shared table whole; the loader (its owner) must merge into it, which
        // a read-only policy would refuse.
        st.execute("ALTER TABLE " + parent + " NO FORCE ROW LEVEL SECURITY");
      }
      String policy = access == Access.TENANT ? TENANT_POLICY : SHARED_POLICY;
      String other = access == Access.TENANT ? SHARED_POLICY : TENANT_POLICY;
      String condition = access == Access.TENANT ? tenantCondition() : "true";
      if (!policyInPlace(conn, parent, policy, access)) {
        st.execute("DROP POLICY IF EXISTS " + ident(policy) + " ON " + parent);
        st.execute(
            access == Access.TENANT
                ? "CREATE POLICY "
                    + ident(policy)
                    + " ON "
                    + parent
                    + " AS PERMISSIVE FOR ALL TO PUBLIC USING ("
                    + condition
                    + ") WITH CHECK ("
                    + condition
                    + ")"
                : "CREATE POLICY "
                    + ident(policy)
                    + " ON "
                    + parent
                    + " AS PERMISSIVE FOR SELECT TO PUBLIC USING (true)");
      }
      if (policyExists(conn, parent, other)) {
        st.execute("DROP POLICY " + ident(other) + " ON " + parent);
      }
      if (policyExists(conn, parent, TenantRoles.OPEN_POLICY)) {
        // Opened for every session while row-level security was off (TenantRoles.bind): with it on,
        // that policy would let every session see every tenant.
        st.execute("DROP POLICY " + ident(TenantRoles.OPEN_POLICY) + " ON " + parent);
      }
      if (access == Access.TENANT
          && !Queries.exists(
              conn,
              "SELECT 1 FROM pg_attrdef d JOIN pg_attribute a ON a.attrelid = d.adrelid"
                  + " AND a.attnum = d.adnum WHERE d.adrelid = ?::regclass AND a.attname = ?",
              parent,
              tenantColumn)) {
        // The session's tenant fills the tenant column: the application inserts as it did in its
        // own database, and so does a
        // trigger of one consolidated table that writes another (the policy's WITH CHECK still
        // holds: it is the same setting).
        st.execute(
            "ALTER TABLE "
                + parent
                + " ALTER COLUMN "
                + ident(tenantColumn)
                + " SET DEFAULT current_setting("
                + literal(setting)
                + ", true)");
      }
      if (applicationRole.isPresent()) {
        grant(conn, st, tableSchema, parent, access);
      }
      // The parent's policy as PostgreSQL renders it: each partition gets the same one.
      String rendered =
          access == Access.TENANT
              ? Queries.string(
                  conn,
                  "SELECT pg_get_expr(polqual, polrelid) FROM pg_policy WHERE polrelid ="
                      + " ?::regclass AND polname = ?",
                  parent,
                  TENANT_POLICY)
              : null;
      for (String partition : unprotectedPartitions(conn, parent, access == Access.TENANT)) {
        protectOnePartition(conn, partition, rendered);
      }
    }
  }

  /**
   * Lets the application role draw ids from a consolidated table's sequence (identity and serial
   * columns): {@code USAGE}, granted only when missing.
   */
  public void grantSequence(Connection conn, Statement st, String sequence) throws SQLException {
    if (applicationRole.isEmpty()) {
      return;
    }
    if (!Queries.bool(
        conn, "SELECT has_sequence_privilege(?, ?, 'USAGE')", applicationRole.get(), sequence)) {
      st.execute("GRANT USAGE ON SEQUENCE " + sequence + " TO " + ident(applicationRole.get()));
    }
  }

  private void grant(
      Connection conn, Statement st, String tableSchema, String parent, Access access)
      throws SQLException {
    String role = applicationRole.get();
    List<String> privileges =
        access == Access.TENANT
            ? List.of("SELECT", "INSERT", "UPDATE", "DELETE")
            : List.of("SELECT");
    StringBuilder sql = new StringBuilder("SELECT has_schema_privilege(?, ?, 'USAGE'), true");
    privileges.forEach(
        p -> sql.append(" AND has_table_privilege(?, ?::regclass, '").append(p).append("')"));
    try (PreparedStatement ps = conn.prepareStatement(sql.toString())) {
      ps.setString(1, role);
      ps.setString(2, tableSchema);
      for (int i = 0; i < privileges.size(); i++) {
        ps.setString(3 + 2 * i, role);
        ps.setString(4 + 2 * i, parent);
      }
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        // Granted only when missing: concurrent GRANTs on one object fail with "tuple concurrently
        // updated".
        if (!rs.getBoolean(1)) {
          st.execute("GRANT USAGE ON SCHEMA " + ident(tableSchema) + " TO " + ident(role));
        }
        if (!rs.getBoolean(2)) {
          st.execute(
              "GRANT " + String.join(", ", privileges) + " ON " + parent + " TO " + ident(role));
        }
      }
    }
  }

  /**
   * Protects a partition of a parent table that has row-level security (a no-op otherwise): row
   * level security enabled and, under a parent whose policies are forced, forced too, with the
   * parent's tenant policy ({@link #PARTITION_POLICY}), so whoever names the partition, its owner
   * included, reads and writes it only as the tenant the session names (under the job's {@code
   * row_security = off} a direct read is an error, never a silent read of the whole tenant); and
   * every privilege of other roles revoked (TRUNCATE ignores row-level security). Called by the
   * publisher for each partition it attaches, inside the publish transaction, before anyone can see
   * it.
   */
  public static void protectPartition(Connection conn, String parent, String partition)
      throws SQLException {
    String condition;
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT c.relrowsecurity, c.relforcerowsecurity, pg_get_expr(p.polqual, p.polrelid)"
                + " FROM pg_class c LEFT JOIN pg_policy p ON p.polrelid = c.oid AND p.polname = ?"
                + " WHERE c.oid = ?::regclass")) {
      ps.setString(1, TENANT_POLICY);
      ps.setString(2, parent);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next() || !rs.getBoolean(1)) {
          return;
        }
        condition = rs.getBoolean(2) ? rs.getString(3) : null;
      }
    }
    protectOnePartition(conn, partition, condition);
  }

  /**
   * {@code tenantCondition}: the parent's tenant policy expression when the parent's row-level
   * security is forced (the partition's is forced too, with that policy), or null.
   */
  private static void protectOnePartition(Connection conn, String partition, String tenantCondition)
      throws SQLException {
    boolean enabled;
    boolean forced;
    String policy;
    List<String> grantees = new ArrayList<>();
    try (PreparedStatement ps =
        conn.prepareStatement(
            """
            SELECT c.relrowsecurity, c.relforcerowsecurity,
                   ARRAY(SELECT DISTINCT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END
                           FROM aclexplode(c.relacl) a LEFT JOIN pg_roles r ON r.oid = a.grantee
                          WHERE a.grantee <> c.relowner),
                   (SELECT pg_get_expr(p.polqual, p.polrelid) FROM pg_policy p
                     WHERE p.polrelid = c.oid AND p.polname = ?)
              FROM pg_class c WHERE c.oid = ?::regclass
            """)) {
      ps.setString(1, PARTITION_POLICY);
      ps.setString(2, partition);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        enabled = rs.getBoolean(1);
        forced = rs.getBoolean(2);
        for (Object g : (Object[]) rs.getArray(3).getArray()) {
          grantees.add((String) g);
        }
        policy = rs.getString(4);
      }
    }
    try (Statement st = conn.createStatement()) {
      if (!enabled) {
        st.execute("ALTER TABLE " + partition + " ENABLE ROW LEVEL SECURITY");
      }
      if (tenantCondition != null && !forced) {
        // Its owner (the loader) is filtered too: code that ever ran with the loader's rights would
        // read a partition by name only as the tenant its session names.
        st.execute("ALTER TABLE " + partition + " FORCE ROW LEVEL SECURITY");
      }
      if (tenantCondition != null && !tenantCondition.equals(policy)) {
        st.execute("DROP POLICY IF EXISTS " + ident(PARTITION_POLICY) + " ON " + partition);
        st.execute(
            "CREATE POLICY "
                + ident(PARTITION_POLICY)
                + " ON "
                + partition
                + " AS PERMISSIVE FOR ALL TO PUBLIC USING "
                + tenantCondition
                + " WITH CHECK "
                + tenantCondition);
      }
      if (!grantees.isEmpty()) {
        st.execute("REVOKE ALL ON " + partition + " FROM " + String.join(", ", grantees));
      }
    }
  }

  /**
   * Makes {@code conn} read the consolidated tables as {@code tenantId}: row security on and the
   * tenant setting set. For the loader auditing published rows through a parent table, whose forced
   * policy would otherwise be an error under the job's {@code row_security = off}.
   */
  public static void actAsTenant(Connection conn, TargetConfig target, String tenantId)
      throws SQLException {
    if (!target.rowLevelSecurity()) {
      return;
    }
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT set_config('row_security', 'on', false), set_config(?, ?, false)")) {
      ps.setString(1, target.tenantSetting());
      ps.setString(2, tenantId);
      ps.execute();
    }
  }

  /**
   * The same for the rest of the current transaction only ({@code set_config(..., true)}): the
   * publish runs as the tenant it publishes, so the foreign-key checks PostgreSQL runs when a
   * partition is attached read the referenced tables through their forced policies (seeing that
   * tenant's rows, the only ones its keys may reference) instead of failing under {@code
   * row_security = off}.
   */
  public static void actAsTenantInTransaction(
      Connection conn, String tenantSetting, String tenantId) throws SQLException {
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT set_config('row_security', 'on', true), set_config(?, ?, true)")) {
      ps.setString(1, tenantSetting);
      ps.setString(2, tenantId);
      ps.execute();
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

  /**
   * Whether {@code policy} exists as {@link #protect} creates it: command, PUBLIC, and the
   * expressions as {@code pg_get_expr} renders them (parenthesised, the setting name cast to text).
   */
  private boolean policyInPlace(Connection conn, String parent, String policy, Access access)
      throws SQLException {
    String tenantRendered =
        "'(' || quote_ident(?) || ' = current_setting(' || quote_literal(?) || '::text, true))'";
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT p.polcmd = ? AND p.polpermissive AND p.polroles = '{0}'::oid[]"
                + " AND pg_get_expr(p.polqual, p.polrelid) IS NOT DISTINCT FROM "
                + (access == Access.TENANT ? tenantRendered : "'true' || ? || ?")
                + " AND pg_get_expr(p.polwithcheck, p.polrelid) IS NOT DISTINCT FROM "
                + (access == Access.TENANT ? tenantRendered : "NULLIF(? || ?, '')")
                + " FROM pg_policy p WHERE p.polrelid = ?::regclass AND p.polname = ?")) {
      boolean tenant = access == Access.TENANT;
      ps.setString(1, tenant ? "*" : "r");
      ps.setString(2, tenant ? tenantColumn : "");
      ps.setString(3, tenant ? setting : "");
      ps.setString(4, tenant ? tenantColumn : "");
      ps.setString(5, tenant ? setting : "");
      ps.setString(6, parent);
      ps.setString(7, policy);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && rs.getBoolean(1);
      }
    }
  }

  /**
   * Partitions without row-level security (or, when {@code forced}, without it forced or without
   * the partition policy) or with privileges of other roles: one catalog query per table, however
   * many tenants.
   */
  private static List<String> unprotectedPartitions(Connection conn, String parent, boolean forced)
      throws SQLException {
    List<String> out = new ArrayList<>();
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_inherits i JOIN pg_class c ON"
                + " c.oid = i.inhrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE"
                + " i.inhparent = ?::regclass AND (NOT c.relrowsecurity OR (? AND (NOT"
                + " c.relforcerowsecurity OR NOT EXISTS (SELECT 1 FROM pg_policy p WHERE"
                + " p.polrelid = c.oid AND p.polname = ? AND pg_get_expr(p.polqual, p.polrelid) ="
                + " (SELECT pg_get_expr(q.polqual, q.polrelid) FROM pg_policy q WHERE q.polrelid"
                + " = i.inhparent AND q.polname = ?)))) OR EXISTS (SELECT 1 FROM"
                + " aclexplode(c.relacl) a WHERE a.grantee <> c.relowner)) ORDER BY 1")) {
      ps.setString(1, parent);
      ps.setBoolean(2, forced);
      ps.setString(3, PARTITION_POLICY);
      ps.setString(4, TENANT_POLICY);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
    }
    return out;
  }
}
