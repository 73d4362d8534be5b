package dev.tenantfold.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Report files land where report.dir says, whatever characters its path holds. */
class ReportWriterTest {
  @TempDir Path tmp;

  @Test
  void aReportDirWithSpacesAndPercentSignsIsWritten() throws Exception {
    Path dir = tmp.resolve("my reports/100% done #1");
    String written =
        ReportWriter.writeFile(dir.toString(), "run-1", "plan.json", "{}", new Configuration());
    assertThat(written).isEqualTo(dir.resolve("run-1").resolve("plan.json").toString());
    assertThat(Files.readString(Path.of(written))).isEqualTo("{}");
    assertThat(ReportWriter.plain("s3a://bucket/a%20b/report.json"))
        .isEqualTo("s3a://bucket/a%20b/report.json");
  }
}
