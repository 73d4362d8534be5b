package dev.tenantfold.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.tenantfold.catchup.TenantCatchUp;
import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.report.RunResult;
import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code catch-up --follow} keeps applying until SIGTERM, then exits 0 with what it applied
 * committed; {@code --until-lag} stops once the lag is below the duration, while a writer runs.
 */
class CatchUpFollowTest {
  private static final SparkSession spark = LocalSpark.session();

  @TempDir Path dir;

  private TenantfoldConfig baseCopy(String source, String warehouse, Path file) throws Exception {
    String hocon =
        CatchUpTest.hocon(warehouse, "acme", source, "")
            .replace("tenantfold {", "tenantfold {\n  report.dir = \"" + dir + "\"");
    Files.writeString(file, hocon);
    TenantfoldConfig config = TenantfoldConfig.fromConfig(ConfigFactory.parseString(hocon));
    RunResult result = new MigrationJob(config, spark).execute();
    assertThat(result.exitCode()).as("run: %s", result.tenants()).isZero();
    return config;
  }

  private static void await(String what, Process child, java.util.function.BooleanSupplier done)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    while (!done.getAsBoolean() && child.isAlive() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(child.isAlive()).as("the follower still runs while waiting for %s", what).isTrue();
    assertThat(done.getAsBoolean()).as(what).isTrue();
  }

  @Test
  void followKeepsApplyingUntilSigtermThenExitsZeroWithThePositionStored() throws Exception {
    String acme = TestPostgres.createDatabase("catchup_follow");
    TestPostgres.execute(acme, CatchUpTest.SCHEMA);
    String warehouse = Fixtures.emptyWarehouse();
    Path file = dir.resolve("tenantfold.conf");
    TenantfoldConfig config = baseCopy(acme, warehouse, file);

    Process child = ChildJvm.tenantfold("catch-up", "--config", file.toString(), "--follow");
    try {
      // Written after the follower started: only a follower that keeps polling applies them.
      TestPostgres.execute(acme, "INSERT INTO scratch VALUES (1001, 'first wave')");
      await(
          "the first write reaching the target",
          child,
          () ->
              RowSets.count(
                      warehouse,
                      "SELECT count(*) FROM public.scratch WHERE tenant_id = 'acme' AND id = 1001")
                  == 1);
      TestPostgres.execute(
          acme,
          "INSERT INTO scratch VALUES (1002, 'second wave'); UPDATE scratch SET v = 'changed'"
              + " WHERE id = 1; DELETE FROM scratch WHERE id = 2");
      await(
          "the second write reaching the target",
          child,
          () ->
              RowSets.count(
                      warehouse,
                      "SELECT count(*) FILTER (WHERE id = 1002) - count(*) FILTER (WHERE id = 2)"
                          + " FROM public.scratch WHERE tenant_id = 'acme'")
                  == 1);
      child.destroy(); // SIGTERM
      assertThat(child.waitFor(2, TimeUnit.MINUTES)).as("the follower ends on SIGTERM").isTrue();
      assertThat(child.exitValue()).as("exit code after SIGTERM").isZero();
    } finally {
      child.destroyForcibly().waitFor();
    }
    assertThat(
            RowSets.count(
                warehouse,
                "SELECT applied_changes FROM tenantfold.catchup_state WHERE tenant_id = 'acme'"))
        .as("the follower stored the changes it applied: 1 + 3 rows")
        .isEqualTo(4);
    assertThat(CatchUpTest.run(new CatchUpJob(config)))
        .as("nothing is left to apply: the applied position was stored")
        .startsWith("0|")
        .contains("no changes");
    CatchUpTest.assertSameTables(acme, warehouse, "acme");
  }

  @Test
  void untilLagStopsOnceTheLagIsBelowTheDurationWhileAWriterRuns() throws Exception {
    String acme = TestPostgres.createDatabase("catchup_until_lag");
    TestPostgres.execute(acme, CatchUpTest.SCHEMA);
    String warehouse = Fixtures.emptyWarehouse();
    TenantfoldConfig config = baseCopy(acme, warehouse, dir.resolve("tenantfold.conf"));
    CatchUpJob job = new CatchUpJob(config);
    TenantCatchUp acmeCatchUp =
        new TenantCatchUp(
            config.tenants().get(0),
            config.target().endpoint(),
            config.target().reportSchema(),
            config.target().schemas(),
            config.tenantColumn());
    assertThat(acmeCatchUp.lag()).as("nothing pending: lag zero").isZero();
    TestPostgres.execute(acme, "UPDATE scratch SET v = 'old' WHERE id = 3");
    // Time passes after the commit (the lag measured is from the commit to now).
    TestPostgres.execute(acme, "SELECT pg_sleep(1.2)");
    assertThat(acmeCatchUp.lag())
        .as("a transaction committed over a second ago is pending")
        .isGreaterThanOrEqualTo(Duration.ofSeconds(1));

    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    boolean[] timedOut = new boolean[1];
    int code;
    try (CatchUpTest.Writer writer = new CatchUpTest.Writer(acme, 7)) {
      writer.awaitMore(200);
      code =
          job.follow(
              List.of(),
              Optional.of(Duration.ofSeconds(30)),
              () -> timedOut[0] = System.nanoTime() > deadline,
              new PrintStream(bytes, true, StandardCharsets.UTF_8));
      writer.awaitMore(50);
    }
    String out = bytes.toString(StandardCharsets.UTF_8);
    assertThat(timedOut[0]).as("--until-lag ended by itself: %s", out).isFalse();
    assertThat(code).as(out).isZero();
    assertThat(out)
        .contains("tenant acme: caught up")
        .containsPattern("tenant acme: lag \\d")
        // Every pass line says what is left: the lag in bytes and in time.
        .containsPattern(
            "tenant acme: caught up from .*changes/s\\); lag \\d+ bytes, \\d+\\.\\d s");
    assertThat(CatchUpTest.cutover(job, "acme")).startsWith("0|").contains("CUT OVER");
    CatchUpTest.assertSameTables(acme, warehouse, "acme");
  }
}
