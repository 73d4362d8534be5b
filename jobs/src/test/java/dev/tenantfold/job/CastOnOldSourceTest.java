package dev.tenantfold.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.report.RunResult;
import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.Postgres13;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cast rules on a PostgreSQL 13 source (no pg_input_is_valid before 16): the tenant's rows land in
 * the target and are cast there, with the same rejects, counts and validation as the same tenant on
 * PostgreSQL 16.
 */
class CastOnOldSourceTest {
  private static final SparkSession spark = LocalSpark.session();
  private static final String TENANT =
      """
      CREATE TABLE customers (id integer PRIMARY KEY, name text, legacy_code text);
      INSERT INTO customers VALUES (1, 'Ann', '7'), (2, 'Bob', 'x1'), (3, 'Cy', NULL), (4, 'Di', ' 12 ');
      CREATE TABLE notes (id integer PRIMARY KEY, body text);
      INSERT INTO notes VALUES (1, 'kept as it is');
      """;

  @TempDir Path reports;

  @Test
  void aCastRuleOnPostgres13RejectsCountsAndValidatesAsOn16() throws Exception {
    String old = Postgres13.createDatabase("cast13");
    try (var conn = java.sql.DriverManager.getConnection(old, "postgres", "postgres");
        var st = conn.createStatement()) {
      st.execute(TENANT);
    }
    String current = TestPostgres.createDatabase("cast16");
    TestPostgres.execute(current, TENANT);

    RunResult on13 = run(old);
    RunResult on16 = run(current);

    assertThat(on13.exitCode()).as("%s", on13.tenants()).isZero();
    assertThat(on16.exitCode()).as("%s", on16.tenants()).isZero();
    var customers13 = on13.tenant("a").orElseThrow().table("customers").orElseThrow();
    var customers16 = on16.tenant("a").orElseThrow().table("customers").orElseThrow();
    assertThat(customers13.counts().rejectedRows()).isEqualTo(1);
    assertThat(customers13.counts().sourceRows())
        .isEqualTo(customers16.counts().sourceRows())
        .isEqualTo(4);
    assertThat(customers13.counts().loadedRows())
        .isEqualTo(customers16.counts().loadedRows())
        .isEqualTo(3);
    assertThat(customers13.message()).isEqualTo(customers16.message());
    assertThat(customers13.checksum().mismatchedBuckets()).isZero();
    assertThat(rows(on13))
        .isEqualTo(rows(on16))
        .containsExactly("a|1|Ann|7", "a|3|Cy", "a|4|Di|12");

    RunResult audit =
        new AuditJob(config(old, on13Warehouse), Optional.empty(), Optional.empty()).execute();
    assertThat(audit.exitCode()).as("validate on 13: %s", audit.tenants()).isZero();
  }

  private String on13Warehouse;
  private final Map<RunResult, String> warehouses = new java.util.IdentityHashMap<>();

  private RunResult run(String tenant) throws Exception {
    String warehouse = Fixtures.emptyWarehouse();
    if (tenant.contains(":" + Postgres13.server().getPort() + "/")) {
      on13Warehouse = warehouse;
    }
    RunResult r = new MigrationJob(config(tenant, warehouse), spark).execute();
    warehouses.put(r, warehouse);
    return r;
  }

  private TenantfoldConfig config(String tenant, String warehouse) {
    return Fixtures.config(warehouse)
        .tenant("a", tenant)
        .set(
            "rules",
            Map.of(
                "customers",
                Map.of(
                    "columns",
                    Map.of("legacy_code", Map.of("cast", "bigint")),
                    "max-rejected-rows",
                    1)))
        .build(reports);
  }

  private List<String> rows(RunResult run) {
    return RowSets.rows(
        warehouses.get(run),
        "SELECT concat_ws('|', tenant_id, id, name, legacy_code) FROM public.customers ORDER BY"
            + " id");
  }
}
