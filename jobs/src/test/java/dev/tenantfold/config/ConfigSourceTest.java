package dev.tenantfold.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tenantfold.cli.TenantfoldMain;
import dev.tenantfold.testing.S3Server;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --config} as an {@code s3://} or {@code s3a://} URI, read from a real S3 server (s3proxy)
 * with the job's S3 settings given as {@code --set s3.*}, layered like a local file; and the errors
 * a missing object, a wrong key or an unknown scheme give (exit 2, no key in the message).
 */
class ConfigSourceTest {
  private static final S3Server S3 = S3Server.get();
  private static final String BUCKET = S3.createBucket("config-source");
  private static final String JOB_CONF =
      """
      tenantfold {
        target { url = "jdbc:postgresql://warehouse:5432/wh", user = loader, password = ${?TF_NO_SUCH_VARIABLE}, schema = wh }
        tenants = [ { id = acme, jdbc { url = "jdbc:postgresql://acme:5432/acme", user = reader } } ]
        report.dir = "s3a://config-source/reports"
      }
      """;

  @TempDir Path dir;

  private static List<String> s3Settings(String secretKey) {
    return List.of(
        "s3.endpoint=" + S3.endpoint(),
        "s3.path-style-access=true",
        "s3.access-key=" + S3Server.ACCESS_KEY,
        "s3.secret-key=" + secretKey);
  }

  @Test
  void readsTheConfigFromS3AndS3aLayeredLikeALocalFile() {
    S3.putString(BUCKET, "tenantfold/job.conf", JOB_CONF);
    for (String scheme : List.of("s3", "s3a")) {
      List<String> overrides = new ArrayList<>(s3Settings(S3Server.SECRET_KEY));
      overrides.add("target.schema=override");
      TenantfoldConfig config =
          TenantfoldConfig.load(scheme + "://" + BUCKET + "/tenantfold/job.conf", overrides);

      assertThat(config.tenants())
          .as("tenants read from %s://", scheme)
          .extracting(TenantConfig::id)
          .containsExactly("acme");
      assertThat(config.target().endpoint().url()).isEqualTo("jdbc:postgresql://warehouse:5432/wh");
      assertThat(config.target().schema()).as("--set beats the file").isEqualTo("override");
      assertThat(config.s3().endpoint())
          .as("the settings that read the file are the job's")
          .contains(S3.endpoint());
    }
  }

  @Test
  void aMissingObjectIsAConfigErrorNamingTheUri() {
    assertThatThrownBy(
            () ->
                TenantfoldConfig.load(
                    "s3://" + BUCKET + "/tenantfold/nope.conf", s3Settings(S3Server.SECRET_KEY)))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining(
            "Cannot read config file s3://" + BUCKET + "/tenantfold/nope.conf: no such object");
  }

  @Test
  void aWrongKeyFailsWithoutShowingIt() {
    S3.putString(BUCKET, "tenantfold/job.conf", JOB_CONF);
    String wrong = "wrong-secret-" + System.nanoTime();
    assertThatThrownBy(
            () ->
                TenantfoldConfig.load(
                    "s3a://" + BUCKET + "/tenantfold/job.conf", s3Settings(wrong)))
        .isInstanceOf(ConfigError.class)
        .hasMessageStartingWith(
            "Cannot read config file s3a://" + BUCKET + "/tenantfold/job.conf: ")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(wrong));
  }

  @Test
  void localPathsFileUrisAndUnknownSchemes() throws Exception {
    Path local = dir.resolve("job.conf");
    Files.writeString(local, JOB_CONF);
    assertThat(TenantfoldConfig.load(local.toString(), List.of()).target().schema())
        .isEqualTo("wh");
    assertThat(TenantfoldConfig.load(local.toUri().toString(), List.of()).target().schema())
        .isEqualTo("wh");
    assertThatThrownBy(
            () -> TenantfoldConfig.load(dir.resolve("missing.conf").toString(), List.of()))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("no such file");
    assertThatThrownBy(() -> TenantfoldConfig.load("https://example.com/job.conf", List.of()))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("unsupported scheme 'https'");
  }

  @Test
  void theCliExitsTwoForAnUnreadableS3Config() {
    List<String> args =
        new ArrayList<>(
            List.of("validate", "--config", "s3://" + BUCKET + "/tenantfold/absent.conf"));
    for (String setting : s3Settings(S3Server.SECRET_KEY)) {
      args.add("--set");
      args.add(setting);
    }
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        TenantfoldMain.run(
            args.toArray(String[]::new),
            new PrintStream(new ByteArrayOutputStream()),
            new PrintStream(err));

    assertThat(code).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("no such object")
        .doesNotContain(S3Server.SECRET_KEY);
  }
}
