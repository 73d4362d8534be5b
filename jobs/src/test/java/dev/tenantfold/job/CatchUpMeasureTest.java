package dev.tenantfold.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.report.RunResult;
import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.TestPostgres;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * The figures of docs/catch-up.md: the rate a backlog drains at (large and small source
 * transactions) and the cutover's freeze window at two table sizes. Opt-in (minutes): {@code
 * -Dcatchup.measure=true -Dtest=CatchUpMeasureTest}.
 */
@EnabledIfSystemProperty(named = "catchup.measure", matches = "true")
class CatchUpMeasureTest {
  private static final SparkSession spark = LocalSpark.session();

  @TempDir Path reports;

  @Test
  void measure() throws Exception {
    for (String rows : System.getProperty("catchup.measure.rows", "100000,1000000").split(",")) {
      measureAt(Integer.parseInt(rows.trim()));
    }
  }

  private void measureAt(int rows) throws Exception {
    String acme = TestPostgres.createDatabase("catchup_measure");
    TestPostgres.execute(
        acme,
        "CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id int NOT NULL, amount"
            + " numeric(12,2), status text, placed timestamptz DEFAULT now()); INSERT INTO orders"
            + " (customer_id, amount, status) SELECT g % 1000, g * 0.01, 'new' FROM"
            + " generate_series(1, "
            + rows
            + ") g");
    String warehouse = Fixtures.emptyWarehouse();
    TenantfoldConfig config =
        TenantfoldConfig.fromConfig(
            ConfigFactory.parseString(CatchUpTest.hocon(warehouse, "acme", acme, ""))
                .withFallback(
                    ConfigFactory.parseString("tenantfold.report.dir = \"" + reports + "\"")));
    RunResult result = new MigrationJob(config, spark).execute();
    assertThat(result.exitCode()).isZero();
    CatchUpJob job = new CatchUpJob(config);

    // The same keys change at every size (ids 1 to 100,000), so the cutovers compare as many
    // changed keys and differ only in the tables' size. Large transactions: 10 x 10,000 updates.
    for (int i = 0; i < 10; i++) {
      TestPostgres.execute(
          acme,
          "UPDATE orders SET amount = amount + 1 WHERE id BETWEEN "
              + (i * 10_000 + 1)
              + " AND "
              + (i + 1) * 10_000);
    }
    System.out.println("MEASURE rows=" + rows + " large: " + CatchUpTest.run(job).trim());
    // Small transactions: 20,000 of 1 to 3 rows, as an application writes.
    try (Connection conn = TestPostgres.connect(acme);
        Statement st = conn.createStatement()) {
      for (int i = 0; i < 20_000; i++) {
        switch (i % 3) {
          case 0 ->
              st.execute(
                  "INSERT INTO orders (customer_id, amount, status) VALUES (1, 1, 'x'), (2, 2,"
                      + " 'y')");
          case 1 ->
              st.execute("UPDATE orders SET status = 'paid' WHERE id = " + (1 + i * 7 % 100_000));
          default -> st.execute("DELETE FROM orders WHERE id = " + (1 + i * 13 % 100_000));
        }
      }
    }
    System.out.println("MEASURE rows=" + rows + " small: " + CatchUpTest.run(job).trim());
    // The last writes before the freeze, then the cutover.
    for (int i = 0; i < 100; i++) {
      TestPostgres.execute(acme, "UPDATE orders SET status = 'last' WHERE id = " + (i + 1));
    }
    System.out.println(
        "MEASURE rows=" + rows + " cutover: " + CatchUpTest.cutover(job, "acme").trim());
  }
}
