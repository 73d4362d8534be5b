package dev.tenantfold.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class SqlTextTest {
  private static final UnaryOperator<String> SALES_TO_MT =
      s -> Map.of("sales", "sales_mt", "Odd Schema", "odd").getOrDefault(s, s);

  @Test
  void renamesSchemaQualifiersOfCastsAndCalls() {
    assertThat(SqlText.renameSchemas("'new'::sales.status", SALES_TO_MT))
        .isEqualTo("'new'::\"sales_mt\".status");
    assertThat(SqlText.renameSchemas("sales.quote_ref(id, 'x')", SALES_TO_MT))
        .isEqualTo("\"sales_mt\".quote_ref(id, 'x')");
    assertThat(
            SqlText.renameSchemas(
                "CHECK (status <> 'void'::sales.status AND total >= 0::numeric)", SALES_TO_MT))
        .isEqualTo("CHECK (status <> 'void'::\"sales_mt\".status AND total >= 0::numeric)");
    assertThat(SqlText.renameSchemas("\"Odd Schema\".f(1)", SALES_TO_MT)).isEqualTo("\"odd\".f(1)");
  }

  @Test
  void leavesLiteralsBodiesCommentsAndFieldsAlone() {
    assertThat(SqlText.renameSchemas("'sales.status'::text", SALES_TO_MT))
        .isEqualTo("'sales.status'::text");
    assertThat(SqlText.renameSchemas("E'it''s \\' sales.x'", SALES_TO_MT))
        .isEqualTo("E'it''s \\' sales.x'");
    assertThat(
            SqlText.renameSchemas(
                "CREATE FUNCTION sales.f() RETURNS int AS $function$ SELECT count(*) FROM"
                    + " sales.orders $function$",
                SALES_TO_MT))
        .isEqualTo(
            "CREATE FUNCTION \"sales_mt\".f() RETURNS int AS $function$ SELECT count(*) FROM"
                + " sales.orders $function$");
    assertThat(
            SqlText.renameSchemas(
                "new.sales.amount, (sales).x, sales, \"sales\" -- sales.x\n", SALES_TO_MT))
        .isEqualTo("new.sales.amount, (sales).x, sales, \"sales\" -- sales.x\n");
    assertThat(SqlText.renameSchemas("$1 + sales.f($2)", SALES_TO_MT))
        .isEqualTo("$1 + \"sales_mt\".f($2)");
    assertThat(SqlText.renameSchemas("presales.x + sales_x.y", SALES_TO_MT))
        .isEqualTo("presales.x + sales_x.y");
  }
}
