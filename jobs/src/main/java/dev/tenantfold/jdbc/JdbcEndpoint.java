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
    // Keep server-side rendering of values independent of the client's locale and defaults.
    props.setProperty("options", "-c TimeZone=UTC -c DateStyle=ISO -c IntervalStyle=postgres -c extra_float_digits=3");
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
