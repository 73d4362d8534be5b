package dev.tenantfold.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import dev.tenantfold.config.RulesConfig.TableRule;
import org.junit.jupiter.api.Test;

/** The rules block as a user writes it: every shape parses, every mistake names its key. */
class RulesConfigTest {
  private static RulesConfig parse(String hocon) {
    return RulesConfig.from(new ConfigReader(ConfigFactory.parseString(hocon), "tenantfold.rules"));
  }

  @Test
  void readsEveryKindOfRule() {
    RulesConfig rules =
        parse(
            """
            customers {
              columns { balance { cast = "numeric(14,4)" }, legacy_code { cast = BIGINT }, fax { exclude = true }, region { default = "EU" } }
              max-rejected-rows = 10
            }
            customer_status { dedup { key = [customer_id], keep = "updated_at desc, id" } }
            events { dedup = exact }
            audit_log { exclude = true }
            countries { shared { on-conflict = "tenant:globex" } }
            """);
    TableRule customers = rules.forTable("customers");
    assertThat(customers.column("balance").orElseThrow().cast()).contains("numeric(14,4)");
    assertThat(customers.column("legacy_code").orElseThrow().cast()).contains("bigint");
    assertThat(customers.column("fax").orElseThrow().exclude()).isTrue();
    assertThat(customers.column("region").orElseThrow().defaultValue()).contains("EU");
    assertThat(customers.maxRejectedRows()).isEqualTo(10);
    assertThat(customers.changesRows()).isTrue();
    RulesConfig.Dedup keyed = rules.forTable("customer_status").dedup().orElseThrow();
    assertThat(keyed.key()).containsExactly("customer_id");
    assertThat(keyed.keep())
        .containsExactly(
            new RulesConfig.SortKey("updated_at", true), new RulesConfig.SortKey("id", false));
    assertThat(rules.forTable("events").dedup().orElseThrow().exact()).isTrue();
    assertThat(rules.excludedTables()).containsExactly("audit_log");
    assertThat(rules.forTable("orders").changesRows()).as("a table without rules").isFalse();
    assertThat(rules.forTable("countries").shared().orElseThrow().describe())
        .isEqualTo("tenant:globex");
    assertThat(rules.sharedTables()).containsExactly("countries");
  }

  @Test
  void namesTheKeyOfEveryMistake() {
    assertThatThrownBy(() -> parse("customers { colums { a { cast = bigint } } }"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("Unknown config key tenantfold.rules.customers.colums");
    assertThatThrownBy(
            () -> parse("customers { columns { a { cast = \"bigint; DROP TABLE x\" } } }"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("tenantfold.rules.customers.columns.a.cast")
        .hasMessageContaining("is not a PostgreSQL type name");
    assertThatThrownBy(() -> parse("events { dedup = fuzzy }"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("tenantfold.rules.events.dedup = 'fuzzy'");
    assertThatThrownBy(() -> parse("events { dedup { keep = \"at desc\" } }"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("tenantfold.rules.events.dedup.key");
    assertThatThrownBy(() -> parse("events { dedup { key = [id], keep = \"at sideways\" } }"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("'at sideways' is not 'column [asc|desc]'");
    assertThatThrownBy(() -> parse("customers { max-rejected-rows = -1 }"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("tenantfold.rules.customers.max-rejected-rows must be at least 0");
    assertThatThrownBy(() -> parse("customers { columns { fax { exclude = true, default = x } } }"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("tenantfold.rules.customers.columns.fax.exclude");
    assertThatThrownBy(() -> parse("countries { shared { on-conflict = last-tenant } }"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("tenantfold.rules.countries.shared.on-conflict = 'last-tenant'");
  }

  @Test
  void everyBlockAcceptsItsDeclaredKeysAtThePathsTheDeclarationsRender() {
    RulesConfig rules =
        parse(
            """
            "sales.orders" {
              columns { total { cast = bigint } }
              dedup { key = [id] }
              quarantine-duplicates = true
              cursor-column = updated_at
            }
            """);
    TableRule orders = rules.forTable("sales.orders");
    assertThat(orders.path()).isEqualTo(RulesConfig.path("sales.orders"));
    assertThat(orders.column("total").orElseThrow().path() + ".cast")
        .isEqualTo(RulesConfig.CAST.path("sales.orders", "total"))
        .isEqualTo("tenantfold.rules.\"sales.orders\".columns.total.cast");
    assertThat(orders.quarantineDuplicates()).isTrue();
    assertThat(orders.cursorColumn()).contains("updated_at");
    assertThat(rules.forTable("orders").path()).isEqualTo("tenantfold.rules.orders");
    for (String[] typo :
        new String[][] {
          {"t { columns { c { cats = bigint } } }", "tenantfold.rules.t.columns.c.cats"},
          {"t { dedup { key = [id], kep = id } }", "tenantfold.rules.t.dedup.kep"},
          {"t { shared { on-conflic = fail } }", "tenantfold.rules.t.shared.on-conflic"}
        }) {
      assertThatThrownBy(() -> parse(typo[0]))
          .isInstanceOf(ConfigError.class)
          .hasMessageContaining("Unknown config key " + typo[1]);
    }
    assertThatThrownBy(() -> parse("t { quarantine-duplicates = true }"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining(
            RulesConfig.QUARANTINE_DUPLICATES.path("t") + " = true needs a dedup");
    assertThatThrownBy(() -> parse("t { exclude = true, dedup = exact }"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining(RulesConfig.EXCLUDE.path("t") + " = true leaves nothing");
  }
}
