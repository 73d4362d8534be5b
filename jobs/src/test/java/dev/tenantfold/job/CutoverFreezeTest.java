package dev.tenantfold.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.report.RunResult;
import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.Roles;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cutover --freeze} (docs/catch-up.md): the application's role is locked out of the source
 * (its CONNECT revoked, its sessions ended) for the cutover and let back in on every exit: cut over
 * (0), mismatch (3), error and {@code --max-freeze} (1), and after a {@code kill -9} of the cutover
 * by the next {@code cleanup} or {@code cutover}.
 */
class CutoverFreezeTest {
  private static final SparkSession spark = LocalSpark.session();

  @TempDir Path dir;

  /** A source whose application connects as {@code role}, the only role besides the owner. */
  private static String source(String prefix, String role) {
    Roles.ensure(role, "LOGIN NOSUPERUSER");
    String url = TestPostgres.createDatabase(prefix);
    TestPostgres.execute(url, CatchUpTest.SCHEMA);
    String db = database(url);
    TestPostgres.execute(
        url,
        "REVOKE CONNECT ON DATABASE "
            + db
            + " FROM PUBLIC; GRANT CONNECT ON DATABASE "
            + db
            + " TO "
            + role
            + "; GRANT USAGE ON SCHEMA public TO "
            + role
            + "; GRANT ALL ON ALL TABLES IN SCHEMA public TO "
            + role
            + "; GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO "
            + role);
    return url;
  }

  private static String database(String url) {
    return RowSets.rows(url, "SELECT current_database()").get(0);
  }

  private TenantfoldConfig baseCopy(String url, String warehouse, String role) throws Exception {
    String hocon =
        """
        tenantfold {
          target { url = "%s", user = postgres, password = postgres }
          report.dir = "%s"
          tenants = [ { id = acme, jdbc { url = "%s", user = postgres, password = postgres },
            catch-up { mode = logical, freeze-roles = [%s] } } ]
        }
        """
            .formatted(warehouse, dir, url, role);
    Files.writeString(dir.resolve("tenantfold.conf"), hocon);
    TenantfoldConfig config = TenantfoldConfig.fromConfig(ConfigFactory.parseString(hocon));
    RunResult result = new MigrationJob(config, spark).execute();
    assertThat(result.exitCode()).as("run: %s", result.tenants()).isZero();
    return config;
  }

  private static boolean mayConnect(String url, String role) {
    try (Connection c = Roles.connect(url, role)) {
      return c.isValid(5);
    } catch (SQLException e) {
      assertThat(e.getMessage()).contains("permission denied for database");
      return false;
    }
  }

  private static boolean alive(Connection session) {
    try (Statement st = session.createStatement()) {
      st.execute("SELECT 1");
      return true;
    } catch (SQLException e) {
      return false;
    }
  }

