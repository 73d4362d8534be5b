package dev.tenantfold.conform;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Rewriting a view's schema qualifiers to the tenant's compatibility schemas: whole qualified names
 * only, never inside literals or quoted names, and refused where a qualifier could be an alias.
 */
class CompatViewSqlTest {
  private static final Map<String, Set<String>> MIRRORED =
      Map.of(
          "public",
          Set.of("customers", "orders"),
          "sales",
          Set.of("orders", "quotes", "quote_ref"));
  private static final UnaryOperator<String> COMPAT =
      s -> s.equals("public") ? "tenant_acme" : "tenant_acme_" + s;

  private static CompatViewSql.Rewrite rewrite(String sql) {
    return CompatViewSql.rewrite(sql, MIRRORED, COMPAT, s -> s.equals("sales") ? "sales_mt" : s);
  }

  @Test
  void qualifiedTablesAndFunctionsReadTheTenantsCompatibilitySchemas() {
    assertThat(
            rewrite(
                    " SELECT o.id, q.code FROM orders o JOIN sales.orders q ON q.id = o.id WHERE"
                        + " q.ref = sales.quote_ref()")
                .definition())
        .isEqualTo(
            " SELECT o.id, q.code FROM orders o JOIN \"tenant_acme_sales\".orders q ON q.id = o.id"
                + " WHERE q.ref = \"tenant_acme_sales\".quote_ref()");
    assertThat(rewrite("SELECT c.name FROM public.customers c, \"sales\".\"quotes\"").definition())
        .as("public's qualifier and quoted names")
        .isEqualTo(
            "SELECT c.name FROM \"tenant_acme\".customers c, \"tenant_acme_sales\".\"quotes\"");
  }

  @Test
  void typesGoToTheirTargetSchemaAndOtherSchemasStay() {
    assertThat(rewrite("SELECT id FROM quotes WHERE state = 'draft'::sales.status").definition())
        .as("an enum of sales consolidates into sales' target schema")
        .isEqualTo("SELECT id FROM quotes WHERE state = 'draft'::\"sales_mt\".status");
    assertThat(rewrite("SELECT count(*) FROM audit.log, pg_catalog.pg_class").definition())
        .isEqualTo("SELECT count(*) FROM audit.log, pg_catalog.pg_class");
  }

  @Test
  void literalsQuotedNamesAndCommentsAreLeftAlone() {
    String sql =
        "SELECT 'sales.orders' AS a, E'it\\'s sales.orders' AS b, \"sales.orders\" AS c, $x$"
            + " sales.orders $x$ AS d /* sales.orders */ FROM sales.orders -- sales.orders\n";
    assertThat(rewrite(sql).definition())
        .isEqualTo(sql.replace("FROM sales.orders", "FROM \"tenant_acme_sales\".orders"));
  }

  @Test
  void aQualifierThatCouldBeAnAliasIsNotRewritten() {
    CompatViewSql.Rewrite rewrite =
        rewrite("SELECT sales.quotes FROM orders sales JOIN sales.quotes q ON true");
    assertThat(rewrite.exact()).isFalse();
    assertThat(rewrite.problem()).contains("sales", "alias");
    assertThat(rewrite("SELECT sum(q.net) AS sales FROM sales.quotes q").exact())
        .as("a column alias AS sales is no table alias")
        .isTrue();
    assertThat(
            CompatViewSql.rewrite("SELECT sales.id FROM orders sales", MIRRORED, COMPAT, s -> s)
                .definition())
        .as("a qualifier that stays as it is needs no telling apart")
        .isEqualTo("SELECT sales.id FROM orders sales");
    assertThat(rewrite("SELECT sales.id FROM orders sales").exact())
        .as("one the schema-map renames does")
        .isFalse();
  }
}
