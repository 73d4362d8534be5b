package dev.tenantfold.catchup;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.job.CatchUpJob;
import dev.tenantfold.job.MigrationJob;
import dev.tenantfold.report.RunResult;
import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.TestPostgres;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * The figures of docs/catch-up.md, "Cursor mode": what a cursor catch-up and cutover cost at two
 * table sizes with the same 1,000 changed rows (the key comparison grows with the table). Opt-in
 * (minutes): {@code -Dcatchup.measure=true -Dtest=CursorCatchUpMeasureTest}; sizes by {@code
 * -Dcatchup.measure.rows=100000,1000000}. Prints each catch-up's and cutover's line, the load
 * average, and the driver JVM's CPU time per command.
 */
@EnabledIfSystemProperty(named = "catchup.measure", matches = "true")
class CursorCatchUpMeasureTest {
  private final SparkSession spark = LocalSpark.session();

  @TempDir Path reports;

  @Test
  void measure() throws Exception {
    for (String rows : System.getProperty("catchup.measure.rows", "100000,1000000").split(",")) {
      measureAt(Integer.parseInt(rows.trim()));
    }
  }

  private void measureAt(int rows) throws Exception {
    String acme = TestPostgres.createDatabase("cursor_measure");
    TestPostgres.execute(
        acme,
        "CREATE TABLE orders (id bigint PRIMARY KEY, amount numeric(12,2), updated_at timestamptz"
            + " NOT NULL); CREATE INDEX ON orders (updated_at); INSERT INTO orders SELECT g, g *"
            + " 0.01, timestamptz '2020-01-01' + g * interval '1 second' FROM generate_series(1, "
            + rows
            + ") g");
    String warehouse = Fixtures.emptyWarehouse();
    TenantfoldConfig config =
        TenantfoldConfig.fromConfig(
            ConfigFactory.parseString(
                """
                tenantfold {
                  target { url = "%s", user = postgres, password = postgres }
                  report.dir = "%s"
                  tenants = [ { id = acme, jdbc { url = "%s", user = postgres, password = postgres },
                    catch-up { mode = cursor, cursor-column = updated_at } } ]
                }
                """
                    .formatted(warehouse, reports, acme)));
    RunResult result = new MigrationJob(config, spark).execute();
    assertThat(result.exitCode()).isZero();
    CatchUpJob job = new CatchUpJob(config);
    // 1,000 changed rows at every size: 500 updates, 250 inserts, 250 deletes.
    TestPostgres.execute(
        acme,
        "UPDATE orders SET amount = 0, updated_at = clock_timestamp() WHERE id <= 500; INSERT INTO"
            + " orders SELECT "
            + rows
            + " + g, 1, clock_timestamp() FROM generate_series(1, 250) g; DELETE FROM orders WHERE"
            + " id BETWEEN 1001 AND 1250");
    report(rows, "catch-up", () -> job.catchUp(List.of(), out()));
    report(rows, "catch-up again, nothing new", () -> job.catchUp(List.of(), out()));
    report(rows, "cutover", () -> job.cutover("acme", out()));
  }

  private ByteArrayOutputStream bytes;

  private PrintStream out() {
    bytes = new ByteArrayOutputStream();
    return new PrintStream(bytes, true, StandardCharsets.UTF_8);
  }

  private interface Command {
    int run() throws Exception;
  }

  private void report(int rows, String what, Command command) throws Exception {
    var threads = ManagementFactory.getThreadMXBean();
    long cpu0 = threads.getCurrentThreadCpuTime();
    long t0 = System.nanoTime();
    int code = command.run();
    long wall = System.nanoTime() - t0;
    long cpu = threads.getCurrentThreadCpuTime() - cpu0;
    String load = Files.readString(Path.of("/proc/loadavg")).trim();
    System.out.printf(
        "MEASURE rows=%d %s: exit %d, wall %.1f s, driver thread CPU %.1f s, loadavg %s%n%s%n",
        rows, what, code, wall / 1e9, cpu / 1e9, load, bytes.toString(StandardCharsets.UTF_8));
    assertThat(code).as(what).isZero();
  }
}
