package dev.tenantfold.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.report.RunResult;
import dev.tenantfold.report.TableResult;
import dev.tenantfold.report.TenantResult;
import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.Roles;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import dev.tenantfold.validate.TableStatus;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job with exactly the grants README.md and docs/sources.md document, nothing more: a source
 * role with SELECT on the tables and USAGE on the schema, a target loader that is neither superuser
 * nor BYPASSRLS and has only CREATE on the database and on schema public (the default target
 * schema). Runs, re-publishes with row-level security and audits.
 */
class LeastPrivilegeTest {
  private static final String READER = "tf_lp_reader";
  private static final String LOADER = "tf_lp_loader";
  private static final String APP = "tf_lp_app";
  private static final Map<String, List<String>> DEMO_COLUMNS =
      Map.of(
          "customers",
              List.of(
                  "id",
                  "name",
                  "email",
                  "country",
                  "created_at",
                  "tags",
                  "profile",
                  "balance",
                  "external_id"),
          "orders",
              List.of(
                  "id",
                  "customer_id",
                  "status",
                  "history",
                  "total",
                  "placed_at",
                  "ship_by",
                  "ship_window",
                  "note",
                  "score",
                  "ratio",
                  "attachment",
                  "raw",
                  "paid"),
          "order_items", List.of("order_id", "line_no", "sku", "qty", "unit_price"),
          "events", List.of("occurred_at", "kind", "payload", "amounts"));

  private static SparkSession spark;

  @TempDir Path reports;

  @BeforeAll
  static void setUp() {
    spark = LocalSpark.session();
    String plain = "LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION";
    Roles.ensure(READER, plain);
    Roles.ensure(LOADER, plain);
    Roles.ensure(APP, plain);
  }

  /** A demo tenant readable by the source role with the documented grants only. */
  private static String source(String label, int customers) {
    String url = Fixtures.demoTenant(label, customers);
    TestPostgres.execute(
        url,
        "GRANT USAGE ON SCHEMA public TO "
            + READER
            + "; GRANT SELECT ON ALL TABLES IN SCHEMA public TO "
            + READER);
    return url;
  }

  /** The configuration a user writes: the loader on the target, the reader on every source. */
  private TenantfoldConfig config(
      String warehouse, Map<String, String> tenants, boolean rowLevelSecurity) {
    return config(warehouse, tenants, rowLevelSecurity, "");
  }

  private TenantfoldConfig config(
      String warehouse, Map<String, String> tenants, boolean rowLevelSecurity, String target) {
    StringBuilder list = new StringBuilder();
    tenants.forEach(
        (id, url) ->
            list.append("{ id = ")
                .append(id)
                .append(", jdbc { url = \"")
                .append(url)
                .append("\", user = ")
                .append(READER)
                .append(" } }\n"));
    return TenantfoldConfig.fromConfig(
        ConfigFactory.parseString(
            """
            tenantfold {
              target { url = "%s", user = %s, row-level-security = %s %s %s }
              tenants = [ %s ]
              report.dir = "%s"
            }
            """
                .formatted(
                    warehouse,
                    LOADER,
                    rowLevelSecurity,
                    rowLevelSecurity ? ", application-role = " + APP : "",
                    target,
                    list,
                    reports)));
  }

