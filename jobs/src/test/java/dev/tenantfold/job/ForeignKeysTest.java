package dev.tenantfold.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tenantfold.report.RunResult;
import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import java.nio.file.Path;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Foreign keys recreated tenant-aware: a tenant's row can reference only its own rows (or a shared
 * table's), and a re-publish still swaps atomically with the keys in place (old partitions leave
 * children first, new ones arrive parents first).
 */
class ForeignKeysTest {
  private static final SparkSession spark = LocalSpark.session();

  @TempDir Path reports;

  private static String tenant(String name, int orders) {
    String url = TestPostgres.createDatabase(name);
    TestPostgres.execute(
        url,
        """
        CREATE TABLE countries (code char(2) PRIMARY KEY, name text);
        INSERT INTO countries VALUES ('DE', 'Germany'), ('FR', 'France');
        CREATE TABLE customers (id int PRIMARY KEY, country char(2) REFERENCES countries);
        INSERT INTO customers VALUES (1, 'DE'), (2, 'FR');
        CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL CONSTRAINT orders_customer_fk REFERENCES customers);
        INSERT INTO orders SELECT g, 1 + g %% 2 FROM generate_series(1, %d) g;
        CREATE TABLE a (id int PRIMARY KEY, b_id int);
        CREATE TABLE b (id int PRIMARY KEY, a_id int REFERENCES a);
        ALTER TABLE a ADD CONSTRAINT a_b_fk FOREIGN KEY (b_id) REFERENCES b;
        """
            .formatted(orders));
    return url;
  }

  @Test
  void keysReferenceTheTenantsOwnRowsAndRepublishingSwapsInOrder() throws Exception {
    String acme = tenant("acme", 10);
    String globex = tenant("globex", 4);
    String warehouse = Fixtures.emptyWarehouse();
    var config =
        Fixtures.config(warehouse)
            .tenant("acme", acme)
            .tenant("globex", globex)
            .set("rules", Map.of("countries", Map.of("shared", Map.of())))
            .build(reports);

    RunResult first = new MigrationJob(config, spark).execute();
    assertThat(first.exitCode()).as("tenants: %s", first.tenants()).isZero();
    TestPostgres.execute(
        acme,
        "DELETE FROM orders WHERE id > 5; INSERT INTO customers VALUES (3, 'DE'); INSERT INTO"
            + " orders VALUES (99, 3)");
    RunResult second = new MigrationJob(config, spark).execute();
    assertThat(second.exitCode()).as("re-publish with foreign keys: %s", second.tenants()).isZero();
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT tenant_id || ' ' || count(*) FROM public.orders GROUP BY tenant_id"))
        .containsExactly("acme 6", "globex 4");

    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'f' AND"
                    + " conparentid = 0 AND conrelid IN ('public.orders'::regclass,"
                    + " 'public.customers'::regclass)"))
        .containsExactly(
            "FOREIGN KEY (country) REFERENCES countries(code)",
            "FOREIGN KEY (tenant_id, customer_id) REFERENCES customers(tenant_id, id)");
    // globex has no customer 3: acme's customer is not globex's to reference.
    assertThatThrownBy(
            () ->
                TestPostgres.execute(
                    warehouse, "INSERT INTO public.orders VALUES ('globex', 100, 3)"))
        .hasMessageContaining("orders_customer_fk");
    TestPostgres.execute(warehouse, "INSERT INTO public.orders VALUES ('acme', 100, 3)");
    assertThatThrownBy(
            () ->
                TestPostgres.execute(
                    warehouse, "INSERT INTO public.customers VALUES ('acme', 9, 'XX')"))
        .as("a country the shared table lacks")
        .hasMessageContaining("foreign key");
    // Tables that reference each other in a cycle are consolidated without their keys.
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND conrelid IN"
                    + " ('public.a'::regclass, 'public.b'::regclass)"))
        .containsExactly("0");
  }
}
