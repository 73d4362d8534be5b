package dev.tenantfold.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.report.RunResult;
import dev.tenantfold.report.TableResult;
import dev.tenantfold.report.TenantResult;
import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import dev.tenantfold.validate.TableStatus;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12's reproductions: published data is never replaced with less without being told, staging
 * never leaks, lost connections still end in the true outcome, partition names cannot collide, and
 * a failed run can be resumed. Each test checks the rows in the target, not only the verdict.
 */
class LoseNothingTest {
  private static final List<String> CUSTOMER_COLUMNS =
      List.of(
          "id",
          "name",
          "email",
          "country",
          "created_at",
          "tags",
          "profile",
          "balance",
          "external_id");
  private static final SparkSession spark = LocalSpark.session();

  @TempDir Path reports;

  private RunResult run(TenantfoldConfig config) throws Exception {
    return new MigrationJob(config, spark).execute();
  }

  private RunResult run(TenantfoldConfig config, RunOptions options) throws Exception {
    return new MigrationJob(config, spark, options).execute();
  }

  @Test
  void aTypoInSchemasOrAnEmptyDatabaseNeverWipesAPublishedTenant() throws Exception {
    String a = Fixtures.demoTenant("a", 40);
    String c = Fixtures.demoTenant("c", 30);
    TestPostgres.execute(
        c,
        "CREATE TABLE c_only (id int PRIMARY KEY, note text); INSERT INTO c_only SELECT g, 'n' || g"
            + " FROM generate_series(1, 7) g");
    String warehouse = Fixtures.emptyWarehouse();
    assertThat(
            run(Fixtures.config(warehouse).tenant("a", a).tenant("c", c).build(reports)).exitCode())
        .isZero();
    List<String> before =
        RowSets.rows(
            warehouse,
            "SELECT ROW(t.*)::text FROM public.customers t WHERE tenant_id = 'c' ORDER BY id");
    String firstRun = RowSets.rows(warehouse, "SELECT run_id FROM tenantfold.runs").get(0);
    long customers =
        RowSets.count(warehouse, "SELECT count(*) FROM public.customers WHERE tenant_id = 'c'");

    RunResult typo =
        run(
            Fixtures.config(warehouse)
                .tenant("a", a)
                .tenantInSchemas("c", c, List.of("pubic"))
                .build(reports));

    assertThat(typo.exitCode()).as("a tenant that would lose its data fails the run").isEqualTo(1);
    assertThat(tenant(typo, "c").published()).isFalse();
    assertThat(tenant(typo, "c").message())
        .contains(
            "tenant c published " + customers + " rows of \"customers\" in run " + firstRun,
            "its source now has no tables at all in schemas [pubic]",
            "--allow-shrink c");
    assertThat(tenant(typo, "a").published()).as("the other tenant goes on").isTrue();
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT ROW(t.*)::text FROM public.customers t WHERE tenant_id = 'c' ORDER BY id"))
        .isEqualTo(before);
    assertThat(RowSets.count(warehouse, "SELECT count(*) FROM public.c_only WHERE tenant_id = 'c'"))
        .isEqualTo(7);

    String empty = TestPostgres.createDatabase("restore_that_failed");
    RunResult emptyDb = run(Fixtures.config(warehouse).tenant("c", empty).build(reports));
    assertThat(emptyDb.exitCode()).isEqualTo(1);
    assertThat(tenant(emptyDb, "c").message())
        .contains("published " + customers + " rows of \"customers\"", "no tables at all");
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT ROW(t.*)::text FROM public.customers t WHERE tenant_id = 'c' ORDER BY id"))
        .isEqualTo(before);
  }

