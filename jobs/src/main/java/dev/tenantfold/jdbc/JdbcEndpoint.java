package dev.tenantfold.jdbc;

import java.io.Serializable;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

/**
 * Where and as whom to connect. Serializable because Spark tasks open their own connections; its
 * {@code toString} never shows the password or credentials embedded in the URL.
 */
public record JdbcEndpoint(String url, String user, String password) implements Serializable {

  public Connection connect(String applicationName) throws SQLException {
    Properties props = new Properties();
    if (user != null) {
      props.setProperty("user", user);
    }
    if (password != null) {
      props.setProperty("password", password);
    }
    props.setProperty("ApplicationName", applicationName);
    props.setProperty("connectTimeout", "20");
    props.setProperty("tcpKeepAlive", "true");
    props.setProperty("options", String.join(" ",
        // Value rendering independent of the server's and client's defaults.
        "-c TimeZone=UTC -c DateStyle=ISO -c IntervalStyle=postgres -c extra_float_digits=3",
        // Fail instead of silently reading a row-level-security-filtered subset of a table.
        "-c row_security=off",
        // Parameter groups often set these; a long COPY or an idle snapshot exporter must survive them.
        "-c statement_timeout=0 -c idle_in_transaction_session_timeout=0",
        // Notice a vanished client (a lost executor) within minutes, releasing its locks.
        "-c tcp_keepalives_idle=60 -c tcp_keepalives_interval=10 -c tcp_keepalives_count=6"));
    return DriverManager.getConnection(url, props);
  }

  /** Host, port and database only: safe for logs and reports. */
  public String describe() {
    return Redaction.redactUrl(url);
  }

  @Override
  public String toString() {
    return "JdbcEndpoint[url=" + Redaction.redactUrl(url) + ", user=" + user + ", password=****]";
  }
}
