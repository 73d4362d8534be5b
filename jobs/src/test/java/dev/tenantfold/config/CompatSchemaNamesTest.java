package dev.tenantfold.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Compatibility schema names: one per tenant and source schema, checked with the config. */
class CompatSchemaNamesTest {
  @TempDir Path dir;

  private TenantfoldConfig load(String target, String tenants) throws Exception {
    Path file = dir.resolve("job.conf");
    Files.writeString(
        file,
        "tenantfold { target { url = \"jdbc:postgresql://db/wh\", compat-schemas = true, "
            + target
            + " }, tenants = [ "
            + tenants
            + " ] }");
    return TenantfoldConfig.load(file.toFile(), List.of());
  }

  private static String tenant(String id, String... schemas) {
    return "{ id = \""
        + id
        + "\", jdbc { url = \"jdbc:postgresql://h/"
        + id
        + "\", schemas = ["
        + String.join(", ", schemas)
        + "] } }";
  }

  @Test
  void namedBySourceSchemaPublicWithoutSuffix() throws Exception {
    assertThat(CompatSchemaNames.of("tenant_", "acme", "public")).isEqualTo("tenant_acme");
    assertThat(CompatSchemaNames.of("tenant_", "acme", "sales")).isEqualTo("tenant_acme_sales");
    assertThat(
            CompatSchemaNames.mirrored(
                List.of("sales", "public"), List.of("public", "hr", "sales")))
        .as("the tenant's search path first, then the other consolidated schemas")
        .containsExactly("sales", "public", "hr");
    assertThat(
            load("schema-map { sales = sales_mt }", tenant("acme", "public", "sales"))
                .target()
                .compatSchemaPrefix())
        .contains("tenant_");
  }

  @Test
  void collisionsLengthAndReservedSchemasAreConfigErrors() {
    assertThatThrownBy(
            () ->
                load(
                    "", tenant("a", "public", "b_sales") + ", " + tenant("a_b", "public", "sales")))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("tenant_a_b_sales")
        .hasMessageContaining("tenant a, source schema b_sales")
        .hasMessageContaining("tenant a_b, source schema sales");
    assertThatThrownBy(
            () -> load("", tenant("acme" + "x".repeat(40), "public", "sales_and_marketing")))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("more than PostgreSQL's 63")
        .hasMessageContaining("compat-schema-prefix");
    assertThatThrownBy(
            () -> load("", tenant("acme", "public", "x") + ", " + tenant("acme_x", "public")))
        .as("public's schema of one tenant, another's of schema x")
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("tenant acme, source schema x")
        .hasMessageContaining("tenant acme_x, source schema public");
    assertThatThrownBy(
            () ->
                load(
                    "",
                    tenant("acme", "public") + ", " + tenant("globex", "public", "tenant_acme")))
        .as("a compatibility schema would drop a consolidated schema")
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("tenant_acme")
        .hasMessageContaining("the target schema of source schema tenant_acme");
  }
}
