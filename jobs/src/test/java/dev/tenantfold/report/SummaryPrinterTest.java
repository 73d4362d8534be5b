package dev.tenantfold.report;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.validate.ChecksumCheck;
import dev.tenantfold.validate.TableStatus;
import dev.tenantfold.validate.TableVerdict;
import dev.tenantfold.validate.checksum.RowDifference;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The end-of-run summary a person reads: verdict first, every problem named, successes aggregated
 * so a large run stays short.
 */
class SummaryPrinterTest {
  private static final int TENANTS = 50;
  private static final int TABLES = 200;

  private static ChecksumCheck match() {
    return new ChecksumCheck("a", "a", 1024, 0, 0, Map.of(), List.of());
  }

  private static ChecksumCheck differs(int keys) {
    List<RowDifference> listed = new ArrayList<>();
    for (int i = 0; i < keys; i++) {
      listed.add(
          new RowDifference(
              "{\"order_id\": " + (2000 + i) + "}",
              RowDifference.Kind.CHANGED,
              1,
              1,
              List.of("amount")));
    }
    return new ChecksumCheck(
        "a", "b", 1024, keys, keys, Map.of(RowDifference.Kind.CHANGED, (long) keys), listed);
  }

  private static TableResult ok(String tenant, String table, boolean published) {
    TableResult r =
        TableResult.checked(
            tenant,
            table,
            new TableCounts.Loaded(1000, 1000, 0, 0, 1000, 1),
            TableVerdict.of(TableStatus.OK, ""),
            match());
    return published ? r.asPublished() : r;
  }

  /**
   * 50 tenants x 200 tables: t07 has a failed table and two mismatched ones, t13 could not be read,
   * t21 failed to publish.
   */
  private static RunResult largeRun() {
    List<TenantResult> tenants = new ArrayList<>();
    for (int t = 0; t < TENANTS; t++) {
      String id = String.format("t%02d", t);
      if (id.equals("t13")) {
        tenants.add(
            TenantResult.failed(
                id,
                "Cannot connect to the source of tenant t13 (host db13:5432/t13): connection"
                    + " refused",
                List.of(),
                10));
        continue;
      }
      boolean publishes = !id.equals("t07") && !id.equals("t21");
      List<TableResult> tables = new ArrayList<>();
      for (int i = 0; i < TABLES; i++) {
        String table = String.format("table_%03d", i);
        TableResult r = ok(id, table, publishes);
        if (id.equals("t07") && i == 17) {
          r =
              TableResult.failed(
                  id,
                  table,
                  "Cannot transfer tenant t07 table table_017 partition 2/4: ERROR: invalid byte"
                      + " sequence");
        } else if (id.equals("t07") && (i == 42 || i == 199)) {
          r =
              TableResult.checked(
                  id,
                  table,
                  new TableCounts.Loaded(1000, 1000, 0, 0, 1000, 1),
                  TableVerdict.of(TableStatus.MISMATCH, "checksums differ in 12 of 1024 buckets"),
                  differs(12));
        } else if (id.equals("t07")) {
          r = r.heldBack("not published: another table of this tenant failed validation");
        }
        tables.add(r);
      }
      if (id.equals("t21")) {
        tenants.add(
            TenantResult.failed(
                id,
                "Cannot publish tenant t21: lock timeout (raise tenantfold.publish.lock-timeout)",
                tables,
                10));
      } else {
        tenants.add(
            new TenantResult(id, publishes, "", tables, 10, Map.of())
                .withSource(
                    new SourceInfo(
                        "jdbc", "live database db" + t + ":5432/" + id, Optional.empty())));
      }
    }
    return new RunResult(
        "20261129T150000Z-abcd",
        "run",
        Instant.now(),
        Instant.now(),
        tenants,
        "/reports/20261129T150000Z-abcd/report.json");
  }

