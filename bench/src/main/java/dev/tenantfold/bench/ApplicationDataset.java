package dev.tenantfold.bench;

import dev.tenantfold.jdbc.JdbcEndpoint;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * The data of {@code bench/run --constraints}: three tables an application database has, {@code
 * order_lines -> orders -> customers}, in two schemas holding the same rows.
 *
 * <ul>
 *   <li>{@link Schema#KEYS}: each table with its primary key and nothing else, as the benchmark's
 *       plain orders table;
 *   <li>{@link Schema#CONSTRAINTS}: the same plus what the application relies on: two foreign keys
 *       ({@code orders.customer_id -> customers}, {@code order_lines.order_id -> orders}), a unique
 *       constraint ({@code customers.email}), five CHECK constraints and a secondary index ({@code
 *       orders (customer_id)}).
 * </ul>
 *
 * <p>{@code --rows N} is split over the tables as an application's would be: N/10 customers, 3N/10
 * orders (the twelve columns of {@link OrdersDataset}), two lines per order; so a tenant holds
 * about N rows either way and the figures compare with the plain benchmark's. The constraints are
 * added to a file copy of the keys-only database, so both schemas hold byte-identical rows.
 */
final class ApplicationDataset {
  /** Which objects the source tables carry besides their rows. */
  enum Schema {
    KEYS("primary keys only"),
    CONSTRAINTS("primary keys + 2 FKs + unique + 5 CHECKs + index");

    final String description;

    Schema(String description) {
      this.description = description;
    }
  }

  static final List<String> TABLES = List.of("customers", "orders", "order_lines");

  /**
   * What {@link #addConstraints} adds, as the target should show it after a run (per consolidated
   * table, counted on the parents).
   */
  static final TargetObjects EXPECTED = new TargetObjects(2, 1, 5, 1);

  private static final String CUSTOMERS =
      """
      CREATE TABLE customers (
        id bigint NOT NULL,
        email text NOT NULL,
        name text NOT NULL,
        country char(2) NOT NULL,
        created_at timestamptz NOT NULL,
        active boolean NOT NULL,
        PRIMARY KEY (id)
      )\
      """;

  private static final String ORDER_LINES =
      """
      CREATE TABLE order_lines (
        order_id bigint NOT NULL,
        line_no integer NOT NULL,
        sku text NOT NULL,
        quantity integer NOT NULL,
        unit_price numeric(12,2) NOT NULL,
        discount numeric(5,2),
        PRIMARY KEY (order_id, line_no)
      )\
      """;

  /**
   * The application's rules, added to a copy of the keys-only database; each ADD validates the
   * rows, as the source would have.
   */
  private static final List<String> CONSTRAINTS =
      List.of(
          "ALTER TABLE customers ADD CONSTRAINT customers_email_key UNIQUE (email)",
          "ALTER TABLE customers ADD CONSTRAINT customers_email_check CHECK (email LIKE '%@%')",
          "ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id)"
              + " REFERENCES customers (id)",
          "ALTER TABLE orders ADD CONSTRAINT orders_quantity_check CHECK (quantity > 0)",
          "ALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total >= 0)",
          "CREATE INDEX orders_customer_idx ON orders (customer_id)",
          "ALTER TABLE order_lines ADD CONSTRAINT order_lines_order_fk FOREIGN KEY (order_id)"
              + " REFERENCES orders (id)",
          "ALTER TABLE order_lines ADD CONSTRAINT order_lines_quantity_check CHECK (quantity > 0)",
          "ALTER TABLE order_lines ADD CONSTRAINT order_lines_price_check CHECK (unit_price >= 0)");

  private ApplicationDataset() {}

  static long customers(long rowsPerTenant) {
    return Math.max(1, rowsPerTenant / 10);
  }

  static long orders(long rowsPerTenant) {
    return Math.max(1, rowsPerTenant * 3 / 10);
  }

  /** Rows one tenant holds over the three tables. */
  static long rowsPerTenant(long rows) {
    return customers(rows) + orders(rows) * 3;
  }

  /**
   * Creates the three tables with their primary keys in {@code source} and fills them: the {@link
   * Schema#KEYS} schema.
   */
  static void createSource(JdbcEndpoint source, long rowsPerTenant) throws SQLException {
    long customers = customers(rowsPerTenant);
    long orders = orders(rowsPerTenant);
    try (Connection conn = source.connect("tenantfold-bench-generate");
        Statement st = conn.createStatement()) {
      conn.setAutoCommit(true);
      st.execute(CUSTOMERS);
      st.execute(
          "CREATE TABLE orders (\n"
              + OrdersDataset.COLUMN_DEFINITIONS
              + ",\n  PRIMARY KEY (id)\n)");
      st.execute(ORDER_LINES);
      st.execute(
          String.format(
              """
              INSERT INTO customers
              SELECT g, 'customer' || g || '@example.com', 'Customer ' || g, (ARRAY['US', 'DE', 'FR', 'JP', 'BR'])[1 + g %% 5],
                     timestamptz '2020-01-01 00:00:00+00' + g * interval '1 minute', g %% 7 <> 0
                FROM generate_series(1::bigint, %d) g\
              """,
              customers));
      st.execute(OrdersDataset.generateSql(orders, customers));
      st.execute(
          String.format(
              """
              INSERT INTO order_lines
              SELECT o, l, 'SKU-' || ((o * 31 + l) %% 5000), 1 + (o + l) %% 9, round(((o * l) %% 10000) / 100.0, 2),
                     CASE WHEN (o + l) %% 4 = 0 THEN 5.00 END
                FROM generate_series(1::bigint, %d) o, generate_series(1, 2) l\
              """,
              orders));
      for (String table : TABLES) {
        // As for the plain data set: hint bits and the visibility map set now, so no timed path
        // pays for them.
        st.execute("VACUUM (FREEZE, ANALYZE) " + table);
      }
    }
  }

  /** Turns a copy of the keys-only database into the {@link Schema#CONSTRAINTS} schema. */
  static void addConstraints(JdbcEndpoint source) throws SQLException {
    try (Connection conn = source.connect("tenantfold-bench-generate");
        Statement st = conn.createStatement()) {
      conn.setAutoCommit(true);
      for (String ddl : CONSTRAINTS) {
        st.execute(ddl);
      }
      for (String table : TABLES) {
        st.execute("ANALYZE " + table);
      }
    }
  }

  /** Rows in the three tables (the consolidated ones in a target, the tenant's own in a source). */
  static long count(JdbcEndpoint database) throws SQLException {
    try (Connection conn = database.connect("tenantfold-bench-count");
        Statement st = conn.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT (SELECT count(*) FROM customers) + (SELECT count(*) FROM orders) + (SELECT"
                    + " count(*) FROM order_lines)")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /**
   * The application's objects on the three tables of {@code database} (schema {@code public}):
   * foreign keys, unique constraints, CHECK constraints (the tenant check of staging excluded, as
   * staging tables are not among these) and secondary indexes not backing a constraint.
   */
  static TargetObjects objects(JdbcEndpoint database) throws SQLException {
    try (Connection conn = database.connect("tenantfold-bench-count");
        Statement st = conn.createStatement();
        ResultSet rs =
            st.executeQuery(
                """
                SELECT count(*) FILTER (WHERE c.contype = 'f'), count(*) FILTER (WHERE c.contype = 'u'), count(*) FILTER (WHERE c.contype = 'c'),
                       (SELECT count(*) FROM pg_index i
                         WHERE i.indrelid IN ('public.customers'::regclass, 'public.orders'::regclass, 'public.order_lines'::regclass)
                           AND NOT i.indisprimary AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid))
                  FROM pg_constraint c
                 WHERE c.conrelid IN ('public.customers'::regclass, 'public.orders'::regclass, 'public.order_lines'::regclass)
                   -- A foreign key referencing a partitioned table has a child row per referenced partition: count the key once.
                   AND c.conparentid = 0
                """)) {
      rs.next();
      return new TargetObjects(rs.getInt(1), rs.getInt(2), rs.getInt(3), rs.getInt(4));
    }
  }

  /** Counts of the objects an application relies on, on the consolidated tables. */
  record TargetObjects(int foreignKeys, int uniques, int checks, int indexes) {
    /**
     * True when every object of {@code expected} is there (the target may add none of its own
     * kind).
     */
    boolean covers(TargetObjects expected) {
      return foreignKeys >= expected.foreignKeys
          && uniques >= expected.uniques
          && checks >= expected.checks
          && indexes >= expected.indexes;
    }

    @Override
    public String toString() {
      return foreignKeys
          + " FKs, "
          + uniques
          + " unique, "
          + checks
          + " CHECKs, "
          + indexes
          + " index"
          + (indexes == 1 ? "" : "es");
    }
  }
}
