package dev.tenantfold.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.report.RunResult;
import dev.tenantfold.report.TableResult;
import dev.tenantfold.report.TenantResult;
import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.RdsExportFixture;
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
 * Cast rules (with their rejects), default rules and the duplicates quarantine on export tenants:
 * their rows land in the target and are conformed there by the same SQL as a JDBC tenant's, so the
 * same tenants read from their exports publish the same rows, rejects, quarantined duplicates and
 * counts, fail on the same threshold, and validate alike.
 */
class ExportRulesTest {
  private static final SparkSession spark = LocalSpark.session();

  @TempDir Path tmp;

  /**
   * Lacks region (loads the default), one legacy code that does not cast (under the threshold),
   * duplicates by key.
   */
  private static String acme() {
    String url = TestPostgres.createDatabase("acme");
    TestPostgres.execute(
        url,
        """
        CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
        CREATE TABLE customers (id integer PRIMARY KEY, name text NOT NULL, balance numeric(10,2), legacy_code text, feeling mood);
        INSERT INTO customers VALUES (1, 'Ann', 1.5, '100', 'happy'), (2, 'Bob', 2, 'x1', NULL), (3, 'Cy', NULL, NULL, 'sad'),
          (4, 'Di', 4.25, ' 7 ', 'ok');
        CREATE TABLE customer_status (customer_id int NOT NULL, status text, updated_at timestamp);
        INSERT INTO customer_status VALUES (1, 'old', '2020-01-01'), (1, 'new', '2021-01-01'), (2, 'undated', NULL), (2, 'dated', '2020-05-05'),
          (3, 'only', '2022-02-02'), (3, 'only', '2022-02-02');
        CREATE TABLE countries (code char(2) PRIMARY KEY, name text NOT NULL);
        INSERT INTO countries VALUES ('DE', 'Germany'), ('FR', 'France');
        """);
    return url;
  }

  /** Has region; every legacy code casts. Read over JDBC in both runs. */
  private static String globex() {
    String url = TestPostgres.createDatabase("globex");
    TestPostgres.execute(
        url,
        """
        CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
        CREATE TABLE customers (id integer PRIMARY KEY, name text NOT NULL, balance numeric(10,2), legacy_code text, feeling mood, region text);
        INSERT INTO customers VALUES (1, 'Eve', 3, '5', 'ok', 'FR');
        CREATE TABLE customer_status (customer_id int NOT NULL, status text, updated_at timestamp);
        INSERT INTO customer_status VALUES (1, 'x', '2020-01-01');
        CREATE TABLE countries (code char(2) PRIMARY KEY, name text NOT NULL);
        INSERT INTO countries VALUES ('DE', 'Germany'), ('FR', 'French Republic');
        """);
    return url;
  }

  /**
   * Two legacy codes that do not cast: over the threshold of one. Lacks the enum column (loads
   * NULL).
   */
  private static String umbrella() {
    String url = TestPostgres.createDatabase("umbrella");
    TestPostgres.execute(
        url,
        """
        CREATE TABLE customers (id integer PRIMARY KEY, name text NOT NULL, balance numeric(10,2), legacy_code text);
        INSERT INTO customers VALUES (1, 'Fay', 1, 'a'), (2, 'Gus', 2, 'b'), (3, 'Hal', 3, '3');
        CREATE TABLE customer_status (customer_id int NOT NULL, status text, updated_at timestamp);
        INSERT INTO customer_status VALUES (1, 'y', '2020-01-01');
        """);
    return url;
  }

  private static Map<String, Object> rules() {
    return Map.of(
        "customers",
            Map.of(
                "columns",
                Map.of("region", Map.of("default", "EU"), "legacy_code", Map.of("cast", "bigint")),
                "max-rejected-rows",
                1),
        "customer_status",
            Map.of(
                "dedup",
                Map.of("key", List.of("customer_id"), "keep", "updated_at desc"),
                "quarantine-duplicates",
                true),
        // globex is first in config order: its France wins over acme's.
        "countries", Map.of("shared", Map.of("on-conflict", "first-tenant")));
  }