  @Test
  void aTableThatVanishedOrEmptiedNeedsAllowShrinkAndThenLeavesTheTenantConsistent()
      throws Exception {
    String c = Fixtures.demoTenant("c", 30);
    TestPostgres.execute(
        c,
        "CREATE TABLE c_only (id int PRIMARY KEY, note text); INSERT INTO c_only SELECT g, 'n' || g"
            + " FROM generate_series(1, 7) g");
    String warehouse = Fixtures.emptyWarehouse();
    TenantfoldConfig config = Fixtures.config(warehouse).tenant("c", c).build(reports);
    assertThat(run(config).exitCode()).isZero();
    TestPostgres.execute(c, "DROP TABLE c_only; DELETE FROM events");

    RunResult refused = run(config);

    assertThat(refused.exitCode()).isEqualTo(1);
    assertThat(tenant(refused, "c").message())
        .contains("published 7 rows of \"c_only\"", "no such table in schemas [public]");
    assertThat(RowSets.count(warehouse, "SELECT count(*) FROM public.c_only WHERE tenant_id = 'c'"))
        .isEqualTo(7);
    long events =
        RowSets.count(warehouse, "SELECT count(*) FROM public.events WHERE tenant_id = 'c'");
    assertThat(events).isPositive();

    TestPostgres.execute(
        c,
        "CREATE TABLE c_only (id int PRIMARY KEY, note text); INSERT INTO c_only VALUES (1,"
            + " 'back')");
    RunResult emptied = run(config);
    assertThat(emptied.exitCode()).isEqualTo(1);
    TableResult eventsResult = table(emptied, "c", "events");
    assertThat(eventsResult.status()).isEqualTo(TableStatus.FAILED);
    assertThat(eventsResult.message())
        .contains(
            "it published " + events + " rows of \"events\"", "its source now returns 0 rows");
    assertThat(RowSets.count(warehouse, "SELECT count(*) FROM public.events WHERE tenant_id = 'c'"))
        .isEqualTo(events);
    assertThat(RowSets.count(warehouse, "SELECT count(*) FROM public.c_only WHERE tenant_id = 'c'"))
        .as("nothing of c published")
        .isEqualTo(7);

    TestPostgres.execute(c, "DROP TABLE c_only");
    RunResult allowed = run(config, new RunOptions(Set.of("c"), Optional.empty(), false));
    assertThat(allowed.exitCode()).isZero();
    assertThat(RowSets.count(warehouse, "SELECT count(*) FROM public.events WHERE tenant_id = 'c'"))
        .isZero();
    assertThat(RowSets.count(warehouse, "SELECT count(*) FROM public.c_only WHERE tenant_id = 'c'"))
        .as("the vanished table's partition leaves with the allowed publish")
        .isZero();
    assertThat(table(allowed, "c", "events").publication().previousRows()).hasValue(events);
    assertThat(
            RowSets.count(
                warehouse,
                "SELECT previous_rows FROM tenantfold.table_results WHERE run_id = '"
                    + allowed.runId()
                    + "' AND tenant_id = 'c' AND table_name = 'events' AND loaded_rows = 0 AND"
                    + " published"))
        .isEqualTo(events);
  }

