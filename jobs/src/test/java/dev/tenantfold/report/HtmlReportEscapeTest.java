package dev.tenantfold.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Whatever a tenant's data or names hold, report.html shows it as text and never runs it. */
class HtmlReportEscapeTest {
  private static final String HOSTILE = "<img src=x onerror=alert(1)> & \"q\" 'a' </script><!--";

  @Test
  void everyMarkupCharacterIsEscaped() {
    assertThat(HtmlReport.esc("a<b>c&d\"e'f")).isEqualTo("a&lt;b&gt;c&amp;d&quot;e&#39;f");
    assertThat(HtmlReport.esc("<")).isEqualTo("&lt;");
    assertThat(HtmlReport.esc(null)).isEmpty();
    assertThat(HtmlReport.scriptSafe("{\"m\":\"</script><!--&\"}"))
        .doesNotContain("<", ">", "&")
        .contains("\\u003c/script\\u003e\\u003c!--\\u0026");
  }

  @Test
  void aHostileTenantMessageAndTableNameStayText() {
    TenantResult failed =
        TenantResult.failed(
            "t<1>",
            "Cannot read tenant t<1>: " + HOSTILE,
            List.of(dev.tenantfold.report.TableResult.failed("t<1>", "x<y", HOSTILE)),
            5);
    RunResult run =
        new RunResult(
            "run-1",
            "run",
            Instant.parse("2026-12-06T00:00:00Z"),
            Instant.parse("2026-12-06T00:01:00Z"),
            List.of(failed),
            null,
            List.of("note " + HOSTILE));
    String html = HtmlReport.render(run, "failed", Optional.empty());
    int data = html.indexOf("<script type=\"application/json\"");
    String markup = html.substring(0, data);
    assertThat(markup).doesNotContain("<img", "</script><!--", "t<1>", "x<y");
    assertThat(markup).contains("&lt;img src=x onerror=alert(1)&gt;");
    String json = html.substring(data, html.indexOf("</script>", data));
    assertThat(json.substring(json.indexOf('>') + 1)).doesNotContain("<", ">");
  }
}
