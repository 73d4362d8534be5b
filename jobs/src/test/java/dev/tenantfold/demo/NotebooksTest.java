package dev.tenantfold.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.job.AuditJob;
import dev.tenantfold.report.RunResult;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The analyst notebooks (notebooks/*.ipynb) executed end to end against the report tables of a real
 * demo run, as CI runs them: {@code tenantfold demo}, then one changed order line and a {@code
 * validate} that finds it, then {@code jupyter nbconvert --to html --execute} of each notebook with
 * the libpq environment pointing at the demo's warehouse while it is still up. A notebook that
 * fails to execute fails the test; missing Debian packages (jupyter-nbconvert, python3-ipykernel,
 * python3-pandas, python3-matplotlib, python3-psycopg2; .ci/run installs them) fail it too.
 */
class NotebooksTest {
  private static final Path NOTEBOOKS =
      Path.of(System.getProperty("tenantfold.notebooks.dir", "../notebooks"));
  private static final Path NBCONVERT =
      Path.of(System.getProperty("tenantfold.nbconvert", "/usr/bin/jupyter-nbconvert"));
  private static final Path OUTPUT = Path.of("target", "notebooks");

  @Test
  void notebooksExecuteAgainstTheReportTablesOfADemoRun() throws Exception {
    assertThat(NBCONVERT)
        .as(
            "jupyter-nbconvert (apt-get install -y jupyter-nbconvert python3-ipykernel"
                + " python3-pandas python3-matplotlib python3-psycopg2; .ci/run does)")
        .isExecutable();
    assertThat(NOTEBOOKS.resolve("reconciliation-overview.ipynb")).exists();
    for (Path nb :
        List.of(
            NOTEBOOKS.resolve("reconciliation-overview.ipynb"),
            NOTEBOOKS.resolve("tenant-drilldown.ipynb"),
            NOTEBOOKS.resolve("catch-up.ipynb"))) {
      assertThat(Files.readString(nb))
          .as("%s is committed without outputs", nb)
          .doesNotContain("\"output_type\"")
          .doesNotContain("\"execution_count\": 1");
    }
    Map<String, String> outputs = new LinkedHashMap<>();
    ByteArrayOutputStream demoOut = new ByteArrayOutputStream();
    // The demo writes its reports under target/demo-reports (its default). Its
    // tenantfold.demo.report-dir system property
    // cannot be used here: Typesafe Config reads system properties under tenantfold.* as
    // configuration and rejects the key.
    int demo =
        EmbeddedDemo.run(
            new PrintStream(demoOut, true, StandardCharsets.UTF_8),
            (config, warehouseUrl) -> {
              try (Connection conn = DriverManager.getConnection(warehouseUrl);
                  Statement st = conn.createStatement()) {
                st.execute(
                    "UPDATE public.order_items SET qty = qty + 1 WHERE tenant_id = 'globex' AND"
                        + " order_id = 7 AND line_no = 2");
              }
              RunResult audit =
                  new AuditJob(config, Optional.of("globex"), Optional.empty()).execute();
              assertThat(audit.exitCode()).as("validate finds the changed line").isEqualTo(3);
              Matcher port = Pattern.compile("//localhost:(\\d+)/").matcher(warehouseUrl);
              assertThat(port.find()).as("port in %s", warehouseUrl).isTrue();
              outputs.putAll(
                  execute(
                      List.of("reconciliation-overview", "tenant-drilldown", "catch-up"),
                      port.group(1)));
            });
    assertThat(demo).as("demo output:%n%s", demoOut.toString(StandardCharsets.UTF_8)).isZero();
    assertThat(outputs.get("reconciliation-overview"))
        .as("the latest run (validate --tenant globex) and the runs before it")
        .contains(
            "globex", "MISMATCH", "Trends across runs", "validation_failed", "succeeded", "<img");
    assertThat(outputs.get("tenant-drilldown"))
        .as("the latest run's tenant needing attention, its key expanded")
        .contains("Tenant globex of run", "key.order_id", "key.line_no", "qty", "<img");
    assertThat(outputs.get("catch-up"))
        .as("the demo's catch-up of hooli while its application writes, and its cutover")
        // "caught-up" is a pass's status in the passes table's output, not in the code.
        .contains("hooli", "Lag over time", "cut-over", "CUT_OVER", "caught-up", "<img");
  }

  /**
   * Runs nbconvert on the notebooks (one process) with the libpq environment; returns the HTML each
   * became.
   */
  private static Map<String, String> execute(List<String> names, String port) throws Exception {
    Files.createDirectories(OUTPUT);
    List<String> command =
        new ArrayList<>(
            List.of(
                NBCONVERT.toString(),
                "--to",
                "html",
                "--execute",
                "--ExecutePreprocessor.timeout=300",
                "--output-dir",
                OUTPUT.toAbsolutePath().toString()));
    names.forEach(
        name -> command.add(NOTEBOOKS.resolve(name + ".ipynb").toAbsolutePath().toString()));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    Map<String, String> env = pb.environment();
    env.put("PGHOST", "localhost");
    env.put("PGPORT", port);
    env.put("PGDATABASE", "warehouse");
    env.put("PGUSER", "postgres");
    env.put("PGPASSWORD", "demo-secret");
    env.put("TENANTFOLD_REPORT_SCHEMA", "tenantfold");
    env.remove("TENANTFOLD_RUN_ID");
    env.put("MPLBACKEND", "module://matplotlib_inline.backend_inline");
    // Debian's python3 (with ipykernel, pandas, matplotlib) before any other on the PATH.
    env.put("PATH", "/usr/bin:/bin:" + env.getOrDefault("PATH", ""));
    Process p = pb.start();
    byte[] log = p.getInputStream().readAllBytes();
    assertThat(p.waitFor(600, TimeUnit.SECONDS)).as("nbconvert %s finished", names).isTrue();
    assertThat(p.exitValue())
        .as("nbconvert %s failed:%n%s", names, new String(log, StandardCharsets.UTF_8))
        .isZero();
    Map<String, String> html = new LinkedHashMap<>();
    for (String name : names) {
      html.put(name, Files.readString(OUTPUT.resolve(name + ".html")));
    }
    return html;
  }
}
