package dev.tenantfold.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tenantfold.extract.ColumnSpec;
import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/**
 * The COPY text of awkward values, checked without a database (the round trip is in
 * DatasetCopyLoaderTest).
 */
class CopyTextEncoderTest {

  /**
   * The COPY field for one value of a column of {@code targetType} held in Spark as {@code
   * sparkType}.
   */
  private static String field(String targetType, DataType sparkType, Object value) {
    CopyTextEncoder encoder =
        new CopyTextEncoder(
            List.of(new ColumnSpec("c", targetType, false, null, targetType.endsWith("[]"))),
            new StructType().add("c", sparkType));
    return encoder.line(RowFactory.create(value));
  }

  @Test
  void textEscapesDelimitersBackslashesAndControlCharacters() {
    assertThat(field("text", DataTypes.StringType, "tab\there, newline\nthere, cr\rhere"))
        .isEqualTo("tab\\there, newline\\nthere, cr\\rhere");
    assertThat(field("text", DataTypes.StringType, "back\\slash \\N not null"))
        .isEqualTo("back\\\\slash \\\\N not null");
    assertThat(field("text", DataTypes.StringType, "\\."))
        .as("the end-of-data marker as a value")
        .isEqualTo("\\\\.");
    assertThat(field("text", DataTypes.StringType, "\b\f\u000B")).isEqualTo("\\b\\f\\v");
    assertThat(field("text", DataTypes.StringType, "ctrl \u0001 chars \u007f"))
        .as("other control characters are data")
        .isEqualTo("ctrl \u0001 chars \u007f");
    assertThat(field("text", DataTypes.StringType, "'single' \"double\" {braces}, commas"))
        .isEqualTo("'single' \"double\" {braces}, commas");
  }

