package dev.tenantfold.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tenantfold.config.TenantConfig;
import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.RdsExportFixture;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Planning and the run each open the export; the second open reuses the first listing while the
 * export's metadata is unchanged.
 */
class ExportTenantSourceTest {
  private static final SparkSession spark = LocalSpark.session();

  @TempDir Path tmp;

  private static long localBytesRead() {
    return FileSystem.getAllStatistics().stream()
        .filter(s -> "file".equals(s.getScheme()))
        .mapToLong(FileSystem.Statistics::getBytesRead)
        .sum();
  }

  @Test
  void theRunsOpenOfAnExportPlanningOpenedCostsOneListingAndAChangedExportIsOpenedAgain()
      throws Exception {
    String acme = Fixtures.demoTenant("acme", 60);
    Path root = tmp.resolve("export");
    RdsExportFixture.write(
        spark,
        acme,
        root,
        acme.substring(acme.lastIndexOf('/') + 1),
        List.of("customers", "orders", "order_items", "events"),
        RdsExportFixture.Options.defaults());
    TenantfoldConfig config =
        Fixtures.config(Fixtures.emptyWarehouse())
            .exportTenant("acme", root.toString(), acme.substring(acme.lastIndexOf('/') + 1), null)
            .build(tmp.resolve("reports"));
    TenantConfig tenant = config.tenants().get(0);

    // One run's sources: planning's and the run's.
    TenantSources sources = new TenantSources(config);
    long before = localBytesRead();
    long t0 = System.nanoTime();
    try (TenantSource plan = sources.of(tenant, "plan", spark)) {
      assertThat(plan.readCatalog(config.tables()).tables()).hasSize(4);
    }
    long coldBytes = localBytesRead() - before;
    long coldMicros = (System.nanoTime() - t0) / 1000;
    long t1 = System.nanoTime();
    try (TenantSource run = sources.of(tenant, "run", spark)) {
      assertThat(run.readCatalog(config.tables()).tables()).hasSize(4);
    }
    long warmBytes = localBytesRead() - before - coldBytes;
    long warmMicros = (System.nanoTime() - t1) / 1000;
    long b2 = localBytesRead();
    long t2 = System.nanoTime();
    dev.tenantfold.extract.export.RdsExport.open(
        spark.sparkContext().hadoopConfiguration(),
        root.toString(),
        tenant.export().get().database());
    System.out.printf(
        "export open: planning %d bytes read in %d us; the run's open %d bytes in %d us; an"
            + " uncached open in a warm JVM %d bytes in %d us%n",
        coldBytes,
        coldMicros,
        warmBytes,
        warmMicros,
        localBytesRead() - b2,
        (System.nanoTime() - t2) / 1000);
    assertThat(coldBytes)
        .as("planning reads the metadata and both ends of every part")
        .isPositive();
    assertThat(warmBytes).as("the run's open reads no file again").isZero();

    long b3 = localBytesRead();
    try (TenantSource nextRun = new TenantSources(config).of(tenant, "next", spark)) {
      assertThat(nextRun.readCatalog(config.tables()).tables()).hasSize(4);
    }
    assertThat(localBytesRead() - b3)
        .as("another run opens the export itself: what a run opened is the run's")
        .isPositive();

    RdsExportFixture.setStatus(root, "FAILED");
    try (TenantSource changed = sources.of(tenant, "run", spark)) {
      assertThatThrownBy(() -> changed.readCatalog(config.tables()))
          .isInstanceOf(SQLException.class)
          .hasMessageContaining("has status FAILED");
    }
  }
}
