package dev.tenantfold.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.report.RunResult;
import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One reader per slot (docs/catch-up.md): a second {@code catch-up}, then a {@code cutover}, that
 * finds a {@code catch-up --follow} streaming the tenant's slot takes over (ends the follower's
 * sessions, waits until the slot is free) instead of failing on "slot is active"; the follower
 * yields, resumes after the catch-up, sees the tenant cut over, and exits 0 without a stack trace.
 */
class CatchUpHandOverTest {
  private static final SparkSession spark = LocalSpark.session();

  @TempDir Path dir;

  /** The follower's output, shown when a wait fails. */
  private static File followerLog;

  @Test
  void aCatchUpThenACutoverTakeOverFromARunningFollowerWhichYieldsThenEnds() throws Exception {
    String acme = TestPostgres.createDatabase("catchup_handover");
    TestPostgres.execute(acme, CatchUpTest.SCHEMA);
    String warehouse = Fixtures.emptyWarehouse();
    String hocon =
        CatchUpTest.hocon(warehouse, "acme", acme, "")
            .replace("tenantfold {", "tenantfold {\n  report.dir = \"" + dir + "\"");
    Path file = dir.resolve("tenantfold.conf");
    Files.writeString(file, hocon);
    TenantfoldConfig config = TenantfoldConfig.fromConfig(ConfigFactory.parseString(hocon));
    RunResult result = new MigrationJob(config, spark).execute();
    assertThat(result.exitCode()).as("run: %s", result.tenants()).isZero();

    File log = dir.resolve("follower.log").toFile();
    followerLog = log;
    Process follower =
        ChildJvm.tenantfold(log, "catch-up", "--config", file.toString(), "--follow");
    try {
      // A second catch-up takes over; the follower yields, then resumes after it.
      String second =
          takeOverMidPass(
              acme, warehouse, follower, 3001, () -> CatchUpTest.run(new CatchUpJob(config)));
      assertThat(second).as("the second catch-up").startsWith("0|");
      TestPostgres.execute(acme, "INSERT INTO scratch VALUES (3002, 'after the hand-over')");
      await(
          "the follower resumed after the second catch-up",
          follower,
          () ->
              RowSets.count(
                      warehouse,
                      "SELECT count(*) FROM public.scratch WHERE tenant_id = 'acme' AND id = 3002")
                  == 1);
      // A cutover takes over; the follower yields, sees the tenant cut over, and ends.
      String verdict =
          takeOverMidPass(
              acme,
              warehouse,
              follower,
              3003,
              () -> CatchUpTest.cutover(new CatchUpJob(config), "acme"));
      assertThat(verdict).as("cutover").startsWith("0|").contains("CUT OVER");
      assertThat(follower.waitFor(2, TimeUnit.MINUTES))
          .as("the follower ends once its tenant is cut over")
          .isTrue();
      String out = Files.readString(log.toPath());
      assertThat(follower.exitValue()).as(out).isZero();
      assertThat(out)
          .contains("tenant acme: taken over by another catch-up or cutover")
          .contains("tenant acme: cut over; this follower stops following it")
          .doesNotContain("\tat ")
          .doesNotContain("FAILED");
    } finally {
      follower.destroyForcibly().waitFor();
    }
    CatchUpTest.assertSameTables(acme, warehouse, "acme");
    assertThat(
            RowSets.count(
                acme,
                "SELECT count(*) FROM pg_replication_slots WHERE database = current_database()"))
        .as("the cutover dropped the slot it took over")
        .isZero();
  }

  /**
   * Holds the follower mid-pass (its slot streams, its apply waits for a lock on the target's
   * table), runs {@code command} beside it, releases the lock once the command ended the follower's
   * target session, and returns the command's output.
   */
  private static String takeOverMidPass(
      String acme,
      String warehouse,
      Process follower,
      int id,
      java.util.function.Supplier<String> command)
      throws Exception {
    try (Connection lock = TestPostgres.connect(warehouse);
        Statement st = lock.createStatement()) {
      lock.setAutoCommit(false);
      st.execute("LOCK TABLE public.scratch IN EXCLUSIVE MODE");
      TestPostgres.execute(acme, "INSERT INTO scratch VALUES (" + id + ", 'while following')");
      String waiting =
          "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE NOT"
              + " l.granted AND a.application_name = 'tenantfold-catchup-acme'";
      await(
          "the follower streams the slot and waits to apply",
          follower,
          () ->
              RowSets.count(
                          acme,
                          "SELECT count(*) FROM pg_replication_slots WHERE slot_name ="
                              + " 'tenantfold_acme' AND active")
                      == 1
                  && RowSets.count(warehouse, waiting) == 1);
      // The follower's waiting session, by its pid: the command's own session has the same
      // application name and waits on the same lock once it applies.
      long followerPid =
          RowSets.count(
              warehouse,
              "SELECT min(a.pid) FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE NOT"
                  + " l.granted AND a.application_name = 'tenantfold-catchup-acme'");
      CompletableFuture<String> result = CompletableFuture.supplyAsync(command);
      await(
          "the command ended the follower's target session",
          follower,
          () ->
              RowSets.count(
                          warehouse,
                          "SELECT count(*) FROM pg_stat_activity WHERE pid = " + followerPid)
                      == 0
                  || result.isDone());
      lock.rollback();
      return result.get(2, TimeUnit.MINUTES);
    }
  }

  private static String followerOutput() {
    try {
      return followerLog == null ? "" : Files.readString(followerLog.toPath());
    } catch (java.io.IOException e) {
      return "unreadable: " + e.getMessage();
    }
  }

  private static void await(String what, Process child, BooleanSupplier done)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    // The state seen is kept, not looked at again: the command's own session may wait on the same
    // lock a moment after the follower's was ended, and a second look would then say no.
    boolean seen = done.getAsBoolean();
    while (!seen && child.isAlive() && System.nanoTime() < deadline) {
      Thread.sleep(20);
      seen = done.getAsBoolean();
    }
    assertThat(seen)
        .as(
            "%s (follower %s; its output:%n%s)",
            what, child.isAlive() ? "running" : "ended: " + child.exitValue(), followerOutput())
        .isTrue();
  }
}
