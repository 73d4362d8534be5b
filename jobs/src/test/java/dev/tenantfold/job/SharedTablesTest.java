package dev.tenantfold.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.report.RunResult;
import dev.tenantfold.report.TableResult;
import dev.tenantfold.report.TenantResult;
import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import dev.tenantfold.validate.TableStatus;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reference table declared shared loads once, without the tenant column: identical rows of
 * several tenants become one row, and rows that conflict are decided by the table's on-conflict
 * rule, listed in the report either way.
 */
class SharedTablesTest {
  private static final SparkSession spark = LocalSpark.session();

  @TempDir Path reports;

  private static String tenant(String name, String countries) {
    String url = TestPostgres.createDatabase(name);
    TestPostgres.execute(
        url,
        """
        CREATE TABLE countries (code char(2) PRIMARY KEY, name text NOT NULL);
        INSERT INTO countries VALUES %s;
        CREATE TABLE orders (id int PRIMARY KEY, country char(2) REFERENCES countries);
        INSERT INTO orders SELECT g, 'DE' FROM generate_series(1, 3) g;
        """
            .formatted(countries));
    return url;
  }

  private String acme;
  private String globex;
  private String initech;

  private TenantfoldConfig config(String warehouse, String onConflict) {
    return Fixtures.config(warehouse)
        .tenant("acme", acme)
        .tenant("globex", globex)
        .tenant("initech", initech)
        .set("rules", Map.of("countries", Map.of("shared", Map.of("on-conflict", onConflict))))
        // One slot: tenants finish their heavy work one after the other and wait for each other at
        // the gate.
        .set("extract.tenant-parallelism", 1)
        .build(reports);
  }

  private RunResult validate(String warehouse, String onConflict, String tenant) throws Exception {
    return new AuditJob(
            config(warehouse, onConflict),
            java.util.Optional.ofNullable(tenant),
            java.util.Optional.empty(),
            spark)
        .execute();
  }

  private RunResult run(String warehouse, String onConflict) throws Exception {
    acme = tenant("acme", "('DE', 'Germany'), ('FR', 'France')");
    globex = tenant("globex", "('DE', 'Germany'), ('FR', 'République française'), ('IT', 'Italy')");
    initech = tenant("initech", "('DE', 'Germany'), ('US', 'United States')");
    return new MigrationJob(config(warehouse, onConflict), spark).execute();
  }