  @Test
  void textIsUtf8IncludingSupplementaryCharacters() {
    String value = "Zürich 東京 emoji 🎉";
    CopyTextEncoder encoder =
        new CopyTextEncoder(
            List.of(new ColumnSpec("c", "text", false, null, false)),
            new StructType().add("c", DataTypes.StringType));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      encoder.write(RowFactory.create(value), out);
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
    assertThat(out.toByteArray())
        .as("UTF-8 bytes and the line's newline")
        .isEqualTo((value + "\n").getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void nullIsBackslashNAndEmptyStringIsEmpty() {
    CopyTextEncoder encoder =
        new CopyTextEncoder(
            List.of(
                new ColumnSpec("a", "text", false, null, false),
                new ColumnSpec("b", "text", false, null, false),
                new ColumnSpec("c", "integer", false, null, false)),
            new StructType()
                .add("a", DataTypes.StringType)
                .add("b", DataTypes.StringType)
                .add("c", DataTypes.IntegerType));
    assertThat(encoder.line(RowFactory.create(null, "", null))).isEqualTo("\\N\t\t\\N");
    assertThat(encoder.line(RowFactory.create("N", "\\N", 0))).isEqualTo("N\t\\\\N\t0");
  }

  @Test
  void textThatPostgresCannotStoreIsRejectedNamingTheColumn() {
    assertThatThrownBy(() -> field("text", DataTypes.StringType, "nul \u0000 byte"))
        .hasMessageContaining("column c (text)")
        .hasMessageContaining("U+0000");
    assertThatThrownBy(() -> field("text", DataTypes.StringType, "lone \uD83C surrogate"))
        .hasMessageContaining("unpaired");
  }

  @Test
  void integersAndNumericsArePlainDigits() {
    assertThat(field("smallint", DataTypes.ShortType, (short) -32768)).isEqualTo("-32768");
    assertThat(field("integer", DataTypes.IntegerType, Integer.MIN_VALUE)).isEqualTo("-2147483648");
    assertThat(field("bigint", DataTypes.LongType, Long.MAX_VALUE))
        .isEqualTo("9223372036854775807");
    assertThat(
            field(
                "numeric(12,2)",
                DataTypes.createDecimalType(12, 2),
                new BigDecimal("-9999999999.99")))
        .isEqualTo("-9999999999.99");
    assertThat(field("numeric", DataTypes.createDecimalType(38, 0), new BigDecimal("1E+20")))
        .as("never an exponent")
        .isEqualTo("100000000000000000000");
    assertThat(field("numeric", DataTypes.createDecimalType(38, 30), new BigDecimal("1E-30")))
        .isEqualTo("0.000000000000000000000000000001");
    assertThat(
            field("numeric(14,4)", DataTypes.createDecimalType(14, 4), new BigDecimal("-0.0001")))
        .isEqualTo("-0.0001");
    assertThat(field("numeric", DataTypes.StringType, "NaN"))
        .as("an unbounded numeric exported as text")
        .isEqualTo("NaN");
  }

  @Test
  void floatsAreExactIncludingSpecialValuesAndNegativeZero() {
    assertThat(field("double precision", DataTypes.DoubleType, Double.NaN)).isEqualTo("NaN");
    assertThat(field("double precision", DataTypes.DoubleType, Double.POSITIVE_INFINITY))
        .isEqualTo("Infinity");
    assertThat(field("double precision", DataTypes.DoubleType, Double.NEGATIVE_INFINITY))
        .isEqualTo("-Infinity");
    assertThat(field("double precision", DataTypes.DoubleType, -0.0)).isEqualTo("-0.0");
    assertThat(field("double precision", DataTypes.DoubleType, Double.MIN_VALUE))
        .isEqualTo("4.9E-324");
    assertThat(field("double precision", DataTypes.DoubleType, Double.MAX_VALUE))
        .isEqualTo("1.7976931348623157E308");
    assertThat(field("double precision", DataTypes.DoubleType, 0.1)).isEqualTo("0.1");
    assertThat(field("real", DataTypes.FloatType, Float.MIN_VALUE)).isEqualTo("1.4E-45");
    assertThat(field("real", DataTypes.FloatType, -0.0f)).isEqualTo("-0.0");
    assertThat(field("real", DataTypes.FloatType, 0.1f)).isEqualTo("0.1");
    assertThat(field("double precision", DataTypes.FloatType, 0.1f))
        .as("a float widened exactly, as float4::float8")
        .isEqualTo("0.10000000149011612");
    assertThat(field("real", DataTypes.DoubleType, 0.1))
        .as("a double rounded once to float, as float8::float4")
        .isEqualTo("0.1");
    assertThat(field("real", DataTypes.DoubleType, 1e300))
        .as("overflow left for PostgreSQL to reject")
        .isEqualTo("1.0E300");
    for (long bits :
        new long[] {
          0x7fefffffffffffffL,
          0x0000000000000001L,
          0x3fb999999999999aL,
          0x8000000000000000L,
          0x44b52d02c7e14af6L
        }) {
      double d = Double.longBitsToDouble(bits);
      assertThat(
              Double.doubleToRawLongBits(
                  Double.parseDouble(field("double precision", DataTypes.DoubleType, d))))
          .isEqualTo(bits);
    }
  }

  @Test
  void booleansAreTAndF() {
    assertThat(field("boolean", DataTypes.BooleanType, true)).isEqualTo("t");
    assertThat(field("boolean", DataTypes.BooleanType, false)).isEqualTo("f");
  }

  @Test
  void datesAreIsoWithBcYearsAndInfinity() {
    assertThat(field("date", DataTypes.DateType, LocalDate.of(2024, 2, 29)))
        .isEqualTo("2024-02-29");
    assertThat(field("date", DataTypes.DateType, LocalDate.of(1, 1, 1))).isEqualTo("0001-01-01");
    assertThat(field("date", DataTypes.DateType, LocalDate.of(-4712, 1, 1)))
        .as("proleptic year -4712 is 4713 BC")
        .isEqualTo("4713-01-01 BC");
    assertThat(field("date", DataTypes.DateType, LocalDate.of(5874897, 12, 31)))
        .isEqualTo("5874897-12-31");
    assertThat(field("date", DataTypes.DateType, LocalDate.ofEpochDay(Integer.MAX_VALUE)))
        .isEqualTo("infinity");
    assertThat(field("date", DataTypes.DateType, LocalDate.ofEpochDay(Integer.MIN_VALUE)))
        .isEqualTo("-infinity");
    assertThat(field("date", DataTypes.DateType, java.sql.Date.valueOf("2024-02-29")))
        .as("legacy java.sql.Date")
        .isEqualTo("2024-02-29");
    assertThat(field("date", DataTypes.DateType, 19782))
        .as("days, as unix_date gives them")
        .isEqualTo("2024-02-29");
    assertThat(field("date", DataTypes.DateType, Integer.MIN_VALUE)).isEqualTo("-infinity");
  }

  @Test
  void timestampsCarryMicrosecondsAndTheirZone() {
    Instant leap = Instant.parse("2024-02-29T23:59:59.999999Z");
    assertThat(field("timestamp with time zone", DataTypes.TimestampType, leap))
        .isEqualTo("2024-02-29 23:59:59.999999+00");
    assertThat(
            field(
                "timestamp(3) with time zone",
                DataTypes.TimestampType,
                Instant.parse("2024-02-29T06:30:00.120Z")))
        .isEqualTo("2024-02-29 06:30:00.120000+00");
    assertThat(field("timestamp with time zone", DataTypes.TimestampType, Instant.EPOCH))
        .isEqualTo("1970-01-01 00:00:00+00");
    assertThat(
            field(
                "timestamp with time zone",
                DataTypes.TimestampType,
                Instant.parse("-0043-03-15T12:00:00.000001Z")))
        .isEqualTo("0044-03-15 12:00:00.000001+00 BC");
    assertThat(
            field(
                "timestamp with time zone",
                DataTypes.TimestampType,
                CopyTextEncoder.INSTANT_INFINITY))
        .isEqualTo("infinity");
    assertThat(
            field(
                "timestamp with time zone",
                DataTypes.TimestampType,
                CopyTextEncoder.INSTANT_MINUS_INFINITY))
        .isEqualTo("-infinity");
    assertThat(field("timestamp with time zone", DataTypes.TimestampType, Timestamp.from(leap)))
        .as("legacy java.sql.Timestamp")
        .isEqualTo("2024-02-29 23:59:59.999999+00");
    assertThat(field("timestamp with time zone", DataTypes.TimestampType, 1709251199999999L))
        .as("microseconds, as unix_micros gives them")
        .isEqualTo("2024-02-29 23:59:59.999999+00");
    assertThat(field("timestamp with time zone", DataTypes.TimestampType, -62135596800000000L - 1))
        .isEqualTo("0001-12-31 23:59:59.999999+00 BC");
    assertThat(field("timestamp with time zone", DataTypes.TimestampType, Long.MIN_VALUE))
        .isEqualTo("-infinity");
    assertThat(field("timestamp without time zone", DataTypes.TimestampType, leap))
        .as("an instant holding the wall clock as UTC")
        .isEqualTo("2024-02-29 23:59:59.999999");
    assertThat(
            field(
                "timestamp without time zone",
                DataTypes.TimestampNTZType,
                LocalDateTime.parse("1999-12-31T23:59:59")))
        .isEqualTo("1999-12-31 23:59:59");
    assertThat(
            field(
                "timestamp without time zone",
                DataTypes.TimestampNTZType,
                CopyTextEncoder.LOCAL_INFINITY))
        .isEqualTo("infinity");
    assertThat(
            field(
                "timestamp with time zone",
                DataTypes.TimestampNTZType,
                LocalDateTime.parse("1999-12-31T23:59:59.5")))
        .as("a wall clock read as UTC")
        .isEqualTo("1999-12-31 23:59:59.500000+00");
  }

  @Test
  void byteaIsHexWithItsBackslashEscaped() {
    assertThat(
            field(
                "bytea",
                DataTypes.BinaryType,
                new byte[] {0, (byte) 0xff, 0, (byte) 0xde, 0x5c, 0x0a}))
        .isEqualTo("\\\\x00ff00de5c0a");
    assertThat(field("bytea", DataTypes.BinaryType, new byte[0]))
        .as("empty, not NULL")
        .isEqualTo("\\\\x");
  }

  @Test
  void arraysQuoteElementsAsArrayInReadsThem() {
    List<String> awkward =
        Arrays.asList(
            "a,b",
            "quote\"d",
            null,
            "",
            "back\\slash",
            "NULL",
            "null",
            "{}",
            "a b",
            "tab\there",
            "plain",
            "é");
    // Array literal: {"a,b","quote\"d",NULL,"","back\\slash","NULL","null","{}","a
    // b","tab<TAB>here",plain,é}; then COPY escapes backslashes and the tab.
    assertThat(field("text[]", DataTypes.createArrayType(DataTypes.StringType), awkward))
        .isEqualTo(
            "{\"a,b\",\"quote\\\\\"d\",NULL,\"\",\"back\\\\\\\\slash\",\"NULL\",\"null\",\"{}\",\"a"
                + " b\",\"tab\\there\",plain,é}");
    assertThat(
            field(
                "integer[]",
                DataTypes.createArrayType(DataTypes.IntegerType),
                Arrays.asList(1, null, Integer.MIN_VALUE)))
        .isEqualTo("{1,NULL,-2147483648}");
    assertThat(field("integer[]", DataTypes.createArrayType(DataTypes.IntegerType), List.of()))
        .isEqualTo("{}");
    assertThat(
            field(
                "integer[]",
                DataTypes.createArrayType(DataTypes.createArrayType(DataTypes.IntegerType)),
                List.of(List.of(1, 2), Arrays.asList(3, null))))
        .as("two dimensions")
        .isEqualTo("{{1,2},{3,NULL}}");
    assertThat(
            field(
                "bytea[]",
                DataTypes.createArrayType(DataTypes.BinaryType),
                Arrays.asList(new byte[] {0, 1}, null)))
        .as("bytea elements are quoted for their backslash")
        .isEqualTo("{\"\\\\\\\\x0001\",NULL}");
    assertThat(
            field(
                "timestamp with time zone[]",
                DataTypes.createArrayType(DataTypes.TimestampType),
                List.of(Instant.EPOCH)))
        .isEqualTo("{\"1970-01-01 00:00:00+00\"}");
    assertThat(
            field(
                "double precision[]",
                DataTypes.createArrayType(DataTypes.DoubleType),
                List.of(Double.NaN, -0.0, Double.NEGATIVE_INFINITY)))
        .isEqualTo("{NaN,-0.0,-Infinity}");
    assertThat(
            field(
                "numeric(10,2)[]",
                DataTypes.createArrayType(DataTypes.createDecimalType(10, 2)),
                List.of(new BigDecimal("1.50"))))
        .isEqualTo("{1.50}");
  }

  @Test
  void arraysFromSparkRowsAreScalaSequences() {
    scala.collection.immutable.Seq<Object> seq =
        scala.jdk.javaapi.CollectionConverters.asScala(Arrays.<Object>asList("x y", null)).toList();
    assertThat(field("text[]", DataTypes.createArrayType(DataTypes.StringType), seq))
        .isEqualTo("{\"x y\",NULL}");
  }

  @Test
  void otherTypesTravelAsTheirPostgresText() {
    assertThat(field("jsonb", DataTypes.StringType, "{\"k\": \"v\\u00e9\"}"))
        .isEqualTo("{\"k\": \"v\\\\u00e9\"}");
    assertThat(field("json", DataTypes.StringType, "{\"spaced\" :  1,\"x\":[ 1 ,2 ]}"))
        .isEqualTo("{\"spaced\" :  1,\"x\":[ 1 ,2 ]}");
    assertThat(field("interval", DataTypes.StringType, "1 year 2 mons 3 days 04:05:06.789"))
        .isEqualTo("1 year 2 mons 3 days 04:05:06.789");
    assertThat(field("uuid", DataTypes.StringType, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"))
        .isEqualTo("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
  }

  @Test
  void aSchemaThatDoesNotMatchTheTargetIsRejectedUpFront() {
    List<ColumnSpec> target =
        List.of(
            new ColumnSpec("tenant_id", "text", true, null, false),
            new ColumnSpec("id", "bigint", true, null, false));
    assertThatThrownBy(
            () -> new CopyTextEncoder(target, new StructType().add("id", DataTypes.LongType)))
        .hasMessageContaining(
            "the Dataset has 1 columns [id] but the target expects 2 [tenant_id, id]");
    assertThatThrownBy(
            () ->
                new CopyTextEncoder(
                    target,
                    new StructType()
                        .add("id", DataTypes.LongType)
                        .add("tenant_id", DataTypes.StringType)))
        .hasMessageContaining("Dataset column 1 is 'id' but target column 1 is 'tenant_id'");
    assertThatThrownBy(
            () ->
                new CopyTextEncoder(
                    List.of(new ColumnSpec("m", "jsonb", false, null, false)),
                    new StructType()
                        .add(
                            "m",
                            DataTypes.createMapType(DataTypes.StringType, DataTypes.StringType))))
        .hasMessageContaining("Cannot encode column m (jsonb): Spark type map<string,string>");
  }
}
