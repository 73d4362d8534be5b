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
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** End-to-end runs against real embedded PostgreSQL databases and a local Spark session. */
class MigrationJobTest {
  private static final Map<String, List<String>> DEMO_COLUMNS =
      Map.of(
          "customers",
              List.of(
                  "id",
                  "name",
                  "email",
                  "country",
                  "created_at",
                  "tags",
                  "profile",
                  "balance",
                  "external_id"),
          "orders",
              List.of(
                  "id",
                  "customer_id",
                  "status",
                  "history",
                  "total",
                  "placed_at",
                  "ship_by",
                  "ship_window",
                  "note",
                  "score",
                  "ratio",
                  "attachment",
                  "raw",
                  "paid"),
          "order_items", List.of("order_id", "line_no", "sku", "qty", "unit_price"),
          "events", List.of("occurred_at", "kind", "payload", "amounts"));

  private static final SparkSession spark = LocalSpark.session();

  @TempDir Path reports;

  private RunResult run(TenantfoldConfig config) throws Exception {
    return new MigrationJob(config, spark).execute();
  }

  @Test
  void consolidatesEveryTypeExactlyAndReportsIt() throws Exception {
    String acme = Fixtures.demoTenant("acme", 400);
    String globex = Fixtures.demoTenant("globex", 150);
    // A table only one tenant has, empty: the others publish an empty partition of it.
    TestPostgres.execute(
        globex, "CREATE TABLE empty_things (id int PRIMARY KEY, label text, weights float8[])");
    String warehouse = Fixtures.emptyWarehouse();

    RunResult result =
        run(
            Fixtures.config(warehouse)
                .tenant("acme", acme)
                .tenant("globex", globex)
                .set("extract.rows-per-partition", 150)
                .build(reports));

    assertThat(result.exitCode()).as("exit code; tenants: %s", result.tenants()).isZero();
    for (String table : DEMO_COLUMNS.keySet()) {
      RowSets.assertSameRows(acme, warehouse, "acme", table, DEMO_COLUMNS.get(table));
      RowSets.assertSameRows(globex, warehouse, "globex", table, DEMO_COLUMNS.get(table));
    }
    assertThat(RowSets.count(warehouse, "SELECT count(*) FROM public.empty_things")).isZero();
    TableResult orders = table(result, "acme", "orders");
    assertThat(orders.counts().partitions())
        .as("orders of acme read in parallel ranges")
        .isGreaterThan(1);
    assertThat(orders.counts().sourceRows())
        .isEqualTo(1204)
        .isEqualTo(orders.counts().loadedRows());
    TableResult events = table(result, "acme", "events");
    assertThat(events.counts().partitions())
        .as("events (no primary key) read in parallel ctid ranges")
        .isGreaterThan(1);

    assertThat(
            RowSets.count(
                warehouse,
                "SELECT count(*) FROM tenantfold.table_results WHERE run_id = '"
                    + result.runId()
                    + "' AND published AND status = 'OK'"))
        .isEqualTo(10);
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT status FROM tenantfold.runs WHERE run_id = '" + result.runId() + "'"))
        .containsExactly("succeeded");
    Path json = reports.resolve(result.runId()).resolve("report.json");
    assertThat(json).exists();
    assertThat(Files.readString(json))
        .contains(
            "\"tenant_id\" : \"globex\"",
            "\"table_name\" : \"order_items\"",
            "\"status\" : \"succeeded\"")
        .doesNotContain("postgres\" : ");
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                    + " WHERE n.nspname = 'tenantfold_staging' AND c.relkind = 'r'"))
        .as("staging tables left behind")
        .isEmpty();
  }

  @Test
  void rerunReplacesATenantWithoutDuplicatingOrTouchingOthers() throws Exception {
    String acme = Fixtures.demoTenant("acme", 100);
    String globex = Fixtures.demoTenant("globex", 50);
    String warehouse = Fixtures.emptyWarehouse();
    assertThat(
            run(Fixtures.config(warehouse)
                    .tenant("acme", acme)
                    .tenant("globex", globex)
                    .build(reports))
                .exitCode())
        .isZero();

    TestPostgres.execute(
        acme,
        "DELETE FROM order_items WHERE order_id > 250; UPDATE customers SET name = 'renamed' WHERE"
            + " id = 1");
    RunResult second = run(Fixtures.config(warehouse).tenant("acme", acme).build(reports));

    assertThat(second.exitCode()).isZero();
    RowSets.assertSameRows(acme, warehouse, "acme", "order_items", DEMO_COLUMNS.get("order_items"));
    RowSets.assertSameRows(acme, warehouse, "acme", "customers", DEMO_COLUMNS.get("customers"));
    RowSets.assertSameRows(globex, warehouse, "globex", "orders", DEMO_COLUMNS.get("orders"));
    assertThat(
            RowSets.count(
                warehouse,
                "SELECT count(*) FROM public.customers WHERE tenant_id = 'acme' AND name ="
                    + " 'renamed'"))
        .isEqualTo(1);
  }

  @Test
  void failingTenantsFailAloneWithAClearMessageAndPublishNothing() throws Exception {
    String acme = Fixtures.demoTenant("acme", 80);
    String globex = Fixtures.demoTenant("globex", 60);
    String initech = Fixtures.demoTenant("initech", 40);
    String umbrella = Fixtures.demoTenant("umbrella", 30);
    TestPostgres.execute(umbrella, "DROP TABLE events");
    String warehouse = Fixtures.emptyWarehouse();
    assertThat(
            run(Fixtures.config(warehouse)
                    .tenant("acme", acme)
                    .tenant("globex", globex)
                    .build(reports))
                .exitCode())
        .isZero();
    List<String> globexBefore =
        RowSets.rows(
            warehouse, "SELECT ROW(o.*)::text FROM public.orders o WHERE tenant_id = 'globex'");
    TestPostgres.createPasswordRole("tf_pw_user", "right-password");
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    TestPostgres.execute(
        acme, "INSERT INTO customers (id, name, created_at) VALUES (100000, 'new', now())");

    RunResult result =
        run(
            Fixtures.config(warehouse)
                .tenant("acme", acme)
                .tenant(
                    "globex",
                    "jdbc:postgresql://127.0.0.1:" + closedPort + "/globex",
                    "postgres",
                    "postgres")
                .tenant("initech", initech, "tf_pw_user", "wrong-password-value")
                .tenant("umbrella", umbrella)
                .set("tables.include", List.of("customers", "orders", "order_items", "events"))
                .build(reports));

    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(tenant(result, "acme").published()).isTrue();
    assertThat(tenant(result, "globex").message())
        .contains("globex", "tenants[1].jdbc", "127.0.0.1:" + closedPort)
        .doesNotContain("postgres@");
    assertThat(tenant(result, "initech").message())
        .contains("initech", "password authentication failed")
        .doesNotContain("wrong-password-value");
    assertThat(tenant(result, "umbrella").message())
        .contains("umbrella", "events", "tenantfold.tables.include");
    for (String failed : List.of("globex", "initech", "umbrella")) {
      assertThat(tenant(result, failed).published()).as("%s published", failed).isFalse();
    }
    assertThat(
            RowSets.rows(
                warehouse, "SELECT ROW(o.*)::text FROM public.orders o WHERE tenant_id = 'globex'"))
        .as("globex's earlier published rows")
        .isEqualTo(globexBefore);
    assertThat(
            RowSets.count(
                warehouse,
                "SELECT count(*) FROM public.orders WHERE tenant_id IN ('initech', 'umbrella')"))
        .isZero();
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT tenant_id FROM tenantfold.table_results WHERE run_id = '"
                    + result.runId()
                    + "' AND table_name = '*' AND status = 'FAILED'"))
        .as("failed tenants recorded")
        .containsExactlyInAnyOrder("globex", "initech", "umbrella");
    RowSets.assertSameRows(acme, warehouse, "acme", "customers", DEMO_COLUMNS.get("customers"));
  }

  @Test
  void lossyLoadFailsValidationAndKeepsThePublishedTenant() throws Exception {
    String acme = Fixtures.demoTenant("acme", 120);
    String warehouse = Fixtures.emptyWarehouse();
    assertThat(run(Fixtures.config(warehouse).tenant("acme", acme).build(reports)).exitCode())
        .isZero();
    List<String> before = RowSets.rows(warehouse, "SELECT ROW(c.*)::text FROM public.customers c");
    // A misbehaving target: every new staging table of order_items silently drops a row in ten.
    Fixtures.stagingTrigger(
        warehouse,
        "order_items",
        "IF NEW.line_no = 2 AND NEW.order_id % 10 = 0 THEN RETURN NULL; END IF; RETURN NEW;");
    TestPostgres.execute(acme, "UPDATE customers SET name = name || ' (v2)' WHERE id < 10");

    RunResult result = run(Fixtures.config(warehouse).tenant("acme", acme).build(reports));

    assertThat(result.exitCode()).isEqualTo(3);
    TableResult items = table(result, "acme", "order_items");
    assertThat(items.status()).isEqualTo(TableStatus.MISMATCH);
    assertThat(items.message())
        .contains("row counts differ", "source snapshot " + items.counts().sourceRows());
    assertThat(items.counts().loadedRows()).isLessThan(items.counts().sourceRows());
    assertThat(tenant(result, "acme").published()).isFalse();
    assertThat(table(result, "acme", "customers").message()).contains("not published");
    assertThat(RowSets.rows(warehouse, "SELECT ROW(c.*)::text FROM public.customers c"))
        .as("previously published customers")
        .isEqualTo(before);
    assertThat(
            RowSets.count(
                warehouse,
                "SELECT count(*) FROM tenantfold.table_results WHERE run_id = '"
                    + result.runId()
                    + "' AND status = 'MISMATCH' AND NOT published"))
        .isEqualTo(1);
  }

  @Test
  void extractSeesOneSnapshotWhileTheTenantKeepsWriting() throws Exception {
    String bank = TestPostgres.createDatabase("tenant_bank");
    TestPostgres.execute(
        bank,
        """
        CREATE TABLE accounts (id bigint PRIMARY KEY, balance bigint NOT NULL);
        INSERT INTO accounts SELECT g, 1000 FROM generate_series(1, 200000) g;
        CREATE TABLE ledger (id bigserial PRIMARY KEY, account bigint NOT NULL, delta bigint NOT NULL);
        ANALYZE;
        """);
    String warehouse = Fixtures.emptyWarehouse();
    java.util.concurrent.atomic.AtomicBoolean stop =
        new java.util.concurrent.atomic.AtomicBoolean();
    java.util.concurrent.atomic.AtomicLong transfers = new java.util.concurrent.atomic.AtomicLong();
    Thread writer =
        new Thread(
            () -> {
              java.util.Random random = new java.util.Random(7);
              try (var conn = TestPostgres.connect(bank);
                  var st = conn.createStatement()) {
                conn.setAutoCommit(false);
                while (!stop.get()) {
                  long from = 1 + random.nextInt(200000);
                  long to = 1 + random.nextInt(200000);
                  // Money moves between accounts, and every move is journalled in two ledger rows:
                  // invariants a torn read would break.
                  st.execute(
                      "UPDATE accounts SET balance = balance - 5 WHERE id = "
                          + from
                          + "; UPDATE accounts SET balance = balance + 5 WHERE id = "
                          + to
                          + "; INSERT INTO ledger (account, delta) VALUES ("
                          + from
                          + ", -5), ("
                          + to
                          + ", 5)");
                  conn.commit();
                  transfers.incrementAndGet();
                }
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    writer.start();
    while (transfers.get() < 200) {
      Thread.sleep(10);
    }
    RunResult result;
    try {
      result =
          run(
              Fixtures.config(warehouse)
                  .tenant("bank", bank)
                  .set("extract.rows-per-partition", 20000)
                  .build(reports));
    } finally {
      stop.set(true);
      writer.join();
    }

    assertThat(result.exitCode()).as("tenants: %s", result.tenants()).isZero();
    assertThat(table(result, "bank", "accounts").counts().partitions()).isGreaterThan(4);
    assertThat(
            RowSets.count(
                warehouse, "SELECT sum(balance) FROM public.accounts WHERE tenant_id = 'bank'"))
        .isEqualTo(200000L * 1000);
    long ledgerRows =
        RowSets.count(warehouse, "SELECT count(*) FROM public.ledger WHERE tenant_id = 'bank'");
    assertThat(ledgerRows % 2).as("ledger rows come in pairs").isZero();
    assertThat(
            RowSets.count(
                warehouse,
                "SELECT coalesce(sum(delta), 0) FROM public.ledger WHERE tenant_id = 'bank'"))
        .isZero();
    assertThat(
            RowSets.count(
                warehouse,
                "SELECT count(*) FROM public.accounts WHERE tenant_id = 'bank' AND balance <>"
                    + " 1000"))
        .as("accounts touched by transfers seen in the snapshot")
        .isPositive();
    assertThat(RowSets.count(bank, "SELECT count(*) FROM ledger"))
        .as("the tenant kept writing after the snapshot")
        .isGreaterThan(ledgerRows);
  }

  @Test
  void aPublishThatCannotGetItsLocksFailsAndLeavesThePublishedTenantAsItWas() throws Exception {
    String acme = Fixtures.demoTenant("acme", 60);
    String warehouse = Fixtures.emptyWarehouse();
    assertThat(run(Fixtures.config(warehouse).tenant("acme", acme).build(reports)).exitCode())
        .isZero();
    List<String> before =
        RowSets.rows(warehouse, "SELECT ROW(i.*)::text FROM public.order_items i");
    TestPostgres.execute(acme, "DELETE FROM order_items WHERE line_no = 2");

    RunResult blocked;
    try (var reader = TestPostgres.connect(warehouse);
        var st = reader.createStatement()) {
      reader.setAutoCommit(false);
      st.execute("LOCK TABLE public.order_items IN ACCESS SHARE MODE");
      blocked =
          run(
              Fixtures.config(warehouse)
                  .tenant("acme", acme)
                  .set("publish.lock-timeout", "3s")
                  .build(reports));
      reader.rollback();
    }

    assertThat(blocked.exitCode()).isEqualTo(1);
    assertThat(tenant(blocked, "acme").published()).isFalse();
    assertThat(tenant(blocked, "acme").message())
        .contains("Cannot publish tenant acme", "could not lock", "publish.lock-timeout");
    assertThat(RowSets.rows(warehouse, "SELECT ROW(i.*)::text FROM public.order_items i"))
        .as("published rows unchanged")
        .isEqualTo(before);
    assertThat(
            RowSets.count(
                warehouse,
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'tenantfold_staging'"))
        .as("staging dropped")
        .isZero();

    // An index analysts added to the consolidated table: the new partition gets it before the swap.
    TestPostgres.execute(
        warehouse,
        "CREATE INDEX items_by_sku ON public.order_items (tenant_id, sku); CREATE INDEX \"odd USING"
            + " name\" ON public.order_items (lower(sku)) WHERE qty > 1; ALTER TABLE"
            + " public.order_items ADD CONSTRAINT one_sku_per_line UNIQUE (tenant_id, order_id,"
            + " line_no, sku)");
    RunResult retried = run(Fixtures.config(warehouse).tenant("acme", acme).build(reports));
    assertThat(retried.exitCode()).isZero();
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                    + " WHERE i.inhparent = 'items_by_sku'::regclass"))
        .as("built on staging before the swap, not by ATTACH under lock")
        .singleElement()
        .asString()
        .endsWith("_ix0");
    assertThat(
            RowSets.count(
                warehouse,
                "SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE"
                    + " i.inhparent = '\"odd USING name\"'::regclass AND c.relname LIKE '%\\_ix_'"))
        .as("expression/partial index copied too")
        .isEqualTo(1);
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                    + " WHERE i.inhparent = 'one_sku_per_line'::regclass"))
        .as("the unique constraint copied too, named as on the consolidated table (errors name it)")
        .containsExactly("one_sku_per_line");
    RowSets.assertSameRows(acme, warehouse, "acme", "order_items", DEMO_COLUMNS.get("order_items"));
  }

  @Test
  void theTargetEvolvesWhenATenantLacksAColumnOrBringsANewOne() throws Exception {
    String alpha = TestPostgres.createDatabase("tenant_alpha");
    String beta = TestPostgres.createDatabase("tenant_beta");
    TestPostgres.execute(
        alpha,
        "CREATE TABLE t (id int PRIMARY KEY, code text NOT NULL); INSERT INTO t VALUES (1, 'a1'),"
            + " (2, '')");
    TestPostgres.execute(
        beta,
        "CREATE TABLE t (id int PRIMARY KEY, extra numeric(6,2)); INSERT INTO t VALUES (1, 1.50),"
            + " (3, NULL)");
    String warehouse = Fixtures.emptyWarehouse();
    assertThat(run(Fixtures.config(warehouse).tenant("alpha", alpha).build(reports)).exitCode())
        .isZero();

    RunResult both =
        run(Fixtures.config(warehouse).tenant("alpha", alpha).tenant("beta", beta).build(reports));

    assertThat(both.exitCode()).as("tenants: %s", both.tenants()).isZero();
    assertThat(
            RowSets.rows(warehouse, "SELECT ROW(tenant_id, id, code, extra)::text FROM public.t"))
        .containsExactly("(alpha,1,a1,)", "(alpha,2,\"\",)", "(beta,1,,1.50)", "(beta,3,,)");
    assertThat(table(both, "beta", "t").checksum().mismatchedBuckets()).isZero();
  }

  @Test
  void domainsArraysOfDomainsAndInheritanceLoadIntoAnotherSchema() throws Exception {
    String gamma = TestPostgres.createDatabase("tenant_gamma");
    TestPostgres.execute(
        gamma,
        """
        CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
        CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
        CREATE DOMAIN feeling AS mood;
        CREATE TABLE d (id int PRIMARY KEY, p posint, ps posint[], f feeling, fs feeling[]);
        INSERT INTO d VALUES (1, 5, '{1,2,NULL}', 'happy', '{sad,ok}'), (2, NULL, NULL, NULL, '{}');
        CREATE TABLE base (id int, note text);
        CREATE TABLE child (extra text) INHERITS (base);
        INSERT INTO base VALUES (1, 'parent row');
        INSERT INTO child VALUES (2, 'child row', 'x');
        """);
    String warehouse = Fixtures.emptyWarehouse();

    RunResult result =
        run(
            Fixtures.config(warehouse)
                .tenant("gamma", gamma)
                .set("target.schema", "wh")
                .build(reports));

    assertThat(result.exitCode()).as("tenants: %s", result.tenants()).isZero();
    assertThat(RowSets.rows(warehouse, "SELECT ROW(id, p, ps, f, fs)::text FROM wh.d"))
        .containsExactly("(1,5,\"{1,2,NULL}\",happy,\"{sad,ok}\")", "(2,,,,{})");
    assertThat(RowSets.rows(warehouse, "SELECT note FROM wh.base"))
        .as("the parent's own rows only")
        .containsExactly("parent row");
    assertThat(RowSets.rows(warehouse, "SELECT note FROM wh.child")).containsExactly("child row");
  }

  @Test
  void aRunWhoseDriverDiedIsMarkedAbandonedAndItsStagingDroppedButALiveOneIsLeftAlone()
      throws Exception {
    String acme = Fixtures.demoTenant("acme", 20);
    String warehouse = Fixtures.emptyWarehouse();
    assertThat(run(Fixtures.config(warehouse).tenant("acme", acme).build(reports)).exitCode())
        .isZero();
    TestPostgres.execute(
        warehouse,
        """
        INSERT INTO tenantfold.runs (run_id, started_at, status) VALUES ('20260101T000000Z-dead', now(), 'running'),
          ('20260101T000000Z-live', now(), 'running');
        CREATE TABLE tenantfold_staging.orders__acme__20260101t000000z_dead_0badc0de (x int);
        CREATE TABLE tenantfold_staging.orders__acme__20260101t000000z_live_0badc0de (x int);
        """);
    RunResult next;
    try (var live = TestPostgres.connect(warehouse);
        var st = live.createStatement()) {
      // Another driver still running: it holds its run's lock.
      st.execute(
          "SELECT pg_advisory_lock(hashtextextended('tenantfold run ' || '20260101T000000Z-live',"
              + " 0))");
      next = run(Fixtures.config(warehouse).tenant("acme", acme).build(reports));
    }

    assertThat(next.exitCode()).isZero();
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT run_id || ' ' || status FROM tenantfold.runs WHERE run_id LIKE"
                    + " '20260101%'"))
        .containsExactlyInAnyOrder(
            "20260101T000000Z-dead abandoned", "20260101T000000Z-live running");
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT tablename FROM pg_tables WHERE schemaname = 'tenantfold_staging'"))
        .containsExactly("orders__acme__20260101t000000z_live_0badc0de");
  }

  @Test
  void aConnectionLostAtPublishCommitLeavesThePublishedTenantAndNoStaging() throws Exception {
    String acme = Fixtures.demoTenant("acme", 40);
    String warehouse = Fixtures.emptyWarehouse();
    assertThat(run(Fixtures.config(warehouse).tenant("acme", acme).build(reports)).exitCode())
        .isZero();
    List<String> before = RowSets.rows(warehouse, "SELECT ROW(c.*)::text FROM public.customers c");
    TestPostgres.execute(acme, "UPDATE customers SET name = 'changed' WHERE id = 1");
    // The publishing session dies at COMMIT (a deferred trigger on the report row it writes last).
    TestPostgres.execute(
        warehouse,
        """
        CREATE FUNCTION die_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.published THEN PERFORM pg_terminate_backend(pg_backend_pid()); END IF; RETURN NULL; END $$;
        CREATE CONSTRAINT TRIGGER die_at_commit AFTER INSERT ON tenantfold.table_results
          DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION die_at_commit();
        """);

    RunResult result = run(Fixtures.config(warehouse).tenant("acme", acme).build(reports));

    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(tenant(result, "acme").published()).isFalse();
    assertThat(tenant(result, "acme").message()).contains("Cannot publish tenant acme");
    assertThat(RowSets.rows(warehouse, "SELECT ROW(c.*)::text FROM public.customers c"))
        .as("published rows unchanged")
        .isEqualTo(before);
    assertThat(
            RowSets.count(
                warehouse,
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'tenantfold_staging'"))
        .as("staging dropped on a fresh connection")
        .isZero();
    assertThat(
            RowSets.count(
                warehouse,
                "SELECT count(*) FROM tenantfold.table_results WHERE run_id = '"
                    + result.runId()
                    + "' AND NOT published"))
        .as("the failure recorded on a fresh connection")
        .isEqualTo(4);
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
