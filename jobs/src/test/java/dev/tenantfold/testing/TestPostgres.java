package dev.tenantfold.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One real embedded PostgreSQL server per test JVM (started on first use, stopped at exit); every
 * test class creates fresh databases on it with {@link #createDatabase(String)}.
 */
public final class TestPostgres {
  private static final AtomicInteger SEQUENCE = new AtomicInteger();
  private static EmbeddedPostgres server;

  private TestPostgres() {}

  public static synchronized EmbeddedPostgres server() {
    if (server == null) {
      // wal_level = logical: catch-up tests decode the server's changes (docs/catch-up.md).
      server =
          startStoppedAtExit(
              EmbeddedPostgres.builder()
                  .setServerConfig("max_connections", "200")
                  .setServerConfig("wal_level", "logical"),
              "embedded PostgreSQL");
    }
    return server;
  }

  /** Starts a server and stops it when the JVM exits (every server the tests start). */
  static EmbeddedPostgres startStoppedAtExit(EmbeddedPostgres.Builder builder, String what) {
    EmbeddedPostgres started;
    try {
      started = builder.start();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot start " + what, e);
    }
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    started.close();
                  } catch (IOException ignored) {
                    // JVM is exiting.
                  }
                }));
    return started;
  }

  /** Creates a new, empty database named {@code prefix_N} and returns its JDBC URL. */
  public static String createDatabase(String prefix) {
    return createDatabase(server(), prefix);
  }

  /** Creates a new, empty database named {@code prefix_N} on {@code on}; returns its JDBC URL. */
  static String createDatabase(EmbeddedPostgres on, String prefix) {
    String name = (prefix + "_" + SEQUENCE.incrementAndGet()).toLowerCase();
    try (Connection conn = DriverManager.getConnection(on.getJdbcUrl("postgres", "postgres"));
        Statement st = conn.createStatement()) {
      st.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new IllegalStateException("Cannot create test database " + name, e);
    }
    return "jdbc:postgresql://localhost:" + on.getPort() + "/" + name;
  }

  public static String url(String database) {
    return "jdbc:postgresql://localhost:" + server().getPort() + "/" + database;
  }

  public static Connection connect(String url) throws SQLException {
    return DriverManager.getConnection(url, "postgres", "postgres");
  }

  /** Runs SQL statements (separated by semicolons in one string) on the database at {@code url}. */
  public static void execute(String url, String sql) {
    try (Connection conn = connect(url);
        Statement st = conn.createStatement()) {
      st.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException("Cannot run SQL on " + url + ": " + e.getMessage(), e);
    }
  }

  /**
   * Creates a login role that must authenticate with {@code password} (scram), by prepending a
   * pg_hba.conf rule for it and reloading; the embedded server trusts every other role.
   */
  public static synchronized void createPasswordRole(String role, String password) {
    String admin = server().getJdbcUrl("postgres", "postgres");
    try (Connection conn = DriverManager.getConnection(admin);
        Statement st = conn.createStatement()) {
      st.execute(
          "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '"
              + role
              + "') THEN CREATE ROLE "
              + role
              + " LOGIN SUPERUSER PASSWORD '"
              + password
              + "'; END IF; END $$");
      String hbaFile;
      try (var rs = st.executeQuery("SHOW hba_file")) {
        rs.next();
        hbaFile = rs.getString(1);
      }
      java.nio.file.Path hba = java.nio.file.Path.of(hbaFile);
      String current = java.nio.file.Files.readString(hba);
      String rule = "host all " + role + " all scram-sha-256\n";
      if (!current.contains(rule)) {
        java.nio.file.Files.writeString(hba, rule + current);
      }
      st.execute("SELECT pg_reload_conf()");
    } catch (SQLException | IOException e) {
      throw new IllegalStateException("Cannot create password role " + role, e);
    }
  }
}
