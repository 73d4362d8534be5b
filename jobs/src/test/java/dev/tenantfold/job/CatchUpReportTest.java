package dev.tenantfold.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.report.RunResult;
import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Catch-up and cutover in the report (issue 19, docs/report-schema.md version 3): after known
 * changes on the source, two catch-up passes, a cutover that finds a tampered row and one that cuts
 * over, the report tables, report.json, report.html and CSV hold the changes applied per table as
 * the writer made them, a lag entry per pass, each cutover's freeze window and verdict, and what
 * the mismatch found.
 */
class CatchUpReportTest {
  private final SparkSession spark = LocalSpark.session();

  @TempDir Path reports;

  private TenantfoldConfig config(String warehouse, String url) {
    return TenantfoldConfig.fromConfig(
        ConfigFactory.parseString(
            """
            tenantfold {
              target { url = "%s", user = postgres, password = postgres }
              report.dir = "%s"
              // The TRUNCATE below takes scratch from 50 rows to 1.
              publish.allow-shrink = [acme]
              tenants = [ { id = acme, jdbc { url = "%s", user = postgres, password = postgres },
                catch-up { mode = logical } } ]
            }
            """
                .formatted(warehouse, reports.toString().replace("\\", "/"), url)));
  }

  /** {@code table -> [inserts, updates, deletes, truncates, skipped]} summed over the passes. */
  private static Map<String, List<Long>> applied(String warehouse, String runId) {
    Map<String, List<Long>> out = new TreeMap<>();
    for (String row :
        RowSets.rows(
            warehouse,
            "SELECT a.table_name || ' ' || sum(inserts) || ' ' || sum(updates) || ' ' ||"
                + " sum(deletes) || ' ' || sum(truncates) || ' ' || sum(skipped) FROM"
                + " tenantfold.catchup_applied a JOIN tenantfold.catchup_passes p USING (pass_id)"
                + " WHERE p.run_id = '"
                + runId
                + "' AND p.tenant_id = 'acme' GROUP BY a.table_name")) {
      String[] p = row.split(" ");
      out.put(
          p[0],
          List.of(
              Long.parseLong(p[1]),
              Long.parseLong(p[2]),
              Long.parseLong(p[3]),
              Long.parseLong(p[4]),
              Long.parseLong(p[5])));
    }
    return out;
  }

  private static final Map<String, List<Long>> WRITTEN =
      Map.of(
          // 30 inserted, 10 deleted, 5 updated (the rolled-back delete never counts)
          "orders", List.of(30L, 5L, 10L, 0L, 0L),
          // 20 updates leaving the TOASTed notes unchanged
          "customers", List.of(0L, 20L, 0L, 0L, 0L),
          // 2 key updates: one update each
          "tags", List.of(0L, 2L, 0L, 0L, 0L),
          // a TRUNCATE, then one row inserted
          "scratch", List.of(1L, 0L, 0L, 1L, 0L));

