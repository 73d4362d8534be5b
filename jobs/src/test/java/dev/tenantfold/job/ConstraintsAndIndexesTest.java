package dev.tenantfold.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tenantfold.report.RunResult;
import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The target enforces what each tenant's database enforced, per tenant: unique constraints and
 * unique indexes with the tenant column first, CHECK constraints, secondary and partial indexes;
 * and publishing (the partition swap) still works with them in place.
 */
class ConstraintsAndIndexesTest {
  private static final SparkSession spark = LocalSpark.session();

  @TempDir
  Path reports;

  private static String tenant(String name) {
    String url = TestPostgres.createDatabase(name);
    TestPostgres.execute(url, """
        CREATE TABLE customers (id int PRIMARY KEY, email text NOT NULL CONSTRAINT customers_email_key UNIQUE, name text,
          qty int CONSTRAINT qty_positive CHECK (qty > 0), active boolean);
        CREATE INDEX customers_lower_name ON customers (lower(name));
        CREATE UNIQUE INDEX customers_active_name ON customers (name) WHERE active;
        INSERT INTO customers VALUES (1, 'ann@example.com', 'Ann', 1, true), (2, 'bob@example.com', 'Bob', 2, false);
        """);
    return url;
  }

  @Test
  void uniqueCheckAndIndexesHoldPerTenantAndPublishingStillSwaps() throws Exception {
    String acme = tenant("acme");
    String globex = tenant("globex");
    String warehouse = Fixtures.emptyWarehouse();
    var config = Fixtures.config(warehouse).tenant("acme", acme).tenant("globex", globex).build(reports);

    RunResult first = new MigrationJob(config, spark).execute();
    assertThat(first.exitCode()).as("tenants: %s", first.tenants()).isZero();
    // Re-run: the new partitions must attach under the same indexes and constraints.
    RunResult second = new MigrationJob(config, spark).execute();
    assertThat(second.exitCode()).as("tenants: %s", second.tenants()).isZero();

    assertThat(RowSets.rows(warehouse, "SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = 'public.customers'::regclass"))
        .anySatisfy(d -> assertThat(d).contains("UNIQUE INDEX customers_email_key", "(tenant_id, email)"))
        .anySatisfy(d -> assertThat(d).contains("customers_lower_name", "(tenant_id, lower(name))"))
        .anySatisfy(d -> assertThat(d).contains("customers_active_name", "(tenant_id, name) WHERE active"));
    // The same email in another tenant is fine; twice in one tenant is not.
    TestPostgres.execute(warehouse, "INSERT INTO public.customers VALUES ('acme', 3, 'carl@example.com', 'Carl', 1, false),"
        + " ('globex', 3, 'carl@example.com', 'Carl', 1, false)");
    assertThatThrownBy(() -> TestPostgres.execute(warehouse, "INSERT INTO public.customers VALUES ('acme', 4, 'ann@example.com', 'Ann2', 1, false)"))
        // The violation names the partition's constraint; the key says which.
        .hasMessageContaining("duplicate key value violates unique constraint").hasMessageContaining("(tenant_id, email)=(acme, ann@example.com)");
    assertThatThrownBy(() -> TestPostgres.execute(warehouse, "INSERT INTO public.customers VALUES ('acme', 5, 'eve@example.com', 'Eve', 0, false)"))
        .hasMessageContaining("qty_positive");
    assertThatThrownBy(() -> TestPostgres.execute(warehouse, "INSERT INTO public.customers VALUES ('acme', 6, 'x@example.com', 'Ann', 1, true)"))
        .as("a second active Ann in acme").hasMessageContaining("(tenant_id, name)=(acme, Ann)");
  }
}
