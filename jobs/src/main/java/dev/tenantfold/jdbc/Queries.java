package dev.tenantfold.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * One-row catalog questions asked with string parameters: does a row exist, what is the one
 * boolean.
 */
public final class Queries {
  private Queries() {}

  /** Whether {@code sql} returns a row. */
  public static boolean exists(Connection conn, String sql, String... params) throws SQLException {
    try (PreparedStatement ps = prepare(conn, sql, params);
        ResultSet rs = ps.executeQuery()) {
      return rs.next();
    }
  }

  /** The boolean {@code sql} returns in its one row. */
  public static boolean bool(Connection conn, String sql, String... params) throws SQLException {
    try (PreparedStatement ps = prepare(conn, sql, params);
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getBoolean(1);
    }
  }

  /** The text {@code sql} returns in its one row. */
  public static String string(Connection conn, String sql, String... params) throws SQLException {
    try (PreparedStatement ps = prepare(conn, sql, params);
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static PreparedStatement prepare(Connection conn, String sql, String... params)
      throws SQLException {
    PreparedStatement ps = conn.prepareStatement(sql);
    for (int i = 0; i < params.length; i++) {
      ps.setString(i + 1, params[i]);
    }
    return ps;
  }
}
