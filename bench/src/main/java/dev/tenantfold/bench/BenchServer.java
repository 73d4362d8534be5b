package dev.tenantfold.bench;

import static dev.tenantfold.jdbc.Sql.ident;

import dev.tenantfold.jdbc.JdbcEndpoint;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The PostgreSQL server the benchmark runs on: an embedded one (io.zonky, the same binaries as the
 * demo and tests, started with the demo's settings) or an existing server named by a JDBC URL.
 * Sources and targets are databases of this one server, so every path pays the same network and
 * disk costs.
 */
final class BenchServer implements AutoCloseable {
  /** Server settings that change load speed, recorded with the figures. */
  private static final List<String> REPORTED_SETTINGS =
      List.of(
          "shared_buffers",
          "max_wal_size",
          "wal_level",
          "synchronous_commit",
          "fsync",
          "full_page_writes",
          "wal_sync_method",
          "checkpoint_timeout",
          "maintenance_work_mem",
          "work_mem");

  private final EmbeddedPostgres embedded;
  private final SystemPostgres system;
  private final String urlPrefix;
  private final String urlParameters;
  private final String user;
  private final String password;
  private final String maintenanceDatabase;

  private BenchServer(
      EmbeddedPostgres embedded, SystemPostgres system, String url, String user, String password) {
    this.embedded = embedded;
    this.system = system;
    int query = url.indexOf('?');
    String path = query < 0 ? url : url.substring(0, query);
    int slash = path.lastIndexOf('/');
    if (slash <= "jdbc:postgresql://".length()) {
      throw new IllegalArgumentException(
          "Cannot use server URL "
              + dev.tenantfold.jdbc.Redaction.redactUrl(url)
              + ": it names no database (expected jdbc:postgresql://host:port/postgres)");
    }
    this.urlPrefix = path.substring(0, slash + 1);
    this.maintenanceDatabase = path.substring(slash + 1);
    this.urlParameters = query < 0 ? "" : url.substring(query);
    this.user = user;
    this.password = password;
  }

  static BenchServer start(BenchOptions options) throws IOException {
    if (!options.embedded()) {
      return new BenchServer(null, null, options.serverUrl(), options.user(), options.password());
    }
    if (options.serverKind() == BenchOptions.ServerKind.SYSTEM) {
      SystemPostgres pg = SystemPostgres.start();
      return new BenchServer(null, pg, pg.url(), "postgres", null);
    }
    EmbeddedPostgres.Builder builder =
        EmbeddedPostgres.builder().setServerConfig("max_connections", "100");
    if (options.serverKind() == BenchOptions.ServerKind.EMBEDDED_FSYNC) {
      // io.zonky starts PostgreSQL with -F (fsync off) and synchronous_commit off; a later -c wins.
      builder
          .setServerConfig("fsync", "on")
          .setServerConfig("synchronous_commit", "on")
          .setServerConfig("full_page_writes", "on");
    }
    if (options.catchUp() != null) {
      // --catch-up decodes the sources' changes (docs/catch-up.md); its writer holds a connection
      // per thread and tenant beside the run's.
      builder.setServerConfig("wal_level", "logical").setServerConfig("max_connections", "200");
    }
    EmbeddedPostgres pg = builder.start();
    BenchServer server =
        new BenchServer(
            pg,
            null,
            "jdbc:postgresql://localhost:" + pg.getPort() + "/postgres",
            "postgres",
            null);
    if (options.serverKind() == BenchOptions.ServerKind.EMBEDDED_FSYNC) {
      try {
        String fsync = server.settings().get("fsync");
        if (!"on".equals(fsync)) {
          server.close();
          throw new IOException(
              "The embedded server did not take fsync=on (it shows fsync=" + fsync + ")");
        }
      } catch (SQLException e) {
        server.close();
        throw new IOException("Cannot read the embedded server's settings", e);
      }
    }
    return server;
  }

  JdbcEndpoint endpoint(String database) {
    return new JdbcEndpoint(urlPrefix + database + urlParameters, user, password);
  }

  /** The server runs on this machine (embedded): its processes' CPU can be read from /proc. */
  boolean isLocal() {
    return embedded != null || system != null;
  }

  /** The database named by the server URL (postgres for the embedded server). */
  String maintenanceDatabase() {
    return maintenanceDatabase;
  }

  String description() {
    if (system != null) {
      return "system PostgreSQL, a new on-disk cluster in "
          + system.dataDirectory()
          + " with default settings, on 127.0.0.1:"
          + system.port();
    }
    return embedded == null
        ? "existing server " + endpoint(maintenanceDatabase).describe()
        : "embedded (io.zonky) on localhost:" + embedded.getPort();
  }

  /**
   * Drops {@code name} if present and creates it empty, or as a file copy of {@code template} when
   * one is given.
   */
  void recreateDatabase(String name, String template) throws SQLException {
    dropDatabase(name);
    try (Connection conn = admin();
        Statement st = conn.createStatement()) {
      // FILE_COPY copies the template's files instead of WAL-logging every block (PostgreSQL 15+).
      String strategy =
          template != null && serverVersionNum(conn) >= 150000 ? " STRATEGY = FILE_COPY" : "";
      st.execute(
          "CREATE DATABASE "
              + ident(name)
              + (template == null ? "" : " TEMPLATE " + ident(template) + strategy));
    }
  }

  void dropDatabase(String name) throws SQLException {
    try (Connection conn = admin();
        Statement st = conn.createStatement()) {
      st.execute(
          "DROP DATABASE IF EXISTS "
              + ident(name)
              + (serverVersionNum(conn) >= 130000 ? " WITH (FORCE)" : ""));
    }
  }

  /** Flushes dirty buffers so one timed path does not pay for the previous one's writes. */
  void checkpoint() throws SQLException {
    try (Connection conn = admin();
        Statement st = conn.createStatement()) {
      st.execute("CHECKPOINT");
    }
  }

  String version() throws SQLException {
    try (Connection conn = admin();
        Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery("SELECT version()")) {
      rs.next();
      return rs.getString(1);
    }
  }

  Map<String, String> settings() throws SQLException {
    Map<String, String> out = new LinkedHashMap<>();
    try (Connection conn = admin();
        Statement st = conn.createStatement()) {
      for (String name : REPORTED_SETTINGS) {
        try (ResultSet rs = st.executeQuery("SHOW " + name)) {
          rs.next();
          out.put(name, rs.getString(1));
        }
      }
    }
    return out;
  }

  /**
   * The local postmaster's process id (a backend's parent), for {@link CpuMeter}; 0 when the server
   * is not a PostgreSQL process of this machine.
   */
  int postmasterPid() {
    try (Connection conn = admin();
        Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
      rs.next();
      int backend = rs.getInt(1);
      java.nio.file.Path comm = java.nio.file.Path.of("/proc", String.valueOf(backend), "comm");
      if (!java.nio.file.Files.isReadable(comm)
          || !java.nio.file.Files.readString(comm).startsWith("postgres")) {
        return 0;
      }
      return CpuMeter.postmasterOf(backend);
    } catch (SQLException | IOException | RuntimeException e) {
      return 0;
    }
  }

  private Connection admin() throws SQLException {
    Connection conn = endpoint(maintenanceDatabase).connect("tenantfold-bench-admin");
    conn.setAutoCommit(true);
    return conn;
  }

  private static int serverVersionNum(Connection conn) throws SQLException {
    try (Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery("SHOW server_version_num")) {
      rs.next();
      return Integer.parseInt(rs.getString(1));
    }
  }

  @Override
  public void close() throws IOException {
    if (embedded != null) {
      embedded.close();
    }
    if (system != null) {
      system.close();
    }
  }
}
