package dev.tenantfold.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tenantfold.config.ConfigError;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bench/run --source export --export-part-rows N}: the export is cut into parts of at most N
 * rows, as RDS cuts its exports into small parts, every tenant still reads every row, and the
 * report prints the layout the heap figures depend on.
 */
class ExportLayoutBenchTest {
  @TempDir Path dir;

  @Test
  void partRowsCutTheExportAndTheReportPrintsTheLayout() throws Exception {
    Path out = dir.resolve("results.md");

    String markdown =
        BenchRuns.run(
            out,
            "--source",
            "export",
            "--export-part-rows",
            "25",
            "--rows",
            "100",
            "--tenants",
            "2",
            "--tenantfold-only");
    assertThat(markdown)
        .as("100 rows in parts of at most 25 rows: 4 parts of one row group each")
        .contains("- Export layout (orders): 4 Parquet part(s), largest ")
        .contains("; 4 row group(s), the largest ")
        .contains("(25 rows); cut by --export-part-rows 25");
    assertThat(markdown)
        .as("every row of every tenant counted in the target")
        .containsPattern("\\| tenantfold run \\(export tenants\\) \\| 200 \\| ");
  }

  @Test
  void exportModeTimesTheRawCopyPipeInTheSameRunAndPrintsBothRatios() throws Exception {
    Path out = dir.resolve("ratios.md");

    String markdown = BenchRuns.run(out, "--source", "export", "--rows", "100", "--tenants", "2");
    assertThat(markdown)
        .as("the raw COPY pipe from the source databases, every row counted in its target")
        .containsPattern("\\| raw COPY pipe, key before load \\| 200 \\| ")
        .containsPattern("\\| raw Parquet pipe, key before load \\| 200 \\| ")
        .containsPattern("\\| tenantfold run \\(export tenants\\) \\| 200 \\| ");
    assertThat(markdown)
        .as("the export run against both raw pipes of the same run")
        .containsPattern(
            "\\*\\*Same run: tenantfold run \\(export tenants\\) [0-9.]+ s = [0-9.]+x the raw COPY"
                + " pipe \\([0-9.]+ s\\), [0-9.]+x the raw Parquet pipe \\([0-9.]+ s\\)\\*\\*");
  }

  @Test
  void layoutOptionsNeedAnExport() {
    assertThatThrownBy(() -> BenchOptions.parse(new String[] {"--export-part-rows", "1000"}))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("need --source export");
    assertThatThrownBy(
            () ->
                BenchOptions.parse(
                    new String[] {"--source", "export", "--export-row-group-mib", "0"}))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("--export-row-group-mib needs a number of at least 1");
  }
}
