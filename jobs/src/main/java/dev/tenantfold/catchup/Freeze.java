package dev.tenantfold.catchup;

import static dev.tenantfold.jdbc.Sql.ident;

import dev.tenantfold.config.TenantConfig;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code cutover --freeze}: locks the tenant's application roles ({@code catch-up.freeze-roles})
 * out of its source database by means they cannot undo themselves: their {@code CONNECT} on the
 * database is revoked and their sessions there are terminated. What is revoked is recorded in the
 * target ({@code catchup_freeze}) before anything is revoked, and granted back on every exit of the
 * cutover; a cutover killed with {@code kill -9} leaves the record, and the next {@code cutover} or
 * {@code cleanup} grants it back ({@link #restoreRecorded}).
 *
 * <p>It stops sessions of the named roles on the tenant's database only. It does not stop
 * superusers, roles not named, the database's owner, roles that may connect through {@code PUBLIC}
 * or another role they belong to (each refused here, naming what to do), or writes through other
 * databases (dblink, foreign tables).
 */
public final class Freeze implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Freeze.class);

  private final TenantConfig tenant;
  private final Connection targetConn;
  private final CatchUpState state;
  private final long frozenAt;
  private final int sessionsEnded;
  private String restored;

  private Freeze(
      TenantConfig tenant,
      Connection targetConn,
      CatchUpState state,
      long frozenAt,
      int sessionsEnded) {
    this.tenant = tenant;
    this.targetConn = targetConn;
    this.state = state;
    this.frozenAt = frozenAt;
    this.sessionsEnded = sessionsEnded;
  }

  /**
   * Why the freeze of {@code roles} would not stop them on the database {@code conn} is connected
   * to, one sentence each; empty when it would. Also what {@code plan} reports.
   */
  public static List<String> problems(Connection conn, String tenantId, List<String> roles)
      throws SQLException {
    List<String> problems = new ArrayList<>();
    if (roles.isEmpty()) {
      return problems;
    }
    String prefix = "Cannot freeze tenant " + tenantId + " (catch-up.freeze-roles): ";
    String database;
    boolean publicConnect;
    try (Statement st = conn.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT datname, datacl IS NULL OR EXISTS (SELECT 1 FROM aclexplode(datacl) a"
                    + " WHERE a.grantee = 0 AND a.privilege_type = 'CONNECT') FROM pg_database"
                    + " WHERE datname = current_database()")) {
      rs.next();
      database = rs.getString(1);
      publicConnect = rs.getBoolean(2);
    }
    if (publicConnect) {
      problems.add(
          prefix
              + "PUBLIC may connect to the source database "
              + database
              + ", so revoking CONNECT from the application roles would not keep them out; grant"
              + " CONNECT to the roles that need it and take it from PUBLIC: GRANT CONNECT ON"
              + " DATABASE "
              + ident(database)
              + " TO <the Tenantfold role>, "
              + roles.stream().map(r -> ident(r)).collect(Collectors.joining(", "))
              + ", <every other role that connects>; REVOKE CONNECT ON DATABASE "
              + ident(database)
              + " FROM PUBLIC");
    }
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT r.rolsuper, r.oid = d.datdba, r.rolname = current_user, EXISTS (SELECT 1 FROM"
                + " pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid, aclexplode(d.datacl) a"
                + " WHERE m.member = r.oid AND a.grantee = g.oid AND a.privilege_type = 'CONNECT')"
                + " FROM pg_roles r, pg_database d WHERE r.rolname = ? AND d.datname ="
                + " current_database()")) {
      for (String role : roles) {
        ps.setString(1, role);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            problems.add(
                prefix
                    + "role "
                    + role
                    + " does not exist on the source; name the roles"
                    + " the application connects as");
          } else if (rs.getBoolean(1)) {
            problems.add(
                prefix
                    + "role "
                    + role
                    + " is a superuser, which connects whatever the grants say; have the"
                    + " application connect as a role without SUPERUSER");
          } else if (rs.getBoolean(2)) {
            problems.add(
                prefix
                    + "role "
                    + role
                    + " owns the source database "
                    + database
                    + " and could grant itself CONNECT again; give the database another owner"
                    + " (ALTER DATABASE ... OWNER TO)");
          } else if (rs.getBoolean(3)) {
            problems.add(
                prefix
                    + "role "
                    + role
                    + " is the role Tenantfold connects as; name only the application's roles");
          } else if (rs.getBoolean(4)) {
            problems.add(
                prefix
                    + "role "
                    + role
                    + " may connect through a role it belongs to that holds CONNECT on "
                    + database
                    + "; grant CONNECT to the application roles themselves, not to a group");
          }
        }
      }
    }
    return problems;
  }

  /**
   * Freezes {@code tenant}'s application roles: checks {@link #problems}, records the grants in the
   * target, revokes them on the source (then checks the roles may no longer connect), and ends
   * their sessions, waiting until none is left or {@code expired} says so.
   */
  static Freeze apply(
      TenantConfig tenant, Connection targetConn, CatchUpState state, BooleanSupplier expired)
      throws SQLException {
    List<String> roles = tenant.catchUp().freezeRoles();
    if (roles.isEmpty()) {
      throw new SQLException(
          "Cannot freeze tenant "
              + tenant.id()
              + ": set tenants[].catch-up.freeze-roles to the roles its application connects as"
              + " (e.g. [acme_app]), or stop the application yourself and cut over without"
              + " --freeze");
    }
    try (Connection source = tenant.jdbc().connect("tenantfold-freeze-" + tenant.id())) {
      List<String> problems = problems(source, tenant.id(), roles);
      if (!problems.isEmpty()) {
        throw new SQLException(String.join("; ", problems));
      }
      String database;
      try (Statement st = source.createStatement();
          ResultSet rs = st.executeQuery("SELECT current_database()")) {
        rs.next();
        database = rs.getString(1);
      }
      // What each role holds, recorded before anything is revoked: a kill at any point after
      // this leaves what to grant back.
      List<Grant> grants = new ArrayList<>();
      try (PreparedStatement ps =
          source.prepareStatement(
              "SELECT bool_or(a.is_grantable) FROM pg_database d, aclexplode(d.datacl) a WHERE"
                  + " d.datname = current_database() AND a.privilege_type = 'CONNECT' AND"
                  + " a.grantee = (SELECT oid FROM pg_roles WHERE rolname = ?) HAVING count(*) >"
                  + " 0")) {
        for (String role : roles) {
          ps.setString(1, role);
          try (ResultSet rs = ps.executeQuery()) {
            if (rs.next()) {
              grants.add(new Grant(role, database, rs.getBoolean(1)));
            }
          }
        }
      }
      state.recordFreeze(targetConn, tenant.id(), grants);
      long frozenAt = System.nanoTime();
      source.setAutoCommit(false);
      try (Statement st = source.createStatement()) {
        st.execute(
            "REVOKE CONNECT ON DATABASE "
                + ident(database)
                + " FROM "
                + roles.stream().map(r -> ident(r)).collect(Collectors.joining(", ")));
        // A REVOKE by a role that did not grant silently revokes nothing: check the effect.
        try (PreparedStatement ps =
            source.prepareStatement(
                "SELECT has_database_privilege(?, current_database(), 'CONNECT')")) {
          for (String role : roles) {
            ps.setString(1, role);
            try (ResultSet rs = ps.executeQuery()) {
              rs.next();
              if (rs.getBoolean(1)) {
                throw new SQLException(
                    "Cannot freeze tenant "
                        + tenant.id()
                        + ": role "
                        + role
                        + " may still connect to "
                        + database
                        + " after REVOKE CONNECT; the source role must own the database or be"
                        + " a superuser (rds_superuser on RDS) to take the grant back");
              }
            }
          }
        }
        source.commit();
      } catch (SQLException | RuntimeException e) {
        source.rollback();
        state.forgetFreeze(targetConn, tenant.id());
        throw e;
      }
      source.setAutoCommit(true);
      Freeze freeze = new Freeze(tenant, targetConn, state, frozenAt, 0);
      int ended;
      try {
        ended = endSessions(source, tenant.id(), roles, expired);
      } catch (SQLException | RuntimeException e) {
        freeze.close();
        throw e;
      }
      LOG.info(
          "Tenant {}: roles {} frozen out of {} ({} sessions ended)",
          tenant.id(),
          roles,
          database,
          ended);
      return new Freeze(tenant, targetConn, state, frozenAt, ended);
    }
  }

  /** Terminates the roles' sessions on the database until none is left; how many it ended. */
  private static int endSessions(
      Connection source, String tenantId, List<String> roles, BooleanSupplier expired)
      throws SQLException {
    int ended = 0;
    try (PreparedStatement terminate =
            source.prepareStatement(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity"
                    + " WHERE datname = current_database() AND usename = ANY(?)");
        PreparedStatement left =
            source.prepareStatement(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND"
                    + " usename = ANY(?)")) {
      java.sql.Array names = source.createArrayOf("text", roles.toArray());
      terminate.setArray(1, names);
      left.setArray(1, names);
      while (true) {
        try (ResultSet rs = terminate.executeQuery()) {
          rs.next();
          ended += rs.getInt(1);
        } catch (SQLException e) {
          throw new SQLException(
              "Cannot freeze tenant "
                  + tenantId
                  + ": ending the sessions of "
                  + roles
                  + " failed ("
                  + e.getMessage()
                  + "); the source role needs pg_signal_backend (GRANT pg_signal_backend TO"
                  + " <role>; on RDS rds_superuser has it)",
              e.getSQLState(),
              e);
        }
        try (ResultSet rs = left.executeQuery()) {
          rs.next();
          if (rs.getInt(1) == 0) {
            return ended;
          }
        }
        if (expired.getAsBoolean()) {
          throw new SQLException(
              "Cannot freeze tenant "
                  + tenantId
                  + ": sessions of "
                  + roles
                  + " were still there when --max-freeze ran out");
        }
        java.util.concurrent.locks.LockSupport.parkNanos(20_000_000L);
      }
    }
  }

  /** How many sessions the freeze ended. */
  int sessionsEnded() {
    return sessionsEnded;
  }

  /** One line on what was frozen and for how long (after {@link #close}). */
  String describe() {
    return String.format(
        "writers frozen: %s locked out of the source for %.1f s (%d sessions ended); %s",
        tenant.catchUp().freezeRoles(),
        (lockedMillis >= 0 ? lockedMillis : millisSince(frozenAt)) / 1000.0,
        sessionsEnded,
        restored == null ? "CONNECT not yet granted back" : restored);
  }

  private long lockedMillis = -1;

  private static long millisSince(long start) {
    return (System.nanoTime() - start) / 1_000_000;
  }

  /** Grants back what was revoked and forgets the record; on failure says how to finish it. */
  @Override
  public void close() throws SQLException {
    if (restored != null) {
      return;
    }
    lockedMillis = millisSince(frozenAt);
    restoreRecorded(tenant, targetConn, state);
    restored = "CONNECT granted back";
  }

  /**
   * Grants back the {@code CONNECT} a freeze of {@code tenant} recorded (a cutover killed before it
   * could), then forgets the record; returns what it granted, one line each. On the dry run only
   * lists.
   */
  public static List<String> restoreRecorded(
      TenantConfig tenant, Connection targetConn, CatchUpState state) throws SQLException {
    return restoreRecorded(tenant, targetConn, state, false);
  }

  static List<String> restoreRecorded(
      TenantConfig tenant, Connection targetConn, CatchUpState state, boolean dryRun)
      throws SQLException {
    List<Grant> grants = state.frozen(targetConn, tenant.id());
    List<String> lines = new ArrayList<>();
    if (grants.isEmpty()) {
      return lines;
    }
    if (!dryRun) {
      // GRANT is idempotent: a grant recorded but never revoked (killed in between) is harmless.
      try (Connection source = tenant.jdbc().connect("tenantfold-unfreeze-" + tenant.id());
          Statement st = source.createStatement()) {
        for (Grant g : grants) {
          st.execute(g.sql());
        }
      } catch (SQLException e) {
        throw new SQLException(
            "Cannot grant back CONNECT to the application roles of tenant "
                + tenant.id()
                + " ("
                + e.getMessage()
                + "): they stay locked out of the source; run tenantfold cleanup when the source"
                + " is reachable, or have a DBA run: "
                + grants.stream().map(Grant::sql).collect(Collectors.joining("; ")),
            e.getSQLState(),
            e);
      }
      state.forgetFreeze(targetConn, tenant.id());
    }
    for (Grant g : grants) {
      lines.add(
          (dryRun ? "would grant back" : "granted back")
              + " CONNECT on "
              + g.database()
              + " to "
              + g.role()
              + " (tenant "
              + tenant.id()
              + ": a frozen cutover did not end)");
    }
    LOG.info("Tenant {}: {}", tenant.id(), lines);
    return lines;
  }

  /** A role's {@code CONNECT} on a database, as a freeze recorded it. */
  record Grant(String role, String database, boolean grantable) {
    String sql() {
      return "GRANT CONNECT ON DATABASE "
          + ident(database)
          + " TO "
          + ident(role)
          + (grantable ? " WITH GRANT OPTION" : "");
    }
  }
}
