package dev.tenantfold.demo;

import dev.tenantfold.jdbc.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Synthetic single-tenant databases: customers, orders and order items linked by foreign keys, an
 * events table without a primary key, and values chosen to break naive loaders (tabs, newlines,
 * backslashes, quotes, unicode, NULL next to empty strings, NaN and infinities, arrays with NULLs
 * and quotes, bytea with zero bytes, enums, json whitespace). Used by the demo, tests and
 * benchmark.
 */
public final class DemoData {
  static final String SCHEMA =
      """
      CREATE TYPE order_status AS ENUM ('new', 'paid', 'shipped', 'cancelled');
      CREATE TABLE customers (
        id bigint PRIMARY KEY,
        name text NOT NULL,
        email text,
        country char(2),
        created_at timestamptz NOT NULL,
        tags text[],
        profile jsonb,
        balance numeric(12,2),
        external_id uuid
      );
      CREATE TABLE orders (
        id bigint PRIMARY KEY,
        customer_id bigint NOT NULL REFERENCES customers (id),
        status order_status NOT NULL,
        history order_status[],
        total numeric(14,4),
        placed_at timestamptz,
        ship_by date,
        ship_window interval,
        note text,
        score double precision,
        ratio real,
        attachment bytea,
        raw json,
        paid boolean
      );
      CREATE TABLE order_items (
        order_id bigint NOT NULL REFERENCES orders (id),
        line_no integer NOT NULL,
        sku varchar(32) NOT NULL,
        qty smallint NOT NULL,
        unit_price numeric(10,2) NOT NULL,
        PRIMARY KEY (order_id, line_no)
      );
      CREATE TABLE events (
        occurred_at timestamp NOT NULL,
        kind text NOT NULL,
        payload jsonb,
        amounts integer[]
      );
      """;

  /** Rows every tenant holds: the values most likely to be mangled on the way. */
  static final String AWKWARD_ROWS =
      """
      INSERT INTO customers VALUES
        (-1, E'tab\\there, newline\\nthere, cr\\rhere', '', 'DE', '2024-02-29 23:59:59.999999+00', ARRAY['a,b', 'quote"d', NULL, '', 'back\\\\slash'],
         '{"k": "v", "nested": {"arr": [1, 2.50, null]}, "u": "\\u00e9\\u00e8"}', 0.01, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'),
        (-2, E'back\\\\slash \\\\N not null', NULL, NULL, '1970-01-01 00:00:00+00', '{}', 'null', -9999999999.99, NULL),
        (-3, 'unicode: Zürich 東京 emoji 🎉 and ''single'' "double" quotes', 'x@example.com', 'JP', '2038-01-19 03:14:08.5+09', NULL, '[]', NULL, NULL),
        (-4, E'\\\\.', E'line1\\nline2', '  ', 'infinity', ARRAY[NULL]::text[], '{"a": ""}', 0, '00000000-0000-0000-0000-000000000000');
      INSERT INTO orders VALUES
        (-1, -1, 'paid', ARRAY['new', 'paid']::order_status[], 1234567890.1234, '2024-02-29 12:00:00.123456+05:30', '2024-03-01', '1 year 2 mons 3 days 04:05:06.789',
         E'\\\\N', 'NaN', 'Infinity', E'\\\\x00ff00deadbeef', '{"spaced" :  1,"x":[ 1 ,2 ]}', true),
        (-2, -2, 'cancelled', '{}', -0.0001, '-infinity', '0001-01-01', '-1 days', '', '-Infinity', '-0', '', 'null', false),
        (-3, -3, 'new', NULL, NULL, NULL, NULL, NULL, NULL, 1.7976931348623157e308, 1.4e-45, NULL, NULL, NULL),
        (-4, -4, 'shipped', ARRAY['shipped'::order_status, NULL], 0, '2024-01-01 00:00:00+00', '9999-12-31', '0', E'ctrl \\x01 chars \\x7f', 4.9e-324, -3.4e38, E'\\\\x5c0a09', '"just a string"', NULL);
      INSERT INTO order_items VALUES (-1, 1, 'SKU\\t1', 1, 0.10), (-1, 2, 'SKU-2', 32767, 99999999.99), (-4, 1, '', -5, -0.01);
      INSERT INTO events VALUES ('2024-02-29 23:59:59.999999', E'k\\tind', '{"deep": {"deeper": {"deepest": [true, false, null]}}}', ARRAY[1, NULL, -2147483648]),
        ('2024-02-29 23:59:59.999999', E'k\\tind', '{"deep": {"deeper": {"deepest": [true, false, null]}}}', ARRAY[1, NULL, -2147483648]),
        ('1999-12-31 23:59:59', '', NULL, NULL);
      """;

  private static final String BULK_ROWS =
      """
      INSERT INTO customers
      SELECT g, 'Customer ' || g || ' of ' || %1$s, CASE WHEN g %% 7 = 0 THEN NULL WHEN g %% 11 = 0 THEN '' ELSE 'c' || g || '@example.com' END,
             (ARRAY['US', 'DE', 'FR', 'JP', NULL])[1 + g %% 5], timestamptz '2020-01-01 00:00:00+00' + g * interval '37 minutes 13.123457 seconds',
             CASE WHEN g %% 3 = 0 THEN ARRAY['vip', 'tier ' || (g %% 4)] END, jsonb_build_object('visits', g %% 100, 'note', 'tab' || chr(9) || g),
             round((g %% 100000) * 1.37, 2), md5(%1$s || g)::uuid
        FROM generate_series(1, %2$d) g;
      INSERT INTO orders
      SELECT g, 1 + g %% %2$d, (ARRAY['new', 'paid', 'shipped', 'cancelled']::order_status[])[1 + g %% 4],
             CASE WHEN g %% 5 = 0 THEN ARRAY['new', 'paid']::order_status[] END, round(g * 3.14159, 4),
             timestamptz '2021-06-01 00:00:00+00' + g * interval '11 minutes', date '2021-06-01' + (g %% 900),
             make_interval(days => g %% 30, hours => g %% 24), CASE WHEN g %% 13 = 0 THEN E'multi\\nline ' || g END,
             g / 7.0::float8, (g %% 1000) / 3.0::float4, CASE WHEN g %% 17 = 0 THEN decode(md5(g::text), 'hex') END,
             CASE WHEN g %% 19 = 0 THEN ('{"g": ' || g || '}')::json END, g %% 2 = 0
        FROM generate_series(1, %2$d * 3) g;
      INSERT INTO order_items
      SELECT o, l, 'SKU-' || (o * 7 + l) %% 5000, 1 + (o + l) %% 9, round(((o * 13 + l) %% 10000) / 100.0, 2)
        FROM generate_series(1, %2$d * 3) o, generate_series(1, 2) l;
      INSERT INTO events
      SELECT timestamp '2022-01-01' + g * interval '1 second', (ARRAY['login', 'logout', 'view'])[1 + g %% 3],
             CASE WHEN g %% 4 = 0 THEN jsonb_build_object('g', g) END, ARRAY[g, g + 1]
        FROM generate_series(1, %2$d) g;
      ANALYZE;
      """;

  private DemoData() {}

  /**
   * Creates the demo schema in {@code conn}'s database with {@code customers} bulk customers (3x
   * orders, 6x items).
   */
  public static void createTenant(Connection conn, String tenantLabel, int customers)
      throws SQLException {
    try (Statement st = conn.createStatement()) {
      st.execute(SCHEMA);
      st.execute(AWKWARD_ROWS);
      st.execute(String.format(BULK_ROWS, Sql.literal(tenantLabel), customers));
    }
  }
}
