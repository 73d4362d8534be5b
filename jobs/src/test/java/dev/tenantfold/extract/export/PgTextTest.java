package dev.tenantfold.extract.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.LocalDate;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The text parsers and name rules the export reader depends on, without Spark or a database. */
class PgTextTest {
  private static long micros(String instant) {
    Instant i = Instant.parse(instant);
    return i.getEpochSecond() * 1_000_000L + i.getNano() / 1_000;
  }

  @Test
  void timestampsWithZonesFractionsBcAndInfinity() {
    assertThat(PgText.timestampMicros("2024-02-29 23:59:59.999999+00", true))
        .isEqualTo(micros("2024-02-29T23:59:59.999999Z"));
    assertThat(PgText.timestampMicros("2024-02-29 12:00:00.123456+05:30", true))
        .as("offset applied")
        .isEqualTo(micros("2024-02-29T06:30:00.123456Z"));
    assertThat(PgText.timestampMicros("2038-01-19 03:14:08.5+09", true))
        .isEqualTo(micros("2038-01-18T18:14:08.500Z"));
    assertThat(PgText.timestampMicros("1900-01-01 00:00:00-00:09:21", true))
        .as("LMT offsets with seconds")
        .isEqualTo(micros("1900-01-01T00:09:21Z"));
    assertThat(PgText.timestampMicros("4713-01-01 00:00:00 BC", false))
        .as("year 4713 BC is ISO year -4712")
        .isEqualTo(LocalDate.of(-4712, 1, 1).toEpochDay() * 86_400_000_000L);
    assertThat(PgText.timestampMicros("1999-12-31 23:59:59", false))
        .isEqualTo(micros("1999-12-31T23:59:59Z"));
    assertThat(PgText.timestampMicros("infinity", true)).isEqualTo(Long.MAX_VALUE);
    assertThat(PgText.timestampMicros("-infinity", false)).isEqualTo(Long.MIN_VALUE);
    assertThatThrownBy(() -> PgText.timestampMicros("2024-01-01 00:00:00+02", false))
        .hasMessageContaining("without time zone");
    assertThatThrownBy(() -> PgText.timestampMicros("Thu Feb 29 2024", true))
        .hasMessageContaining("is not PostgreSQL timestamp output");
  }

  @Test
  void datesBcAndInfinity() {
    assertThat(PgText.dateDays("1970-01-02")).isEqualTo(1);
    assertThat(PgText.dateDays("0001-01-01")).isEqualTo((int) LocalDate.of(1, 1, 1).toEpochDay());
    assertThat(PgText.dateDays("4713-01-01 BC"))
        .isEqualTo((int) LocalDate.of(-4712, 1, 1).toEpochDay());
    assertThat(PgText.dateDays("infinity")).isEqualTo(Integer.MAX_VALUE);
    assertThat(PgText.dateDays("-infinity")).isEqualTo(Integer.MIN_VALUE);
  }

  @Test
  void arrayLiteralsWithQuotesNullsAndBlanks() {
    assertThat(PgText.arrayElements("{}")).isEmpty();
    assertThat(PgText.arrayElements("{NULL}")).containsExactly((String) null);
    assertThat(
            PgText.arrayElements(
                "{\"a,b\",\"quote\\\"d\",NULL,\"\",\"back\\\\slash\",\"NULL\",null, x y ,\"{}\"}"))
        .containsExactly("a,b", "quote\"d", null, "", "back\\slash", "NULL", null, "x y", "{}");
    assertThat(PgText.arrayElements("{\"\\\\x00\",NULL,\"\\\\x\"}"))
        .as("bytea[] output")
        .containsExactly("\\x00", null, "\\x");
    assertThatThrownBy(() -> PgText.arrayElements("{{1,2},{3,4}}"))
        .hasMessageContaining("multi-dimensional");
    assertThatThrownBy(() -> PgText.arrayElements("[0:1]={1,2}"))
        .hasMessageContaining("explicit bounds");
  }

