package dev.tenantfold.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tenantfold.config.ConfigError;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bench/run --catch-up} at a tiny size on the tests' server (started with {@code wal_level =
 * logical}): a writer runs during the base copy and catch-up, every tenant is cut over, its rows
 * equal the source's, and the markdown carries the lag series, drain rates and freeze windows at
 * both sizes.
 */
class CatchUpBenchTest {
  @TempDir Path dir;

  @Test
  void aTinyRunCatchesUpCutsOverAndReports() throws Exception {
    Path out = dir.resolve("results.md");

    String markdown =
        BenchRuns.run(
            out,
            "--catch-up",
            "--catch-up-sizes",
            "500,2000",
            "--tenants",
            "2",
            "--writer-rate",
            "40",
            "--writer-seconds",
            "2");
    assertThat(markdown)
        .as("summary, one row per size, every tenant equal to its source")
        .contains("### Catch-up and cutover: 2 tenants, 500 and 2,000 rows each")
        .containsPattern(
            "\\| 500 \\| [0-9.]+ \\(load [0-9.]+\\) \\| [0-9,]+; [0-9,]+ \\|.*\\| yes \\|")
        .containsPattern("\\| 2,000 \\| [0-9.]+ \\(load [0-9.]+\\) \\|.*\\| yes \\|")
        .contains("Goals: freeze window <= 10 s per tenant:");
    assertThat(markdown)
        .as("a cutover per tenant and size, and the checks")
        .containsPattern("\\| tenant_01 \\| CUT_OVER \\| [0-9.]+ \\| [1-9][0-9,]* \\|")
        .containsPattern("\\| tenant_02 \\| CUT_OVER \\| [0-9.]+ \\| [1-9][0-9,]* \\|")
        .containsPattern("\\| tenant_02 \\| [0-9,]+ \\| [0-9,]+ \\| yes \\|");
    assertThat(markdown)
        .as("the writer wrote during the base copy: the backlog pass applied it; the lag series")
        .containsPattern("Writer: [1-9][0-9,]* transactions committed")
        .containsPattern("\\| 1 \\| tenant_01 \\| [1-9][0-9,]* \\| [1-9][0-9,]* \\|")
        .contains("Lag over time")
        .containsPattern(
            "\\| [0-9]+ \\| catch-up \\(backlog\\) \\| [0-9.]+ \\| [0-9.]+ [KM]iB, [0-9.]+ s \\|");
  }

  @Test
  void aTenantWhoseRowsDifferFailsTheRun() {
    CatchUpBench.Check same = new CatchUpBench.Check("t1", 10, 10, 42, 42);
    assertThat(same.equal()).isTrue();
    assertThat(new CatchUpBench.Check("t1", 10, 10, 42, 43).equal())
        .as("same count, another checksum")
        .isFalse();
    assertThat(new CatchUpBench.Check("t1", 10, 9, 42, 42).equal()).as("a row missing").isFalse();
    assertThat(sizeResult(List.of(same)).correct()).isTrue();
    assertThat(sizeResult(List.of(new CatchUpBench.Check("t1", 10, 10, 42, 43))).correct())
        .isFalse();
  }

  private static CatchUpBench.SizeResult sizeResult(List<CatchUpBench.Check> checks) {
    return new CatchUpBench.SizeResult(
        10, 1, 1.0, 0.0, "succeeded", null, List.of(), List.of(), cutOver("t1"), checks, null);
  }

  private static java.util.Map<String, CatchUpBench.CutoverRun> cutOver(String tenant) {
    return java.util.Map.of(
        tenant,
        new CatchUpBench.CutoverRun(
            new dev.tenantfold.catchup.CutoverResult(
                tenant,
                dev.tenantfold.catchup.CutoverResult.Verdict.CUT_OVER,
                java.util.Optional.empty(),
                1,
                List.of(),
                List.of(),
                100,
                java.util.Optional.empty(),
                List.of()),
            0.0));
  }

  @Test
  void optionsAreChecked() {
    assertThat(BenchOptions.parse(new String[] {"--catch-up", "--rows", "1000000"}).catchUp())
        .isEqualTo(new CatchUpBench.Settings(List.of(100_000L, 1_000_000L), 500, 180));
    assertThat(BenchOptions.parse(new String[] {"--rows", "10"}).catchUp()).isNull();
    assertThatThrownBy(
            () -> BenchOptions.parse(new String[] {"--catch-up", "--catch-up-sizes", "10,x"}))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("--catch-up-sizes needs row counts");
    assertThatThrownBy(() -> BenchOptions.parse(new String[] {"--catch-up", "--writer-rate", "0"}))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("--writer-rate must be at least 1");
  }

  @Test
  void lsnsParseAsPostgresPrintsThem() {
    assertThat(CatchUpBench.LagSampler.parseLsn("0/16B3748")).isEqualTo(0x16B3748L);
    assertThat(CatchUpBench.LagSampler.parseLsn("1/0")).isEqualTo(1L << 32);
  }
}