  @Test
  void onConflictFailKeepsTheConflictingTenantsOutAndPublishesTheRest() throws Exception {
    String warehouse = Fixtures.emptyWarehouse();
    RunResult result = run(warehouse, "fail");

    assertThat(tenant(result, "acme").published()).isFalse();
    assertThat(tenant(result, "globex").published()).isFalse();
    assertThat(tenant(result, "initech").published())
        .as("initech: %s", tenant(result, "initech"))
        .isTrue();
    assertThat(table(result, "acme", "countries").message())
        .contains(
            "its row for key {\"code\": \"FR\"} differs from tenants [globex]",
            "tenantfold.rules.countries.shared.on-conflict = fail");
    assertThat(RowSets.rows(warehouse, "SELECT code || ' ' || name FROM public.countries"))
        .containsExactly("DE Germany", "US United States");
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT tenant_id || ' ' || count(*) FROM public.orders GROUP BY tenant_id"))
        .containsExactly("initech 3");
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT concat_ws(' | ', key, tenant_id, row_data->>'name', outcome) FROM"
                    + " tenantfold.shared_conflicts WHERE run_id = '"
                    + result.runId()
                    + "'"))
        .containsExactly(
            "{\"code\": \"FR\"} | acme | France | not published (on-conflict = fail)",
            "{\"code\": \"FR\"} | globex | République française | not published (on-conflict ="
                + " fail)");
    // validate re-checks the published tenant's shared rows: all there.
    RunResult audit = validate(warehouse, "fail", "initech");
    assertThat(audit.exitCode()).as("validate initech: %s", audit.tenants()).isZero();
    assertThat(table(audit, "initech", "countries").status()).isEqualTo(TableStatus.OK);
  }

  @Test
  void onConflictFirstTenantKeepsTheFirstRowAndPublishesEveryone() throws Exception {
    String warehouse = Fixtures.emptyWarehouse();
    RunResult result = run(warehouse, "first-tenant");

    assertThat(result.exitCode()).as("tenants: %s", result.tenants()).isZero();
    assertThat(RowSets.rows(warehouse, "SELECT code || ' ' || name FROM public.countries"))
        .containsExactly("DE Germany", "FR France", "IT Italy", "US United States");
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT column_name FROM information_schema.columns WHERE table_name ="
                    + " 'countries'"))
        .as("no tenant column in a shared table")
        .containsExactly("code", "name");
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT tenant_id || ' ' || count(*) FROM public.orders GROUP BY tenant_id"))
        .containsExactly("acme 3", "globex 3", "initech 3");
    assertThat(table(result, "globex", "countries").message())
        .contains("1 rows overruled by other tenants' rows", "on-conflict = first-tenant");

    // validate: globex's France differs from the shared row, a conflict its run resolved; every
    // other row is there.
    RunResult audit = validate(warehouse, "first-tenant", null);
    assertThat(audit.exitCode()).as("validate: %s", audit.tenants()).isZero();
    assertThat(table(audit, "globex", "countries").message())
        .contains(
            "1 rows differ from the shared table as conflicts resolved by run " + result.runId());
    assertThat(
            List.of(
                table(audit, "acme", "countries").counts().sourceRows(),
                table(audit, "globex", "countries").counts().sourceRows()))
        .containsExactly(2L, 3L);
    assertThat(table(audit, "globex", "countries").counts().targetRows())
        .as("the target side counts the shared rows of globex's keys and its resolved conflicts")
        .isEqualTo(3L);

    // Someone changes a shared row in the target: every tenant with that key mismatches, named by
    // key.
    TestPostgres.execute(
        warehouse, "UPDATE public.countries SET name = 'Deutschland' WHERE code = 'DE'");
    RunResult changed = validate(warehouse, "first-tenant", null);
    assertThat(changed.exitCode())
        .as("validate after the change: %s", changed.tenants())
        .isEqualTo(3);
    for (String tenant : List.of("acme", "globex", "initech")) {
      TableResult countries = table(changed, tenant, "countries");
      assertThat(countries.status()).as(tenant).isEqualTo(TableStatus.MISMATCH);
      assertThat(countries.message())
          .as(tenant)
          .contains(
              "shared table countries: rows of tenant "
                  + tenant
                  + " differ from the published shared table at keys {\"code\": \"DE\"}",
              "changed columns: name");
      assertThat(table(changed, tenant, "orders").status())
          .as(tenant + " orders")
          .isEqualTo(TableStatus.OK);
    }
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT concat_ws(' | ', tenant_id, key, kind) FROM tenantfold.mismatches WHERE"
                    + " run_id = '"
                    + changed.runId()
                    + "' AND table_name = 'countries'"))
        .containsExactlyInAnyOrder(
            "acme | {\"code\": \"DE\"} | CHANGED",
            "globex | {\"code\": \"DE\"} | CHANGED",
            "initech | {\"code\": \"DE\"} | CHANGED");
    assertThat(
            RowSets.count(
                warehouse,
                "SELECT count(*) FROM tenantfold.staging_objects WHERE state = 'created'"))
        .as("validate's copies dropped")
        .isZero();
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT concat_ws(' | ', tenant_id, row_data->>'name', outcome) FROM"
                    + " tenantfold.shared_conflicts WHERE run_id = '"
                    + result.runId()
                    + "'"))
        .containsExactly(
            "acme | France | kept (on-conflict = first-tenant)",
            "globex | République française | overruled by tenant acme (on-conflict ="
                + " first-tenant)");
  }

  @Test
  void onConflictTenantLetsThatTenantWin() throws Exception {
    String warehouse = Fixtures.emptyWarehouse();
    RunResult result = run(warehouse, "tenant:globex");

    assertThat(result.exitCode()).as("tenants: %s", result.tenants()).isZero();
    assertThat(RowSets.rows(warehouse, "SELECT code || ' ' || name FROM public.countries"))
        .containsExactly("DE Germany", "FR République française", "IT Italy", "US United States");
    assertThat(table(result, "acme", "countries").message()).contains("1 rows overruled");
    // validate re-checks every tenant's shared rows: acme's France lost to globex's, a resolved
    // conflict.
    RunResult audit = validate(warehouse, "tenant:globex", null);
    assertThat(audit.exitCode()).as("validate: %s", audit.tenants()).isZero();
    assertThat(table(audit, "acme", "countries").message())
        .contains("1 rows differ from the shared table as conflicts resolved");

    // A key deleted from the shared table is missing for the tenants that have it.
    TestPostgres.execute(warehouse, "DELETE FROM public.countries WHERE code = 'IT'");
    RunResult missing = validate(warehouse, "tenant:globex", null);
    assertThat(missing.exitCode()).isEqualTo(3);
    assertThat(table(missing, "globex", "countries").message())
        .contains("at keys {\"code\": \"IT\"}", "1 MISSING_IN_TARGET");
    assertThat(table(missing, "acme", "countries").status()).isEqualTo(TableStatus.OK);
  }

  private static TenantResult tenant(RunResult run, String id) {
    return run.tenants().stream().filter(t -> t.tenantId().equals(id)).findFirst().orElseThrow();
  }

  private static TableResult table(RunResult run, String tenant, String table) {
    return tenant(run, tenant).tables().stream()
        .filter(t -> t.tableName().equals(table))
        .findFirst()
        .orElseThrow();
  }
}