  /** Blanks around elements and braces, escapes, and malformed literals at their edges. */
  @Test
  void arrayLiteralsAtTheirEdges() {
    assertThat(PgText.arrayElements("{ }")).isEmpty();
    assertThat(PgText.arrayElements("{ a , b }")).containsExactly("a", "b");
    assertThat(PgText.arrayElements("{ \"a\" , \"b\" }")).containsExactly("a", "b");
    assertThat(PgText.arrayElements("{\"a\" ,b}")).containsExactly("a", "b");
    assertThat(PgText.arrayElements("{a\\,b,c\\ }")).containsExactly("a,b", "c ");
    assertThat(PgText.arrayElements("{\"\",\" \"}")).containsExactly("", " ");
    assertThat(PgText.arrayElements("{x}")).containsExactly("x");
    assertThat(PgText.arrayElements("{\"x\"}")).containsExactly("x");
    assertThatThrownBy(() -> PgText.arrayElements("{\"a}"))
        .hasMessageContaining("unterminated quoted element");
    assertThatThrownBy(() -> PgText.arrayElements("{\"a\"b}"))
        .hasMessageContaining("has 'b' where ',' or '}' belongs");
    assertThatThrownBy(() -> PgText.arrayElements("{ {1}}"))
        .hasMessageContaining("multi-dimensional");
    String longLiteral = "{" + "1,".repeat(40) + "{2}}";
    assertThatThrownBy(() -> PgText.arrayElements(longLiteral))
        .as("a long literal is cut in the message at 57 characters")
        .hasMessageContaining("array '" + longLiteral.substring(0, 57) + "...'");
    String sixty = "{" + "1".repeat(54) + ",{2}}";
    assertThat(sixty).hasSize(60);
    assertThatThrownBy(() -> PgText.arrayElements(sixty))
        .as("a literal of 60 characters is shown whole")
        .hasMessageContaining("array '" + sixty + "'");
  }

  @Test
  void byteaHexAndEscapeOutput() {
    assertThat(PgText.bytea("\\x00ff5c")).containsExactly(0, 255, 0x5c);
    assertThat(PgText.bytea("\\x")).isEmpty();
    assertThat(PgText.bytea("a\\000\\\\")).containsExactly('a', 0, '\\');
    // Escape output of every byte with the high bit set, hand-computed (not by another parser):
    // PostgreSQL writes bytes 0x80-0xff as three octal digits.
    assertThat(PgText.bytea("\\377\\200\\201\\176~\\001"))
        .containsExactly(0xff, 0x80, 0x81, 0x7e, '~', 0x01);
    assertThat(PgText.bytea("\\x80ff7f")).containsExactly(0x80, 0xff, 0x7f);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> PgText.bytea("a\\"))
        .isInstanceOf(IllegalArgumentException.class);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> PgText.bytea("\\12"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(PgText.bytea("\\\\")).containsExactly('\\');
    assertThat(PgText.bytea("\u007f\u0080")).containsExactly(0x7f, 0xc2, 0x80);
  }

  @Test
  void folderNamesReplaceWhatAwsDocuments() {
    assertThat(ExportFolders.tableFolder("public", "Order Items")).isEqualTo("public.Order_Items");
    assertThat(ExportFolders.folderName("a\\b`c\"d e$f_g")).isEqualTo("a_b_c_d_e$f_g");
  }

  @Test
  void metadataTypesBecomeFormatTypeTextOrAreMarkedUnknown() {
    assertThat(
            ExportCatalog.map(
                    new OriginalType("c", "character varying", "binary (UTF8)", 32, 0, null, 0))
                .type())
        .isEqualTo("character varying(32)");
    assertThat(
            ExportCatalog.map(new OriginalType("c", "character", "binary (UTF8)", 2, 0, null, 0))
                .type())
        .isEqualTo("character(2)");
    assertThat(
            ExportCatalog.map(
                    new OriginalType(
                        "c", "timestamp with time zone", "binary (UTF8)", 0, 0, null, 6))
                .type())
        .isEqualTo("timestamp with time zone");
    assertThat(
            ExportCatalog.map(
                    new OriginalType(
                        "c", "timestamp without time zone", "binary (UTF8)", 0, 0, null, 3))
                .type())
        .isEqualTo("timestamp(3) without time zone");
    assertThat(
            ExportCatalog.map(new OriginalType("c", "numeric", "binary (UTF8)", 0, 12, 2, 0))
                .type())
        .isEqualTo("numeric(12,2)");
    for (String unknown : Arrays.asList("ARRAY", "USER-DEFINED", "numeric")) {
      assertThat(ExportCatalog.map(new OriginalType("c", unknown, "binary (UTF8)")).unknown())
          .as(unknown)
          .isNotNull();
    }
    assertThat(ExportCatalog.map(new OriginalType("c", "jsonb", "binary (UTF8)")).unknown())
        .isNull();
  }

