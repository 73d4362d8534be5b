package dev.tenantfold.catchup;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.job.CatchUpJob;
import dev.tenantfold.job.MigrationJob;
import dev.tenantfold.report.RunResult;
import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cutover's verdict through {@code validate/TableVerifier} end to end (docs/catch-up.md,
 * "Cutover"): differing changed keys of two tables are listed up to 20 for the tenant and counted
 * per table past that; a row count carried below zero is a mismatch; with both repaired the tenant
 * cuts over.
 */
class CutoverVerdictTest {
  private final SparkSession spark = LocalSpark.session();

  @TempDir Path reports;

  private static final String SCHEMA =
      """
      CREATE TABLE items (id int PRIMARY KEY, v text NOT NULL);
      CREATE TABLE notes (id int PRIMARY KEY, v text NOT NULL);
      INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 100) g;
      INSERT INTO notes SELECT g, 'note ' || g FROM generate_series(1, 10) g;
      """;

  private TenantfoldConfig config(String warehouse, String url) {
    return TenantfoldConfig.fromConfig(
        ConfigFactory.parseString(
            """
            tenantfold {
              target { url = "%s", user = postgres, password = postgres }
              report.dir = "%s"
              tenants = [ { id = acme, jdbc { url = "%s", user = postgres, password = postgres },
                catch-up { mode = logical } } ]
            }
            """
                .formatted(warehouse, reports.toString().replace("\\", "/"), url)));
  }

  private static String cutover(CatchUpJob job) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int code = job.cutover("acme", new PrintStream(bytes, true, StandardCharsets.UTF_8));
    return code + "|" + bytes.toString(StandardCharsets.UTF_8);
  }

  private static String catchUp(CatchUpJob job) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int code = job.catchUp(List.of("acme"), new PrintStream(bytes, true, StandardCharsets.UTF_8));
    return code + "|" + bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void differingKeysAndACarriedCountBelowZeroAreMismatchesUntilRepaired() throws Exception {
    String url = TestPostgres.createDatabase("cutover_verdict");
    TestPostgres.execute(url, SCHEMA);
    String warehouse = Fixtures.emptyWarehouse();
    TenantfoldConfig config = config(warehouse, url);
    RunResult base = new MigrationJob(config, spark).execute();
    assertThat(base.exitCode()).as("run: %s", base.tenants()).isZero();
    CatchUpJob job = new CatchUpJob(config);
    TestPostgres.execute(url, "UPDATE items SET v = v || '+' WHERE id <= 25");
    TestPostgres.execute(url, "UPDATE notes SET v = v || '+' WHERE id <= 3");
    assertThat(catchUp(job)).as("catch-up").startsWith("0|");

    // 28 changed keys differ in the target: 20 listed for the tenant, the rest counted per table.
    String tamper = "UPDATE public.%s SET v = 'tampered' WHERE tenant_id = 'acme' AND id <= %d";
    TestPostgres.execute(warehouse, tamper.formatted("items", 25));
    TestPostgres.execute(warehouse, tamper.formatted("notes", 3));
    String keys = cutover(job);
    assertThat(keys)
        .as("differing keys")
        .startsWith("3|")
        .contains("MISMATCH")
        .contains("table items key [\"1\"]: source (1,\"item 1+\"), target (1,tampered)")
        .contains("... and 5 more keys of table items differ")
        .contains("... and 3 more keys of table notes differ")
        .doesNotContain("table notes key");
    assertThat(keys.lines().filter(l -> l.startsWith("  table items key ")).count())
        .as("keys listed for the tenant")
        .isEqualTo(20);
    String repair =
        "UPDATE public.%s SET v = '%s ' || id || '+' WHERE tenant_id = 'acme' AND id <= %d";
    TestPostgres.execute(warehouse, repair.formatted("items", "item", 25));
    TestPostgres.execute(warehouse, repair.formatted("notes", "note", 3));

    // The carried count of notes below zero: its base copy's 10 rows minus 1000 deletes.
    String delta =
        "UPDATE tenantfold.catchup_tables SET rows_delta = %d WHERE tenant_id = 'acme' AND"
            + " table_name = 'notes'";
    TestPostgres.execute(warehouse, delta.formatted(-1000));
    String counts = cutover(job);
    assertThat(counts)
        .as("carried count below zero")
        .startsWith("3|")
        .contains(
            "table notes: the base copy's rows plus the inserts minus the deletes applied since"
                + " is -990, below zero");
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT cutover_id || ' ' || verdict || ' ' || jsonb_array_length(differences)"
                    + " FROM tenantfold.cutovers WHERE tenant_id = 'acme'"))
        .as("each cutover's verdict and what differed, as recorded")
        .containsExactly("1 MISMATCH 22", "2 MISMATCH 1");
    TestPostgres.execute(warehouse, delta.formatted(0));

    assertThat(cutover(job))
        .as("repaired")
        .startsWith("0|")
        .contains("CUT OVER: the 28 keys changed since the base copy match the source")
        .contains("rows carried from the base copy: items 100, notes 10");
  }
}