  @Test
  void aSourceTableNamedLikeAPartitionDoesNotCollide() throws Exception {
    String c = TestPostgres.createDatabase("collide");
    TestPostgres.execute(
        c,
        "CREATE TABLE a (id int PRIMARY KEY, v text); CREATE TABLE a__c (id int PRIMARY KEY, w"
            + " text); INSERT INTO a VALUES (1, 'from a'); INSERT INTO a__c VALUES (2, 'from"
            + " a__c')");
    String warehouse = Fixtures.emptyWarehouse();
    TenantfoldConfig config = Fixtures.config(warehouse).tenant("c", c).build(reports);

    for (int i = 0; i < 2; i++) {
      RunResult result = run(config);
      assertThat(result.exitCode()).as("run %d: %s", i + 1, result.tenants()).isZero();
    }
    assertThat(RowSets.rows(warehouse, "SELECT v FROM public.a WHERE tenant_id = 'c'"))
        .containsExactly("from a");
    assertThat(RowSets.rows(warehouse, "SELECT w FROM public.a__c WHERE tenant_id = 'c'"))
        .containsExactly("from a__c");
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                    + " WHERE n.nspname LIKE 'tenantfold_partitions%' AND c.relkind = 'r' ORDER BY"
                    + " 1"))
        .containsExactly("a__c", "a__c__c_" + shortHash("a__c", "c"));
  }

  @Test
  void aLostDriverConnectionDuringCopyStillEndsInTheTruth() throws Exception {
    String acme = Fixtures.demoTenant("acme", 60);
    String warehouse = Fixtures.emptyWarehouse();
    // Slow the load down so the connections can be cut while the COPY streams.
    Fixtures.stagingTrigger(
        warehouse, "customers", "IF NEW.id = 5 THEN PERFORM pg_sleep(4); END IF; RETURN NEW;");
    TenantfoldConfig config = Fixtures.config(warehouse).tenant("acme", acme).build(reports);

    CompletableFuture<List<String>> killer =
        CompletableFuture.supplyAsync(
            () -> {
              awaitCopy(warehouse);
              // The run's own connection and the tenant's driver connection: both die mid-run.
              return RowSets.rows(
                  warehouse,
                  "SELECT application_name || ':' || pg_terminate_backend(pid) FROM"
                      + " pg_stat_activity WHERE application_name LIKE 'tf-%-driver' OR"
                      + " application_name LIKE 'tf-%-tenant-acme'");
            });
    RunResult result = run(config);

    assertThat(killer.get(30, TimeUnit.SECONDS))
        .as("connections terminated")
        .hasSize(2)
        .allMatch(s -> s.endsWith(":true"));
    assertThat(result.exitCode()).as("outcome: %s", result.tenants()).isZero();
    assertThat(tenant(result, "acme").published()).isTrue();
    RowSets.assertSameRows(acme, warehouse, "acme", "customers", CUSTOMER_COLUMNS);
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT status FROM tenantfold.runs WHERE run_id = '" + result.runId() + "'"))
        .containsExactly("succeeded");
    assertThat(reports.resolve(result.runId()).resolve("report.json")).exists();
    assertNoStagingLeft(warehouse);
  }

  @Test
  void aKilledDriverLeavesNothingBehindAfterTheNextRunEvenWithLongNames() throws Exception {
    String big = TestPostgres.createDatabase("big");
    TestPostgres.execute(
        big,
        "CREATE TABLE customer_order_line_items_archive (id int PRIMARY KEY, note text); INSERT"
            + " INTO customer_order_line_items_archive SELECT g, repeat('x', 100) FROM"
            + " generate_series(1, 20000) g");
    String warehouse = Fixtures.emptyWarehouse();
    Fixtures.stagingTrigger(
        warehouse,
        "customer_order_line_items_archive",
        "IF NEW.id = 7 THEN PERFORM pg_sleep(10); END IF; RETURN NEW;");
    Path conf = reports.resolve("job.conf");
    Files.writeString(
        conf,
        """
        tenantfold {
          target { url = "%s", user = postgres, password = postgres }
          tenants = [ { id = big, jdbc { url = "%s", user = postgres, password = postgres } } ]
          report.dir = "%s"
        }
        """
            .formatted(warehouse, big, reports));
    Process driver = ChildJvm.tenantfold("run", "--config", conf.toString());
    try {
      awaitCopy(warehouse);
      assertThat(
              RowSets.count(
                  warehouse,
                  "SELECT count(*) FROM pg_tables WHERE schemaname = 'tenantfold_staging'"))
          .isPositive();
    } finally {
      driver.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
    TestPostgres.execute(warehouse, "DROP EVENT TRIGGER tamper_customer_order_line_items_archive");
    // The server notices the vanished client; the killed run's sessions go away.
    awaitNoSessions(warehouse);

    RunResult next = run(TenantfoldConfig.load(conf.toFile(), List.of()));

    assertThat(next.exitCode()).as("%s", next.tenants()).isZero();
    assertThat(
            RowSets.count(
                warehouse,
                "SELECT count(*) FROM public.customer_order_line_items_archive WHERE tenant_id ="
                    + " 'big'"))
        .isEqualTo(20000);
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT status FROM tenantfold.runs WHERE run_id <> '" + next.runId() + "'"))
        .containsExactly("abandoned");
    assertNoStagingLeft(warehouse);
  }

  @Test
  void resumeRedoesOnlyTheTenantsThatDidNotPublish() throws Exception {
    String a = Fixtures.demoTenant("a", 20);
    String b = Fixtures.demoTenant("b", 20);
    String warehouse = Fixtures.emptyWarehouse();
    TestPostgres.createPasswordRole("tf_resume_user", "right-password");
    TestPostgres.execute(b, "GRANT SELECT ON ALL TABLES IN SCHEMA public TO tf_resume_user");
    RunResult first =
        run(
            Fixtures.config(warehouse)
                .tenant("a", a)
                .tenant("b", b, "tf_resume_user", "wrong-password")
                .build(reports));
    assertThat(first.exitCode()).isEqualTo(1);
    assertThat(tenant(first, "a").published()).isTrue();

    TenantfoldConfig fixed =
        Fixtures.config(warehouse).tenant("a", a).tenant("b", b).build(reports);
    RunResult resumed = run(fixed, new RunOptions(Set.of(), Optional.of(first.runId()), false));

    assertThat(resumed.exitCode()).as("%s", resumed.tenants()).isZero();
    assertThat(resumed.tenants()).extracting(TenantResult::tenantId).containsExactly("b");
    assertThat(resumed.notes())
        .filteredOn(n -> n.startsWith("resumes"))
        .singleElement()
        .asString()
        .contains("resumes run " + first.runId(), "skipped tenants [a]");
    RowSets.assertSameRows(b, warehouse, "b", "customers", CUSTOMER_COLUMNS);
    RowSets.assertSameRows(a, warehouse, "a", "customers", CUSTOMER_COLUMNS);
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT DISTINCT tenant_id FROM tenantfold.table_results WHERE run_id = '"
                    + resumed.runId()
                    + "'"))
        .containsExactly("b");
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT resumed_from FROM tenantfold.runs WHERE run_id = '"
                    + resumed.runId()
                    + "'"))
        .containsExactly(first.runId());

    RunResult nothingLeft = run(fixed, new RunOptions(Set.of(), Optional.empty(), true));
    assertThat(nothingLeft.exitCode()).isZero();
    assertThat(nothingLeft.tenants()).isEmpty();
  }

  @Test
  void keptStagingSurvivesRunsUntilCleanupDropsIt() throws Exception {
    String acme = Fixtures.demoTenant("acme", 20);
    String warehouse = Fixtures.emptyWarehouse();
    Fixtures.stagingTrigger(
        warehouse, "orders", "IF NEW.id = 3 THEN RETURN NULL; END IF; RETURN NEW;");
    RunResult failed =
        run(
            Fixtures.config(warehouse)
                .tenant("acme", acme)
                .set("load.keep-failed-staging", true)
                .build(reports));
    assertThat(failed.exitCode()).isEqualTo(3);
    long kept =
        RowSets.count(
            warehouse, "SELECT count(*) FROM pg_tables WHERE schemaname = 'tenantfold_staging'");
    assertThat(kept).as("kept for inspection").isEqualTo(4);
    TestPostgres.execute(warehouse, "DROP EVENT TRIGGER tamper_orders");
    TenantfoldConfig config = Fixtures.config(warehouse).tenant("acme", acme).build(reports);
    assertThat(run(config).exitCode()).isZero();
    assertThat(
            RowSets.count(
                warehouse,
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'tenantfold_staging'"))
        .isEqualTo(kept);

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CleanupJob.Result dry =
        new CleanupJob(config, true).execute(new PrintStream(out, true, StandardCharsets.UTF_8));
    assertThat(dry.dropped()).hasSize(4);
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("would drop", "run " + failed.runId(), "tenant acme", "table orders", "dry run");
    assertThat(
            RowSets.count(
                warehouse,
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'tenantfold_staging'"))
        .isEqualTo(kept);

    new CleanupJob(config, false)
        .execute(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    assertNoStagingLeft(warehouse);
  }

  private static void awaitCopy(String warehouse) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline) {
      if (RowSets.count(
              warehouse,
              "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY%tenantfold_staging%'"
                  + " AND state = 'active'")
          > 0) {
        return;
      }
      sleep(50);
    }
    throw new AssertionError("no COPY into staging started within 120 s");
  }

  private static void awaitNoSessions(String warehouse) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (RowSets.count(
            warehouse, "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'tf-%'")
        > 0) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the killed driver's sessions are still there after 60 s");
      }
      sleep(100);
    }
  }

  private static void assertNoStagingLeft(String warehouse) {
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT tablename FROM pg_tables WHERE schemaname = 'tenantfold_staging'"))
        .as("staging tables left")
        .isEmpty();
    assertThat(
            RowSets.count(
                warehouse,
                "SELECT count(*) FROM tenantfold.staging_objects WHERE state IN ('created',"
                    + " 'kept')"))
        .as("staging recorded as still in place")
        .isZero();
  }

  private static String shortHash(String table, String tenant) {
    return dev.tenantfold.jdbc.Sql.shortHash(table + "\0" + tenant);
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private static TenantResult tenant(RunResult result, String id) {
    return result
        .tenant(id)
        .orElseThrow(
            () -> new AssertionError("tenant " + id + " did not run: " + result.tenants()));
  }

  private static TableResult table(RunResult result, String tenantId, String table) {
    return tenant(result, tenantId)
        .table(table)
        .orElseThrow(() -> new AssertionError("no result for " + tenantId + "." + table));
  }
}
