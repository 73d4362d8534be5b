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

  @TempDir Path reports;

  private static String tenant(String name) {
    String url = TestPostgres.createDatabase(name);
    TestPostgres.execute(
        url,
        """
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
    var config =
        Fixtures.config(warehouse).tenant("acme", acme).tenant("globex", globex).build(reports);

    RunResult first = new MigrationJob(config, spark).execute();
    assertThat(first.exitCode()).as("tenants: %s", first.tenants()).isZero();
    // Re-run: the new partitions must attach under the same indexes and constraints.
    RunResult second = new MigrationJob(config, spark).execute();
    assertThat(second.exitCode()).as("tenants: %s", second.tenants()).isZero();

    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid ="
                    + " 'public.customers'::regclass"))
        .anySatisfy(
            d -> assertThat(d).contains("UNIQUE INDEX customers_email_key", "(tenant_id, email)"))
        .anySatisfy(d -> assertThat(d).contains("customers_lower_name", "(tenant_id, lower(name))"))
        .anySatisfy(
            d -> assertThat(d).contains("customers_active_name", "(tenant_id, name) WHERE active"));
    // The same email in another tenant is fine; twice in one tenant is not.
    TestPostgres.execute(
        warehouse,
        "INSERT INTO public.customers VALUES ('acme', 3, 'carl@example.com', 'Carl', 1, false),"
            + " ('globex', 3, 'carl@example.com', 'Carl', 1, false)");
    assertThatThrownBy(
            () ->
                TestPostgres.execute(
                    warehouse,
                    "INSERT INTO public.customers VALUES ('acme', 4, 'ann@example.com', 'Ann2', 1,"
                        + " false)"))
        // The violation names the partition's constraint; the key says which.
        .hasMessageContaining("duplicate key value violates unique constraint")
        .hasMessageContaining("(tenant_id, email)=(acme, ann@example.com)");
    assertThatThrownBy(
            () ->
                TestPostgres.execute(
                    warehouse,
                    "INSERT INTO public.customers VALUES ('acme', 5, 'eve@example.com', 'Eve', 0,"
                        + " false)"))
        .hasMessageContaining("qty_positive");
    assertThatThrownBy(
            () ->
                TestPostgres.execute(
                    warehouse,
                    "INSERT INTO public.customers VALUES ('acme', 6, 'x@example.com', 'Ann', 1,"
                        + " true)"))
        .as("a second active Ann in acme")
        .hasMessageContaining("(tenant_id, name)=(acme, Ann)");
  }

  /**
   * A CHECK calling a function of a schema nobody consolidates cannot be built on the target: the
   * table is consolidated without it, and the run's notes (summary, report.json) say so, not only
   * the log.
   */
  /** A run of tenant {@code acme} into {@code warehouse}, asserted to publish it. */
  private RunResult runPublishing(String acme, String warehouse) throws Exception {
    RunResult run =
        new MigrationJob(Fixtures.config(warehouse).tenant("acme", acme).build(reports), spark)
            .execute();
    assertThat(run.exitCode()).as("tenants: %s", run.tenants()).isZero();
    return run;
  }

  @Test
  void aConstraintTheTargetCannotBuildIsNamedInTheRunsNotes() throws Exception {
    String acme = TestPostgres.createDatabase("skip_acme");
    TestPostgres.execute(
        acme,
        """
        CREATE SCHEMA util;
        CREATE FUNCTION util.positive(int) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT $1 > 0 $$;
        CREATE TABLE items (id int PRIMARY KEY, qty int CONSTRAINT items_qty_positive CHECK (util.positive(qty)));
        INSERT INTO items VALUES (1, 5);
        """);
    String warehouse = Fixtures.emptyWarehouse();

    RunResult run = runPublishing(acme, warehouse);
    assertThat(
            RowSets.rows(
                warehouse, "SELECT tenant_id || ' ' || id || ' ' || qty FROM public.items"))
        .containsExactly("acme 1 5");
    assertThat(run.notes())
        .anySatisfy(
            n ->
                assertThat(n + " " + String.join(" ", run.noteItems(n)))
                    .contains(
                        "could not build were skipped",
                        "constraint items_qty_positive of",
                        "schema \"util\" does not exist"));
  }

  @Test
  void anExclusionTheTargetCannotBuildIsSkippedAndTheTableStillHasItsKey() throws Exception {
    String acme = TestPostgres.createDatabase("excl_skip_acme");
    TestPostgres.execute(
        acme,
        """
        CREATE SCHEMA util;
        CREATE FUNCTION util.span(int, int) RETURNS int4range LANGUAGE sql IMMUTABLE
          AS $$ SELECT int4range($1, $2) $$;
        CREATE TABLE slots (id int PRIMARY KEY, a int NOT NULL, b int NOT NULL,
          CONSTRAINT slots_no_overlap EXCLUDE USING gist (util.span(a, b) WITH &&));
        INSERT INTO slots VALUES (1, 1, 5), (2, 5, 9);
        """);
    String warehouse = Fixtures.emptyWarehouse();

    // The keys are built in one transaction: the exclusion's failure is rolled back to its
    // savepoint, not the key with it.
    RunResult run = runPublishing(acme, warehouse);
    assertThat(run.notes())
        .as("the skipped exclusion is in the run's notes, not only the log")
        .anySatisfy(
            n ->
                assertThat(n + " " + String.join(" ", run.noteItems(n)))
                    .contains(
                        "tenant acme: 1 exclusion constraints not recreated on its partitions",
                        "exclusion constraint slots_no_overlap of slots",
                        "schema \"util\" does not exist"));
    assertThat(
            RowSets.rows(warehouse, "SELECT tenant_id || ' ' || id FROM public.slots ORDER BY id"))
        .containsExactly("acme 1", "acme 2");
    assertThatThrownBy(
            () ->
                TestPostgres.execute(
                    warehouse, "INSERT INTO public.slots VALUES ('acme', 1, 20, 30)"))
        .hasMessageContaining("duplicate key");
  }

  @Test
  void exclusionConstraintsHoldOnEachTenantsPartition() throws Exception {
    String schema =
        """
        CREATE TABLE bookings (id int PRIMARY KEY, during tstzrange NOT NULL,
          CONSTRAINT bookings_no_overlap EXCLUDE USING gist (during WITH &&));
        """;
    String acme = TestPostgres.createDatabase("excl_acme");
    TestPostgres.execute(
        acme,
        schema
            + "INSERT INTO bookings VALUES (1, '[2026-01-01,2026-01-05)'), (2,"
            + " '[2026-01-05,2026-01-09)');");
    String globex = TestPostgres.createDatabase("excl_globex");
    TestPostgres.execute(
        globex, schema + "INSERT INTO bookings VALUES (1, '[2026-01-02,2026-01-06)');");
    String warehouse = Fixtures.emptyWarehouse();
    var config =
        Fixtures.config(warehouse).tenant("acme", acme).tenant("globex", globex).build(reports);

    RunResult run = new MigrationJob(config, spark).execute();
    assertThat(run.exitCode()).as("tenants: %s", run.tenants()).isZero();
    RunResult again = new MigrationJob(config, spark).execute();
    assertThat(again.exitCode())
        .as("re-publish with the constraints on the partitions: %s", again.tenants())
        .isZero();

    // Overlaps between tenants were never a conflict; within one tenant they still are, through the
    // consolidated table.
    assertThatThrownBy(
            () ->
                TestPostgres.execute(
                    warehouse,
                    "INSERT INTO public.bookings VALUES ('acme', 3, '[2026-01-03,2026-01-04)')"))
        .hasMessageContaining(
            "conflicting key value violates exclusion constraint \"bookings_no_overlap\"");
    TestPostgres.execute(
        warehouse, "INSERT INTO public.bookings VALUES ('globex', 3, '[2026-01-07,2026-01-08)')");
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT tenant_id || ' ' || count(*) FROM public.bookings GROUP BY tenant_id ORDER"
                    + " BY 1"))
        .containsExactly("acme 2", "globex 2");
  }
}