  private static String cutover(CatchUpJob job, boolean freeze, Optional<Duration> max) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int code =
        job.cutover("acme", freeze, max, new PrintStream(bytes, true, StandardCharsets.UTF_8));
    return code + "|" + bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void theAppRoleIsLockedOutForTheCutoverAndLetBackInOnEveryExit() throws Exception {
    String role = "freeze_app";
    String url = source("cutover_freeze", role);
    String db = database(url);
    String warehouse = Fixtures.emptyWarehouse();
    TenantfoldConfig config = baseCopy(url, warehouse, role);
    CatchUpJob job = new CatchUpJob(config);

    // PUBLIC may connect: revoking from the role would not keep it out, so nothing is revoked.
    TestPostgres.execute(url, "GRANT CONNECT ON DATABASE " + db + " TO PUBLIC");
    assertThat(cutover(job, true, Optional.empty()))
        .startsWith("1|")
        .contains("PUBLIC may connect to the source database " + db)
        .contains("REVOKE CONNECT ON DATABASE \"" + db + "\" FROM PUBLIC");
    ByteArrayOutputStream plan = new ByteArrayOutputStream();
    PlanJob.Outcome outcome =
        new PlanJob(config, null)
            .execute(new PrintStream(plan, true, StandardCharsets.UTF_8), Optional.empty());
    assertThat(outcome.clean()).as("plan refuses what cutover --freeze would fail on").isFalse();
    assertThat(plan.toString(StandardCharsets.UTF_8) + outcome.unreadable().values())
        .contains("Cannot freeze tenant acme (catch-up.freeze-roles): PUBLIC may connect");
    TestPostgres.execute(url, "REVOKE CONNECT ON DATABASE " + db + " FROM PUBLIC");
    assertThat(mayConnect(url, role)).as("nothing was revoked").isTrue();

    // Mismatch (exit 3): the application's session is ended, its role let back in after.
    try (Connection app = Roles.connect(url, role);
        Statement st = app.createStatement()) {
      st.execute("UPDATE scratch SET v = 'by the app' WHERE id = 1");
      assertThat(CatchUpTest.run(job)).startsWith("0|");
      TestPostgres.execute(
          warehouse,
          "UPDATE public.scratch SET v = 'tampered' WHERE tenant_id = 'acme' AND id = 1");
      assertThat(cutover(job, true, Optional.empty()))
          .startsWith("3|")
          .contains("MISMATCH")
          .contains("tampered")
          .contains("writers frozen: [" + role + "]")
          .contains("1 sessions ended")
          .contains("CONNECT granted back");
      assertThat(alive(app)).as("the application's session was ended").isFalse();
    }
    assertThat(mayConnect(url, role)).as("let back in after the mismatch").isTrue();
    TestPostgres.execute(
        warehouse,
        "UPDATE public.scratch SET v = 'by the app' WHERE tenant_id = 'acme' AND id = 1");

    // --max-freeze passed before the verdict (exit 1): undone, nothing cut over.
    assertThat(cutover(job, true, Optional.of(Duration.ofNanos(1))))
        .startsWith("1|")
        .contains("did not reach its verdict within --max-freeze")
        .contains("CONNECT granted back");
    assertThat(mayConnect(url, role)).as("let back in after --max-freeze").isTrue();
    assertThat(
            RowSets.rows(
                warehouse, "SELECT status FROM tenantfold.catchup_state WHERE tenant_id = 'acme'"))
        .containsExactly("catching-up");

    // Cut over (exit 0) while the application holds a session with a write in flight.
    try (Connection app = Roles.connect(url, role);
        Statement st = app.createStatement()) {
      st.execute("INSERT INTO scratch VALUES (5001, 'committed before the freeze')");
      app.setAutoCommit(false);
      st.execute("INSERT INTO scratch VALUES (5002, 'in flight at the freeze')");
      assertThat(cutover(job, true, Optional.of(Duration.ofMinutes(1))))
          .startsWith("0|")
          .contains("CUT OVER")
          .contains("1 sessions ended")
          .contains("Freeze window");
      assertThat(alive(app)).as("the application's session was ended").isFalse();
    }
    assertThat(mayConnect(url, role)).as("let back in after the cutover").isTrue();
    CatchUpTest.assertSameTables(url, warehouse, "acme");
    assertThat(RowSets.count(url, "SELECT count(*) FROM scratch WHERE id = 5002"))
        .as("the write in flight was rolled back by the end of its session")
        .isZero();
  }

