package dev.tenantfold.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.report.RunResult;
import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.RowSets;
import java.nio.file.Path;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two runs started at once on a fresh target (issue 12, item 6): both create what they need and
 * publish.
 */
class ConcurrentRunsTest {
  private static final SparkSession spark = LocalSpark.session();

  @TempDir Path reports;

  @Test
  void twoRunsOnAFreshTargetBothPublish() throws Exception {
    String acme = Fixtures.demoTenant("acme", 30);
    String globex = Fixtures.demoTenant("globex", 30);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      // Schema, report tables, enum types and tables are created within milliseconds of each other:
      // repeat on fresh targets.
      for (int round = 0; round < 2; round++) {
        String warehouse = Fixtures.emptyWarehouse();
        CyclicBarrier start = new CyclicBarrier(2);
        Future<RunResult> first =
            pool.submit(
                () -> {
                  start.await();
                  return new MigrationJob(
                          Fixtures.config(warehouse).tenant("acme", acme).build(reports), spark)
                      .execute();
                });
        Future<RunResult> second =
            pool.submit(
                () -> {
                  start.await();
                  return new MigrationJob(
                          Fixtures.config(warehouse).tenant("globex", globex).build(reports), spark)
                      .execute();
                });
        assertThat(first.get().exitCode())
            .as("acme's run, round %d: %s", round, first.get().tenants())
            .isZero();
        assertThat(second.get().exitCode())
            .as("globex's run, round %d: %s", round, second.get().tenants())
            .isZero();
        assertThat(RowSets.rows(warehouse, "SELECT DISTINCT tenant_id FROM public.orders"))
            .containsExactly("acme", "globex");
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
