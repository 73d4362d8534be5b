package dev.tenantfold.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.report.RunResult;
import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tenant of many small tables does not pay a Spark task per table: its tables share as many tasks
 * as there are cores (and each task one source and one target session), and every row arrives.
 */
class SmallTablesTest {
  private static final SparkSession spark = LocalSpark.session();

  @TempDir Path reports;

  /** A submitted stage: its job's description and its number of tasks. */
  private record Stage(String description, int tasks) {}

  @Test
  void aTenantsSmallTablesShareTasks() throws Exception {
    String acme = TestPostgres.createDatabase("small_tables_acme");
    StringBuilder ddl = new StringBuilder();
    for (int i = 1; i <= 12; i++) {
      ddl.append(
          String.format(
              "CREATE TABLE t%02d (id int PRIMARY KEY, v text); INSERT INTO t%02d SELECT g, 'v' ||"
                  + " g FROM generate_series(1, %d) g;",
              i, i, 10 * i));
    }
    TestPostgres.execute(acme, ddl.toString());
    String warehouse = Fixtures.emptyWarehouse();

    List<Stage> stages = new CopyOnWriteArrayList<>();
    SparkListener listener =
        new SparkListener() {
          @Override
          public void onStageSubmitted(SparkListenerStageSubmitted submitted) {
            String description =
                submitted.properties() == null
                    ? ""
                    : submitted.properties().getProperty("spark.job.description", "");
            stages.add(new Stage(description, submitted.stageInfo().numTasks()));
          }
        };
    spark.sparkContext().addSparkListener(listener);
    RunResult result;
    try {
      result =
          new MigrationJob(Fixtures.config(warehouse).tenant("acme", acme).build(reports), spark)
              .execute();
      // Listener events arrive on their own thread: wait for the transfer's stage, not a time.
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
      while (stages.stream().noneMatch(s -> s.description().contains("transfer ("))) {
        assertThat(System.nanoTime()).as("the transfer stage was reported").isLessThan(deadline);
        Thread.sleep(20);
      }
    } finally {
      spark.sparkContext().removeSparkListener(listener);
    }

    assertThat(result.exitCode()).as("tenants: %s", result.tenants()).isZero();
    assertThat(stages)
        .filteredOn(s -> s.description().contains("transfer ("))
        .singleElement()
        .as("twelve small tables in as many tasks as local[2] has cores")
        .extracting(Stage::tasks)
        .isEqualTo(spark.sparkContext().defaultParallelism());
    for (int i = 1; i <= 12; i++) {
      assertThat(RowSets.count(warehouse, String.format("SELECT count(*) FROM public.t%02d", i)))
          .isEqualTo(10L * i);
      assertThat(
              RowSets.count(
                  warehouse,
                  String.format("SELECT sum(id) FROM public.t%02d WHERE tenant_id = 'acme'", i)))
          .isEqualTo(10L * i * (10L * i + 1) / 2);
    }
  }
}