  @Test
  void freezeWithoutRolesIsAConfigurationError() {
    TenantfoldConfig config =
        CatchUpTest.acmeOnly(
            "jdbc:postgresql://t/w", dir, "jdbc:postgresql://h/acme", "mode = logical");
    assertThatThrownBy(
            () ->
                new CatchUpJob(config)
                    .cutover(
                        "acme",
                        true,
                        Optional.empty(),
                        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)))
        .isInstanceOf(dev.tenantfold.config.ConfigError.class)
        .hasMessageContaining("needs tenants[].catch-up.freeze-roles");
  }

  @Test
  void aFrozenCutoverKilledIsUndoneByCleanupOrByTheNextCutover() throws Exception {
    String role = "freeze_kill_app";
    String url = source("cutover_freeze_kill", role);
    String db = database(url);
    String warehouse = Fixtures.emptyWarehouse();
    TenantfoldConfig config = baseCopy(url, warehouse, role);
    Path file = dir.resolve("tenantfold.conf");

    killFrozenCutover(url, warehouse, db, role, file, 1);
    assertThat(mayConnect(url, role)).as("still locked out after the kill").isFalse();
    ByteArrayOutputStream dry = new ByteArrayOutputStream();
    new CleanupJob(config, true).execute(new PrintStream(dry, true, StandardCharsets.UTF_8));
    assertThat(dry.toString(StandardCharsets.UTF_8))
        .contains("would grant back CONNECT on " + db + " to " + role);
    assertThat(mayConnect(url, role)).as("a dry run changes nothing").isFalse();
    ByteArrayOutputStream clean = new ByteArrayOutputStream();
    new CleanupJob(config, false).execute(new PrintStream(clean, true, StandardCharsets.UTF_8));
    assertThat(clean.toString(StandardCharsets.UTF_8))
        .contains("granted back CONNECT on " + db + " to " + role);
    assertThat(mayConnect(url, role)).as("cleanup let the role back in").isTrue();

    killFrozenCutover(url, warehouse, db, role, file, 2);
    assertThat(mayConnect(url, role)).as("still locked out after the second kill").isFalse();
    assertThat(cutover(new CatchUpJob(config), false, Optional.empty()))
        .startsWith("0|")
        .contains("granted back CONNECT on " + db + " to " + role)
        .contains("CUT OVER");
    assertThat(mayConnect(url, role)).as("the next cutover let the role back in").isTrue();
    CatchUpTest.assertSameTables(url, warehouse, "acme");
  }

  /**
   * Starts {@code cutover --freeze} in a child JVM, holds it after the freeze (a lock on the
   * target's table it must write), checks the role cannot connect meanwhile, and kills it.
   */
  private static void killFrozenCutover(
      String url, String warehouse, String db, String role, Path file, int round) throws Exception {
    TestPostgres.execute(url, "UPDATE scratch SET v = 'round " + round + "' WHERE id = 3");
    try (Connection lock = TestPostgres.connect(warehouse);
        Statement st = lock.createStatement()) {
      lock.setAutoCommit(false);
      st.execute("LOCK TABLE public.scratch IN EXCLUSIVE MODE");
      Process child =
          ChildJvm.tenantfold(
              "cutover", "--config", file.toString(), "--tenant", "acme", "--freeze");
      try {
        await(
            "the child froze the role and waits for the target's lock",
            child,
            () ->
                RowSets.count(
                            url,
                            "SELECT count(*) FROM pg_roles WHERE rolname = '"
                                + role
                                + "' AND NOT has_database_privilege(rolname, '"
                                + db
                                + "', 'CONNECT')")
                        == 1
                    && RowSets.count(
                            warehouse,
                            "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)"
                                + " WHERE NOT l.granted AND a.application_name LIKE"
                                + " 'tenantfold-catchup-acme%'")
                        > 0);
        assertThatThrownBy(() -> Roles.connect(url, role).close())
            .as("the role cannot reconnect during the freeze")
            .hasMessageContaining("permission denied for database");
      } finally {
        child.destroyForcibly().waitFor();
      }
      lock.rollback();
    }
  }

  private static void await(String what, Process child, BooleanSupplier done)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    while (!done.getAsBoolean() && child.isAlive() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(done.getAsBoolean()).as(what).isTrue();
    assertThat(child.isAlive()).as("the child still runs at: %s", what).isTrue();
  }
}
