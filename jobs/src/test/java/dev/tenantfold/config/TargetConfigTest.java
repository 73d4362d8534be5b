package dev.tenantfold.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tenantfold.cli.TenantfoldMain;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code target { }} block: URL of the right driver, row-level security settings. */
class TargetConfigTest {
  @TempDir Path dir;

  private static final String TENANTS =
      "tenants = [ { id = acme, jdbc { url = \"jdbc:postgresql://acme:5432/acme\" } } ]";

  private TargetConfig target(String targetBlock, String... overrides) throws Exception {
    Path file = dir.resolve("job.conf");
    Files.writeString(file, "tenantfold { target { " + targetBlock + " }, " + TENANTS + " }");
    return TenantfoldConfig.load(file.toFile(), List.of(overrides)).target();
  }

  @Test
  void aTargetUrlOfAnotherDriverIsAConfigErrorNamingTheKeyAndExitsTwoBeforeSparkStarts()
      throws Exception {
    assertThatThrownBy(() -> target("url = \"jdbc:mysql://db:3306/wh?user=u&password=hunter2\""))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("tenantfold.target.url")
        .hasMessageContaining("jdbc:postgresql:")
        .hasMessageContaining("jdbc:mysql:")
        .hasMessageNotContaining("hunter2");
    assertThatThrownBy(() -> target("url = \"postgres://u:hunter2@db/wh\""))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("tenantfold.target.url")
        .hasMessageNotContaining("hunter2");

    Path conf = dir.resolve("mysql.conf");
    Files.writeString(
        conf, "tenantfold { target { url = \"jdbc:mysql://db:3306/wh\" }, " + TENANTS + " }");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        TenantfoldMain.run(
            new String[] {"run", "--config", conf.toString()},
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    assertThat(code).as("exit code; stderr: %s", err).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("tenantfold.target.url");
  }

  @Test
  void rowLevelSecurityIsOffByDefaultAndReadsItsSettings() throws Exception {
    TargetConfig defaults = target("url = \"jdbc:postgresql://wh:5432/wh\"");
    assertThat(defaults.rowLevelSecurity()).isFalse();
    assertThat(defaults.tenantSetting()).isEqualTo("app.tenant_id");
    assertThat(defaults.applicationRole()).isEmpty();

    TargetConfig on =
        target(
            "url = \"jdbc:postgresql://wh:5432/wh\"",
            "target.row-level-security=true",
            "target.tenant-setting=myapp.tenant",
            "target.application-role=app_rw");
    assertThat(on.rowLevelSecurity()).isTrue();
    assertThat(on.tenantSetting()).isEqualTo("myapp.tenant");
    assertThat(on.applicationRole()).contains("app_rw");
  }

  @Test
  void rowLevelSecuritySettingsThatCannotWorkAreRejectedNamingTheKey() {
    assertThatThrownBy(
            () ->
                target(
                    "url = \"jdbc:postgresql://wh/wh\"",
                    "target.row-level-security=true",
                    "target.tenant-setting=tenant_id"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("tenantfold.target.tenant-setting");
    assertThatThrownBy(
            () ->
                target(
                    "url = \"jdbc:postgresql://wh/wh\"",
                    "target.row-level-security=true",
                    "target.application-role=app; DROP"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("tenantfold.target.application-role");
    assertThatThrownBy(
            () -> target("url = \"jdbc:postgresql://wh/wh\"", "target.application-role=app"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("tenantfold.target.row-level-security");
    assertThatThrownBy(
            () -> target("url = \"jdbc:postgresql://wh/wh\"", "target.row-level-securty=true"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("tenantfold.target.row-level-securty");
  }
}
