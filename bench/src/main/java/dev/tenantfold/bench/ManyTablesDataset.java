package dev.tenantfold.bench;

import dev.tenantfold.jdbc.JdbcEndpoint;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;

/**
 * {@code bench/run --tables T}: an application with many small tables, where tenantfold's fixed
 * cost per table (catalog reads, staging DDL, one COPY per partition, the key build, two checksum
 * queries, the attach at publish) outweighs the rows. Table {@code t_0001} ... {@code t_T} each
 * have a primary key, a unique index, a CHECK and a nullable foreign key to the previous table (a
 * chain), and every tenth table a view over it; {@code rows} rows per table, every {@code parent}
 * pointing at an existing row of the previous table.
 */
final class ManyTablesDataset {
  private ManyTablesDataset() {}

  static String table(int i) {
    return String.format(Locale.ROOT, "t_%04d", i);
  }

  /**
   * Creates the T tables, their rows and views in {@code source}, then VACUUM (FREEZE, ANALYZE).
   */
  static void createSource(JdbcEndpoint source, int tables, long rowsPerTable) throws SQLException {
    try (Connection conn = source.connect("tenantfold-bench-generate");
        Statement st = conn.createStatement()) {
      conn.setAutoCommit(false);
      for (int i = 1; i <= tables; i++) {
        String t = table(i);
        st.execute(
            "CREATE TABLE "
                + t
                + " (id bigint PRIMARY KEY, code text NOT NULL UNIQUE, qty integer NOT NULL CHECK"
                + " (qty >= 0), price numeric(12,2), placed date, note text, parent bigint"
                + (i == 1 ? "" : " REFERENCES " + table(i - 1) + " (id)")
                + ")");
        st.execute(
            "INSERT INTO "
                + t
                + " SELECT g, '"
                + t
                + "-' || g, g % 97, (g % 10000) / 100.0, DATE '2020-01-01' + (g % 1500)::int,"
                + " CASE WHEN g % 5 = 0 THEN NULL ELSE 'note ' || g END, "
                + (i == 1 ? "NULL" : "CASE WHEN g % 3 = 0 THEN NULL ELSE g END")
                + " FROM generate_series(1, "
                + rowsPerTable
                + ") g");
        if (i % 10 == 0) {
          st.execute(
              "CREATE VIEW v_" + t + " AS SELECT id, code, qty FROM " + t + " WHERE qty > 0");
        }
      }
      conn.commit();
      conn.setAutoCommit(true);
      st.execute("VACUUM (FREEZE, ANALYZE)");
    }
  }

  /** Rows over every t_* table of a consolidated target (0 when there are none). */
  static long countTarget(JdbcEndpoint target, int tables) throws SQLException {
    try (Connection conn = target.connect("tenantfold-bench-count");
        Statement st = conn.createStatement()) {
      StringBuilder sql = new StringBuilder("SELECT 0");
      for (int i = 1; i <= tables; i++) {
        sql.append(" + (SELECT count(*) FROM ").append(table(i)).append(')');
      }
      try (ResultSet rs = st.executeQuery(sql.toString())) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }
}
