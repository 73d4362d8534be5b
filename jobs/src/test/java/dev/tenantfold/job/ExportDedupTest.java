package dev.tenantfold.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.report.RunResult;
import dev.tenantfold.report.TableResult;
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
 * Dedup rules on an export tenant run in Spark and publish the same rows, with the same counts, as
 * over JDBC.
 */
class ExportDedupTest {
  private static final SparkSession spark = LocalSpark.session();

  @TempDir Path tmp;

  @Test
  void anExportTenantDeduplicatesLikeTheSameTenantOverJdbc() throws Exception {
    String acme = TestPostgres.createDatabase("acme");
    TestPostgres.execute(
        acme,
        """
        CREATE TABLE events (kind text, at timestamp, amount numeric(10,2));
        INSERT INTO events VALUES ('a', '2020-01-01 10:00', 1.50), ('a', '2020-01-01 10:00', 1.50), ('a', '2020-01-01 10:00', 1.5),
          ('b', '2020-01-02', NULL), ('b', '2020-01-02', NULL), ('c', NULL, 2);
        CREATE TABLE customer_status (customer_id int NOT NULL, status text, updated_at timestamp);
        INSERT INTO customer_status VALUES (1, 'old', '2020-01-01'), (1, 'new', '2021-01-01'), (2, 'undated', NULL), (2, 'dated', '2020-05-05'),
          (3, 'only', '2022-02-02');
        """);
    String database = acme.substring(acme.lastIndexOf('/') + 1);
    RdsExportFixture.Written export =
        RdsExportFixture.write(
            spark,
            acme,
            tmp.resolve("export"),
            database,
            List.of("events", "customer_status"),
            RdsExportFixture.Options.defaults());
    Map<String, Object> rules =
        Map.of(
            "events",
            Map.of("dedup", "exact"),
            "customer_status",
            Map.of("dedup", Map.of("key", List.of("customer_id"), "keep", "updated_at desc")));
    String overJdbc = Fixtures.emptyWarehouse();
    String fromExport = Fixtures.emptyWarehouse();

    RunResult jdbc =
        new MigrationJob(
                Fixtures.config(overJdbc)
                    .tenant("acme", acme)
                    .set("rules", rules)
                    .build(tmp.resolve("r1")),
                spark)
            .execute();
    var exportConfig =
        Fixtures.config(fromExport)
            .exportTenant("acme", export.root(), database, acme)
            .set("rules", rules)
            .build(tmp.resolve("r2"));
    RunResult exported = new MigrationJob(exportConfig, spark).execute();

    assertThat(jdbc.exitCode()).as("%s", jdbc.tenants()).isZero();
    assertThat(exported.exitCode()).as("%s", exported.tenants()).isZero();
    for (String table : List.of("events", "customer_status")) {
      String rows = "SELECT ROW(t.*)::text FROM public." + table + " t";
      assertThat(RowSets.rows(fromExport, rows))
          .as(table + " from the export")
          .isEqualTo(RowSets.rows(overJdbc, rows));
    }
    assertThat(
            RowSets.rows(
                fromExport, "SELECT customer_id || ' ' || status FROM public.customer_status"))
        .containsExactly("1 new", "2 dated", "3 only");
    // 1.50 and 1.5 are the same numeric(10,2) value: one row of the three.
    assertThat(RowSets.count(fromExport, "SELECT count(*) FROM public.events")).isEqualTo(3);
    TableResult events = exported.tenant("acme").orElseThrow().table("events").orElseThrow();
    assertThat(
            List.of(
                events.counts().sourceRows(),
                events.counts().loadedRows(),
                events.counts().duplicatesRemoved()))
        .containsExactly(6L, 3L, 3L);
    TableResult status =
        exported.tenant("acme").orElseThrow().table("customer_status").orElseThrow();
    assertThat(
            List.of(
                status.counts().sourceRows(),
                status.counts().loadedRows(),
                status.counts().duplicatesRemoved()))
        .containsExactly(5L, 3L, 2L);

    // validate reads the export through the same rule.
    RunResult audit =
        new AuditJob(exportConfig, Optional.empty(), Optional.empty(), spark).execute();
    assertThat(audit.exitCode()).as("validate: %s", audit.tenants()).isZero();
  }
}
