package dev.tenantfold.bench;

import dev.tenantfold.jdbc.JdbcEndpoint;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * The benchmark's data: one orders-like table of twelve columns of mixed types (bigint key, text,
 * char, numeric, integer, double, timestamptz, date, boolean, uuid, NULLs in some) — about 160
 * bytes a row on disk, the shape of a typical OLTP fact table. Every tenant holds the same rows,
 * made once and copied as a database template, so generating 10x data stays cheap.
 */
final class OrdersDataset {
  static final String TABLE = "orders";
  static final String TENANT_COLUMN = "tenant_id";
  static final List<String> COLUMNS =
      List.of(
          "id",
          "customer_id",
          "status",
          "currency",
          "total",
          "quantity",
          "weight_kg",
          "placed_at",
          "ship_by",
          "paid",
          "note",
          "external_id");

  static final String COLUMN_DEFINITIONS =
      """
      id bigint NOT NULL,
      customer_id bigint NOT NULL,
      status text NOT NULL,
      currency char(3) NOT NULL,
      total numeric(14,4),
      quantity integer NOT NULL,
      weight_kg double precision,
      placed_at timestamptz NOT NULL,
      ship_by date,
      paid boolean NOT NULL,
      note text,
      external_id uuid NOT NULL\
      """;

  private static final String GENERATE =
      """
      INSERT INTO orders
      SELECT g, 1 + (g * 7919) %% %d, (ARRAY['new', 'paid', 'shipped', 'cancelled'])[1 + g %% 4], (ARRAY['USD', 'EUR', 'JPY'])[1 + g %% 3],
             round((g %% 100000) * 1.2345, 4), 1 + g %% 20, CASE WHEN g %% 10 <> 0 THEN (g %% 5000) / 7.0 END,
             timestamptz '2021-01-01 00:00:00+00' + g * interval '17.123 seconds', date '2021-01-01' + (g %% 1500)::int, g %% 3 <> 0,
             CASE WHEN g %% 13 <> 0 THEN 'order ' || g || ' for customer ' || (g %% 100000) END, md5(g::text)::uuid
        FROM generate_series(1::bigint, %d) g\
      """;

  /** Customer ids of the plain data set: 1 to 100,000. */
  private static final long CUSTOMERS = 100_000;

  private OrdersDataset() {}

  /**
   * Creates {@code orders} with its primary key in {@code source}'s database and fills it with
   * {@code rows} rows.
   */
  static void createSource(JdbcEndpoint source, long rows) throws SQLException {
    try (Connection conn = source.connect("tenantfold-bench-generate");
        Statement st = conn.createStatement()) {
      conn.setAutoCommit(true);
      st.execute(
          "CREATE TABLE " + TABLE + " (\n" + COLUMN_DEFINITIONS + ",\n  PRIMARY KEY (id)\n)");
      st.execute(generateSql(rows, CUSTOMERS));
      // Set hint bits and the visibility map now, so whichever path reads first does not pay for
      // it.
      st.execute("VACUUM (FREEZE, ANALYZE) " + TABLE);
    }
  }

  /**
   * Fills an existing {@code orders} with {@code rows} rows whose {@code customer_id} runs over 1
   * to {@code customers}.
   */
  static String generateSql(long rows, long customers) {
    return String.format(GENERATE, customers, rows);
  }

  /**
   * The consolidated table the raw pipe and Spark's JDBC writer load: the tenant column first, then
   * the source columns; its primary key (tenant, id) is created now when {@code keyFirst}, else by
   * {@link #addTargetKey} after the load.
   */
  static void createTarget(JdbcEndpoint target, boolean keyFirst) throws SQLException {
    try (Connection conn = target.connect("tenantfold-bench-ddl");
        Statement st = conn.createStatement()) {
      conn.setAutoCommit(true);
      st.execute(
          "CREATE TABLE "
              + TABLE
              + " (\n  "
              + TENANT_COLUMN
              + " text NOT NULL,\n"
              + COLUMN_DEFINITIONS
              + (keyFirst ? ",\n  PRIMARY KEY (" + TENANT_COLUMN + ", id)" : "")
              + "\n)");
    }
  }

  static void addTargetKey(JdbcEndpoint target) throws SQLException {
    try (Connection conn = target.connect("tenantfold-bench-ddl");
        Statement st = conn.createStatement()) {
      conn.setAutoCommit(true);
      st.execute("ALTER TABLE " + TABLE + " ADD PRIMARY KEY (" + TENANT_COLUMN + ", id)");
    }
  }

  static long countTarget(JdbcEndpoint target) throws SQLException {
    try (Connection conn = target.connect("tenantfold-bench-count");
        Statement st = conn.createStatement();
        var rs = st.executeQuery("SELECT count(*) FROM " + TABLE)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
