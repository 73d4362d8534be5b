package dev.tenantfold.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.report.RunResult;
import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Production's disk is protected (docs/catch-up.md): a slot holding more WAL than {@code
 * catch-up.max-retained-wal} is dropped with its publication and the tenant asks for a full reload;
 * a slot dropped by someone else gives a clear message, not a raw error.
 */
class CatchUpWalGuardTest {
  private static final SparkSession spark = LocalSpark.session();

  @TempDir Path reports;

  private TenantfoldConfig config(String warehouse, String url, String catchUp) {
    return CatchUpTest.acmeOnly(warehouse, reports, url, catchUp);
  }

  @Test
  void aSlotPastMaxRetainedWalIsDroppedWithItsPublicationAndTheTenantAsksForAReload()
      throws Exception {
    String url = TestPostgres.createDatabase("catchup_walguard");
    TestPostgres.execute(
        url,
        "CREATE TABLE items (id int PRIMARY KEY, v text); INSERT INTO items SELECT g, 'v' || g"
            + " FROM generate_series(1, 100) g");
    String warehouse = Fixtures.emptyWarehouse();
    TenantfoldConfig config = config(warehouse, url, "mode = logical");
    RunResult result = new MigrationJob(config, spark).execute();
    assertThat(result.exitCode()).as("run: %s", result.tenants()).isZero();
    TestPostgres.execute(url, "UPDATE items SET v = v || '!' WHERE id <= 10");
    assertThat(CatchUpTest.run(new CatchUpJob(config)))
        .as("under the default limit (10GB) catch-up applies")
        .startsWith("0|");

    // Some writes: the slot now holds far more than 8 kB of WAL.
    TestPostgres.execute(
        url,
        "INSERT INTO items SELECT g, repeat('x', 200) FROM generate_series(101, 2000) g; UPDATE"
            + " items SET v = v || '?'");
    long retained =
        RowSets.count(
            url,
            "SELECT (pg_current_wal_lsn() - restart_lsn)::bigint FROM pg_replication_slots WHERE"
                + " slot_name = 'tenantfold_acme'");
    assertThat(retained).as("WAL the slot holds").isGreaterThan(8 * 1024);
    CatchUpJob guarded =
        new CatchUpJob(config(warehouse, url, "mode = logical, max-retained-wal = 8kB"));
    String out = CatchUpTest.run(guarded);
    assertThat(out)
        .startsWith("1|")
        .contains("Cannot catch up tenant acme")
        .contains("replication slot tenantfold_acme holds")
        .contains("more than catch-up.max-retained-wal (8000 bytes)")
        .contains("were dropped")
        .contains("must be run again (tenantfold run, a full reload");
    assertThat(RowSets.count(url, "SELECT count(*) FROM pg_replication_slots"))
        .as("the slot is dropped: the source's WAL is freed")
        .isZero();
    assertThat(RowSets.count(url, "SELECT count(*) FROM pg_publication"))
        .as("the publication Tenantfold created is dropped")
        .isZero();
    assertThat(
            RowSets.rows(
                warehouse, "SELECT status FROM tenantfold.catchup_state WHERE tenant_id = 'acme'"))
        .containsExactly("slot-dropped");
    assertThat(CatchUpTest.run(new CatchUpJob(config)))
        .as("a later catch-up, even under a larger limit, never resumes: it asks for a reload")
        .startsWith("1|")
        .contains("its replication slot was dropped")
        .contains("must be run again");

    // A new base copy starts over with a new slot.
    result = new MigrationJob(config, spark).execute();
    assertThat(result.exitCode()).as("run again: %s", result.tenants()).isZero();
    TestPostgres.execute(url, "DELETE FROM items WHERE id > 1990");
    assertThat(CatchUpTest.run(new CatchUpJob(config))).startsWith("0|");
    assertThat(
            RowSets.count(warehouse, "SELECT count(*) FROM public.items WHERE tenant_id = 'acme'"))
        .isEqualTo(1990);
  }

  @Test
  void aSlotDroppedBySomeoneElseGivesAClearMessage() throws Exception {
    String url = TestPostgres.createDatabase("catchup_slot_gone");
    TestPostgres.execute(
        url, "CREATE TABLE items (id int PRIMARY KEY, v text); INSERT INTO items VALUES (1, 'a')");
    String warehouse = Fixtures.emptyWarehouse();
    TenantfoldConfig config = config(warehouse, url, "mode = logical");
    RunResult result = new MigrationJob(config, spark).execute();
    assertThat(result.exitCode()).as("run: %s", result.tenants()).isZero();
    TestPostgres.execute(url, "SELECT pg_drop_replication_slot('tenantfold_acme')");
    assertThat(CatchUpTest.run(new CatchUpJob(config)))
        .startsWith("1|")
        .contains("replication slot tenantfold_acme is gone from the source (someone dropped it)")
        .contains("run the tenant again (tenantfold run, a full reload");
  }

  @Test
  void aSlotPostgresInvalidatedIsDroppedNeverResumed() throws Exception {
    String url = TestPostgres.createDatabase("catchup_slot_lost");
    TestPostgres.execute(
        url, "CREATE TABLE items (id int PRIMARY KEY, v text); INSERT INTO items VALUES (1, 'a')");
    String warehouse = Fixtures.emptyWarehouse();
    TenantfoldConfig config = config(warehouse, url, "mode = logical");
    RunResult result = new MigrationJob(config, spark).execute();
    assertThat(result.exitCode()).as("run: %s", result.tenants()).isZero();
    TestPostgres.execute(url, "INSERT INTO items VALUES (2, 'b')");
    // PostgreSQL invalidates a slot holding more than max_slot_wal_keep_size at a checkpoint.
    TestPostgres.execute(url, "ALTER SYSTEM SET max_slot_wal_keep_size = '1MB'");
    TestPostgres.execute(url, "SELECT pg_reload_conf()");
    try {
      long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MINUTES.toNanos(2);
      while (RowSets.count(
                  url,
                  "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'tenantfold_acme'"
                      + " AND wal_status = 'lost'")
              == 0
          && System.nanoTime() < deadline) {
        TestPostgres.execute(
            url, "INSERT INTO items SELECT g, repeat('y', 500) FROM generate_series(3, 3000) g");
        TestPostgres.execute(url, "DELETE FROM items WHERE id > 2");
        TestPostgres.execute(url, "SELECT pg_switch_wal()");
        TestPostgres.execute(url, "CHECKPOINT");
      }
    } finally {
      TestPostgres.execute(url, "ALTER SYSTEM RESET max_slot_wal_keep_size");
      TestPostgres.execute(url, "SELECT pg_reload_conf()");
    }
    assertThat(
            RowSets.rows(
                url,
                "SELECT wal_status FROM pg_replication_slots WHERE slot_name = 'tenantfold_acme'"))
        .as("PostgreSQL invalidated the slot")
        .containsExactly("lost");
    assertThat(CatchUpTest.run(new CatchUpJob(config)))
        .startsWith("1|")
        .contains("PostgreSQL invalidated replication slot tenantfold_acme (wal_status = lost")
        .contains("must be run again (tenantfold run, a full reload");
    assertThat(RowSets.count(url, "SELECT count(*) FROM pg_replication_slots"))
        .as("a lost slot is dropped, never resumed from")
        .isZero();
    assertThat(RowSets.count(url, "SELECT count(*) FROM pg_publication")).isZero();
  }
}
