package dev.tenantfold.conform;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.tenantfold.config.ConfigReader;
import dev.tenantfold.config.RulesConfig;
import dev.tenantfold.extract.ColumnSpec;
import dev.tenantfold.extract.TableSpec;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Which tables may stream in binary COPY ({@link ConformedSource#binaryCopyObstacle}): every value
 * the select yields has its staging column's type, and that type is a built-in whose binary form
 * every server reads back ({@link BinaryCopyTypes}).
 */
class BinaryCopyRuleTest {
  private static ColumnSpec column(String name, String type) {
    return new ColumnSpec(name, type, false, null, type.endsWith("[]"));
  }

  private static Optional<String> obstacle(
      List<ColumnSpec> target, List<ColumnSpec> source, String rules) {
    RulesConfig.TableRule rule =
        RulesConfig.from(new ConfigReader(ConfigFactory.parseString(rules), "tenantfold.rules"))
            .forTable("t");
    return new ConformedSource(
            new TargetTable("t", target, List.of()),
            new TableSpec("public", "t", source, List.of(), List.of(), 0, 0, false),
            rule)
        .binaryCopyObstacle();
  }

  private static Optional<String> obstacle(List<ColumnSpec> target, List<ColumnSpec> source) {
    return obstacle(target, source, "");
  }

  private static Optional<String> same(ColumnSpec... columns) {
    return obstacle(List.of(columns), List.of(columns));
  }

  @Test
  void builtInScalarsAndTheirArraysWithModifiersTravelInBinary() {
    List<String> types =
        List.of(
            "boolean",
            "smallint",
            "integer[]",
            "bigint",
            "real",
            "double precision",
            "numeric(12,2)",
            "numeric",
            "text[]",
            "character varying(20)",
            "character(5)[]",
            "bytea",
            "date",
            "time(3) without time zone",
            "time with time zone",
            "timestamp(3) without time zone",
            "timestamp with time zone[]",
            "interval",
            "interval day to second(3)",
            "interval year to month",
            "uuid",
            "json",
            "jsonb[]",
            "inet",
            "cidr",
            "macaddr",
            "bit(4)",
            "bit varying(8)");
    for (String type : types) {
      assertThat(same(column("c", type))).as(type).isEmpty();
    }
  }

  @Test
  void typesOfADatabasesOwnOrSettingDependentStayText() {
    for (String type :
        List.of(
            "money",
            "xml",
            "\"char\"",
            "int4range",
            "point",
            "tsvector",
            "public.mood",
            "citext")) {
      assertThat(same(column("c", type)))
          .as(type)
          .hasValueSatisfying(o -> assertThat(o).contains("column c"));
    }
    ColumnSpec domain = column("c", "text").withDomain("email");
    assertThat(same(domain)).as("a domain").isPresent();
    assertThat(obstacle(List.of(domain), List.of(column("c", "text"))))
        .as("a domain in the target only")
        .isPresent();
    ColumnSpec composite = column("c", "address").withDomain("address");
    assertThat(same(composite)).as("a composite").isPresent();
  }

  @Test
  void scalarEnumsTravelAsLabelsButEnumArraysNameTheirElementByOid() {
    ColumnSpec mood = new ColumnSpec("c", "mood", false, "mood", false);
    ColumnSpec moods = new ColumnSpec("c", "mood[]", false, "mood", true);
    assertThat(same(mood)).as("an enum").isEmpty();
    assertThat(obstacle(List.of(mood), List.of())).as("an enum the tenant lacks (NULL)").isEmpty();
    assertThat(same(moods))
        .as("an array of an enum")
        .hasValueSatisfying(o -> assertThat(o).contains("OID"));
    assertThat(obstacle(List.of(mood), List.of(column("c", "text"))))
        .as("an enum target read from text")
        .isPresent();
    assertThat(obstacle(List.of(column("c", "text")), List.of(mood)))
        .as("an enum source loaded as text")
        .isPresent();
  }

  @Test
  void aDriftCastOrAMissingColumnYieldsTheTargetTypeAndAForeignRuleCastDoesNot() {
    assertThat(obstacle(List.of(column("c", "bigint")), List.of(column("c", "integer"))))
        .as("int4 widened to int8: the select casts to bigint")
        .isEmpty();
    assertThat(obstacle(List.of(column("c", "numeric(12,2)")), List.of()))
        .as("a column the tenant lacks: NULL::numeric(12,2)")
        .isEmpty();
    assertThat(
            obstacle(
                List.of(column("c", "bigint")),
                List.of(column("c", "text")),
                "t { columns { c { cast = bigint } } }"))
        .as("a rule's cast to the column's type")
        .isEmpty();
    assertThat(
            obstacle(
                List.of(column("c", "bigint")),
                List.of(column("c", "text")),
                "t { columns { c { cast = int8 } } }"))
        .as("a rule's cast spelled otherwise than the column's type")
        .hasValueSatisfying(o -> assertThat(o).contains("int8"));
  }

  @Test
  void generatedColumnsAreNotCopied() {
    ColumnSpec generated = ColumnSpec.generated("g", "money", false, "1::money");
    assertThat(
            obstacle(List.of(column("c", "integer"), generated), List.of(column("c", "integer"))))
        .isEmpty();
  }
}
