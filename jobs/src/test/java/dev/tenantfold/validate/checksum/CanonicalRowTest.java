package dev.tenantfold.validate.checksum;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tenantfold.extract.ColumnSpec;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** The Java side of the canonical form, without a database or Spark. */
class CanonicalRowTest {

  private static CanonicalType type(String pgType) {
    return CanonicalType.of(new ColumnSpec("c", pgType, false, null, pgType.endsWith("[]")));
  }

  @Test
  void fieldsAreLengthPrefixedInUtf8BytesAndNullIsDistinctFromEmpty() {
    assertThat(CanonicalRow.encode(Arrays.asList(null, "", "é", "1:a")))
        .as("encoded fields")
        .isEqualTo("N0:2:é3:1:a");
    assertThat(CanonicalRow.encode(Arrays.asList("ab", "c")))
        .as("field boundaries are part of the text")
        .isNotEqualTo(CanonicalRow.encode(Arrays.asList("a", "bc")));
  }

  @Test
  void rowTextEscapesU_FFFFEndsValuesAndMarksNull() {
    assertThat(CanonicalRow.rowText(Arrays.asList(null, "", "a", "x\uFFFFy\uFFFE")))
        .as("row text")
        .isEqualTo(
            "\uFFFFN" + "\uFFFF\uFFFE" + "a\uFFFF\uFFFE" + "x\uFFFF\uFFFFy\uFFFE\uFFFF\uFFFE");
    assertThat(CanonicalRow.rowText(Arrays.asList("ab", "c")))
        .as("field boundaries are part of the text")
        .isNotEqualTo(CanonicalRow.rowText(Arrays.asList("a", "bc")));
    assertThat(CanonicalRow.rowText(Arrays.asList("s\uFFFF", "u")))
        .as("issue 12: U+FFFF moved to the next column")
        .isNotEqualTo(CanonicalRow.rowText(Arrays.asList("s", "\uFFFFu")));
  }

  /**
   * Every field value of up to two characters over an alphabet of the characters the encodings
   * treat specially, and NULL.
   */
  private static List<String> awkwardFields(String alphabet) {
    List<String> out = new ArrayList<>();
    out.add(null);
    out.add("");
    for (char a : alphabet.toCharArray()) {
      out.add(String.valueOf(a));
      for (char b : alphabet.toCharArray()) {
        out.add("" + a + b);
      }
    }
    return out;
  }

  /** Asserts that {@code encoding} maps every list of three awkward fields to a different text. */
  private static void assertInjectiveOnThreeFields(
      String what, String alphabet, Function<List<String>, String> encoding) {
    List<String> fields = awkwardFields(alphabet);
    Map<String, List<String>> seen = new HashMap<>();
    for (String a : fields) {
      for (String b : fields) {
        for (String c : fields) {
          List<String> row = Arrays.asList(a, b, c);
          List<String> earlier = seen.putIfAbsent(encoding.apply(row), row);
          assertThat(earlier).as(what + ": " + row + " encodes like " + earlier).isNull();
        }
      }
    }
    assertThat(seen)
        .as(what + ": distinct texts")
        .hasSize(fields.size() * fields.size() * fields.size());
  }

  @Test
  void rowTextIsInjective() {
    assertInjectiveOnThreeFields("row text", "a\uFFFF\uFFFEN", CanonicalRow::rowText);
  }

