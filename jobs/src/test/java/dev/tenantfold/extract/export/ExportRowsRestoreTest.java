package dev.tenantfold.extract.export;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tenantfold.extract.ColumnSpec;
import dev.tenantfold.extract.ExportTemporals;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.TestPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The restore reads PostgreSQL's text output with Spark's own casts where they are exact and with
 * the parser elsewhere: for every kind, PostgreSQL's output of thousands of values (extremes,
 * random values, time zones with odd offsets, BC, infinity; timestamptz text without an offset,
 * which the parser reads as UTC) restores to exactly what the parser alone ({@link
 * ExportRows#parse}) makes of each, whatever the session time zone.
 */
class ExportRowsRestoreTest {
  private static final SparkSession spark = LocalSpark.session();
  private static final String VALUES =
      """
      SELECT v::text FROM (VALUES (NULL::%1$s)) n(v)
      UNION ALL SELECT v::text FROM (%2$s) s(v)
      """;

  @ParameterizedTest(name = "{0} in {2}")
  @CsvSource(
      delimiter = '|',
      value = {
        "smallint | SELECT x FROM (VALUES (-32768), (32767), (0), (-1)) v(x) UNION ALL SELECT"
            + " (random() * 65535 - 32768)::smallint FROM generate_series(1, 2000) | UTC",
        "integer | SELECT x FROM (VALUES (-2147483648), (2147483647), (0)) v(x) UNION ALL SELECT"
            + " (random() * 4294967295 - 2147483648)::integer FROM generate_series(1, 2000) | UTC",
        "bigint | SELECT x FROM (VALUES (-9223372036854775808), (9223372036854775807), (0)) v(x)"
            + " UNION ALL SELECT ((random() - 0.5) * 1.8e19)::bigint FROM generate_series(1, 2000)"
            + " | UTC",
        "double precision | SELECT x FROM (VALUES ('NaN'::float8), ('Infinity'), ('-Infinity'),"
            + " ('-0'), ('4.9e-324'), ('1.7976931348623157e308'), ('2.2250738585072014e-308')) v(x)"
            + " UNION ALL SELECT ((random() - 0.5) * power(10, floor(random() * 600 -"
            + " 300)))::float8 FROM generate_series(1, 4000) | UTC",
        "real | SELECT x FROM (VALUES ('NaN'::real), ('Infinity'), ('-Infinity'), ('-0'),"
            + " ('1.4e-45'), ('3.4028235e38')) v(x) UNION ALL SELECT ((random() - 0.5) * power(10,"
            + " floor(random() * 70 - 35)))::real FROM generate_series(1, 4000) | UTC",
        "boolean | SELECT x FROM (VALUES (true), (false)) v(x) | UTC",
        "boolean | SELECT x FROM (VALUES ('t'), ('f'), ('true'), ('false')) v(x) | UTC",
        "date | SELECT x FROM (VALUES ('infinity'::date), ('-infinity'), ('0001-01-01'),"
            + " ('0001-12-31 BC'), ('4713-01-01 BC'), ('9999-12-31'), ('10000-01-01'),"
            + " ('5874897-12-31'), ('2024-02-29'), ('1582-10-04'), ('1582-10-15')) v(x) UNION ALL"
            + " SELECT date '0001-01-01' + (random() * 3652058)::int FROM generate_series(1, 4000)"
            + " | UTC",
        "timestamp with time zone | SELECT x FROM (VALUES ('infinity'::timestamptz), ('-infinity'),"
            + " ('4713-01-01 00:00:00+00 BC'), ('0001-01-01 00:00:00+00'), ('1900-01-01"
            + " 00:00:00+00'), ('9999-12-31 23:59:59.999999+00'), ('10000-01-01 00:00:00+00'),"
            + " ('2024-02-29 23:59:59.999999+00'), ('1970-01-01 00:00:00.5+00')) v(x) UNION ALL"
            + " SELECT timestamptz '0001-01-01 00:00:00+00' + random() * interval '9998 years' FROM"
            + " generate_series(1, 3000) UNION ALL SELECT timestamptz '1800-01-01 00:00:00+00' +"
            + " random() * interval '250 years' FROM generate_series(1, 3000) | UTC",
        "timestamp with time zone | SELECT timestamptz '0001-01-01 00:00:00+00' + random() *"
            + " interval '9998 years' FROM generate_series(1, 3000) UNION ALL SELECT timestamptz"
            + " '1800-01-01 00:00:00+00' + random() * interval '250 years' FROM generate_series(1,"
            + " 3000) | Asia/Kolkata",
        "timestamp with time zone | SELECT timestamptz '1800-01-01 00:00:00+00' + random() *"
            + " interval '250 years' FROM generate_series(1, 3000) | America/St_Johns",
        "timestamp with time zone | SELECT timestamptz '1800-01-01 00:00:00+00' + random() *"
            + " interval '250 years' FROM generate_series(1, 3000) | Europe/Amsterdam",
        "timestamp with time zone | SELECT timestamptz '1800-01-01 00:00:00+00' + random() *"
            + " interval '250 years' FROM generate_series(1, 3000) | Pacific/Chatham",
        "timestamp with time zone | SELECT timestamp '1800-01-01' + random() * interval '250 years'"
            + " FROM generate_series(1, 500) UNION ALL SELECT timestamp '2024-02-29"
            + " 23:59:59.999999' | UTC",
        "timestamp without time zone | SELECT x FROM (VALUES ('infinity'::timestamp),"
            + " ('-infinity'), ('4713-01-01 00:00:00 BC'), ('2024-02-29 23:59:59.999999')) v(x)"
            + " UNION ALL SELECT timestamp '0001-01-01' + random() * interval '9998 years' FROM"
            + " generate_series(1, 3000) | UTC",
      })
  void builtInCastsRestoreExactlyWhatTheParserDoes(String type, String values, String zone)
      throws Exception {
    String db = TestPostgres.createDatabase("restore");
    List<String> texts = new ArrayList<>();
    try (Connection conn = TestPostgres.connect(db);
        Statement st = conn.createStatement()) {
      st.execute(
          "SET TimeZone = '" + zone + "'; SET DateStyle = 'ISO'; SET extra_float_digits = 1");
      try (ResultSet rs = st.executeQuery(VALUES.formatted(type, values))) {
        while (rs.next()) {
          texts.add(rs.getString(1));
        }
      }
    }
    ColumnSpec column = new ColumnSpec("v", type, false, null, false);
    ExportRows.Kind kind = ExportRows.Kind.of(column);
    // A session time zone far from UTC: a cast that fell back on it would show.
    spark.conf().set("spark.sql.session.timeZone", "America/Los_Angeles");
    try {
      Dataset<Row> text = spark.createDataset(texts, Encoders.STRING()).toDF("v");
      Dataset<Row> restored =
          text.select(
              col("v"),
              ExportTemporals.asEpochNumbers(
                      ExportRows.restore(col("v"), DataTypes.StringType, column, "table t"),
                      ExportRows.sparkType(column))
                  .as("r"));
      List<String> wrong = new ArrayList<>();
      for (Row row : restored.collectAsList()) {
        Object expected = row.isNullAt(0) ? null : ExportRows.parse(kind, row.getString(0));
        if (!Objects.equals(expected, row.get(1))) {
          wrong.add(row.getString(0) + " -> " + row.get(1) + " instead of " + expected);
        }
      }
      assertThat(wrong)
          .as("values of %s (%d) restored unlike the parser", type, texts.size())
          .isEmpty();
    } finally {
      spark.conf().unset("spark.sql.session.timeZone");
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "integer | 12.5",
        "bigint | 99999999999999999999",
        "boolean | yes?",
        "date | 2024-02-30",
        "timestamp with time zone | 2024-02-30 00:00:00+00",
        "double precision | 1,5"
      })
  void aValueNeitherCanReadFailsNamingTheColumn(String type, String text) throws Exception {
    ColumnSpec column = new ColumnSpec("v", type, false, null, false);
    Dataset<Row> rows =
        spark
            .createDataset(List.of(text), Encoders.STRING())
            .toDF("v")
            .select(
                ExportRows.restore(col("v"), DataTypes.StringType, column, "table public.t")
                    .as("r"));
    assertThatThrownBy(rows::collectAsList)
        .hasStackTraceContaining(
            "Cannot restore table public.t column v (" + type + ") from '" + text + "'");
  }
}