  @Test
  void catchUpAndCutoverReachTheReportTablesReportJsonHtmlAndCsv() throws Exception {
    String url = TestPostgres.createDatabase("catchup_report");
    TestPostgres.execute(url, CatchUpTest.SCHEMA);
    String warehouse = Fixtures.emptyWarehouse();
    TenantfoldConfig config = config(warehouse, url);
    RunResult base = new MigrationJob(config, spark).execute();
    assertThat(base.exitCode()).as("run: %s", base.tenants()).isZero();
    String runId = base.runId();
    CatchUpJob job = new CatchUpJob(config);

    // First pass: 4 source transactions, 62 changes.
    TestPostgres.execute(
        url,
        "INSERT INTO orders (customer_id, amount, status) SELECT 1, g, 'new' FROM"
            + " generate_series(1, 30) g");
    TestPostgres.execute(url, "UPDATE customers SET name = name || '+' WHERE id <= 20");
    TestPostgres.execute(url, "DELETE FROM orders WHERE id <= 10");
    TestPostgres.execute(url, "BEGIN; DELETE FROM orders; ROLLBACK");
    TestPostgres.execute(
        url, "UPDATE tags SET code = code || 'x' WHERE code IN ('c1', 'c2') AND lang = 'fr'");
    assertThat(CatchUpTest.run(job)).as("first catch-up").startsWith("0|");
    // Second pass: 3 transactions, 7 changes.
    TestPostgres.execute(url, "TRUNCATE scratch");
    TestPostgres.execute(url, "INSERT INTO scratch VALUES (7, 'after truncate')");
    TestPostgres.execute(url, "UPDATE orders SET status = 'paid' WHERE id BETWEEN 11 AND 15");
    String second = CatchUpTest.run(job);
    assertThat(second)
        .as("second catch-up, and where its report went")
        .startsWith("0|")
        .contains("report: " + reports.resolve(runId).resolve("report.json"));

    assertThat(applied(warehouse, runId))
        .as("changes applied per table, as the writer made them")
        .isEqualTo(WRITTEN);
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT row_number() OVER (ORDER BY pass_id) || ' ' || command || ' ' || status ||"
                    + " ' ' || transactions || ' ' || changes || ' ' || (lag_bytes IS NOT NULL) ||"
                    + " ' ' || (lag_millis IS NOT NULL) || ' ' || (to_lsn > from_lsn) FROM"
                    + " tenantfold.catchup_passes WHERE run_id = '"
                    + runId
                    + "' ORDER BY pass_id"))
        .as("a pass each, with its transactions, changes, positions and the lag it left")
        .containsExactly(
            "1 catch-up caught-up 4 62 true true true", "2 catch-up caught-up 3 7 true true true");

    // The target differs from the source in a changed key: the cutover finds it (exit 3).
    TestPostgres.execute(
        warehouse, "UPDATE public.scratch SET v = 'tampered' WHERE tenant_id = 'acme' AND id = 7");
    assertThat(CatchUpTest.cutover(job, "acme")).startsWith("3|").contains("MISMATCH");
    TestPostgres.execute(
        warehouse,
        "UPDATE public.scratch SET v = 'after truncate' WHERE tenant_id = 'acme' AND id = 7");
    String cutOver = CatchUpTest.cutover(job, "acme");
    assertThat(cutOver).startsWith("0|").contains("CUT OVER");

    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT row_number() OVER (ORDER BY cutover_id) || ' ' || verdict || ' ' ||"
                    + " (verdict_at >= started_at) || ' ' || (freeze_millis >= 0) || ' ' || frozen"
                    + " || ' ' || jsonb_array_length(differences) || ' ' ||"
                    + " (jsonb_array_length(sequences) > 0) || ' ' || (SELECT p.command FROM"
                    + " tenantfold.catchup_passes p WHERE p.pass_id = c.drain_pass_id) FROM"
                    + " tenantfold.cutovers c WHERE tenant_id = 'acme' AND run_id = '"
                    + runId
                    + "' ORDER BY cutover_id"))
        .as("each cutover: verdict, freeze window, what differed, sequences moved, its drain")
        .containsExactly(
            "1 MISMATCH true true false 1 false cutover",
            "2 CUT_OVER true true false 0 true cutover");
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT differences ->> 0 FROM tenantfold.cutovers WHERE verdict = 'MISMATCH'"))
        .singleElement()
        .asString()
        .contains("scratch")
        .contains("tampered");

    // report.json, rewritten by the cutover.
    JsonNode json =
        new ObjectMapper().readTree(reports.resolve(runId).resolve("report.json").toFile());
    JsonNode acme = json.path("tenants").get(0);
    assertThat(acme.path("tenant_id").asText()).isEqualTo("acme");
    JsonNode catchUp = acme.path("catch_up");
    assertThat(catchUp.path("status").asText()).isEqualTo("cut-over");
    Map<String, List<Long>> fromJson = new TreeMap<>();
    catchUp
        .path("applied")
        .fields()
        .forEachRemaining(
            e ->
                fromJson.put(
                    e.getKey(),
                    List.of(
                        e.getValue().path("inserts").asLong(),
                        e.getValue().path("updates").asLong(),
                        e.getValue().path("deletes").asLong(),
                        e.getValue().path("truncates").asLong(),
                        e.getValue().path("skipped").asLong())));
    assertThat(fromJson).as("report.json's applied changes per table").isEqualTo(WRITTEN);
    assertThat(catchUp.path("passes").size())
        .as("two catch-up passes and the two cutovers' drains")
        .isEqualTo(4);
    assertThat(catchUp.path("passes").get(0).path("lag_bytes").isNumber()).isTrue();
    assertThat(catchUp.path("passes").get(0).path("lag_seconds").isNumber()).isTrue();
    JsonNode cutover = acme.path("cutover");
    assertThat(cutover.path("verdict").asText()).isEqualTo("CUT_OVER");
    assertThat(cutover.path("freeze_seconds").isNumber()).isTrue();
    assertThat(cutover.path("attempts").size()).isEqualTo(2);
    assertThat(cutover.path("attempts").get(0).path("verdict").asText()).isEqualTo("MISMATCH");
    assertThat(cutover.path("attempts").get(0).path("differences").get(0).asText())
        .contains("tampered");

    String html = Files.readString(reports.resolve(runId).resolve("report.html"));
    assertThat(html)
        .contains("<section id=\"catch-up\">")
        .contains("<svg class=\"spark\"")
        .contains("Freeze window")
        .contains("cut over")
        .contains("mismatch")
        .contains("<td>orders</td>")
        .doesNotContain("<script src");

    ByteArrayOutputStream csv = new ByteArrayOutputStream();
    new ReportJob(config, Optional.of(runId), ReportJob.Format.CSV, Optional.of("-"))
        .execute(new PrintStream(csv, true, StandardCharsets.UTF_8));
    assertThat(csv.toString(StandardCharsets.UTF_8))
        .as("CSV: the orders row ends with its catch-up counts and the verdict")
        .containsPattern(",orders,.*,30,5,10,0,0,CUT_OVER\\r\\n");
  }
}