  /**
   * A self-delimiting kind's field is its word without an end marker: a row of a text, such a value
   * and a text stays injective over every word of the kind (and NULL), with texts of up to two
   * characters made of the words' own letters, U+FFFF, U+FFFE and {@code N}.
   */
  @Test
  void rowTextWithSelfDelimitingFieldsIsInjective() {
    String hex = "0123456789abcdef";
    Map<String, List<String>> words =
        Map.of(
            "double precision",
            Arrays.asList(null, "NaN", "3ff0000000000000", "8000000000000000"),
            "timestamp with time zone",
            Arrays.asList(null, "0000000000000000", "7fffffffffffffff"),
            "interval",
            Arrays.asList(null, "000000036c97ca88000000030000000e", hex + hex),
            "boolean",
            Arrays.asList(null, "true", "false"));
    words.forEach(
        (typeName, values) -> {
          CanonicalType text = type("text");
          CanonicalType kind = type(typeName);
          assertThat(kind.selfDelimiting()).as(typeName).isTrue();
          List<String> texts = awkwardFields("a0N\uFFFF\uFFFEft");
          Map<String, List<String>> seen = new HashMap<>();
          for (String a : texts) {
            for (String value : values) {
              for (String c : texts) {
                List<String> row = Arrays.asList(a, value, c);
                String encoded = CanonicalRow.rowText(List.of(text, kind, text), row);
                List<String> earlier = seen.putIfAbsent(encoded, row);
                assertThat(earlier).as(typeName + ": " + row + " encodes like " + earlier).isNull();
              }
            }
          }
          assertThat(CanonicalRow.rowText(List.of(kind, kind), Arrays.asList(values.get(1), null)))
              .as(typeName + ": a value as is, NULL marked")
              .isEqualTo(values.get(1) + "\uFFFFN");
        });
    assertThat(type("text").selfDelimiting()).isFalse();
    assertThat(type("boolean[]").selfDelimiting()).as("arrays are escaped").isFalse();
  }

  @Test
  void keyTextIsInjective() {
    assertInjectiveOnThreeFields("drill-down key text", "1:N\uFFFF", CanonicalRow::encode);
  }

  @Test
  void arrayTextIsInjectiveAndRowsOfArraysToo() {
    CanonicalType textArray = type("text[]");
    assertInjectiveOnThreeFields(
        "text[] of three elements",
        "\uFFFF\uFFFE,\"\\{ N",
        row -> CanonicalRow.render(textArray, row));
    // Arrays of arrays: the same elements split between two array columns and a text column.
    assertInjectiveOnThreeFields(
        "row of text[], text, text[]",
        "\uFFFF{},",
        row ->
            CanonicalRow.rowText(
                Arrays.asList(
                    CanonicalRow.render(textArray, row.get(0) == null ? null : List.of(row.get(0))),
                    row.get(1),
                    CanonicalRow.render(
                        textArray, row.get(2) == null ? null : Arrays.asList(row.get(2), null)))));
  }

  @Test
  void aReusedHasherHashesEveryTextAsTheOneShotHashDoes() {
    CanonicalRow.Hasher hasher = new CanonicalRow.Hasher();
    List<String> texts =
        new ArrayList<>(
            List.of(
                "",
                "plain ascii",
                "é ü ß",
                "\uFFFF\uFFFE\uFFFFN",
                "東京 \u0800 \u07ff",
                "emoji 🎉 pair",
                "lone \uD800 high",
                "lone \uDC00 low",
                "x".repeat(5000) + "é".repeat(400_000)));
    java.util.SplittableRandom random = new java.util.SplittableRandom(7);
    for (int i = 0; i < 2000; i++) {
      StringBuilder text = new StringBuilder();
      for (int j = random.nextInt(40); j > 0; j--) {
        text.append((char) (random.nextBoolean() ? random.nextInt(0x80) : random.nextInt(0x10000)));
      }
      texts.add(text.toString());
    }
    for (String text : texts) {
      CanonicalRow.Hash once = CanonicalRow.hash(text, "k" + text.length(), 1024);
      hasher.hash(new StringBuilder(text), new StringBuilder("k" + text.length()), 1024);
      assertThat(List.of(hasher.hex(), hasher.a(), hasher.bucket()))
          .as("hash of %s", text.length() > 40 ? text.length() + " chars" : text)
          .isEqualTo(List.of(once.hex(), once.a(), once.bucket()));
      assertThat(hasher.a())
          .as("a of %s", text.length() > 40 ? text.length() + " chars" : text)
          .isEqualTo(CanonicalRow.hash64(text, CanonicalRow.SEED));
      assertThat(hasher.hex()).isEqualTo(String.format("%016x", hasher.a()));
    }
  }

