package dev.tenantfold.testing;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Database roles on the shared test server (roles are server-wide), and sessions that log in as
 * them.
 */
public final class Roles {
  private Roles() {}

  /**
   * Creates {@code role} with {@code attributes} (e.g. {@code LOGIN NOSUPERUSER NOBYPASSRLS})
   * unless it exists.
   */
  public static synchronized void ensure(String role, String attributes) {
    try (Connection conn =
            DriverManager.getConnection(TestPostgres.server().getJdbcUrl("postgres", "postgres"));
        Statement st = conn.createStatement()) {
      st.execute(
          "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '"
              + role
              + "') THEN CREATE ROLE "
              + role
              + " "
              + attributes
              + "; END IF; END $$");
      st.execute("ALTER ROLE " + role + " " + attributes);
    } catch (SQLException e) {
      throw new IllegalStateException("Cannot create role " + role + ": " + e.getMessage(), e);
    }
  }

  /**
   * A session as {@code role} on the database at {@code url} (the embedded server trusts local
   * logins).
   */
  public static Connection connect(String url, String role) throws SQLException {
    return DriverManager.getConnection(url, role, "");
  }
}
