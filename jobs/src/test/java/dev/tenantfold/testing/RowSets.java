package dev.tenantfold.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Row-set comparison across databases: each row rendered by PostgreSQL itself as {@code
 * ROW(...)::text} with the same session settings on both sides, sorted, and compared with a diff of
 * the first differing rows in the failure message.
 */
public final class RowSets {
  private RowSets() {}

  /**
   * What an application sees: its session's search path set to {@code searchPath}, then the one
   * value of the first result set {@code sql} (one or more statements) returns.
   */
  public static String underSearchPath(String url, String searchPath, String sql)
      throws SQLException {
    try (Connection conn = TestPostgres.connect(url);
        Statement st = conn.createStatement()) {
      st.execute("SET search_path TO " + searchPath);
      st.execute(sql);
      while (st.getResultSet() == null && (st.getMoreResults() || st.getUpdateCount() != -1)) {
        // skip to the first result set
      }
      try (ResultSet rs = st.getResultSet()) {
        rs.next();
        return rs.getString(1);
      }
    }
  }

  public static List<String> rows(String url, String sql) {
    try (Connection conn = TestPostgres.connect(url);
        Statement st = conn.createStatement()) {
      st.execute(
          "SET extra_float_digits = 3; SET TimeZone = 'UTC'; SET DateStyle = 'ISO'; SET"
              + " IntervalStyle = 'postgres'");
      List<String> out = new ArrayList<>();
      try (ResultSet rs = st.executeQuery(sql)) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
      out.sort(null);
      return out;
    } catch (SQLException e) {
      throw new IllegalStateException("Cannot read rows: " + sql + ": " + e.getMessage(), e);
    }
  }

  public static long count(String url, String sql) {
    try (Connection conn = TestPostgres.connect(url);
        Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      throw new IllegalStateException("Cannot count: " + sql + ": " + e.getMessage(), e);
    }
  }

  /** Source table rows vs the tenant's rows in the target table, over the given columns. */
  public static void assertSameRows(
      String sourceUrl, String targetUrl, String tenantId, String table, List<String> columns) {
    String cols = columns.stream().map(c -> "\"" + c + "\"").collect(Collectors.joining(", "));
    List<String> source =
        rows(sourceUrl, "SELECT ROW(" + cols + ")::text FROM public.\"" + table + "\"");
    List<String> target =
        rows(
            targetUrl,
            "SELECT ROW("
                + cols
                + ")::text FROM public.\""
                + table
                + "\" WHERE tenant_id = '"
                + tenantId
                + "'");
    if (!source.equals(target)) {
      List<String> missing = new ArrayList<>(source);
      missing.removeAll(target);
      List<String> extra = new ArrayList<>(target);
      extra.removeAll(source);
      throw new AssertionError(
          "Tenant "
              + tenantId
              + " table "
              + table
              + ": "
              + source.size()
              + " source rows, "
              + target.size()
              + " target rows\n  only in source: "
              + missing.stream().limit(5).toList()
              + "\n  only in target: "
              + extra.stream().limit(5).toList());
    }
    assertThat(target).as("rows of %s for tenant %s", table, tenantId).hasSameSizeAs(source);
  }
}
