package dev.tenantfold.validate.checksum;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.extract.ColumnSpec;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Keys as a person reads them, decoded from the canonical values both engines produce. */
class ReadableKeyTest {
  private static ColumnSpec column(String name, String type) {
    return new ColumnSpec(name, type, false, null, false);
  }

  private static DrillDownRow row(List<String> values) {
    return new DrillDownRow(0, "internal", "digest", values);
  }

  @Test
  void aCompositeKeyIsItsColumnNamesAndTypedValuesInKeyOrder() {
    ChecksumSpec spec =
        new ChecksumSpec(
            List.of(
                column("order_id", "bigint"),
                column("line_no", "integer"),
                column("qty", "integer")),
            List.of("order_id", "line_no"),
            8);
    // Canonical values come in column-name order: line_no, order_id, qty.
    assertThat(ReadableKey.json(spec, row(List.of("2", "2002", "5"))))
        .isEqualTo("{\"order_id\": 2002, \"line_no\": 2}");
  }

  @Test
  void everyCanonicalKindDecodesToItsSourceValue() {
    String when = CanonicalRow.timestamp(LocalDateTime.parse("2024-02-29T12:30:00.000001"));
    String instant = CanonicalRow.timestamp(Instant.parse("2024-02-29T12:30:00Z"));
    String day = CanonicalRow.date(LocalDate.parse("2024-02-29"));
    String real = CanonicalRow.scalar(new CanonicalType(CanonicalType.Kind.FLOAT, false, 0), 0.5d);
    ChecksumSpec spec =
        new ChecksumSpec(
            List.of(
                column("a_text", "text"),
                column("b_ts", "timestamp without time zone"),
                column("c_tstz", "timestamp with time zone"),
                column("d_date", "date"),
                column("e_num", "numeric(10,2)"),
                column("f_nan", "numeric"),
                column("g_bool", "boolean"),
                column("h_bytes", "bytea"),
                column("i_float", "double precision"),
                column("j_null", "integer")),
            List.of(
                "a_text", "b_ts", "c_tstz", "d_date", "e_num", "f_nan", "g_bool", "h_bytes",
                "i_float", "j_null"),
            8);

    String json =
        ReadableKey.json(
            spec,
            row(
                Arrays.asList(
                    "say \"hi\"\n",
                    when,
                    instant,
                    day,
                    "12.5",
                    "NaN",
                    "true",
                    "00ff",
                    real,
                    null)));

    assertThat(json)
        .isEqualTo(
            "{\"a_text\": \"say \\\"hi\\\"\\n"
                + "\", \"b_ts\": \"2024-02-29T12:30:00.000001\", \"c_tstz\":"
                + " \"2024-02-29T12:30:00Z\", \"d_date\": \"2024-02-29\", \"e_num\": 12.5,"
                + " \"f_nan\": \"NaN\", \"g_bool\": true, \"h_bytes\": \"\\\\x00ff\", \"i_float\":"
                + " 0.5, \"j_null\": null}");
  }

  @Test
  void aKeylessRowIsNamedByItsColumnsWithLongTextsShortened() {
    ChecksumSpec spec =
        new ChecksumSpec(List.of(column("kind", "text"), column("body", "text")), List.of(), 8);
    String json = ReadableKey.json(spec, row(List.of("x".repeat(500), "login")));
    assertThat(json)
        .startsWith(
            "{\"body\": \"" + "x".repeat(ReadableKey.MAX_TEXT) + "…\", \"kind\": \"login\"}");
  }
}
