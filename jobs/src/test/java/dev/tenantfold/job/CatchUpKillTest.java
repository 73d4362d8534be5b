package dev.tenantfold.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.report.RunResult;
import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly once across kills: a {@code tenantfold catch-up} killed with {@code kill -9} after it
 * committed part of a backlog, then run again, applies every change once: after cutover the target
 * equals the source row for row.
 */
class CatchUpKillTest {
  private static final SparkSession spark = LocalSpark.session();

  @TempDir Path dir;

  @Test
  void aCatchUpKilledMidBacklogAndRunAgainConverges() throws Exception {
    String acme = TestPostgres.createDatabase("catchup_kill");
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

    // A backlog: 40 transactions of 5,000 changes each, a key update, deletes, updates leaving a
    // TOASTed value unchanged; every change counted as the source reports it.
    long changes = 0;
    try (Connection conn = TestPostgres.connect(acme);
        Statement st = conn.createStatement()) {
      changes +=
          st.executeUpdate(
              "INSERT INTO orders (customer_id, amount, status) SELECT 1, g, 'bulk' FROM"
                  + " generate_series(1, 3000) g");
      for (int i = 0; i < 40; i++) {
        changes +=
            st.executeUpdate(
                "UPDATE orders SET amount = amount + 1, status = 'round "
                    + i
                    + "' WHERE id IN (SELECT id FROM orders ORDER BY id LIMIT 5000)");
      }
      changes += st.executeUpdate("UPDATE orders SET id = id + 1000000 WHERE id % 97 = 0");
      changes += st.executeUpdate("DELETE FROM orders WHERE id % 13 = 0");
      changes += st.executeUpdate("UPDATE customers SET name = name || '!' WHERE id % 3 = 0");
    }

    long start = appliedPosition(warehouse);
    Process child = ChildJvm.tenantfold("catch-up", "--config", file.toString());
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    // Killed once the catch-up committed some batches: the kill lands between batches or inside
    // one.
    while (appliedPosition(warehouse) <= start && child.isAlive() && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(child.isAlive()).as("the catch-up is still running when killed").isTrue();
    child.destroyForcibly().waitFor();
    long killedAt = appliedPosition(warehouse);
    assertThat(killedAt).as("it had committed part of the backlog").isGreaterThan(start);

    CatchUpJob job = new CatchUpJob(config);
    String again = CatchUpTest.run(job);
    assertThat(again).as("catch-up again").startsWith("0|");
    String verdict = CatchUpTest.cutover(job, "acme");
    assertThat(verdict).startsWith("0|").contains("CUT OVER");
    CatchUpTest.assertSameTables(acme, warehouse, "acme");
    // The carried counts commit with the applied rows: exactly once across the kill too.
    CatchUpTest.assertCarriedCountsMatchSource(verdict, acme);
    assertThat(
            RowSets.count(
                warehouse,
                "SELECT applied_changes FROM tenantfold.catchup_state WHERE tenant_id = 'acme'"))
        .as("every change applied exactly once across the kill (none twice, none lost)")
        .isEqualTo(changes);
  }

  private static long appliedPosition(String warehouse) {
    return RowSets.count(
        warehouse,
        "SELECT COALESCE((SELECT applied_lsn - '0/0'::pg_lsn FROM tenantfold.catchup_state WHERE"
            + " tenant_id = 'acme'), 0)::bigint");
  }
}
