package dev.tenantfold.conform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import dev.tenantfold.config.ConfigError;
import dev.tenantfold.config.ConfigReader;
import dev.tenantfold.config.RulesConfig;
import dev.tenantfold.extract.ColumnSpec;
import dev.tenantfold.extract.EnumSpec;
import dev.tenantfold.extract.TableSpec;
import dev.tenantfold.extract.TenantCatalog;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TargetSchemaPlannerTest {
  private static ColumnSpec col(String name, String type, boolean notNull) {
    return new ColumnSpec(name, type, notNull, null, false);
  }

  private static TenantCatalog tenant(String id, TableSpec... tables) {
    return new TenantCatalog(
        id, 160000, List.of(tables), Map.of("mood", new EnumSpec("mood", List.of("sad"))));
  }

  private static TableSpec orders(ColumnSpec... columns) {
    return new TableSpec(
        "public", "orders", List.of(columns), List.of("id"), List.of(), 10, 1, false);
  }

  @Test
  void unionsColumnsAndRelaxesNotNullForTenantsThatLackThem() {
    TargetSchema schema =
        TargetSchemaPlanner.plan(
            null,
            List.of(
                tenant("a", orders(col("id", "bigint", true), col("total", "numeric(12,2)", true))),
                tenant("b", orders(col("id", "bigint", true), col("coupon", "text", true)))),
            "tenant_id");

    TargetTable orders = schema.table("orders").orElseThrow();
    assertThat(orders.columns())
        .containsExactly(
            col("id", "bigint", true),
            col("total", "numeric(12,2)", false),
            col("coupon", "text", false));
    assertThat(orders.primaryKey()).containsExactly("id");
    assertThat(schema.rejectedTenants()).isEmpty();
    assertThat(schema.enums().get("mood").labels()).containsExactly("sad");
  }

  private static TenantCatalog withMood(String id, List<String> labels) {
    return new TenantCatalog(
        id,
        160000,
        List.of(orders(col("id", "bigint", true))),
        Map.of("mood", new EnumSpec("mood", labels)));
  }

  @Test
  void enumLabelsThatDifferStopTheTenantUnlessUnitedInSourceOrder() {
    List<TenantCatalog> tenants =
        List.of(
            withMood("a", List.of("sad", "ok", "happy")),
            withMood("b", List.of("sad", "meh", "ok")),
            withMood("c", List.of("ok", "sad")));

    TargetSchema strict = TargetSchemaPlanner.plan(null, tenants, "tenant_id");
    assertThat(strict.rejectedTenants()).containsOnlyKeys("b", "c");
    assertThat(strict.rejectedTenants().get("b"))
        .contains(
            "enum type mood differs between tenants",
            "tenant b has labels [sad, meh, ok], tenant a has [sad, ok, happy]",
            "tenantfold.enum-union = [mood]");
    assertThat(strict.enums().get("mood").labels()).containsExactly("sad", "ok", "happy");

    TargetSchema united =
        TargetSchemaPlanner.plan(
            null, tenants, "tenant_id", RulesConfig.none().withEnumUnion(List.of("mood")));
    assertThat(united.rejectedTenants())
        .as("c orders ok before sad, a after")
        .containsOnlyKeys("c");
    assertThat(united.rejectedTenants().get("c")).contains("orders its labels differently");
    assertThat(united.enums().get("mood").labels()).containsExactly("sad", "meh", "ok", "happy");
  }

  @Test
  void rejectsOnlyTheTenantWhoseTypesDisagree() {
    TargetSchema schema =
        TargetSchemaPlanner.plan(
            null,
            List.of(
                tenant(
                    "a", orders(col("id", "bigint", true), col("total", "numeric(12,2)", false))),
                tenant("b", orders(col("id", "bigint", true), col("total", "text", false))),
                tenant("c", orders(col("id", "bigint", true)))),
            "tenant_id");

    assertThat(schema.rejectedTenants()).containsOnlyKeys("b");
    assertThat(schema.rejectedTenants().get("b"))
        .contains("orders", "total", "text", "numeric(12,2)", "tenant a");
    assertThat(schema.table("orders").orElseThrow().columnNames()).containsExactly("id", "total");
  }

  @Test
  void rejectsATenantThatAlreadyHasTheTenantColumn() {
    TargetSchema schema =
        TargetSchemaPlanner.plan(
            null,
            List.of(
                tenant("a", orders(col("id", "bigint", true), col("tenant_id", "text", false)))),
            "tenant_id");
    assertThat(schema.rejectedTenants().get("a")).contains("tenantfold.tenant-column");
  }

  @Test
  void keepsExistingTargetColumnsFirstAndIgnoresUnrelatedTargetTables() {
    TenantCatalog existing =
        new TenantCatalog(
            "target",
            160000,
            List.of(
                new TableSpec(
                    "public",
                    "orders",
                    List.of(
                        col("tenant_id", "text", true),
                        col("id", "bigint", true),
                        col("legacy", "text", false)),
                    List.of("tenant_id", "id"),
                    List.of(),
                    0,
                    0,
                    true),
                new TableSpec(
                    "public",
                    "unrelated",
                    List.of(col("x", "int", false)),
                    List.of(),
                    List.of(),
                    0,
                    0,
                    false)),
            Map.of());
    TargetSchema schema =
        TargetSchemaPlanner.plan(
            existing,
            List.of(tenant("a", orders(col("id", "bigint", true), col("total", "numeric", false)))),
            "tenant_id");

    assertThat(schema.tables()).containsOnlyKeys("orders");
    assertThat(schema.table("orders").orElseThrow().columnNames())
        .containsExactly("id", "legacy", "total");
  }

  @Test
  void widensTypesAppliesRulesAndRecordsTheDrift() {
    RulesConfig rules =
        RulesConfig.from(
            new ConfigReader(
                ConfigFactory.parseString(
                    """
                    orders { columns { code { cast = bigint }, fax { exclude = true }, region { default = EU } } }
                    """),
                "tenantfold.rules"));
    TargetSchema schema =
        TargetSchemaPlanner.plan(
            null,
            List.of(
                tenant(
                    "a",
                    orders(
                        col("id", "integer", true),
                        col("code", "text", false),
                        col("fax", "text", false),
                        col("region", "text", true))),
                tenant("b", orders(col("id", "bigint", true), col("code", "integer", false)))),
            "tenant_id",
            rules);

    assertThat(schema.errors()).isEmpty();
    assertThat(schema.table("orders").orElseThrow().columns())
        .containsExactly(
            col("id", "bigint", true), col("code", "bigint", false), col("region", "text", true));
    assertThat(schema.drift())
        .extracting(d -> d.column() + ": " + d.detail())
        .contains(
            "id: integer in [a], bigint in [b]: widened to bigint",
            "code: text in [a], integer in [b]: cast to bigint",
            "region: in [a], missing in [b]: they load the default 'EU'");
  }

  @Test
  void aRuleNamingAnUnknownColumnIsAConfigError() {
    RulesConfig rules =
        RulesConfig.from(
            new ConfigReader(
                ConfigFactory.parseString("orders { columns { nope { cast = bigint } } }"),
                "tenantfold.rules"));
    assertThatThrownBy(
            () ->
                TargetSchemaPlanner.plan(
                    null,
                    List.of(tenant("a", orders(col("id", "bigint", true)))),
                    "tenant_id",
                    rules))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("tenantfold.rules.orders.columns.nope")
        .hasMessageContaining("has no column nope");
  }
}
