package dev.tenantfold.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tenantfold.config.ConfigError;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bench/run --tables T}: a tiny many-tables run migrates every table of every tenant and
 * reports the cost per tenant table, with the CPU table by stage; and the stage CPU table books
 * each process's CPU where the scale model says it belongs.
 */
class ManyTablesBenchTest {
  @TempDir Path dir;

  @Test
  void aTinyManyTablesRunReportsTheCostPerTenantTable() throws Exception {
    Path out = dir.resolve("results.md");

    String markdown = BenchRuns.run(out, "--tables", "3", "--rows", "60", "--tenants", "2");
    assertThat(markdown)
        .as("header")
        .contains("### 2 tenants x 3 tables x 20 rows = 120 rows")
        .contains("- Durability: fsync=");
    assertThat(markdown)
        .as("every row of every table counted in the target")
        .containsPattern("\\| tenantfold run, 3 tables per tenant \\| 120 \\| ");
    assertThat(markdown)
        .as("the cost per tenant table, wall and CPU, and per stage")
        .containsPattern("\\*\\*Per tenant table: [0-9.]+ s of wall time, [0-9.]+ CPU-seconds")
        .containsPattern("\\| publish \\| [0-9.]+ \\| [0-9.]+ \\|")
        .contains("| Stage | CPU seconds | µs per row |");
  }

  @Test
  void stageCpuBooksEachProcessWhereTheModelSaysItBelongs() {
    CpuMeter.Reading reading =
        new CpuMeter.Reading(
            Map.of(
                "SOURCE_PG/transfer/COPY", 1.0,
                "JVM/transfer/-", 2.0,
                "TARGET_PG/transfer/COPY", 3.0,
                "TARGET_PG/validate/ALTER TABLE", 4.0,
                "TARGET_PG/validate/SELECT", 5.0,
                "SOURCE_PG/transfer/SELECT", 6.0,
                "TARGET_PG/publish/ALTER TABLE", 7.0,
                "OTHER_PG/transfer/walwriter", 8.0,
                "JVM/plan/-", 9.0),
            10,
            1.0,
            0.0);
    StringBuilder md = new StringBuilder();

    StageCpu.appendTo(md, reading, 1_000_000, 100_000_000);

    assertThat(md.toString())
        .contains("| extract | 1.00 | 1.00 | 1,000,000 | 100.0 |")
        .contains("| conform | 2.00 | 2.00 | 500,000 | 50.0 |")
        .contains("| load | 3.00 |")
        .contains("| keys | 4.00 |")
        .contains("| checksums | 11.00 |")
        .contains("| - checksums, source side | 6.00 |")
        .contains("| - checksums, target side | 5.00 |")
        .contains("| publish | 7.00 |")
        .contains("| server background | 8.00 |")
        .contains("| rest | 9.00 |")
        .contains("| total | 45.00 |");
  }

  @Test
  void backendTitlesTellSourceTargetAndCommand() {
    String target = "tenantfold_bench_target_tenantfold";
    assertThat(
            CpuMeter.classifyTitle(
                "postgres: postgres tenantfold_bench_tenant_01 127.0.0.1(41234) COPY", target))
        .containsExactly("SOURCE_PG", "COPY");
    assertThat(
            CpuMeter.classifyTitle(
                "postgres: postgres " + target + " 127.0.0.1(41236) ALTER TABLE waiting", target))
        .containsExactly("TARGET_PG", "ALTER TABLE");
    assertThat(
            CpuMeter.classifyTitle(
                "postgres: postgres " + target + " 127.0.0.1(41236) idle in transaction", target))
        .containsExactly("TARGET_PG", "idle in transaction");
    assertThat(CpuMeter.classifyTitle("postgres: walwriter ", target)).startsWith("OTHER_PG");
    assertThat(CpuMeter.classifyTitle("postgres: postgres postgres [local] SELECT", target))
        .startsWith("OTHER_PG");
    assertThat(CpuMeter.leaderOf("postgres: parallel worker for PID 4242")).isEqualTo(4242);
    assertThat(CpuMeter.leaderOf("postgres: postgres x 127.0.0.1(1) SELECT")).isZero();
  }

  @Test
  void optionsRefuseWhatTheyCannotMeasure() {
    assertThatThrownBy(() -> BenchOptions.parse(new String[] {"--tables", "3", "--constraints"}))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("--tables does not combine");
    assertThatThrownBy(
            () ->
                BenchOptions.parse(
                    new String[] {
                      "--server-kind", "system", "--server", "jdbc:postgresql://h:5432/postgres"
                    }))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("--server-kind starts a server");
    assertThatThrownBy(() -> BenchOptions.parse(new String[] {"--server-kind", "disk"}))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("embedded, embedded-fsync or system");
  }
}
