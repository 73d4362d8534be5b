package dev.tenantfold.jdbc;

import java.io.Serializable;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.postgresql.core.BaseConnection;
import org.postgresql.core.ServerVersion;
import org.postgresql.util.PSQLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where and as whom to connect. Serializable because Spark tasks open their own connections; its
 * {@code toString} never shows the password or credentials embedded in the URL.
 *
 * @param side what this database is to the job, for messages: {@code "the source of tenant acme"},
 *     {@code "the target"}; null when not known ({@code "the database"})
 * @param properties further pgjdbc connection properties, none of them secret: TLS ({@code
 *     sslmode}, {@code sslrootcert}) and the authentication plugin that mints an IAM token or reads
 *     a Secrets Manager secret for every new connection (config/JdbcAuth)
 */
public record JdbcEndpoint(
    String url, String user, String password, String side, Map<String, String> properties)
    implements Serializable {
  private static final Logger LOG = LoggerFactory.getLogger(JdbcEndpoint.class);
  static final int CONNECT_TIMEOUT_SECONDS = 20;

  /**
   * How often a backend running a query checks that its client is still there (PostgreSQL 14+).
   * Without it a killed driver's long checksum query runs to its end, holding its snapshot and
   * locks: a backend notices a vanished client only when it writes, and an aggregate writes
   * nothing.
   */
  static final String CLIENT_CONNECTION_CHECK_INTERVAL = "10s";

  public JdbcEndpoint {
    properties = properties == null ? Map.of() : Map.copyOf(properties);
  }

  public JdbcEndpoint(String url, String user, String password) {
    this(url, user, password, null);
  }

  public JdbcEndpoint(String url, String user, String password, String side) {
    this(url, user, password, side, Map.of());
  }

  /** The same endpoint described as {@code side} in connection errors. */
  public JdbcEndpoint withSide(String newSide) {
    return new JdbcEndpoint(url, user, password, newSide, properties);
  }

  /**
   * The same user, credentials and TLS settings at another URL (a restored copy of the same
   * database).
   */
  /**
   * This endpoint with {@code name = value} set at the start of every session it opens (after the
   * job's own settings, so it may override one of them: {@code row_security}).
   */
  public JdbcEndpoint withSessionSetting(String name, String value) {
    Map<String, String> more = new java.util.LinkedHashMap<>(properties);
    String option = "-c " + name + "=" + value.replace("\\", "\\\\").replace(" ", "\\ ");
    more.merge("options", option, (a, b) -> a + " " + b);
    return new JdbcEndpoint(url, user, password, side, more);
  }

  public JdbcEndpoint withUrl(String newUrl) {
    return new JdbcEndpoint(newUrl, user, password, side, properties);
  }

  /**
   * Opens a session with the job's settings. A connection that cannot be opened fails with "Cannot
   * connect to <side> (host <host:port/database>): <reason>", without the password or URL
   * parameters, and with the driver's SQLState (so retries still recognise a connection failure).
   */
  public Connection connect(String applicationName) throws SQLException {
    Connection conn = open(applicationName, false);
    try {
      checkClientWhileQuerying(conn);
    } catch (SQLException | RuntimeException e) {
      conn.close();
      throw e;
    }
    return conn;
  }

  /**
   * Opens a logical replication session ({@code replication=database}, simple query protocol) with
   * the job's settings, for pgjdbc's replication API: creating a slot, streaming its changes.
   */
  public Connection connectForReplication(String applicationName) throws SQLException {
    return open(applicationName, true);
  }

  private Connection open(String applicationName, boolean replication) throws SQLException {
    Properties props = new Properties();
    properties.forEach(props::setProperty);
    if (user != null) {
      props.setProperty("user", user);
    }
    if (password != null) {
      props.setProperty("password", password);
    }
    props.setProperty("ApplicationName", applicationName);
    props.setProperty("connectTimeout", String.valueOf(CONNECT_TIMEOUT_SECONDS));
    props.setProperty("tcpKeepAlive", "true");
    props.setProperty(
        "options",
        String.join(
                " ",
                // Value rendering independent of the server's and client's defaults.
                "-c TimeZone=UTC -c DateStyle=ISO -c IntervalStyle=postgres -c"
                    + " extra_float_digits=3",
                // Fail instead of silently reading a row-level-security-filtered subset of a table.
                "-c row_security=off",
                // Parameter groups often set these; a long COPY or an idle snapshot exporter must
                // survive them.
                "-c statement_timeout=0 -c idle_in_transaction_session_timeout=0",
                // Notice a vanished client (a lost executor) within minutes, releasing its locks.
                "-c tcp_keepalives_idle=60 -c tcp_keepalives_interval=10 -c tcp_keepalives_count=6",
                // Settings of this endpoint's own (withSessionSetting), last so they win.
                properties.getOrDefault("options", ""))
            .trim());
    if (replication) {
      props.setProperty("replication", "database");
      props.setProperty("preferQueryMode", "simple");
      props.setProperty("assumeMinServerVersion", "10");
    }
    Connection conn;
    try {
      conn = DriverManager.getConnection(url, props);
    } catch (SQLException e) {
      throw new SQLException(
          "Cannot connect to "
              + sideOrDefault()
              + " (host "
              + hostDescription(url)
              + "): "
              + reason(e),
          e.getSQLState(),
          e);
    }
    return conn;
  }

  /**
   * Sets {@code client_connection_check_interval} on PostgreSQL 14 and later. Not a startup option:
   * a PostgreSQL 13 server refuses a connection whose options name a parameter it does not know.
   */
  private static void checkClientWhileQuerying(Connection conn) throws SQLException {
    if (!conn.unwrap(BaseConnection.class).haveMinimumServerVersion(ServerVersion.v14)) {
      return;
    }
    try (Statement st = conn.createStatement()) {
      st.execute(
          "SET client_connection_check_interval = '" + CLIENT_CONNECTION_CHECK_INTERVAL + "'");
    } catch (SQLException e) {
      // Platforms without the kernel support refuse a non-zero value; the session works without it.
      LOG.debug("client_connection_check_interval not set: {}", e.getMessage());
    }
  }

  private String sideOrDefault() {
    return side == null || side.isBlank() ? "the database" : side;
  }

  /** Why the connection failed, in words, without the password. */
  private String reason(SQLException e) {
    String reason = e.getMessage();
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof UnknownHostException) {
        reason =
            "unknown host "
                + String.join(",", hosts(url)).replaceAll(":\\d+", "")
                + ": check the host name in the URL and DNS";
        break;
      }
      if (t instanceof NoRouteToHostException) {
        reason = "no route to host: check the host name and the network between here and it";
        break;
      }
      if (t instanceof ConnectException) {
        reason =
            "connection refused: check host and port, and that PostgreSQL accepts TCP connections"
                + " there";
        break;
      }
      if (t instanceof SocketTimeoutException) {
        reason =
            "no answer within "
                + CONNECT_TIMEOUT_SECONDS
                + " s: check host and port, and firewalls or security groups on the way";
        break;
      }
      if (t.getMessage() != null
          && t.getMessage().contains("could not be verified by hostnameverifier")) {
        reason =
            "TLS: the server's certificate does not name host "
                + String.join(",", hosts(url)).replaceAll(":\\d+", "")
                + " (sslmode "
                + properties.get("sslmode")
                + "): use the host name the certificate was issued for (the RDS endpoint, not an IP"
                + " address or alias)";
        break;
      }
      if (t instanceof javax.net.ssl.SSLException) {
        reason =
            "TLS handshake failed: the server's certificate is not trusted by "
                + (properties.containsKey("sslrootcert")
                    ? "ssl-root-cert "
                        + properties.get("sslrootcert")
                        + " (use the CA bundle that issued it, for RDS the region's bundle or"
                        + " global-bundle.pem)"
                    : "the default trust store (set ssl-root-cert)")
                + " ("
                + t.getMessage()
                + ")";
        break;
      }
      if (t instanceof PSQLException psql && psql.getServerErrorMessage() != null) {
        // The server's primary line only ("FATAL: password authentication failed for user ...").
        reason =
            psql.getServerErrorMessage().getSeverity()
                + ": "
                + psql.getServerErrorMessage().getMessage();
        break;
      }
    }
    return Redaction.redactText(reason, Arrays.asList(password));
  }

  /**
   * {@code host:port/database} of a JDBC URL (default port 5432), without user info or parameters.
   */
  static String hostDescription(String url) {
    String redacted = Redaction.redactUrl(url);
    String database = "";
    if (redacted != null) {
      String rest = redacted.replaceFirst("^jdbc:postgresql:", "");
      int slash = rest.startsWith("//") ? rest.indexOf('/', 2) : rest.indexOf('/');
      database =
          rest.startsWith("//")
              ? (slash < 0 ? "" : rest.substring(slash))
              : "/" + rest.replaceFirst("^/", "");
    }
    return String.join(",", hosts(url)) + database;
  }

  /** The {@code host:port} entries of a JDBC URL; {@code localhost:5432} when it names none. */
  static List<String> hosts(String url) {
    String redacted = Redaction.redactUrl(url);
    List<String> out = new ArrayList<>();
    if (redacted == null || !redacted.startsWith("jdbc:postgresql://")) {
      out.add("localhost:5432");
      return out;
    }
    String rest = redacted.substring("jdbc:postgresql://".length());
    int slash = rest.indexOf('/');
    String hostList = slash < 0 ? rest : rest.substring(0, slash);
    for (String host : hostList.split(",")) {
      if (host.isEmpty()) {
        out.add("localhost:5432");
      } else if (host.matches(".*:\\d+") && !(host.startsWith("[") && host.endsWith("]"))) {
        out.add(host);
      } else {
        out.add(host + ":5432");
      }
    }
    return out;
  }

  /** Host, port and database only: safe for logs and reports. */
  public String describe() {
    return Redaction.redactUrl(url);
  }

  @Override
  public String toString() {
    return "JdbcEndpoint[url="
        + Redaction.redactUrl(url)
        + ", user="
        + user
        + ", password=****"
        + (side == null ? "" : ", side=" + side)
        + (properties.isEmpty() ? "" : ", properties=" + properties.keySet())
        + "]";
  }
}
