package dev.tenantfold.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.report.RunResult;
import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.Optional;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What logical catch-up refuses, each with a message naming the tenant, the table and what to do: a
 * table it cannot replay (plan), a publication that lacks a table (plan), the source's shape
 * changing mid-catch-up (catch-up stops), a slot whose creation waits too long (run).
 */
class CatchUpRefusalsTest {
  private static final SparkSession spark = LocalSpark.session();

  @TempDir Path reports;

  private TenantfoldConfig config(String warehouse, String url, String catchUp) {
    return CatchUpTest.acmeOnly(warehouse, reports, url, catchUp);
  }

  private static String plan(TenantfoldConfig config, boolean[] clean) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PlanJob.Outcome outcome =
        new PlanJob(config, null)
            .execute(new PrintStream(bytes, true, StandardCharsets.UTF_8), Optional.empty());
    clean[0] = outcome.clean();
    return bytes.toString(StandardCharsets.UTF_8)
        + String.join("\n", outcome.unreadable().values());
  }

  @Test
  void planRefusesTablesWithoutAUsableReplicaIdentityAndNeverPublishesThem() throws Exception {
    String url = TestPostgres.createDatabase("catchup_identity");
    TestPostgres.execute(
        url,
        """
        CREATE TABLE good (id int PRIMARY KEY, v text);
        CREATE TABLE keyless (v text);
        CREATE TABLE nothing (id int PRIMARY KEY, v text);
        ALTER TABLE nothing REPLICA IDENTITY NOTHING;
        """);
    boolean[] clean = new boolean[1];
    String out = plan(config(Fixtures.emptyWarehouse(), url, "mode = logical"), clean);
    assertThat(clean[0]).as("plan is refused").isFalse();
    assertThat(out)
        .contains("Cannot catch up tenant acme")
        .contains("table public.keyless has no primary key")
        .contains("table public.nothing has REPLICA IDENTITY NOTHING")
        .contains("REPLICA IDENTITY DEFAULT");
    assertThat(RowSets.count(url, "SELECT count(*) FROM pg_publication"))
        .as("plan writes nothing to the source")
        .isZero();
  }

  @Test
  void aDbaMadePublicationMustCoverTheTablesAndIsKeptAtCutover() throws Exception {
    String url = TestPostgres.createDatabase("catchup_dba_pub");
    TestPostgres.execute(
        url,
        """
        CREATE TABLE a (id int PRIMARY KEY, v text);
        CREATE TABLE b (id int PRIMARY KEY, v text);
        INSERT INTO a VALUES (1, 'one'); INSERT INTO b VALUES (1, 'uno');
        CREATE PUBLICATION dba_pub FOR TABLE a;
        """);
    String warehouse = Fixtures.emptyWarehouse();
    TenantfoldConfig config = config(warehouse, url, "mode = logical, publication = dba_pub");
    boolean[] clean = new boolean[1];
    String out = plan(config, clean);
    assertThat(clean[0]).isFalse();
    assertThat(out)
        .contains("publication dba_pub does not publish tables [\"public\".\"b\"]")
        .contains("ALTER PUBLICATION \"dba_pub\" ADD TABLE \"public\".\"b\"");

    TestPostgres.execute(url, "ALTER PUBLICATION dba_pub ADD TABLE b");
    assertThat(plan(config, clean)).doesNotContain("Cannot catch up");
    assertThat(clean[0]).as("plan with the publication covering both tables").isTrue();
    RunResult result = new MigrationJob(config, spark).execute();
    assertThat(result.exitCode()).as("run: %s", result.tenants()).isZero();
    TestPostgres.execute(url, "INSERT INTO b VALUES (2, 'dos'); UPDATE a SET v = 'eins'");
    CatchUpJob job = new CatchUpJob(config);
    assertThat(CatchUpTest.cutover(job, "acme")).startsWith("0|");
    assertThat(RowSets.rows(warehouse, "SELECT id || v FROM public.b ORDER BY id"))
        .containsExactly("1uno", "2dos");
    assertThat(RowSets.rows(url, "SELECT pubname FROM pg_publication"))
        .as("a publication the DBA made is left to the DBA")
        .containsExactly("dba_pub");
  }

  @Test
  void aColumnAddedMidCatchUpStopsTheTenantWithItsMessage() throws Exception {
    String url = TestPostgres.createDatabase("catchup_ddl");
    TestPostgres.execute(
        url,
        "CREATE TABLE customers (id int PRIMARY KEY, name text); INSERT INTO customers VALUES (1,"
            + " 'a'), (2, 'b')");
    String warehouse = Fixtures.emptyWarehouse();
    TenantfoldConfig config = config(warehouse, url, "mode = logical");
    RunResult result = new MigrationJob(config, spark).execute();
    assertThat(result.exitCode()).as("run: %s", result.tenants()).isZero();
    TestPostgres.execute(url, "INSERT INTO customers VALUES (3, 'c')");
    CatchUpJob job = new CatchUpJob(config);
    assertThat(CatchUpTest.run(job)).startsWith("0|");
    TestPostgres.execute(url, "INSERT INTO customers VALUES (4, 'd')");
    TestPostgres.execute(
        url,
        "ALTER TABLE customers ADD COLUMN vip boolean; INSERT INTO customers VALUES (5, 'e',"
            + " true)");
    String out = CatchUpTest.run(job);
    assertThat(out)
        .startsWith("1|")
        .contains("Cannot catch up tenant acme table customers")
        .contains("column vip added")
        .contains("re-plan and run the tenant again");
    // The batch holding the change is rolled back whole; the applied position stays before it.
    assertThat(RowSets.rows(warehouse, "SELECT id FROM public.customers ORDER BY id"))
        .as("nothing of the changed shape is applied")
        .contains("1", "2", "3")
        .doesNotContain("5");
    assertThat(CatchUpTest.run(job)).as("it stops again, never guesses").startsWith("1|");
  }

  @Test
  void aCutoverThatFindsADifferenceExitsThreeListsItAndKeepsTheSlot() throws Exception {
    String url = TestPostgres.createDatabase("catchup_mismatch");
    TestPostgres.execute(
        url,
        "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, 'v' || g FROM"
            + " generate_series(1, 10) g");
    String warehouse = Fixtures.emptyWarehouse();
    TenantfoldConfig config = config(warehouse, url, "mode = logical");
    RunResult result = new MigrationJob(config, spark).execute();
    assertThat(result.exitCode()).as("run: %s", result.tenants()).isZero();
    TestPostgres.execute(url, "UPDATE t SET v = 'changed' WHERE id IN (3, 9)");
    CatchUpJob job = new CatchUpJob(config);
    assertThat(CatchUpTest.run(job)).startsWith("0|");
    // The target drifts from the source behind catch-up's back: a changed key, and a lost row
    // (both keys changed since the base copy: the bounded check compares only those, see
    // docs/catch-up.md; `validate` compares the rest).
    TestPostgres.execute(
        warehouse,
        "UPDATE public.t SET v = 'tampered' WHERE id = 3; DELETE FROM public.t WHERE id = 9");
    String verdict = CatchUpTest.cutover(job, "acme");
    assertThat(verdict)
        .startsWith("3|")
        .contains("MISMATCH")
        .contains("table t key [\"3\"]: source (3,changed), target (3,tampered)")
        .contains("table t key [\"9\"]: source (9,changed), target has no row")
        .contains("slot kept")
        .contains("Freeze window");
    assertThat(
            RowSets.count(
                url,
                "SELECT count(*) FROM pg_replication_slots WHERE database = current_database()"))
        .as("the slot is kept")
        .isOne();
    assertThat(
            RowSets.rows(
                warehouse, "SELECT status FROM tenantfold.catchup_state WHERE tenant_id = 'acme'"))
        .as("nothing recorded as cut over")
        .containsExactly("catching-up");
  }

  @Test
  void slotCreationWaitingForAnOpenTransactionTimesOutWithAMessage() throws Exception {
    String url = TestPostgres.createDatabase("catchup_slot_wait");
    TestPostgres.execute(url, "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1)");
    try (Connection open = TestPostgres.connect(url);
        Statement st = open.createStatement()) {
      open.setAutoCommit(false);
      st.execute("INSERT INTO t VALUES (2)"); // holds a transaction id: slot creation waits for it
      TenantfoldConfig config =
          config(Fixtures.emptyWarehouse(), url, "mode = logical, slot-timeout = 2s");
      RunResult result = new MigrationJob(config, spark).execute();
      assertThat(result.exitCode()).isNotZero();
      assertThat(result.tenants().get(0).message())
          .contains("Cannot create replication slot tenantfold_acme for tenant acme")
          .contains("waited 2 s for transactions already open")
          .contains("catch-up.slot-timeout");
      open.rollback();
    }
    assertThat(
            RowSets.count(
                url,
                "SELECT count(*) FROM pg_replication_slots WHERE database = current_database()"))
        .as("no half-made slot left")
        .isZero();
  }
}
