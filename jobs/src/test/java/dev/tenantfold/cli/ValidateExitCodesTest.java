package dev.tenantfold.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.job.MigrationJob;
import dev.tenantfold.report.RunResult;
import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The exit codes README promises for {@code tenantfold validate}, through the command line: 0 when
 * everything matches, 3 when something differs, 1 when a tenant could not be read (also when
 * another tenant differs), 2 for an unknown tenant or table, in which case nothing is written.
 */
class ValidateExitCodesTest {
  @TempDir static Path dir;

  private static String acme;
  private static String globex;
  private static String initech;
  private static String warehouse;
  private static int closedPort;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @BeforeAll
  static void publishThreeTenants() throws Exception {
    acme = Fixtures.demoTenant("v_acme", 15);
    globex = Fixtures.demoTenant("v_globex", 10);
    initech = Fixtures.demoTenant("v_initech", 10);
    warehouse = Fixtures.emptyWarehouse();
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    // Published through the job on the shared Spark session: the command under test here is
    // validate.
    RunResult published =
        new MigrationJob(
                Fixtures.config(warehouse)
                    .tenant("acme", acme)
                    .tenant("globex", globex)
                    .tenant("initech", initech)
                    .build(dir.resolve("reports")),
                LocalSpark.session())
            .execute();
    assertThat(published.exitCode()).as("publishing run: %s", published.tenants()).isZero();
  }

  /** A config file for the given tenants, each as (id, url). */
  @SafeVarargs
  private static Path conf(String name, List<String>... tenants) throws Exception {
    StringBuilder list = new StringBuilder();
    for (List<String> t : tenants) {
      list.append("    { id = ")
          .append(t.get(0))
          .append(", jdbc { url = \"")
          .append(t.get(1))
          .append("\", user = postgres, password = postgres } }\n");
    }
    Path file = dir.resolve(name + ".conf");
    Files.writeString(
        file,
        """
        tenantfold {
          target { url = "%s", user = postgres, password = postgres }
          tenants = [
        %s  ]
          report.dir = "%s"
        }
        """
            .formatted(warehouse, list, dir.resolve("reports")));
    return file;
  }

  private int validate(Path conf, String... more) {
    String[] args = new String[3 + more.length];
    args[0] = "validate";
    args[1] = "--config";
    args[2] = conf.toString();
    System.arraycopy(more, 0, args, 3, more.length);
    return TenantfoldMain.run(
        args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private static long validateRuns() {
    return RowSets.count(
        warehouse, "SELECT count(*) FROM tenantfold.runs WHERE command = 'validate'");
  }

  private static String latestValidateRun() {
    return RowSets.rows(
            warehouse,
            "SELECT run_id FROM tenantfold.runs WHERE command = 'validate' ORDER BY started_at DESC"
                + " LIMIT 1")
        .get(0);
  }

  @Test
  void publishedDataThatMatchesExitsZero() throws Exception {
    int code = validate(conf("ok", List.of("acme", acme), List.of("globex", globex)));

    assertThat(code).as("validate exit code; stdout:%n%s%nstderr:%n%s", out, err).isZero();
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT status FROM tenantfold.runs WHERE run_id = '" + latestValidateRun() + "'"))
        .as("recorded validate run")
        .containsExactly("succeeded");
  }

  @Test
  void anUnknownTenantOrTableExitsTwoAndWritesNothing() throws Exception {
    Path conf = conf("unknown", List.of("acme", acme), List.of("globex", globex));
    long before = validateRuns();

    assertThat(validate(conf, "--tenant", "nosuchco"))
        .as("exit code for an unknown tenant")
        .isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .as("stderr")
        .contains("nosuchco", "tenantfold.tenants");
    assertThat(validate(conf, "--table", "no_such_table"))
        .as("exit code for an unknown table")
        .isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).as("stderr").contains("no_such_table");
    assertThat(validate(conf, "--tenant", "acme", "--table", "no_such_table"))
        .as("exit code for a known tenant, unknown table")
        .isEqualTo(2);

    assertThat(validateRuns()).as("validate runs recorded after usage errors").isEqualTo(before);
  }

  @Test
  void aTenantThatCannotBeReadExitsOneAndTheOthersAreStillAudited() throws Exception {
    String unreachable = "jdbc:postgresql://127.0.0.1:" + closedPort + "/v_globex";

    int code = validate(conf("unreadable", List.of("acme", acme), List.of("globex", unreachable)));

    assertThat(code).as("validate exit code; stdout:%n%s%nstderr:%n%s", out, err).isEqualTo(1);
    assertThat(out.toString(StandardCharsets.UTF_8))
        .as("summary")
        .contains("globex", "127.0.0.1:" + closedPort);
    String run = latestValidateRun();
    assertThat(
            RowSets.rows(
                warehouse, "SELECT status FROM tenantfold.runs WHERE run_id = '" + run + "'"))
        .as("run status")
        .containsExactly("failed");
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT tenant_id || ' ' || table_name || ' ' || status FROM"
                    + " tenantfold.table_results WHERE run_id = '"
                    + run
                    + "' AND status <> 'OK'"))
        .as("verdicts other than OK")
        .containsExactly("globex * FAILED");
    assertThat(
            RowSets.count(
                warehouse,
                "SELECT count(*) FROM tenantfold.table_results WHERE run_id = '"
                    + run
                    + "' AND tenant_id = 'acme' AND status = 'OK'"))
        .as("acme tables audited OK")
        .isEqualTo(4);
  }

  @Test
  void aDifferenceExitsThreeAndWithAnUnreadableTenantBesideItExitsOne() throws Exception {
    TestPostgres.execute(
        initech, "UPDATE customers SET name = name || ' (changed after cutover)' WHERE id = 3");
    String unreachable = "jdbc:postgresql://127.0.0.1:" + closedPort + "/v_globex";

    int differs = validate(conf("differs", List.of("initech", initech)));
    int both = validate(conf("both", List.of("initech", initech), List.of("globex", unreachable)));

    assertThat(differs).as("exit code when initech differs; stdout:%n%s", out).isEqualTo(3);
    assertThat(both)
        .as("exit code when initech differs and globex cannot be read; stdout:%n%s", out)
        .isEqualTo(1);
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT tenant_id || ' ' || table_name || ' ' || status FROM"
                    + " tenantfold.table_results WHERE run_id = '"
                    + latestValidateRun()
                    + "' AND status <> 'OK'"))
        .as("verdicts of the combined audit")
        .containsExactlyInAnyOrder("initech customers MISMATCH", "globex * FAILED");
  }
}