  @Test
  void theDemoPipelineRunsRepublishesAndAuditsWithTheDocumentedGrantsOnly() throws Exception {
    String acme = source("acme", 120);
    String globex = source("globex", 80);
    String warehouse = Fixtures.emptyWarehouse();
    TestPostgres.execute(
        warehouse,
        "GRANT CREATE ON DATABASE "
            + warehouse.substring(warehouse.lastIndexOf('/') + 1)
            + " TO "
            + LOADER);
    Map<String, String> tenants = new java.util.LinkedHashMap<>();
    tenants.put("acme", acme);
    tenants.put("globex", globex);

    // PostgreSQL 15+ grants nobody CREATE on schema public: the run says which grant is missing.
    RunResult denied = new MigrationJob(config(warehouse, tenants, false), spark).execute();
    assertThat(denied.exitCode()).as("exit code without CREATE on schema public").isEqualTo(1);
    assertThat(denied.tenants())
        .allSatisfy(
            t ->
                assertThat(t.message())
                    .as("message for %s", t.tenantId())
                    .contains(
                        "Cannot create",
                        "permission denied for schema public",
                        "GRANT CREATE ON SCHEMA \"public\"",
                        "tenantfold.target.schema"));
    TestPostgres.execute(warehouse, "GRANT CREATE ON SCHEMA public TO " + LOADER);

    RunResult first = new MigrationJob(config(warehouse, tenants, false), spark).execute();

    assertAllPublished(first);
    assertSameRows(acme, globex, warehouse);
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname IN ('public',"
                    + " 'tenantfold')"))
        .as("owner of the consolidated tables, their partitions and the report tables")
        .containsExactly(LOADER);

    // Row-level security switched on for the next run: the loader (forced policies, no BYPASSRLS)
    // re-publishes both tenants ...
    TestPostgres.execute(acme, "UPDATE customers SET name = 'acme v2' WHERE id = 1");
    RunResult second = new MigrationJob(config(warehouse, tenants, true), spark).execute();

