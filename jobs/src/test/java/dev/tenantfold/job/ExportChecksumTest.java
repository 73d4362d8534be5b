package dev.tenantfold.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.report.RunResult;
import dev.tenantfold.report.TableResult;
import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.RdsExportFixture;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.validate.TableStatus;
import dev.tenantfold.validate.checksum.RowDifference.Kind;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An export tenant's source checksum is folded in the load pass (docs/benchmarks.md): it still
 * catches a value the target changed on the way into staging, before publish, and the drill-down
 * still names the key and the column.
 */
class ExportChecksumTest {
  private static final SparkSession spark = LocalSpark.session();

  @TempDir Path tmp;

  @Test
  void aValueChangedOnTheWayFromAnExportIsCaughtBeforePublishWithKeyAndColumn() throws Exception {
    String acme = Fixtures.demoTenant("acme", 200);
    String database = acme.substring(acme.lastIndexOf('/') + 1);
    RdsExportFixture.Written export =
        RdsExportFixture.write(
            spark,
            acme,
            tmp.resolve("export"),
            database,
            List.of("customers", "orders"),
            RdsExportFixture.Options.defaults());
    String warehouse = Fixtures.emptyWarehouse();
    TenantfoldConfig config =
        Fixtures.config(warehouse)
            .exportTenant("acme", export.root(), database, acme)
            .set("tables.include", List.of("customers", "orders"))
            .build(tmp.resolve("reports"));
    // A target that rewrites one value in flight: same row count, different data.
    Fixtures.stagingTrigger(
        warehouse,
        "orders",
        "IF NEW.id = 42 THEN NEW.total := NEW.total + 0.0001; END IF; RETURN NEW;");

    RunResult result = new MigrationJob(config, spark).execute();

    assertThat(result.exitCode()).as("%s", result.tenants()).isEqualTo(3);
    TableResult orders = result.tenant("acme").orElseThrow().table("orders").orElseThrow();
    assertThat(orders.status()).isEqualTo(TableStatus.MISMATCH);
    assertThat(orders.counts().sourceRows())
        .as("counts agree, so only the checksum can tell")
        .isEqualTo(orders.counts().loadedRows())
        .isPositive();
    assertThat(orders.checksum().mismatchedBuckets()).isEqualTo(1);
    assertThat(orders.checksum().listed())
        .singleElement()
        .satisfies(
            d -> {
              assertThat(d.kind()).isEqualTo(Kind.CHANGED);
              assertThat(d.key()).contains("42");
              assertThat(d.changedColumns()).containsExactly("total");
            });
    assertThat(result.tenant("acme").orElseThrow().table("customers").orElseThrow().status())
        .isEqualTo(TableStatus.OK);
    assertThat(result.tenant("acme").orElseThrow().published()).isFalse();
    assertThat(RowSets.count(warehouse, "SELECT count(*) FROM public.orders"))
        .as("nothing published")
        .isZero();
  }
}
