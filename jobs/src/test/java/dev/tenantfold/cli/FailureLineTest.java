package dev.tenantfold.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.LogCapture;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A command that fails says so once, naming the command. */
class FailureLineTest {
  @TempDir Path dir;

  @Test
  void aWrongPasswordDuringPlanIsOneLineNamingPlan() throws Exception {
    dev.tenantfold.testing.TestPostgres.createPasswordRole("tf_failline_user", "right-password");
    String tenant = Fixtures.demoTenant("failline", 5);
    String warehouse = Fixtures.emptyWarehouse();
    Path conf = dir.resolve("job.conf");
    Files.writeString(
        conf,
        """
        tenantfold {
          target { url = "%s", user = tf_failline_user, password = "not-the-password" }
          tenants = [ { id = a, jdbc { url = "%s", user = postgres, password = postgres } } ]
          report.dir = "%s"
        }
        """
            .formatted(warehouse, tenant, dir.resolve("reports")));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit;
    String console;
    try (LogCapture capture = LogCapture.start()) {
      exit =
          TenantfoldMain.run(
              new String[] {"plan", "--config", conf.toString()},
              new PrintStream(out, true, StandardCharsets.UTF_8),
              new PrintStream(err, true, StandardCharsets.UTF_8));
      console = capture.log();
    }
    String stderr = err.toString(StandardCharsets.UTF_8);
    assertThat(exit).isEqualTo(1);
    assertThat(stderr).startsWith("tenantfold: plan failed: ").doesNotContain("run failed");
    assertThat(stderr.lines().filter(l -> l.contains("failed")).count()).isEqualTo(1);
    assertThat(console).doesNotContain("Run failed").doesNotContain("not-the-password");
  }
}
