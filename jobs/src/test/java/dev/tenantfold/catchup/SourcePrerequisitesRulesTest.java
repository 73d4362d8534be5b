package dev.tenantfold.catchup;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.tenantfold.config.ConfigReader;
import dev.tenantfold.config.RulesConfig;
import dev.tenantfold.config.RulesConfig.TableRule;
import dev.tenantfold.extract.ColumnSpec;
import dev.tenantfold.extract.TableSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What {@code plan} refuses of a logical tenant's rules: what catch-up cannot apply. */
class SourcePrerequisitesRulesTest {
  private static TableRule rule(String hocon) {
    return RulesConfig.from(new ConfigReader(ConfigFactory.parseString(hocon), "tenantfold.rules"))
        .forTable("t");
  }

  private static final TableSpec TABLE =
      new TableSpec(
          "public",
          "t",
          List.of(
              new ColumnSpec("id", "text", true, null, false),
              new ColumnSpec("k", "text", false, null, false),
              new ColumnSpec("v", "text", false, null, false)),
          List.of("id"),
          List.of(),
          0,
          0,
          false);

  @Test
  void rulesCatchUpAppliesAreAccepted() {
    assertThat(
            SourcePrerequisites.unsupportedRule(
                rule(
                    "t { columns { v { cast = bigint } }, dedup { key = [k] },"
                        + " quarantine-duplicates = true }"),
                TABLE))
        .isNull();
    assertThat(
            SourcePrerequisites.unsupportedRule(
                rule("t { shared { on-conflict = first-tenant } }"), TABLE))
        .isNull();
  }

  @Test
  void aCastKeyADedupKeyCastAndASharedDedupAreRefusedNamingTheRule() {
    assertThat(
            SourcePrerequisites.unsupportedRule(
                rule("t { columns { id { cast = bigint } } }"), TABLE))
        .contains("casts primary key columns [id]")
        .contains("tenantfold.rules.t");
    assertThat(
            SourcePrerequisites.unsupportedRule(
                rule("t { columns { k { cast = bigint } }, dedup { key = [k] } }"), TABLE))
        .contains("casts dedup key columns [k]");
    assertThat(
            SourcePrerequisites.unsupportedRule(
                rule("t { shared {}, dedup { key = [k] } }"), TABLE))
        .contains("shared and deduplicated");
  }
}
