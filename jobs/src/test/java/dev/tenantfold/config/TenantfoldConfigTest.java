package dev.tenantfold.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TenantfoldConfigTest {
  @TempDir Path dir;

  private File write(String hocon) throws Exception {
    Path file = dir.resolve("job.conf");
    Files.writeString(file, hocon);
    return file.toFile();
  }

  private static final String VALID =
      """
      tenantfold {
        target { url = "jdbc:postgresql://warehouse:5432/wh", user = loader, password = "target-secret-1" }
        tenants = [
          { id = acme, jdbc { url = "jdbc:postgresql://acme:5432/acme?password=url-secret-2", user = reader, password = "tenant-secret-3" } }
          { id = globex, jdbc { url = "jdbc:postgresql://globex:5432/globex", schemas = [app, billing] } }
        ]
        tables { "include" = ["*"], exclude = ["tmp_*"] }
      }
      """;

  @Test
  void appliesDefaultsFileAndOverridesInOrder() throws Exception {
    TenantfoldConfig config =
        TenantfoldConfig.load(
            write(VALID),
            List.of("target.schema=warehouse", "tenantfold.extract.tenant-parallelism=4"));

    assertThat(config.tenantColumn()).isEqualTo("tenant_id");
    assertThat(config.target().schema()).isEqualTo("warehouse");
    assertThat(config.target().reportSchema()).isEqualTo("tenantfold");
    assertThat(config.options().tenantParallelism()).isEqualTo(4);
    assertThat(config.tenants()).extracting(TenantConfig::id).containsExactly("acme", "globex");
    assertThat(config.tenants().get(0).schemas()).containsExactly("public");
    assertThat(config.tenants().get(1).schemas()).containsExactly("app", "billing");
    assertThat(config.tables().selects("orders")).isTrue();
    assertThat(config.tables().selects("tmp_orders")).isFalse();
  }

  @Test
  void toStringShowsTheConfigurationWithoutAnyPassword() throws Exception {
    String text = TenantfoldConfig.load(write(VALID), List.of()).toString();
    assertThat(text)
        .contains("acme", "warehouse")
        .doesNotContain("target-secret-1", "url-secret-2", "tenant-secret-3");
  }

  @Test
  void rejectsUnknownKeysNamingThePath() throws Exception {
    String typo = VALID.replace("tables {", "extract { rows-per-partiton = 5 }\n tables {");
    assertThatThrownBy(() -> TenantfoldConfig.load(write(typo), List.of()))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("tenantfold.extract.rows-per-partiton");
    String tenantTypo = VALID.replace("user = reader", "usr = reader");
    assertThatThrownBy(() -> TenantfoldConfig.load(write(tenantTypo), List.of()))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("tenantfold.tenants[0].jdbc.usr");
    assertThatThrownBy(() -> TenantfoldConfig.load(write(VALID), List.of("target.passwrd=x")))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("tenantfold.target.passwrd");
  }

  @Test
  void namesMissingAndInvalidKeys() throws Exception {
    assertThatThrownBy(
            () ->
                TenantfoldConfig.load(
                    write(VALID.replace("url = \"jdbc:postgresql://warehouse:5432/wh\",", "")),
                    List.of()))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("tenantfold.target.url");
    assertThatThrownBy(
            () ->
                TenantfoldConfig.load(write(VALID.replace("id = globex", "id = acme")), List.of()))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("Duplicate tenant id 'acme'")
        .hasMessageContaining("tenants[1].id");
    assertThatThrownBy(
            () ->
                TenantfoldConfig.load(
                    write(VALID.replace("id = globex", "id = \"glo bex\"")), List.of()))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("tenantfold.tenants[1].id");
    assertThatThrownBy(
            () ->
                TenantfoldConfig.load(write(VALID), List.of("extract.max-partitions-per-table=0")))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("tenantfold.extract.max-partitions-per-table");
    assertThatThrownBy(
            () ->
                TenantfoldConfig.load(
                    write("tenantfold { target { url = \"jdbc:postgresql://h/db\" } }"), List.of()))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("tenantfold.tenants");
    assertThatThrownBy(
            () -> TenantfoldConfig.load(new File(dir.toFile(), "absent.conf"), List.of()))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("absent.conf");
  }

  @Test
  void resolvesEnvironmentSubstitutions() throws Exception {
    String withEnv = VALID.replace("password = \"target-secret-1\"", "password = ${?HOME}");
    TenantfoldConfig config = TenantfoldConfig.load(write(withEnv), List.of());
    assertThat(config.target().endpoint().password()).isEqualTo(System.getenv("HOME"));
  }

  @Test
  void masksEverySecretWhenRendered() throws Exception {
    TenantfoldConfig config = TenantfoldConfig.load(write(VALID), List.of());
    String rendered = config.renderMasked();
    assertThat(rendered)
        .contains("acme", "globex", "tmp_*")
        .doesNotContain("target-secret-1", "url-secret-2", "tenant-secret-3");
    assertThat(config.target().endpoint().toString()).doesNotContain("target-secret-1");
    assertThat(config.tenants().get(0).jdbc().toString())
        .doesNotContain("url-secret-2", "tenant-secret-3");
  }
}
