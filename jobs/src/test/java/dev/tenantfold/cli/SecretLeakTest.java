package dev.tenantfold.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.LogCapture;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No configured password reaches any output of a run that fails in every way a run can: a wrong
 * source password, an unreachable tenant whose URL carries a password parameter, a tenant failing
 * validation, next to one that publishes. Every log event (all loggers, Tenantfold at TRACE),
 * stdout, stderr, report.json and the report tables are searched for each password.
 */
class SecretLeakTest {
  private static final SecureRandom RANDOM = new SecureRandom();

  @TempDir Path dir;

  private static String secret(String prefix) {
    byte[] bytes = new byte[12];
    RANDOM.nextBytes(bytes);
    return prefix + "-" + HexFormat.of().formatHex(bytes);
  }

  @Test
  void aFailingRunWritesNoPasswordToLogsOutputReportsOrReportTables() throws Exception {
    String targetPassword = secret("TgtPw");
    String sourcePassword = secret("SrcPw");
    String wrongPassword = secret("WrongPw");
    String urlPassword = secret("UrlPw");
    TestPostgres.createPasswordRole("tf_leak_target", targetPassword);
    TestPostgres.createPasswordRole("tf_leak_source", sourcePassword);
    String okco = Fixtures.demoTenant("okco", 20);
    String mismatchco = Fixtures.demoTenant("mismatchco", 20);
    String badpass = Fixtures.demoTenant("badpass", 5);
    String warehouse = Fixtures.emptyWarehouse();
    Fixtures.stagingTrigger(
        warehouse,
        "order_items",
        "IF NEW.tenant_id = 'mismatchco' AND NEW.line_no = 2 THEN RETURN NULL; END IF; RETURN"
            + " NEW;");
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    Path reports = dir.resolve("reports");
    Path conf = dir.resolve("job.conf");
    Files.writeString(
        conf,
        """
        tenantfold {
          target { url = "%s", user = tf_leak_target }
          tenants = [
            { id = okco, jdbc { url = "%s", user = tf_leak_source, password = "%s" } }
            { id = mismatchco, jdbc { url = "%s", user = tf_leak_source, password = "%s" } }
            { id = badpass, jdbc { url = "%s", user = tf_leak_source, password = "%s" } }
            { id = urlpass, jdbc { url = "jdbc:postgresql://127.0.0.1:%d/urlpass?user=tf_leak_source&password=%s" } }
          ]
          report.dir = "%s"
        }
        """
            .formatted(
                warehouse,
                okco,
                sourcePassword,
                mismatchco,
                sourcePassword,
                badpass,
                wrongPassword,
                closedPort,
                urlPassword,
                reports));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();

    int code;
    String log;
    String console;
    try (LogCapture capture = LogCapture.start()) {
      code =
          TenantfoldMain.run(
              new String[] {
                "run", "--config", conf.toString(), "--set", "target.password=" + targetPassword
              },
              new PrintStream(out, true, StandardCharsets.UTF_8),
              new PrintStream(err, true, StandardCharsets.UTF_8));
      log = capture.log();
      console = capture.console();
    }

    assertThat(code)
        .as(
            "exit code of a run with failed and mismatched tenants; stdout:%n%s%nstderr:%n%s",
            out, err)
        .isEqualTo(1);
    // The capture saw the run: otherwise the absence of secrets below would prove nothing.
    assertThat(log)
        .as("captured log")
        .contains(
            "Effective configuration",
            "okco",
            "mismatchco",
            "badpass",
            "urlpass",
            "password authentication failed",
            "127.0.0.1:" + closedPort);
    assertThat(out.toString(StandardCharsets.UTF_8))
        .as("summary")
        .contains("okco", "mismatchco", "badpass", "urlpass");
    Map<String, String> outputs = new LinkedHashMap<>();
    outputs.put("log", log);
    outputs.put("System.out/System.err", console);
    outputs.put("stdout", out.toString(StandardCharsets.UTF_8));
    outputs.put("stderr", err.toString(StandardCharsets.UTF_8));
    try (Stream<Path> files = Files.walk(reports)) {
      List<Path> written = files.filter(Files::isRegularFile).toList();
      assertThat(written)
          .as("report files")
          .anySatisfy(p -> assertThat(p.getFileName().toString()).isEqualTo("report.json"));
      for (Path file : written) {
        outputs.put(
            file.toString(), new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1));
      }
    }
    for (String table : List.of("runs", "table_results", "mismatches", "load_ledger")) {
      outputs.put(
          "tenantfold." + table,
          String.join(
              "\n", RowSets.rows(warehouse, "SELECT x::text FROM tenantfold." + table + " x")));
    }
    assertThat(outputs.get("tenantfold.table_results"))
        .as("report table")
        .contains("badpass", "mismatchco");
    for (Map.Entry<String, String> output : outputs.entrySet()) {
      for (String password : List.of(targetPassword, sourcePassword, wrongPassword, urlPassword)) {
        assertThat(output.getValue())
            .as("%s (%d chars) holds a password", output.getKey(), output.getValue().length())
            .doesNotContain(password);
      }
    }
  }
}
