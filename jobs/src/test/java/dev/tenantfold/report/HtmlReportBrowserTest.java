package dev.tenantfold.report;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.testing.Browser;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.ReportFixture;
import dev.tenantfold.validate.ChecksumCheck;
import dev.tenantfold.validate.TableStatus;
import dev.tenantfold.validate.TableVerdict;
import dev.tenantfold.validate.checksum.RowDifference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * report.html in a real browser (headless Chromium via Selenium): what a reader sees of a real run
 * with a mismatch, that the page logs no errors, and how it holds at 50 tenants x 200 tables.
 * Screenshots land in target/report-screenshots for people to look at.
 */
class HtmlReportBrowserTest {
  private static final Path SCREENSHOTS = Path.of("target", "report-screenshots");
  private static final SparkSession spark = LocalSpark.session();
  @TempDir static Path dir;
  private static Browser browser;

  @BeforeAll
  static void startBrowser() {
    browser = Browser.start();
  }

  @AfterAll
  static void stopBrowser() {
    if (browser != null) {
      browser.close();
    }
  }

  private static String text(String css) {
    return browser.driver().findElement(By.cssSelector(css)).getText();
  }

  @Test
  void aRealRunsReportShowsTheVerdictCountsAndTheMismatchedKey() throws Exception {
    ReportFixture runs = ReportFixture.create(spark, dir);
    Path html = Path.of(runs.tampered().htmlReportPath());

    browser.open(html);

    assertThat(text("#verdict h1"))
        .as("the verdict, first")
        .isEqualTo("Validation failed: 1 of 2 tenants need attention");
    assertThat(text("#counts"))
        .as("counts")
        .contains(
            "2 tenants",
            "1 published",
            "8 tables",
            "1 table needs attention",
            String.format(
                java.util.Locale.ROOT, "%,d rows published", runs.tampered().publishedRows()));
    assertThat(text("#attention"))
        .contains("globex / order_items", "checksums differ in 1 of 1024 buckets");
    assertThat(text("#succeeded")).contains("1 tenant published", "acme");
    WebElement keys = browser.driver().findElement(By.cssSelector("details.diff table.keys"));
    assertThat(keys.getText())
        .as("the mismatched key, readable, with its changed column")
        .contains("CHANGED", "{\"order_id\": 20, \"line_no\": 2}", "qty");
    assertThat(browser.driver().findElements(By.cssSelector("#grid td.M")))
        .as("one mismatched cell in the grid")
        .hasSize(1);
    assertThat(browser.driver().findElements(By.cssSelector("#grid td.O")))
        .as("OK cells")
        .hasSize(7);
    assertThat(browser.driver().findElements(By.cssSelector("#rows svg rect")))
        .as("a bar per tenant")
        .hasSize(2);
    assertThat(browser.driver().findElements(By.cssSelector("#timeline svg rect")))
        .as("stage bars")
        .isNotEmpty();
    assertThat(text("#comparison"))
        .as("compared with the clean run")
        .contains(runs.clean().runId(), "order_items");
    browser.screenshot(SCREENSHOTS.resolve("mismatch-run.png"));

    browser.driver().findElement(By.id("filter")).sendKeys("globex");
    assertThat(browser.driver().findElements(By.cssSelector("#grid tr")))
        .as("header and the globex row")
        .hasSize(2);
    assertThat(browser.consoleErrors()).as("browser console errors").isEmpty();
  }

  @Test
  void fiftyTenantsByTwoHundredTablesStayReadableAndFast() throws Exception {
    RunResult big = syntheticRun(50, 200);
    long renderStart = System.nanoTime();
    String page = HtmlReport.render(big, big.statusLabel(), Optional.of(syntheticRun(50, 190)));
    double renderMillis = (System.nanoTime() - renderStart) / 1e6;
    Path html = Files.writeString(dir.resolve("big.html"), page);

    browser.open(html);
    Object load =
        browser
            .driver()
            .executeScript(
                "var n = performance.getEntriesByType('navigation')[0]; return n.loadEventEnd;");
    long filterStart = System.nanoTime();
    browser.driver().findElement(By.id("problems-only")).click();
    double filterMillis = (System.nanoTime() - filterStart) / 1e6;

    System.out.printf(
        "report.html at 50 tenants x 200 tables: %,d bytes, rendered by Java in %.0f ms, loaded and"
            + " drawn by Chromium in %.0f ms, filter toggle %.0f ms%n",
        Files.size(html), renderMillis, ((Number) load).doubleValue(), filterMillis);
    assertThat(Files.size(html)).as("file size").isLessThan(3_000_000);
    assertThat(((Number) load).doubleValue()).as("load event end, ms").isLessThan(10_000);
    assertThat(text("#verdict h1")).isEqualTo("Validation failed: 3 of 50 tenants need attention");
    assertThat(text("#attention")).contains("tenant-07 / table-042");
    assertThat(text("#grid-hint"))
        .as("the grid follows the checkbox")
        .contains("of 50 tenants", "tables shown");
    browser.screenshot(SCREENSHOTS.resolve("50x200.png"));
    assertThat(browser.consoleErrors()).as("browser console errors").isEmpty();
  }

  /**
   * A run of {@code tenants} x {@code tables}: three tenants with a mismatched table (one with a
   * listed key), stage timings for each.
   */
  static RunResult syntheticRun(int tenants, int tables) {
    Instant start = Instant.parse("2026-11-29T10:00:00Z");
    List<TenantResult> results = new ArrayList<>();
    for (int t = 0; t < tenants; t++) {
      String tenant = String.format("tenant-%02d", t);
      boolean broken = t % 17 == 7;
      List<TableResult> rows = new ArrayList<>();
      for (int i = 0; i < tables; i++) {
        String table = String.format("table-%03d", i);
        long n = 1000L * (t + 1) + i;
        boolean bad = broken && i == 42;
        ChecksumCheck check =
            bad
                ? new ChecksumCheck(
                    "a",
                    "b",
                    1024,
                    1,
                    1,
                    Map.of(RowDifference.Kind.CHANGED, 1L),
                    List.of(
                        new RowDifference(
                            "{\"order_id\": 2002, \"line_no\": 2}",
                            RowDifference.Kind.CHANGED,
                            1,
                            1,
                            List.of("qty"))))
                : new ChecksumCheck("a", "a", 1024, 0, 0, Map.of(), List.of());
        TableResult r =
            TableResult.checked(
                tenant,
                table,
                new TableCounts.Loaded(n, n, 0, 0, n, 1),
                TableVerdict.of(
                    bad ? TableStatus.MISMATCH : TableStatus.OK,
                    bad
                        ? "checksums differ in 1 of 1024 buckets: 1 CHANGED (changed columns: qty)"
                        : ""),
                check);
        rows.add(broken ? r : r.asPublished());
      }
      Map<String, Long> stages = new LinkedHashMap<>();
      stages.put("plan", 500L + t);
      stages.put("transfer", 20_000L + 100L * t);
      stages.put("keys", 800L);
      stages.put("validate", 3000L);
      stages.put("publish", 400L);
      results.add(new TenantResult(tenant, !broken, "", rows, 25_000L + 100L * t, stages));
    }
    return new RunResult(
        "20261129T100000Z-big", "run", start, start.plusSeconds(1800), results, null, List.of());
  }
}
