package dev.tenantfold.conform;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.tenantfold.config.ConfigReader;
import dev.tenantfold.config.RulesConfig;
import dev.tenantfold.extract.ColumnSpec;
import dev.tenantfold.extract.TableSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which tables take an export tenant's landing path, and the quarantine SQL both paths share. */
class ConformedSourceTest {
  private static final TargetTable CUSTOMERS =
      new TargetTable(
          "customers",
          List.of(
              new ColumnSpec("id", "integer", true, null, false),
              new ColumnSpec("code", "bigint", false, null, false),
              new ColumnSpec("region", "text", false, null, false)),
          List.of("id"));

  private static RulesConfig.TableRule rule(String hocon) {
    return RulesConfig.from(new ConfigReader(ConfigFactory.parseString(hocon), "tenantfold.rules"))
        .forTable("customers");
  }

  private static TableSpec tenant(String... columns) {
    List<ColumnSpec> specs =
        List.of(columns).stream()
            .map(
                c ->
                    new ColumnSpec(
                        c, c.equals("id") ? "integer" : "text", c.equals("id"), null, false))
            .toList();
    return new TableSpec("public", "customers", specs, List.of("id"), List.of(), 0, 0, false);
  }

  @Test
  void onlyRulesThatChangeThisTenantsRowsInSqlTakeTheLandingPath() {
    assertThat(
            new ConformedSource(
                    CUSTOMERS,
                    tenant("id", "code", "region"),
                    rule("customers { columns { code { cast = bigint } } }"))
                .appliesOnlyInSql())
        .as("a cast of a column the tenant has")
        .isTrue();
    assertThat(
            new ConformedSource(
                    CUSTOMERS,
                    tenant("id", "region"),
                    rule("customers { columns { code { cast = bigint } } }"))
                .appliesOnlyInSql())
        .as("a cast of a column the tenant lacks (it loads NULL)")
        .isFalse();
    assertThat(
            new ConformedSource(
                    CUSTOMERS,
                    tenant("id", "code"),
                    rule("customers { columns { region { default = EU } } }"))
                .appliesOnlyInSql())
        .as("a default for a column the tenant lacks")
        .isTrue();
    assertThat(
            new ConformedSource(
                    CUSTOMERS,
                    tenant("id", "code", "region"),
                    rule("customers { columns { region { default = EU } } }"))
                .appliesOnlyInSql())
        .as("a default for a column the tenant has")
        .isFalse();
    assertThat(
            new ConformedSource(
                    CUSTOMERS, tenant("id", "code", "region"), rule("customers { dedup = exact }"))
                .appliesOnlyInSql())
        .as("dedup alone runs in Spark")
        .isFalse();
    assertThat(
            new ConformedSource(
                    CUSTOMERS,
                    tenant("id", "code", "region"),
                    rule("customers { dedup = exact, quarantine-duplicates = true }"))
                .appliesOnlyInSql())
        .as("the duplicates quarantine")
        .isTrue();
  }

  @Test
  void theQuarantineCopyIsTheQuarantineSelectStreamed() {
    ConformedSource keyed =
        new ConformedSource(
            CUSTOMERS,
            tenant("id", "code", "region"),
            rule(
                "customers { dedup { key = [code], keep = \"region desc\" }, quarantine-duplicates"
                    + " = true }"));
    String select = keyed.duplicatesSelect("r1", "acme").orElseThrow();
    assertThat(keyed.duplicatesCopyOut("r1", "acme")).contains("COPY (" + select + ") TO STDOUT");
    assertThat(select)
        .isEqualTo(
            "SELECT 'r1', 'acme', 'customers', jsonb_build_object('code', x.\"code\"), to_jsonb(x)"
                + " - 'tenantfold_rank' FROM (SELECT d.*, row_number() OVER (PARTITION BY \"code\""
                + " ORDER BY \"region\" DESC NULLS LAST, (d.*)::text COLLATE \"C\") AS"
                + " tenantfold_rank FROM ONLY \"public\".\"customers\" d) x WHERE tenantfold_rank >"
                + " 1");
  }
}
