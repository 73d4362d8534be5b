package dev.tenantfold.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tenantfold.config.ConfigError;
import dev.tenantfold.jdbc.JdbcEndpoint;
import dev.tenantfold.testing.TestPostgres;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bench/run --constraints}: its sources really carry an application's foreign keys, unique
 * and CHECK constraints and index, and a small run publishes them in the target and reports what
 * they cost, against the same rows with primary keys only.
 */
class ConstraintsBenchTest {
  @TempDir Path dir;

  @Test
  void constrainedSourcesEnforceTheApplicationsRules() throws SQLException {
    JdbcEndpoint source =
        new JdbcEndpoint(TestPostgres.createDatabase("bench_constraints_source"), "postgres", null);
    ApplicationDataset.createSource(source, 1_000);
    ApplicationDataset.addConstraints(source);

    assertThat(definitions(source))
        .as("constraints and indexes of the constrained source")
        .contains(
            "customers: UNIQUE (email)",
            "customers: CHECK ((email ~~ '%@%'::text))",
            "orders: FOREIGN KEY (customer_id) REFERENCES customers(id)",
            "orders: CHECK ((quantity > 0))",
            "orders: CHECK ((total >= (0)::numeric))",
            "order_lines: FOREIGN KEY (order_id) REFERENCES orders(id)",
            "order_lines: CHECK ((quantity > 0))",
            "order_lines: CHECK ((unit_price >= (0)::numeric))",
            "orders: CREATE INDEX orders_customer_idx ON public.orders USING btree (customer_id)");
    assertThat(ApplicationDataset.objects(source)).isEqualTo(ApplicationDataset.EXPECTED);
    assertThat(ApplicationDataset.count(source))
        .as("100 customers, 300 orders, 600 lines")
        .isEqualTo(1_000);
    try (Connection conn = source.connect("test");
        Statement st = conn.createStatement()) {
      assertThatThrownBy(
              () ->
                  st.execute("INSERT INTO order_lines VALUES (999999, 1, 'SKU-1', 1, 1.00, NULL)"))
          .as("an orphan line")
          .hasMessageContaining("order_lines_order_fk");
      assertThatThrownBy(() -> st.execute("UPDATE orders SET quantity = 0 WHERE id = 1"))
          .as("a CHECK violation")
          .hasMessageContaining("orders_quantity_check");
      assertThatThrownBy(
              () -> st.execute("UPDATE customers SET email = 'customer2@example.com' WHERE id = 1"))
          .as("a duplicate email")
          .hasMessageContaining("customers_email_key");
    }
  }

  @Test
  void aSmallRunPublishesTheConstraintsAndReportsWhatTheyAdd() throws Exception {
    Path out = dir.resolve("results.md");

    String markdown =
        BenchRuns.run(out, "--constraints", "--rows", "2000", "--tenants", "2", "--repeat", "2");
    assertThat(markdown)
        .as("header")
        .contains(
            "2 tenants x 2,000 rows (200 customers, 600 orders, 1,200 order lines) = 4,000 rows");
    assertThat(markdown)
        .as("both schemas migrated, every row counted in the target")
        .containsPattern("\\| tenantfold run, keys only \\| 4,000 \\|")
        .containsPattern("\\| tenantfold run, constraints \\+ FKs \\| 4,000 \\|");
    assertThat(markdown)
        .as("the target carries what the sources carry")
        .contains("sources: primary keys only; target: 0 FKs, 0 unique, 0 CHECKs, 0 indexes")
        .contains(
            "sources: primary keys + 2 FKs + unique + 5 CHECKs + index; target: 2 FKs, 1 unique, 5"
                + " CHECKs, 1 index");
    assertThat(markdown)
        .as("the comparison")
        .contains("**What constraints + FKs add:**")
        .containsPattern("\\| keys \\| [0-9.]+")
        .containsPattern("\\| publish \\| [0-9.]+")
        .contains("median of 2 trial(s)");
  }

  @Test
  void profileDoesNotCombineWithConstraints() {
    assertThatThrownBy(
            () ->
                BenchOptions.parse(
                    new String[] {"--source", "export", "--profile", "--constraints"}))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("--profile and --constraints do not combine");
  }

  private static List<String> definitions(JdbcEndpoint database) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Connection conn = database.connect("test");
        Statement st = conn.createStatement();
        ResultSet rs =
            st.executeQuery(
                """
                SELECT conrelid::regclass || ': ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE contype IN ('f', 'u', 'c')
                UNION ALL
                SELECT indrelid::regclass || ': ' || pg_get_indexdef(indexrelid) FROM pg_index
                 WHERE indrelid = 'orders'::regclass AND NOT indisprimary\
                """)) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }
}