  private static String print(RunResult run) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    SummaryPrinter.print(run, new PrintStream(bytes, true, StandardCharsets.UTF_8));
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void aLargeRunStaysShortPutsTheVerdictFirstAndNamesEveryProblem() {
    String text = print(largeRun());
    List<String> lines = text.lines().toList();

    assertThat(lines.size())
        .as("lines of the summary of 50 tenants x 200 tables:%n%s", text)
        .isLessThanOrEqualTo(80);
    assertThat(lines.get(1))
        .isEqualTo("Tenantfold run 20261129T150000Z-abcd: failed (exit code 1)");
    assertThat(lines.get(2))
        .as("the verdict comes second, with what needs attention")
        .isEqualTo(
            "Verdict: needs attention: 3 tenants failed. 47 of 50 tenants published (9400 tables,"
                + " 9,400,000 rows)");
    int attention = lines.indexOf("Needs attention:");
    int published = lines.indexOf("Published:");
    assertThat(attention)
        .as("problems come before successes:%n%s", text)
        .isPositive()
        .isLessThan(published);
    String problems = String.join("\n", lines.subList(attention, published));
    assertThat(problems)
        .contains(
            "tenant t13: FAILED: Cannot connect to the source of tenant t13",
            "tenant t21: FAILED: Cannot publish tenant t21",
            "FAILED   table_017: Cannot transfer tenant t07 table table_017 partition 2/4",
            "MISMATCH table_042: checksums differ",
            "MISMATCH table_199: checksums differ",
            "CHANGED              key {\"order_id\": 2000} columns [amount]",
            "... 7 more listed in the report",
            "197 other tables validated, not published with them");
    assertThat(problems).doesNotContain("table_018", "t00");
    String successes = String.join("\n", lines.subList(published, lines.size()));
    assertThat(successes)
        .containsPattern(
            "t00\\s+200 tables\\s+200,000 rows  checksums match  \\[live database db0:5432/t00\\]")
        .doesNotContain("table_", "t07", "t13", "t21");
    assertThat(lines.get(lines.size() - 1))
        .isEqualTo(
            "47 of 50 tenants published, 9400000 rows; report:"
                + " /reports/20261129T150000Z-abcd/report.json");
  }

  @Test
  void aSmallCleanRunSaysSoAndKeepsTheTableOfCounts() {
    List<TenantResult> tenants =
        List.of(
            new TenantResult(
                "acme",
                true,
                "",
                List.of(ok("acme", "orders", true), ok("acme", "customers", true)),
                5,
                Map.of()));
    String text = print(new RunResult("r1", "run", Instant.now(), Instant.now(), tenants, null));

    assertThat(text)
        .contains("Verdict: all published. 1 of 1 tenants published (2 tables, 2,000 rows)")
        .doesNotContain("Needs attention");
    assertThat(text)
        .containsPattern("acme\\s+orders\\s+1000\\s+1000\\s+1000\\s+match\\s+OK\\s+yes");
  }

  @Test
  void anAuditSaysWhichTenantsDifferFromTheirSources() {
    List<TenantResult> tenants =
        List.of(
            new TenantResult(
                "acme",
                false,
                "",
                List.of(
                    TableResult.audited(
                        "acme", "orders", 10, 10, TableVerdict.of(TableStatus.OK, ""), match())),
                5,
                Map.of()),
            new TenantResult(
                "globex",
                false,
                "",
                List.of(
                    TableResult.audited(
                        "globex",
                        "orders",
                        10,
                        9,
                        TableVerdict.of(
                            TableStatus.MISMATCH, "checksums differ in 1 of 1024 buckets"),
                        differs(1))),
                5,
                Map.of()));
    String text =
        print(new RunResult("r2", "validate", Instant.now(), Instant.now(), tenants, null));

    assertThat(text)
        .contains(
            "Verdict: needs attention: 1 tenant differ from their sources. 1 of 2 tenants match"
                + " their sources (2 tables)",
            "tenant globex: MISMATCH\n",
            "MISMATCH orders: checksums differ in 1 of 1024 buckets")
        .doesNotContain("tenant acme:");
  }
}
