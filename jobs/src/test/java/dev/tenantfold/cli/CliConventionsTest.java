package dev.tenantfold.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.config.TenantfoldConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The conventions a user expects of a command line, driven in-process: help in every usual form on
 * stdout with exit 0, the version, unknown options naming the valid ones (exit 2), and the
 * effective configuration complete, one line per key, with every secret masked.
 */
class CliConventionsTest {
  private ByteArrayOutputStream out;
  private ByteArrayOutputStream err;

  @BeforeEach
  void streams() {
    out = new ByteArrayOutputStream();
    err = new ByteArrayOutputStream();
  }

  private int main(String... args) {
    out.reset();
    err.reset();
    return TenantfoldMain.run(
        args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @Test
  void helpInEveryUsualFormPrintsUsageOnStdoutAndExitsZero() {
    for (String[] args :
        List.of(new String[] {"--help"}, new String[] {"-h"}, new String[] {"help"})) {
      assertThat(main(args)).as("tenantfold %s", String.join(" ", args)).isZero();
      assertThat(out.toString())
          .as("tenantfold %s", String.join(" ", args))
          .contains(
              "Usage:",
              "tenantfold run --config FILE",
              "tenantfold validate",
              "tenantfold demo",
              "Exit codes:");
      assertThat(err.toString()).isEmpty();
    }
    for (String command : TenantfoldMain.commands()) {
      assertThat(main("help", command)).as("tenantfold help %s: %s", command, err).isZero();
      String viaHelp = out.toString();
      assertThat(viaHelp)
          .as("tenantfold help %s", command)
          .contains("tenantfold " + command, "Options:", "--help", "Exit codes:");
      assertThat(main(command, "--help")).as("tenantfold %s --help", command).isZero();
      assertThat(out.toString())
          .as("tenantfold %s --help is tenantfold help %s", command, command)
          .isEqualTo(viaHelp);
    }
    assertThat(main("run", "--config", "x.conf", "-h")).isZero();
    assertThat(out.toString())
        .contains(
            "tenantfold run --config FILE", "--allow-shrink ID", "--resume RUN_ID", "--only-failed")
        .doesNotContain("tenantfold validate");
    assertThat(main("help", "frobnicate")).isEqualTo(2);
    assertThat(err.toString())
        .contains(
            "Unknown command 'frobnicate'",
            "plan, run, validate, cleanup, export, discover, report, catch-up, cutover, demo");
  }

  @Test
  void versionComesFromTheBuild() {
    assertThat(main("--version")).isZero();
    assertThat(out.toString())
        .matches(
            "tenantfold \\d+\\.\\d+\\.\\d+(-SNAPSHOT)? \\(Spark 4\\.\\d+\\.\\d+, Scala"
                + " 2\\.13\\.\\d+, Java \\S+\\)\\R");
    assertThat(main("-V")).isZero();
  }

  @Test
  void anUnknownOptionNamesTheCommandsValidOptionsAndExitsTwo() {
    assertThat(main("validate", "--tenants", "acme")).isEqualTo(2);
    assertThat(err.toString())
        .contains(
            "Unknown option '--tenants' for 'validate' (valid: --config, --set, --table, --tenant)",
            "tenantfold validate --config FILE")
        .doesNotContain("tenantfold run");
    assertThat(main("cleanup", "--dryrun")).isEqualTo(2);
    assertThat(err.toString()).contains("(valid: --config, --set, --dry-run)");
    assertThat(main("demo", "--fast")).isEqualTo(2);
    assertThat(err.toString()).contains("Unknown option '--fast' for 'demo'");
    assertThat(main()).isEqualTo(2);
    assertThat(err.toString()).contains("Usage:");
  }

  @Test
  void effectiveConfigurationIsCompleteCompactAndMasked() {
    String targetPw = "Tgt-Pw-71c9";
    String tenantPw = "Ten-Pw-2b4e";
    String catalogPw = "Cat-Pw-9d0a";
    String secretKey = "S3-Secret-Key-77f1";
    String accessKey = "AKIAEXAMPLE12345";
    TenantfoldConfig config =
        TenantfoldConfig.load(
            (String) null,
            List.of(
                "target.url=\"jdbc:postgresql://db:5432/warehouse\"",
                "target.user=loader",
                "target.password=" + targetPw,
                "tenants=[{id=acme, jdbc{url=\"jdbc:postgresql://acme:5432/acme?password="
                    + tenantPw
                    + "\", user=r, password="
                    + tenantPw
                    + "}}, {id=globex, export{path=\"s3a://exports/globex/t1\", database=globex,"
                    + " catalog{url=\"jdbc:postgresql://g/g\", user=r, password="
                    + catalogPw
                    + "}}}]",
                "s3.access-key=" + accessKey,
                "s3.secret-key=" + secretKey));

    String text = config.renderCompact();

    assertThat(text).doesNotContain(targetPw, tenantPw, catalogPw, secretKey, accessKey);
    assertThat(text)
        .contains(
            "  target.url = \"jdbc:postgresql://db:5432/warehouse\"",
            "  target.password = \"****\"",
            "  s3.secret-key = \"****\"",
            "  s3.access-key = \"****\"",
            "  extract.rows-per-partition = 2000000",
            "  validate.buckets = 1024",
            "  tenants[0] = {",
            "  tenants[1] = {");
    // Compact: one line per setting, every tenant on one line, nothing nested.
    assertThat(text.lines().filter(l -> l.startsWith("  tenants[")).count()).isEqualTo(2);
    assertThat(text.lines()).allMatch(l -> l.matches("  \\S+ = .+"), "every line is 'key = value'");
    assertThat(text.lines().count()).as("one line per setting").isLessThan(50);
  }
}
