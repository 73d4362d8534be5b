package dev.tenantfold.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;

/**
 * A session's {@code search_path}, set for one piece of work and put back after it. PostgreSQL
 * prints definitions ({@code pg_get_expr}, {@code pg_get_constraintdef}, {@code pg_get_triggerdef})
 * with names qualified only where the search path would not find them, so definitions read under
 * one path must be replayed under the same path (mapped to the target's schemas) to mean the same
 * objects.
 */
public final class SearchPath {
  private SearchPath() {}

  /** The work done under the path. */
  @FunctionalInterface
  public interface Work<T> {
    T run() throws SQLException;
  }

  /** {@code search_path}'s value for {@code schemas}, in order: each quoted as needed. */
  public static String of(List<String> schemas) {
    return String.join(", ", schemas.stream().map(Sql::ident).toList());
  }

  /**
   * Runs {@code work} with the session's search path set to {@code schemas}, then puts the earlier
   * path back.
   */
  public static <T> T with(Connection conn, List<String> schemas, Work<T> work)
      throws SQLException {
    String earlier;
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT current_setting('search_path'), set_config('search_path', ?, false)")) {
      ps.setString(1, of(schemas));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        earlier = rs.getString(1);
      }
    }
    T result;
    try {
      result = work.run();
    } catch (SQLException | RuntimeException e) {
      try {
        restore(conn, earlier);
      } catch (SQLException restoring) {
        // An aborted transaction rolls the path back by itself; the work's own failure is the one
        // to report.
        e.addSuppressed(restoring);
      }
      throw e;
    }
    restore(conn, earlier);
    return result;
  }

  private static void restore(Connection conn, String path) throws SQLException {
    try (PreparedStatement ps =
        conn.prepareStatement("SELECT set_config('search_path', ?, false)")) {
      ps.setString(1, path);
      ps.executeQuery().close();
    }
  }
}