    assertAllPublished(second);
    assertSameRows(acme, globex, warehouse);
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT relname FROM pg_class WHERE relname IN ('customers', 'orders',"
                    + " 'order_items', 'events') AND relrowsecurity AND relforcerowsecurity AND"
                    + " relnamespace = 'public'::regnamespace"))
        .as("consolidated tables with forced row-level security")
        .containsExactlyInAnyOrder("customers", "events", "order_items", "orders");
    try (var app = Roles.connect(warehouse, APP);
        var st = app.createStatement()) {
      st.execute("SET app.tenant_id = 'acme'");
      try (var rs =
          st.executeQuery(
              "SELECT count(*) FILTER (WHERE tenant_id = 'globex'), count(*) FILTER (WHERE name ="
                  + " 'acme v2') FROM public.customers")) {
        rs.next();
        assertThat(rs.getLong(1)).as("globex customers seen by acme").isZero();
        assertThat(rs.getLong(2)).as("acme's re-published customer seen by acme").isEqualTo(1);
      }
    }

    // The loader owns the partitions, and their row-level security is forced too: naming a
    // partition, it reads only the tenant its session names (none of globex's as acme).
    try (var loader = Roles.connect(warehouse, LOADER);
        var st = loader.createStatement()) {
      st.execute("SET row_security = on");
      st.execute("SET app.tenant_id = 'acme'");
      try (var rs =
          st.executeQuery(
              "SELECT (SELECT count(*) FROM tenantfold_partitions_globex.customers__globex),"
                  + " (SELECT count(*) FROM tenantfold_partitions_acme.customers__acme)")) {
        rs.next();
        assertThat(rs.getLong(1)).as("globex's partition read by its owner as acme").isZero();
        assertThat(rs.getLong(2)).as("acme's partition read by its owner as acme").isPositive();
      }
    }

    // ... and audits the published rows against the sources.
    RunResult audit =
        new AuditJob(config(warehouse, tenants, true), Optional.empty(), Optional.empty())
            .execute();
    assertThat(audit.exitCode()).as("validate exit code; tenants: %s", audit.tenants()).isZero();
    for (TenantResult t : audit.tenants()) {
      assertThat(t.tables()).as("tables audited for %s", t.tenantId()).hasSize(4);
      for (TableResult table : t.tables()) {
        assertThat(table.status())
            .as("audit of %s.%s: %s", t.tenantId(), table.tableName(), table.message())
            .isEqualTo(TableStatus.OK);
        assertThat(table.counts().targetRows())
            .as("published rows of %s.%s", t.tenantId(), table.tableName())
            .isPositive();
      }
    }
  }

  /**
   * Compatibility schemas run the tenants' code as their own roles: a loader without CREATEROLE
   * gets the SQL an administrator runs once, and after it the run publishes, each compatibility
   * schema owned by its tenant's role and readable by the application as that tenant only.
   */
  @Test
  void tenantRolesAreCreatedOnceByAnAdministratorFromTheSqlTheRunPrints() throws Exception {
    String first = source("lpa", 30);
    String second = source("lpb", 20);
    String warehouse = Fixtures.emptyWarehouse();
    TestPostgres.execute(
        warehouse,
        "GRANT CREATE ON DATABASE "
            + warehouse.substring(warehouse.lastIndexOf('/') + 1)
            + " TO "
            + LOADER
            + "; GRANT CREATE ON SCHEMA public TO "
            + LOADER);
    Map<String, String> tenants = new java.util.LinkedHashMap<>();
    tenants.put("lpa", first);
    tenants.put("lpb", second);

    // plan refuses what the run would fail on ...
    PlanJob.Outcome plan =
        new PlanJob(config(warehouse, tenants, true, ", compat-schemas = true"), spark)
            .execute(
                new java.io.PrintStream(java.io.OutputStream.nullOutputStream()), Optional.empty());
    assertThat(plan.clean()).as("plan without the tenant roles is clean").isFalse();
    assertThat(plan.unreadable().get("lpa"))
        .as("what plan says")
        .contains("an administrator runs once: CREATE ROLE");
    // ... and the run fails before loading anything, with the same SQL.
    RunResult denied =
        new MigrationJob(config(warehouse, tenants, true, ", compat-schemas = true"), spark)
            .execute();
    assertThat(denied.exitCode()).as("exit code without the tenant roles").isEqualTo(1);
    String message = denied.tenants().get(0).message();
    assertThat(message)
        .as("what the run says")
        .contains("tenantfold_tenant_lpa", "an administrator runs once: CREATE ROLE");
    String sql = message.substring(message.indexOf("CREATE ROLE"));
    sql = sql.substring(0, sql.lastIndexOf(';') + 1);
    TestPostgres.execute(warehouse, sql);

    RunResult published =
        new MigrationJob(config(warehouse, tenants, true, ", compat-schemas = true"), spark)
            .execute();
    assertAllPublished(published);
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT nspname || ' ' || nspowner::regrole FROM pg_namespace WHERE nspname LIKE"
                    + " 'tenant_lp%' ORDER BY 1"))
        .as("compatibility schemas and their owners")
        .containsExactly("tenant_lpa tenantfold_tenant_lpa", "tenant_lpb tenantfold_tenant_lpb");
    try (var app = Roles.connect(warehouse, APP);
        var st = app.createStatement()) {
      st.execute("SET app.tenant_id = 'lpa'");
      try (var rs =
          st.executeQuery(
              "SELECT (SELECT count(*) FROM tenant_lpa.customers), (SELECT count(*) FROM"
                  + " tenant_lpb.customers)")) {
        rs.next();
        assertThat(rs.getLong(1))
            .as("lpa's customers seen by lpa")
            .isEqualTo(RowSets.count(first, "SELECT count(*) FROM customers"));
        assertThat(rs.getLong(2)).as("lpb's customers seen by lpa").isZero();
      }
    }
  }

  private static void assertAllPublished(RunResult result) {
    assertThat(result.exitCode()).as("exit code; tenants: %s", result.tenants()).isZero();
    for (TenantResult t : result.tenants()) {
      assertThat(t.published()).as("tenant %s published: %s", t.tenantId(), t.message()).isTrue();
      assertThat(t.tables())
          .extracting(TableResult::status)
          .as("statuses of %s", t.tenantId())
          .containsOnly(TableStatus.OK);
    }
  }

  private static void assertSameRows(String acme, String globex, String warehouse) {
    DEMO_COLUMNS.forEach(
        (table, columns) -> {
          RowSets.assertSameRows(acme, warehouse, "acme", table, columns);
          RowSets.assertSameRows(globex, warehouse, "globex", table, columns);
        });
  }
}
