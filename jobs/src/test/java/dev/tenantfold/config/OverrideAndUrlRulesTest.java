package dev.tenantfold.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How {@code --set} values are read (quoted, lists, verbatim) and which tenant URLs are accepted.
 */
class OverrideAndUrlRulesTest {
  @TempDir Path dir;

  private static final String VALID =
      """
      tenantfold {
        target { url = "jdbc:postgresql://warehouse:5432/wh", user = loader, password = "target-secret-1" }
        tenants = [
          { id = acme, jdbc { url = "jdbc:postgresql://acme:5432/acme", user = reader, password = "tenant-secret-3" } }
          { id = globex, jdbc { url = "%s", password = "globex-secret-4" } }
        ]
      }
      """;

  private File write(String globexUrl) throws Exception {
    Path file = dir.resolve("job.conf");
    Files.writeString(file, VALID.formatted(globexUrl));
    return file.toFile();
  }

  private TenantfoldConfig load(String... overrides) throws Exception {
    return TenantfoldConfig.load(write("jdbc:postgresql://globex:5432/globex"), List.of(overrides));
  }

  @Test
  void aQuotedValueLosesItsQuotesAsInTheConfigFile() throws Exception {
    assertThat(load("target.schema=\"wh\"").target().schema()).as("double-quoted").isEqualTo("wh");
    assertThat(load("target.schema= \"wh\" ").target().schema())
        .as("quoted with blanks around")
        .isEqualTo("wh");
    assertThat(load("target.schema=\"my schema\"").target().schema())
        .as("quoted with a space")
        .isEqualTo("my schema");
    assertThat(load("target.schema=\"a\\\"b\"").target().schema())
        .as("escaped quote inside")
        .isEqualTo("a\"b");
    assertThat(load("target.schema=\"\"\"w\"h\"\"\"").target().schema())
        .as("triple-quoted keeps inner quotes")
        .isEqualTo("w\"h");
  }

  @Test
  void plainValuesListsAndObjectsStillWork() throws Exception {
    assertThat(load("target.schema=wh").target().schema()).isEqualTo("wh");
    assertThat(load("target.schema=two words").target().schema())
        .as("spaces kept verbatim")
        .isEqualTo("two words");
    assertThat(
            load("target.url=jdbc:postgresql://h:5432/wh?options=-c%20a=b&ssl=true")
                .target()
                .endpoint()
                .url())
        .as("'=' in the value kept verbatim")
        .isEqualTo("jdbc:postgresql://h:5432/wh?options=-c%20a=b&ssl=true");
    assertThat(load("target.password=\"pa ss=word\"").target().endpoint().password())
        .isEqualTo("pa ss=word");
    TenantfoldConfig lists =
        load("tables.include=[\"orders\", customers]", "tables.exclude=[\"tmp_*\"]");
    assertThat(lists.tables().selects("orders")).isTrue();
    assertThat(lists.tables().selects("customers")).isTrue();
    assertThat(lists.tables().selects("events")).isFalse();
    assertThat(load("validate={ buckets = 64 }").validate().buckets()).isEqualTo(64);
  }

  @Test
  void aValueThatIsNotOneQuotedStringIsRejectedWithoutEchoingIt() {
    assertThatThrownBy(() -> load("target.schema=\"wh\" extra"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("Cannot parse --set 'target.schema=...'")
        .hasMessageContaining("one quoted string");
    assertThatThrownBy(() -> load("target.password=\"unterminated-secret-5"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("target.password")
        .hasMessageNotContaining("unterminated-secret-5");
  }

  @Test
  void aTenantUrlThatIsNotJdbcPostgresqlNamesTheKeyAndShowsNoSecret() {
    assertThatThrownBy(
            () ->
                TenantfoldConfig.load(
                    write("postgres://bob:url-secret-6@globex:5432/globex?password=url-secret-7"),
                    List.of()))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining(
            "Cannot read config key tenantfold.tenants[1].jdbc.url: tenant globex's URL must start"
                + " with jdbc:postgresql:")
        .hasMessageContaining("(got postgres://globex:5432/globex)")
        .hasMessageContaining("jdbc:postgresql://host:5432/database")
        .hasMessageNotContaining("url-secret-6")
        .hasMessageNotContaining("url-secret-7")
        .hasMessageNotContaining("globex-secret-4");
    assertThatThrownBy(
            () -> TenantfoldConfig.load(write("jdbc:mysql://globex:3306/globex"), List.of()))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("tenantfold.tenants[1].jdbc.url");
  }
}