  /**
   * The digit-by-digit reading of PostgreSQL's usual shape and the pattern agree on every text:
   * random instants 0001 to 9999 AD, fractions of 0 to 6 digits, offsets of hours, minutes and
   * seconds either side of UTC, with and without time zone, and texts only the pattern reads or
   * refuses.
   */
  @Test
  void theCommonShapeReadsAsThePatternDoes() {
    java.util.SplittableRandom random = new java.util.SplittableRandom(23);
    java.util.List<String> wrong = new java.util.ArrayList<>();
    String[] offsets = {"", "+00", "-00", "+05:30", "-03:30", "+13:45", "-00:09:21", "+14", "-12"};
    for (int k = 0; k < 20_000; k++) {
      java.time.LocalDateTime wall =
          java.time.LocalDateTime.ofEpochSecond(
              random.nextLong(-62_135_596_800L, 253_402_300_799L), 0, java.time.ZoneOffset.UTC);
      int digits = random.nextInt(7);
      String fraction =
          digits == 0
              ? ""
              : "." + String.format("%06d", random.nextInt(1_000_000)).substring(0, digits);
      String text =
          String.format(
                  "%04d-%02d-%02d %02d:%02d:%02d",
                  wall.getYear(),
                  wall.getMonthValue(),
                  wall.getDayOfMonth(),
                  wall.getHour(),
                  wall.getMinute(),
                  wall.getSecond())
              + fraction
              + offsets[random.nextInt(offsets.length)];
      for (boolean withZone : new boolean[] {true, false}) {
        Object fast = outcome(() -> PgText.timestampMicros(text, withZone));
        Object pattern = outcome(() -> PgText.patternTimestampMicros(text, text, withZone));
        if (!fast.equals(pattern)) {
          wrong.add(text + (withZone ? " (tz)" : "") + ": " + fast + " instead of " + pattern);
        }
      }
    }
    for (String text :
        new String[] {
          "2024-02-30 00:00:00+00",
          "2023-02-29 00:00:00",
          "2024-13-01 00:00:00",
          "2024-01-01 24:00:00",
          "2024-01-01 23:60:00",
          "2024-01-01 23:59:60",
          "0000-01-01 00:00:00",
          "2024-01-01T00:00:00Z",
          "2024-01-01 00:00:00 +02",
          "2024-01-01 00:00:00+0530",
          "2024-01-01 00:00:00.1234567+00",
          "2024-01-01 00:00:00.+00",
          "2024-01-01 00:00:00+5",
          "2024-01-01 00:00:00+05:3",
          "2024-01-01 00:00:00+05:30:",
          "12024-01-01 00:00:00+00",
          "0044-03-15 12:00:00+00 BC",
          "2024-1-01 00:00:00"
        }) {
      for (boolean withZone : new boolean[] {true, false}) {
        Object fast = outcome(() -> PgText.timestampMicros(text, withZone));
        Object pattern = outcome(() -> PgText.patternTimestampMicros(text, text, withZone));
        if (!fast.equals(pattern)) {
          wrong.add(text + (withZone ? " (tz)" : "") + ": " + fast + " instead of " + pattern);
        }
      }
    }
    assertThat(wrong).as("texts read unlike the pattern").isEmpty();
  }

  /** The value, or the exception's class and message. */
  private static Object outcome(java.util.function.LongSupplier parse) {
    try {
      return parse.getAsLong();
    } catch (RuntimeException e) {
      return e.getClass().getSimpleName() + ": " + e.getMessage();
    }
  }
}
