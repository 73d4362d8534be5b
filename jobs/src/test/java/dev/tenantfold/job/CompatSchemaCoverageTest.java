package dev.tenantfold.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.report.RunResult;
import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the compatibility schemas and the united views cover (issue 20, items 4 and 7): a source
 * schema holding only views (AdventureWorks' hr) gets its target schema so the views united there
 * exist, and a run that selects some tables (tables.include) keeps the views of the tenant's other
 * consolidated tables in its compatibility schemas.
 */
class CompatSchemaCoverageTest {
  private static final SparkSession spark = LocalSpark.session();

  @TempDir Path reports;

  private static String tenant(String name, int customers) {
    String url = TestPostgres.createDatabase(name);
    TestPostgres.execute(
        url,
        """
        CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL);
        CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES customers);
        INSERT INTO customers SELECT g, '%1$s ' || g FROM generate_series(1, %2$d) g;
        INSERT INTO orders SELECT g, 1 + g %% %2$d FROM generate_series(1, 10) g;
        CREATE SCHEMA hr;
        CREATE VIEW hr.staff AS SELECT name FROM public.customers;
        """
            .formatted(name, customers));
    return url;
  }

  @Test
  void viewOnlySchemasAreUnitedAndUnselectedTablesKeepTheirViews() throws Exception {
    String a = tenant("cova", 4);
    String b = tenant("covb", 3);
    String warehouse = Fixtures.emptyWarehouse();
    RunResult first =
        new MigrationJob(
                Fixtures.config(warehouse)
                    .tenantInSchemas("a", a, List.of("public", "hr"))
                    .tenantInSchemas("b", b, List.of("public", "hr"))
                    .set("target.compat-schemas", true)
                    .build(reports),
                spark)
            .execute();
    assertThat(first.exitCode()).as("tenants: %s", first.tenants()).isZero();
    assertThat(first.notes()).as("notes").noneMatch(n -> n.contains("not united"));
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT tenant_id || ' ' || count(*) FROM hr.staff GROUP BY tenant_id ORDER BY 1"))
        .as("the view of a schema holding only views, united in its target schema")
        .containsExactly("a 4", "b 3");

    RunResult ordersOnly =
        new MigrationJob(
                Fixtures.config(warehouse)
                    .tenantInSchemas("a", a, List.of("public", "hr"))
                    .set("target.compat-schemas", true)
                    .set("tables.include", List.of("orders"))
                    .build(reports),
                spark)
            .execute();
    assertThat(ordersOnly.exitCode()).as("tenants: %s", ordersOnly.tenants()).isZero();
    assertThat(RowSets.count(warehouse, "SELECT count(*) FROM tenant_a.customers"))
        .as("a's customers through its compatibility schema after a run of orders only")
        .isEqualTo(4);
    assertThat(RowSets.count(warehouse, "SELECT count(*) FROM tenant_a_hr.staff"))
        .as("a's view over its customers after a run of orders only")
        .isEqualTo(4);
    assertThat(ordersOnly.notes())
        .as("notes")
        .noneMatch(n -> n.contains("a relation of that name exists there"));
  }
}