  @Test
  void hex64PrintsSixteenLowerCaseDigitsOfTheTwosComplement() {
    for (long v : new long[] {0, 1, -1, 255, Long.MIN_VALUE, Long.MAX_VALUE, 0x0123456789abcdefL}) {
      assertThat(CanonicalRow.hex64(v)).as("%d", v).isEqualTo(String.format("%016x", v));
    }
  }

  @Test
  void xmlRendersAsPostgresOutputsItWithoutLeadingNewlines() {
    CanonicalType xml = type("xml");
    assertThat(CanonicalRow.render(xml, "<?xml version=\"1.0\"?><r/>"))
        .as("default declaration dropped")
        .isEqualTo("<r/>");
    assertThat(CanonicalRow.render(xml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<r/>"))
        .as("encoding dropped, one newline eaten")
        .isEqualTo("<r/>");
    assertThat(CanonicalRow.render(xml, "\n\n<r/>")).as("leading newlines").isEqualTo("<r/>");
    assertThat(CanonicalRow.render(xml, "<?xml version='1.0'  standalone='yes' ?>\n<r/>"))
        .as("standalone declaration normalised")
        .isEqualTo("<?xml version=\"1.0\" standalone=\"yes\"?>\n<r/>");
    assertThat(CanonicalRow.render(xml, "<?xml version=\"1.1\"?><r/>"))
        .as("version 1.1 kept")
        .isEqualTo("<?xml version=\"1.1\"?><r/>");
    assertThat(CanonicalRow.render(xml, "<?xml-stylesheet href=\"s\"?><r/>"))
        .as("a processing instruction is no declaration")
        .isEqualTo("<?xml-stylesheet href=\"s\"?><r/>");
    assertThat(CanonicalRow.render(xml, "<r>\n</r>"))
        .as("inner whitespace kept")
        .isNotEqualTo(CanonicalRow.render(xml, "<r></r>"));
    assertThat(
            CanonicalRow.render(
                type("xml[]"), Arrays.asList("<?xml version=\"1.0\"?><r/>", null, "<a>x y</a>")))
        .as("xml[]")
        .isEqualTo("{<r/>,NULL,\"<a>x y</a>\"}");
  }

  @Test
  void numbersRenderByValue() {
    assertThat(CanonicalRow.render(type("numeric(10,2)"), new BigDecimal("1.50")))
        .as("numeric(10,2) 1.50")
        .isEqualTo("1.5");
    assertThat(CanonicalRow.render(type("numeric(12,4)"), new BigDecimal("1.5000")))
        .as("numeric(12,4) 1.5000")
        .isEqualTo("1.5");
    assertThat(CanonicalRow.render(type("numeric(12,4)"), new BigDecimal("100.0000")))
        .as("integral numeric")
        .isEqualTo("100");
    assertThat(CanonicalRow.render(type("numeric"), "NaN"))
        .as("numeric NaN as text")
        .isEqualTo("NaN");
    assertThat(CanonicalRow.render(type("numeric(30,20)"), new BigDecimal("1E-20")))
        .as("no exponent")
        .isEqualTo("0.00000000000000000001");
    assertThat(CanonicalRow.render(type("integer"), 7))
        .as("integer")
        .isEqualTo(CanonicalRow.render(type("bigint"), 7L));
  }

  @Test
  void floatsRenderTheirBitsAfterWideningToDouble() {
    assertThat(CanonicalRow.render(type("real"), 0.1f))
        .as("real 0.1 widened exactly")
        .isEqualTo(CanonicalRow.render(type("double precision"), (double) 0.1f))
        .isEqualTo("3fb99999a0000000");
    assertThat(CanonicalRow.render(type("double precision"), -0.0))
        .as("-0 keeps its sign")
        .isEqualTo("8000000000000000");
    assertThat(
            CanonicalRow.render(
                type("double precision"), Double.longBitsToDouble(0xfff8000000000001L)))
        .as("any NaN")
        .isEqualTo("NaN");
  }

  @Test
  void intervalsParsePostgresStyleText() {
    assertThat(PostgresInterval.parse("1 year 2 mons 3 days 04:05:06.789"))
        .isEqualTo(new PostgresInterval(14, 3, 14706789000L));
    assertThat(PostgresInterval.parse("1 year 2 mons 3 days 04:05:06.789").canonical())
        .as("interval_send hex")
        .isEqualTo("000000036c97ca88000000030000000e");
    assertThat(PostgresInterval.parse("1 year -2 mons +3 days -04:05:06.5"))
        .isEqualTo(new PostgresInterval(10, 3, -14706500000L));
    assertThat(PostgresInterval.parse("-00:00:00.5"))
        .isEqualTo(new PostgresInterval(0, 0, -500000));
    assertThat(PostgresInterval.parse("100:00:00"))
        .isEqualTo(new PostgresInterval(0, 0, 360000000000L));
    // Seconds are parsed by hand: every fraction length, whitespace runs, and the forms left to
    // BigDecimal (seven fractional digits, exact or not).
    assertThat(PostgresInterval.parse("  -1 days \t 00:00:00.000001 "))
        .isEqualTo(new PostgresInterval(0, -1, 1));
    assertThat(PostgresInterval.parse("12:34:56.12345"))
        .isEqualTo(new PostgresInterval(0, 0, 45296123450L));
    assertThat(PostgresInterval.parse("00:00:07.1234560"))
        .isEqualTo(new PostgresInterval(0, 0, 7123456));
    assertThat(PostgresInterval.parse("2562047788:00:54.775807"))
        .isEqualTo(new PostgresInterval(0, 0, Long.MAX_VALUE));
    assertThatThrownBy(() -> PostgresInterval.parse("00:00:00.1234567"))
        .hasMessageContaining("IntervalStyle = postgres");
    assertThatThrownBy(() -> PostgresInterval.parse("00:00:0x"))
        .hasMessageContaining("IntervalStyle = postgres");
    assertThatThrownBy(() -> PostgresInterval.parse("P1Y2M"))
        .as("ISO 8601 style")
        .hasMessageContaining("IntervalStyle = postgres");
  }

  @Test
  void arraysKeepShapeAndNullElements() {
    assertThat(
            CanonicalRow.render(
                type("text[]"), Arrays.asList("a", null, "", "NULL", "x y", "q\"\\")))
        .as("array_out quoting")
        .isEqualTo("{a,NULL,\"\",\"NULL\",\"x y\",\"q\\\"\\\\\"}");
    assertThat(CanonicalRow.render(type("integer[]"), List.of(List.of(1, 2), List.of(3, 4))))
        .isEqualTo("{{1,2},{3,4}}");
    assertThat(CanonicalRow.render(type("double precision[]"), List.of(List.of(1.0, 2.0))))
        .as("element-wise kinds flatten with dims")
        .isEqualTo("[1:1][1:2]={3ff0000000000000,4000000000000000}");
    assertThat(CanonicalRow.render(type("text[]"), List.of())).isEqualTo("{}");
    assertThat(CanonicalRow.render(type("character(3)"), "ab ")).as("char padding").isEqualTo("ab");
  }

  @Test
  void specDigestsColumnsInNameOrderAndValidatesKeys() {
    ChecksumSpec spec =
        ChecksumSpec.of(
            List.of(
                new ColumnSpec("b", "text", false, null, false),
                new ColumnSpec("a", "integer", true, null, false)),
            List.of("a"));
    assertThat(spec.columnNames()).as("digest order").containsExactly("a", "b");
    assertThatThrownBy(() -> ChecksumSpec.of(spec.columns(), List.of("tenant_id")))
        .as("key outside the columns")
        .hasMessageContaining("key column tenant_id");
  }
}
