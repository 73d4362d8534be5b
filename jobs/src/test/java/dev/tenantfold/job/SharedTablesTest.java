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
import java.nio.file.Path;
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

  @TempDir
  Path reports;

  private static String tenant(String name, String countries) {
    String url = TestPostgres.createDatabase(name);
    TestPostgres.execute(url, """
        CREATE TABLE countries (code char(2) PRIMARY KEY, name text NOT NULL);
        INSERT INTO countries VALUES %s;
        CREATE TABLE orders (id int PRIMARY KEY, country char(2) REFERENCES countries);
        INSERT INTO orders SELECT g, 'DE' FROM generate_series(1, 3) g;
        """.formatted(countries));
    return url;
  }

  private String acme;
  private String globex;
  private String initech;

  private RunResult run(String warehouse, String onConflict) throws Exception {
    acme = tenant("acme", "('DE', 'Germany'), ('FR', 'France')");
    globex = tenant("globex", "('DE', 'Germany'), ('FR', 'République française'), ('IT', 'Italy')");
    initech = tenant("initech", "('DE', 'Germany'), ('US', 'United States')");
    TenantfoldConfig config = Fixtures.config(warehouse).tenant("acme", acme).tenant("globex", globex).tenant("initech", initech)
        .set("rules", Map.of("countries", Map.of("shared", Map.of("on-conflict", onConflict))))
        // One slot: tenants finish their heavy work one after the other and wait for each other at the gate.
        .set("extract.tenant-parallelism", 1).build(reports);
    return new MigrationJob(config, spark).execute();
  }

  @Test
  void onConflictFailKeepsTheConflictingTenantsOutAndPublishesTheRest() throws Exception {
    String warehouse = Fixtures.emptyWarehouse();
    RunResult result = run(warehouse, "fail");

    assertThat(tenant(result, "acme").published()).isFalse();
    assertThat(tenant(result, "globex").published()).isFalse();
    assertThat(tenant(result, "initech").published()).as("initech: %s", tenant(result, "initech")).isTrue();
    assertThat(table(result, "acme", "countries").message()).contains("its row for key {\"code\": \"FR\"} differs from tenants [globex]",
        "tenantfold.rules.countries.shared.on-conflict = fail");
    assertThat(RowSets.rows(warehouse, "SELECT code || ' ' || name FROM public.countries")).containsExactly("DE Germany", "US United States");
    assertThat(RowSets.rows(warehouse, "SELECT tenant_id || ' ' || count(*) FROM public.orders GROUP BY tenant_id")).containsExactly("initech 3");
    assertThat(RowSets.rows(warehouse, "SELECT concat_ws(' | ', key, tenant_id, row_data->>'name', outcome) FROM tenantfold.shared_conflicts"
        + " WHERE run_id = '" + result.runId() + "'")).containsExactly(
            "{\"code\": \"FR\"} | acme | France | not published (on-conflict = fail)",
            "{\"code\": \"FR\"} | globex | République française | not published (on-conflict = fail)");
  }

  @Test
  void onConflictFirstTenantKeepsTheFirstRowAndPublishesEveryone() throws Exception {
    String warehouse = Fixtures.emptyWarehouse();
    RunResult result = run(warehouse, "first-tenant");

    assertThat(result.exitCode()).as("tenants: %s", result.tenants()).isZero();
    assertThat(RowSets.rows(warehouse, "SELECT code || ' ' || name FROM public.countries"))
        .containsExactly("DE Germany", "FR France", "IT Italy", "US United States");
    assertThat(RowSets.rows(warehouse, "SELECT column_name FROM information_schema.columns WHERE table_name = 'countries'"))
        .as("no tenant column in a shared table").containsExactly("code", "name");
    assertThat(RowSets.rows(warehouse, "SELECT tenant_id || ' ' || count(*) FROM public.orders GROUP BY tenant_id"))
        .containsExactly("acme 3", "globex 3", "initech 3");
    assertThat(table(result, "globex", "countries").message()).contains("1 rows overruled by other tenants' rows",
        "on-conflict = first-tenant");
    assertThat(RowSets.rows(warehouse, "SELECT concat_ws(' | ', tenant_id, row_data->>'name', outcome) FROM tenantfold.shared_conflicts"
        + " WHERE run_id = '" + result.runId() + "'")).containsExactly(
            "acme | France | kept (on-conflict = first-tenant)",
            "globex | République française | overruled by tenant acme (on-conflict = first-tenant)");
  }

  @Test
  void onConflictTenantLetsThatTenantWin() throws Exception {
    String warehouse = Fixtures.emptyWarehouse();
    RunResult result = run(warehouse, "tenant:globex");

    assertThat(result.exitCode()).as("tenants: %s", result.tenants()).isZero();
    assertThat(RowSets.rows(warehouse, "SELECT code || ' ' || name FROM public.countries"))
        .containsExactly("DE Germany", "FR République française", "IT Italy", "US United States");
    assertThat(table(result, "acme", "countries").message()).contains("1 rows overruled");
    // validate skips the shared table (it holds every tenant's rows) and checks the rest.
    RunResult audit = new AuditJob(Fixtures.config(warehouse).tenant("acme", acme).tenant("globex", globex).tenant("initech", initech)
        .set("rules", Map.of("countries", Map.of("shared", Map.of("on-conflict", "tenant:globex")))).build(reports),
        java.util.Optional.empty(), java.util.Optional.empty()).execute();
    assertThat(audit.exitCode()).as("validate: %s", audit.tenants()).isZero();
  }

  private static TenantResult tenant(RunResult run, String id) {
    return run.tenants().stream().filter(t -> t.tenantId().equals(id)).findFirst().orElseThrow();
  }

  private static TableResult table(RunResult run, String tenant, String table) {
    return tenant(run, tenant).tables().stream().filter(t -> t.tableName().equals(table)).findFirst().orElseThrow();
  }
}
