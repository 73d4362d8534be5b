package dev.tenantfold.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line contract: exit codes, messages naming the key, and no secret in any output. */
class TenantfoldMainTest {
  @TempDir Path dir;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int main(String... args) {
    return TenantfoldMain.run(
        args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @Test
  void usageAndConfigErrorsExitTwoNamingTheProblem() throws Exception {
    assertThat(main()).isEqualTo(2);
    assertThat(main("frobnicate")).isEqualTo(2);
    assertThat(err.toString()).contains("Unknown command 'frobnicate'", "Usage:");
    assertThat(main("run")).isEqualTo(2);
    assertThat(err.toString()).contains("needs --config FILE");
    Path conf = dir.resolve("bad.conf");
    Files.writeString(
        conf,
        "tenantfold { target { url = \"jdbc:postgresql://h/db\" }, tenants = [ { id = a, jdbc { url"
            + " = \"jdbc:postgresql://h/a\", pasword = x } } ] }");
    assertThat(main("run", "--config", conf.toString())).isEqualTo(2);
    assertThat(err.toString()).contains("tenantfold.tenants[0].jdbc.pasword");
    assertThat(main("run", "--config", conf.toString(), "--tenant", "a")).isEqualTo(2);
    assertThat(err.toString())
        .contains(
            "Unknown option '--tenant' for 'run' (valid: --config, --set, --allow-shrink,"
                + " --only-failed, --resume)");
    // Help for a command is the usage, on stdout, exit 0.
    assertThat(main("validate", "--help")).isZero();
    assertThat(out.toString())
        .contains("tenantfold validate --config FILE", "--tenant ID", "Exit codes:")
        .doesNotContain("tenantfold plan");
  }

  @Test
  void runPublishesAndKeepsSecretsOutOfOutputAndReport() throws Exception {
    String secret = "Very-Secret-Pa55word";
    TestPostgres.createPasswordRole("tf_cli_user", secret);
    String tenant = Fixtures.demoTenant("cli", 30);
    String warehouse = Fixtures.emptyWarehouse();
    Path reports = dir.resolve("reports");
    Path conf = dir.resolve("job.conf");
    Files.writeString(
        conf,
        """
        tenantfold {
          target { url = "%s", user = tf_cli_user, password = ${?TF_NOT_SET} }
          tenants = [ { id = cli, jdbc { url = "%s", user = tf_cli_user, password = "%s" } } ]
          report.dir = "%s"
        }
        """
            .formatted(warehouse, tenant, secret, reports));

    int code =
        main(
            "run",
            "--config",
            conf.toString(),
            "--set",
            "target.password=" + secret,
            "--set",
            "extract.rows-per-partition=50");

    assertThat(code).as("stdout:%n%s%nstderr:%n%s", out, err).isZero();
    assertThat(out.toString()).contains("cli", "orders", "succeeded").doesNotContain(secret);
    assertThat(err.toString()).doesNotContain(secret);
    assertThat(
            RowSets.count(warehouse, "SELECT count(*) FROM public.orders WHERE tenant_id = 'cli'"))
        .isEqualTo(94);
    try (Stream<Path> files = Files.walk(reports)) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        assertThat(new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1))
            .as("report file %s", file)
            .doesNotContain(secret);
      }
    }
  }
}
