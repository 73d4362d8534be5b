package dev.tenantfold.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.report.RunResult;
import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.RdsExportFixture;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An export that lost or gained a Parquet part never publishes: the tenant fails naming the table
 * and the file, and what an earlier run published stays as it was. Without any count in the
 * metadata, export.catalog's statistics still say the export is far from the source.
 */
class ExportLostPartTest {
  private static final List<String> TABLES =
      List.of("customers", "orders", "order_items", "events");
  private static final SparkSession spark = LocalSpark.session();

  @TempDir Path tmp;

  private static String database(String url) {
    return url.substring(url.lastIndexOf('/') + 1);
  }

  @Test
  void aDeletedOrCopiedPartFailsTheTenantAndKeepsWhatWasPublished() throws Exception {
    String acme = Fixtures.demoTenant("acme_parts", 400);
    Path good = tmp.resolve("good");
    RdsExportFixture.write(
        spark, acme, good, database(acme), TABLES, RdsExportFixture.Options.defaults());
    String warehouse = Fixtures.emptyWarehouse();
    RunResult first =
        new MigrationJob(config(warehouse, good, acme, tmp.resolve("r1")), spark).execute();
    assertThat(first.exitCode()).as("%s", first.tenants()).isZero();
    String count = "SELECT count(*) FROM public.orders";
    String eventsCount = "SELECT count(*) FROM public.events";
    List<String> ordersBefore = RowSets.rows(warehouse, count);
    List<String> eventsBefore = RowSets.rows(warehouse, eventsCount);

    Path deleted = RdsExportFixture.copy(good, tmp.resolve("deleted"));
    RdsExportFixture.deletePart(deleted, database(acme), "orders");
    RunResult lost =
        new MigrationJob(config(warehouse, deleted, acme, tmp.resolve("r2")), spark).execute();
    assertThat(lost.exitCode()).isNotZero();
    assertThat(lost.tenant("acme").orElseThrow().published()).isFalse();
    assertThat(lost.tenant("acme").orElseThrow().message())
        .contains("table public.orders")
        .contains("a part is missing or truncated")
        .contains("files: ");
    assertThat(RowSets.rows(warehouse, count)).isEqualTo(ordersBefore);

    Path copied = RdsExportFixture.copy(good, tmp.resolve("copied"));
    RdsExportFixture.removeRowCount(copied, database(acme), "events");
    Path copy = RdsExportFixture.copyPart(copied, database(acme), "events");
    RunResult doubled =
        new MigrationJob(config(warehouse, copied, acme, tmp.resolve("r3")), spark).execute();
    assertThat(doubled.exitCode()).isNotZero();
    assertThat(doubled.tenant("acme").orElseThrow().message())
        .contains("table public.events file ")
        .contains(copy.getFileName().toString())
        .contains("identical to");
    assertThat(RowSets.rows(warehouse, eventsCount)).isEqualTo(eventsBefore);
  }

  @Test
  void withNothingRecordedTheSourceStatisticsWarnInTheReport() throws Exception {
    String acme = Fixtures.demoTenant("acme_estimate", 400);
    TestPostgres.execute(acme, "ANALYZE");
    Path root = tmp.resolve("export");
    RdsExportFixture.write(
        spark, acme, root, database(acme), TABLES, RdsExportFixture.Options.defaults());
    RdsExportFixture.removeRowCount(root, database(acme), "orders");
    RdsExportFixture.deletePart(root, database(acme), "orders");
    String warehouse = Fixtures.emptyWarehouse();
    RunResult run =
        new MigrationJob(config(warehouse, root, acme, tmp.resolve("r")), spark).execute();
    assertThat(run.notes())
        .anySatisfy(
            n ->
                assertThat(n)
                    .contains("tenant acme table public.orders: the export holds")
                    .contains("the source's statistics estimate")
                    .contains("more than 10% apart"));
    assertThat(run.notes()).noneSatisfy(n -> assertThat(n).contains("public.customers"));
  }

  @Test
  void columnsApartOnlyByCaseInAnExportAreAPlanError() throws Exception {
    String src = TestPostgres.createDatabase("export_case");
    TestPostgres.execute(
        src,
        "CREATE TABLE people (id int PRIMARY KEY, \"Name\" text, name text); INSERT INTO people"
            + " VALUES (1, 'A', 'a')");
    Path root = tmp.resolve("case");
    // RDS writes both columns; the fixture's Spark needs case sensitivity to write them.
    spark.conf().set("spark.sql.caseSensitive", "true");
    try {
      RdsExportFixture.write(
          spark, src, root, database(src), List.of("people"), RdsExportFixture.Options.defaults());
    } finally {
      spark.conf().unset("spark.sql.caseSensitive");
    }
    String warehouse = Fixtures.emptyWarehouse();
    TenantfoldConfig config = config(warehouse, root, src, tmp.resolve("rc"));
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> new MigrationJob(config, spark).execute())
        .isInstanceOf(dev.tenantfold.config.ConfigError.class)
        .hasMessageContaining("table people has columns [Name, name] that differ only by case")
        .hasMessageContaining("export tenants [acme]");
  }

  private static TenantfoldConfig config(String warehouse, Path export, String catalog, Path dir) {
    return Fixtures.config(warehouse)
        .exportTenant("acme", export.toString(), database(catalog), catalog)
        .build(dir);
  }
}
