package dev.tenantfold.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a user sees on the command line when a database, a table or a setting is not what the job
 * expects: exit code, and a message naming the tenant, host, table or key and what to do.
 */
class TenantfoldMainDiagnosticsTest {
  @TempDir Path dir;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int main(String... args) {
    return TenantfoldMain.run(
        args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String output() {
    return "stdout:\n" + out + "\nstderr:\n" + err;
  }

  private Path config(String targetUrl, String tenantId, String tenantUrl) throws Exception {
    Path conf = dir.resolve("job.conf");
    Files.writeString(
        conf,
        """
        tenantfold {
          target { url = "%s", user = postgres, password = postgres }
          tenants = [ { id = %s, jdbc { url = "%s", user = postgres, password = "Tenant-Pa55-Secret" } } ]
          report.dir = "%s"
        }
        """
            .formatted(targetUrl, tenantId, tenantUrl, dir.resolve("reports")));
    return conf;
  }

  @Test
  void validateCountsASourceTableThatIsMissingInTheTargetAndReportsAMismatch() throws Exception {
    String acme = TestPostgres.createDatabase("diag_missing_acme");
    TestPostgres.execute(
        acme,
        "CREATE TABLE invoices (id int PRIMARY KEY, amount numeric(10,2)); INSERT INTO invoices"
            + " VALUES (1, 9.99), (2, 0), (3, NULL)");
    String warehouse = Fixtures.emptyWarehouse();

    int code = main("validate", "--config", config(warehouse, "acme", acme).toString());

    assertThat(code).as(output()).isEqualTo(3);
    assertThat(out.toString())
        .as("summary line: tenant, table, the real source count, status")
        .containsPattern("acme\\s+invoices\\s+3\\s+-\\s+0\\s+3/1024 differ\\s+MISMATCH")
        .contains(
            "table public.invoices is missing in the target",
            "its 3 source rows are not published");
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT source_rows || ' ' || status || ' ' || (message LIKE '%missing in the"
                    + " target%') FROM tenantfold.table_results WHERE tenant_id = 'acme' AND"
                    + " table_name = 'invoices'"))
        .containsExactly("3 MISMATCH true");
  }

  @Test
  void anUnknownSourceHostIsNamedWithTenantHostAndPort() throws Exception {
    int code =
        main(
            "validate",
            "--config",
            config(
                    Fixtures.emptyWarehouse(),
                    "acme",
                    "jdbc:postgresql://db.invalid:5432/acme?ssl=true")
                .toString());

    assertThat(code).as(output()).isEqualTo(1);
    assertThat(out.toString())
        .contains(
            "Cannot connect to the source of tenant acme (host db.invalid:5432/acme): unknown host"
                + " db.invalid")
        .doesNotContain("The connection attempt failed", "Tenant-Pa55-Secret", "ssl=true");
  }

  @Test
  void anUnreachableTargetIsNamedWithHostAndPort() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    int code =
        main(
            "validate",
            "--config",
            config(
                    "jdbc:postgresql://127.0.0.1:" + closedPort + "/wh",
                    "acme",
                    TestPostgres.url("postgres"))
                .toString());

    assertThat(code).as(output()).isEqualTo(1);
    assertThat(err.toString())
        .contains(
            "Cannot connect to ", "(host 127.0.0.1:" + closedPort + "/wh): connection refused")
        .doesNotContain("Tenant-Pa55-Secret");
  }

  @Test
  void aQuotedSetValueIsReadWithoutItsQuotesAndAnUnknownHostFailsOnlyItsTenant() throws Exception {
    String acme = Fixtures.demoTenant("quoted", 5);
    String warehouse = Fixtures.emptyWarehouse();
    Path conf = dir.resolve("two.conf");
    Files.writeString(
        conf,
        """
        tenantfold {
          target { url = "%s", user = postgres, password = postgres }
          tenants = [
            { id = acme, jdbc { url = "%s", user = postgres, password = postgres } }
            { id = ghost, jdbc { url = "jdbc:postgresql://ghost.invalid/ghost", user = postgres, password = "Tenant-Pa55-Secret" } }
          ]
          report.dir = "%s"
        }
        """
            .formatted(warehouse, acme, dir.resolve("reports")));

    // What a shell passes for --set 'target.schema="wh"'.
    int code = main("run", "--config", conf.toString(), "--set", "target.schema=\"wh\"");

    assertThat(code).as(output()).isEqualTo(1);
    assertThat(
            RowSets.rows(
                warehouse, "SELECT nspname FROM pg_namespace WHERE nspname LIKE '%wh%' ORDER BY 1"))
        .containsExactly("wh");
    assertThat(RowSets.count(warehouse, "SELECT count(*) FROM wh.orders WHERE tenant_id = 'acme'"))
        .isPositive();
    assertThat(out.toString())
        .contains(
            "Cannot connect to the source of tenant ghost (host ghost.invalid:5432/ghost): unknown"
                + " host ghost.invalid")
        .doesNotContain("Tenant-Pa55-Secret");
  }

  @Test
  void aTenantUrlThatIsNotJdbcPostgresqlIsAConfigurationError() throws Exception {
    int code =
        main(
            "run",
            "--config",
            config("jdbc:postgresql://h/wh", "acme", "postgresql://bob:Url-Secret@db.example/acme")
                .toString());

    assertThat(code).as(output()).isEqualTo(2);
    assertThat(err.toString())
        .contains(
            "Cannot read config key tenantfold.tenants[0].jdbc.url: tenant acme's URL must start"
                + " with jdbc:postgresql:")
        .doesNotContain("Url-Secret", "Tenant-Pa55-Secret");
  }
}
