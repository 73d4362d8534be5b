package dev.tenantfold.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.ReportFixture;
import dev.tenantfold.testing.RowSets;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tenantfold report} renders past runs from the report tables, and the runs themselves write
 * report.html beside report.json: readable keys everywhere, the latest run by default, clear
 * errors.
 */
class ReportCommandTest {
  private static final SparkSession spark = LocalSpark.session();
  @TempDir static Path dir;
  private static ReportFixture runs;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @BeforeAll
  static void twoRuns() throws Exception {
    runs = ReportFixture.create(spark, dir);
  }

  private int main(String... args) {
    return TenantfoldMain.run(
        args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String stdout() {
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void theRunWroteReportHtmlBesideReportJsonAndKeysAreReadableEverywhere() throws Exception {
    assertThat(runs.tampered().exitCode()).as("globex failed validation").isEqualTo(3);
    Path json = Path.of(runs.tampered().reportPath());
    assertThat(runs.tampered().reportPath())
        .as("a plain path, not a file: URI")
        .doesNotStartWith("file:")
        .endsWith("report.json");
    assertThat(json.resolveSibling("report.html")).exists();
    assertThat(runs.tampered().htmlReportPath())
        .isEqualTo(json.resolveSibling("report.html").toString());
    JsonNode report = new ObjectMapper().readTree(json.toFile());
    JsonNode key =
        report.at("/table_results").findParents("table_name").stream()
            .filter(
                n ->
                    n.get("tenant_id").asText().equals("globex")
                        && n.get("table_name").asText().equals("order_items"))
            .findFirst()
            .orElseThrow()
            .at("/checksum/mismatches/0/key");
    assertThat(key.isObject()).as("the key in report.json is a JSON object: %s", key).isTrue();
    assertThat(key.get("order_id").asLong()).isEqualTo(20);
    assertThat(key.get("line_no").asInt()).isEqualTo(2);
    assertThat(
            RowSets.rows(
                runs.warehouse(),
                "SELECT (key ->> 'order_id') || '/' || (key ->> 'line_no') || ' ' ||"
                    + " array_to_string(columns, ',') FROM tenantfold.mismatches WHERE run_id = '"
                    + runs.tampered().runId()
                    + "'"))
        .as("mismatches.key is jsonb")
        .containsExactly("20/2 qty");
  }

  @Test
  void csvOfTheLatestRunHasOneQuotedRowPerTenantTable() {
    assertThat(
            main(
                "report",
                "--config",
                runs.configFile().toString(),
                "--format",
                "csv",
                "--out",
                "-"))
        .as("stderr: %s", err)
        .isZero();
    List<String> lines = stdout().lines().toList();
    assertThat(lines.get(0))
        .startsWith("run_id,command,tenant_id,table_name,status,published,source_rows");
    assertThat(lines).as("header and 2 tenants x 4 tables").hasSize(9);
    assertThat(lines)
        .filteredOn(l -> l.contains(",globex,order_items,"))
        .singleElement()
        .satisfies(
            l -> {
              assertThat(l)
                  .startsWith(runs.tampered().runId() + ",run,globex,order_items,MISMATCH,false,");
              // The listed keys cell holds JSON with quotes and commas: quoted, quotes doubled.
              assertThat(l)
                  .contains("\"CHANGED {\"\"line_no\"\": 2, \"\"order_id\"\": 20}\"", ",qty,");
            });
    assertThat(lines)
        .filteredOn(l -> l.contains(",acme,"))
        .hasSize(4)
        .allSatisfy(l -> assertThat(l).contains(",OK,true,"));
  }

  @Test
  void jsonAndHtmlOfAnEarlierRunByItsId() throws Exception {
    Path target = dir.resolve("out").resolve("clean.json");
    assertThat(
            main(
                "report",
                "--config",
                runs.configFile().toString(),
                "--run-id",
                runs.clean().runId(),
                "--format",
                "json",
                "--out",
                target.toString()))
        .as("stderr: %s", err)
        .isZero();
    assertThat(stdout().strip()).as("the plain path printed").isEqualTo(target.toString());
    JsonNode json = new ObjectMapper().readTree(target.toFile());
    assertThat(json.get("run_id").asText()).isEqualTo(runs.clean().runId());
    assertThat(json.get("status").asText()).isEqualTo("succeeded");
    assertThat(json.get("published_rows").asLong()).isEqualTo(runs.clean().publishedRows());
    assertThat(json.at("/tenants/0/stage_millis").size())
        .as("stage timings come back from the tables")
        .isPositive();

    out.reset();
    assertThat(main("report", "--config", runs.configFile().toString()))
        .as("stderr: %s", err)
        .isZero();
    Path html = Path.of(stdout().strip());
    assertThat(html)
        .as("default: the latest run's folder")
        .isEqualTo(Path.of(runs.tampered().reportPath()).resolveSibling("report.html"));
    assertThat(Files.readString(html))
        .contains(
            "Validation failed: 1 of 2 tenants need attention",
            "&quot;order_id&quot;: 20",
            "Compared with the previous run",
            runs.clean().runId())
        .doesNotContain("<script src", "http://", "https://");
  }

  @Test
  void anUnknownRunOrFormatIsAUsageError() {
    assertThat(main("report", "--config", runs.configFile().toString(), "--run-id", "no-such-run"))
        .isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("Cannot render run no-such-run", "tenantfold.runs", runs.tampered().runId());
    err.reset();
    assertThat(main("report", "--config", runs.configFile().toString(), "--format", "pdf"))
        .isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("Unknown report format 'pdf'", "html, json or csv");
  }
}