  @Test
  void exportTenantsApplyCastsDefaultsAndQuarantineLikeTheSameTenantsOverJdbc() throws Exception {
    String acme = acme();
    String globex = globex();
    String umbrella = umbrella();
    Path exports = tmp.resolve("exports");
    RdsExportFixture.Written acmeExport =
        RdsExportFixture.write(
            spark,
            acme,
            exports.resolve("acme"),
            database(acme),
            List.of("customers", "customer_status", "countries"),
            RdsExportFixture.Options.defaults());
    RdsExportFixture.Written umbrellaExport =
        RdsExportFixture.write(
            spark,
            umbrella,
            exports.resolve("umbrella"),
            database(umbrella),
            List.of("customers", "customer_status"),
            RdsExportFixture.Options.defaults());
    String overJdbc = Fixtures.emptyWarehouse();
    String fromExport = Fixtures.emptyWarehouse();

    RunResult jdbc =
        new MigrationJob(
                Fixtures.config(overJdbc)
                    .tenant("globex", globex)
                    .tenant("acme", acme)
                    .tenant("umbrella", umbrella)
                    .set("rules", rules())
                    .build(tmp.resolve("r1")),
                spark)
            .execute();
    TenantfoldConfig exportConfig =
        Fixtures.config(fromExport)
            .tenant("globex", globex)
            .exportTenant("acme", acmeExport.root(), database(acme), acme)
            .exportTenant("umbrella", umbrellaExport.root(), database(umbrella), umbrella)
            .set("rules", rules())
            .build(tmp.resolve("r2"));
    RunResult exported = new MigrationJob(exportConfig, spark).execute();

    for (RunResult run : List.of(jdbc, exported)) {
      assertThat(tenant(run, "globex").published())
          .as("globex: %s", tenant(run, "globex"))
          .isTrue();
      assertThat(tenant(run, "acme").published()).as("acme: %s", tenant(run, "acme")).isTrue();
      assertThat(tenant(run, "umbrella").published())
          .as("umbrella fails alone, over its threshold")
          .isFalse();
      assertThat(table(run, "umbrella", "customers").message())
          .contains("2 rows rejected, more than tenantfold.rules.customers.max-rejected-rows = 1");
    }
    for (String table : List.of("customers", "customer_status", "countries")) {
      String rows = "SELECT ROW(t.*)::text FROM public." + table + " t";
      assertThat(RowSets.rows(fromExport, rows))
          .as(table + " from the exports")
          .isEqualTo(RowSets.rows(overJdbc, rows));
    }
    assertThat(
            RowSets.rows(
                fromExport,
                "SELECT concat_ws('|', tenant_id, id, legacy_code, region, feeling) FROM"
                    + " public.customers"))
        .containsExactlyInAnyOrder(
            "acme|1|100|EU|happy", "acme|3|EU|sad", "acme|4|7|EU|ok", "globex|1|5|FR|ok");
    String rejects =
        "SELECT concat_ws('|', tenant_id, table_name, key, column_name, reason, row_data::text)"
            + " FROM tenantfold.rejects WHERE run_id = '%s'";
    assertThat(RowSets.rows(fromExport, rejects.formatted(exported.runId())))
        .as("rejects from the exports")
        .isEqualTo(RowSets.rows(overJdbc, rejects.formatted(jdbc.runId())))
        .contains(
            "acme|customers|{\"id\": 2}|legacy_code|invalid input syntax for type bigint:"
                + " \"x1\"|{\"id\": 2, \"name\": \"Bob\", \"balance\": 2.00, \"feeling\": null,"
                + " \"legacy_code\": \"x1\"}");
    String duplicates =
        "SELECT concat_ws('|', tenant_id, table_name, key, row_data::text) FROM"
            + " tenantfold.duplicates WHERE run_id = '%s'";
    assertThat(RowSets.rows(fromExport, duplicates.formatted(exported.runId())))
        .as("quarantined duplicates from the exports")
        .isEqualTo(RowSets.rows(overJdbc, duplicates.formatted(jdbc.runId())))
        .hasSize(3);
    String counts =
        "SELECT concat_ws('|', tenant_id, table_name, source_rows, extracted_rows, loaded_rows,"
            + " duplicates_removed, rejected_rows, status, published) FROM tenantfold.table_results"
            + " WHERE run_id = '%s'";
    assertThat(RowSets.rows(fromExport, counts.formatted(exported.runId())))
        .as("table_results from the exports")
        .isEqualTo(RowSets.rows(overJdbc, counts.formatted(jdbc.runId())))
        .contains("acme|customers|4|3|3|0|1|OK|t", "acme|customer_status|6|3|3|3|0|OK|t");
    assertThat(
            RowSets.count(
                fromExport,
                "SELECT count(*) FROM tenantfold.staging_objects WHERE state = 'created'"))
        .as("landing tables dropped with the staging")
        .isZero();

    // validate compares the published rows with the exports' rows conformed the same way; acme's
    // France lost to globex's.
    RunResult audit =
        new AuditJob(exportConfig, Optional.of("acme"), Optional.empty(), spark).execute();
    assertThat(audit.exitCode()).as("validate: %s", audit.tenants()).isZero();
    assertThat(table(audit, "acme", "countries").message())
        .contains(
            "1 rows differ from the shared table as conflicts resolved by run " + exported.runId());
    TestPostgres.execute(
        fromExport,
        "UPDATE public.customers SET region = 'US' WHERE tenant_id = 'acme' AND id = 3");
    RunResult changed =
        new AuditJob(exportConfig, Optional.of("acme"), Optional.of("customers"), spark).execute();
    assertThat(changed.exitCode())
        .as("validate after a change: %s", changed.tenants())
        .isEqualTo(3);
    assertThat(table(changed, "acme", "customers").message()).contains("changed columns: region");
    assertThat(
            RowSets.count(
                fromExport,
                "SELECT count(*) FROM tenantfold.staging_objects WHERE state = 'created'"))
        .as("validate's landing tables dropped")
        .isZero();
  }

  private static String database(String url) {
    return url.substring(url.lastIndexOf('/') + 1);
  }

  private static TenantResult tenant(RunResult run, String id) {
    return run.tenant(id).orElseThrow();
  }

  private static TableResult table(RunResult run, String tenant, String table) {
    return tenant(run, tenant).table(table).orElseThrow();
  }
}
