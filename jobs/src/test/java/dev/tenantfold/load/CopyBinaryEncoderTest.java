package dev.tenantfold.load;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.conform.TargetTable;
import dev.tenantfold.extract.ColumnSpec;
import dev.tenantfold.jdbc.JdbcEndpoint;
import dev.tenantfold.report.ReportStore;
import dev.tenantfold.source.ChecksumFold;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.ParquetExports;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import dev.tenantfold.validate.ChecksumQueries;
import dev.tenantfold.validate.checksum.ChecksumSpec;
import dev.tenantfold.validate.checksum.PostgresChecksum;
import dev.tenantfold.validate.checksum.TableChecksum;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Binary COPY loads exactly what text COPY loads: the same Spark rows of every type {@link
 * CopyBinaryEncoder} writes, with the values that break encoders, give equal tables in both formats
 * (EXCEPT ALL both ways over each row's text, which tells -0 from 0 and 1.50 from 1.5), equal to
 * the source, and the checksum folded in the load pass matches the binary-loaded table; a type
 * binary cannot carry keeps the whole table in text.
 */
class CopyBinaryEncoderTest {
  private static final String ENUM =
      "CREATE TYPE order_status AS ENUM ('new', 'paid', 'with space', 'quote''s', 'NULL')";

  private static final String COLUMNS =
      """
      id bigint, t text, vc varchar(32), ch char(4), i2 smallint, i4 integer, n numeric(12,2), n30 numeric(30,6), nu numeric,
      f8 double precision, f4 real, ts timestamptz, tsn timestamp, d date, b bytea, bo boolean, e order_status, j json, jb jsonb,
      u uuid, ta text[], vca varchar(8)[], ia integer[], ia2 integer[][], i2a smallint[], i8a bigint[], fa float8[], f4a real[],
      na numeric(10,2)[], tsa timestamptz[], tsna timestamp[], da date[], ba bytea[], boa boolean[]
      """;

  private static final String ROWS =
      """
      INSERT INTO awkward VALUES
        (1, E'tab\\there, newline\\nthere, cr\\rhere \\\\ back', '', 'DE', 32767, 2147483647, 0.01, 123456789012345678901234.123456,
         3.14159265358979323846264338327950288419716939937510, 'NaN', 'Infinity', '2024-02-29 23:59:59.999999+00', '2024-02-29 23:59:59.999999',
         '2024-02-29', E'\\\\x00ff00deadbeef00', true, 'paid', '{"spaced" :  1,"x":[ 1 ,2 ]}', '{"k": "v", "nested": {"arr": [1, 2.50, null]}}',
         'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', ARRAY['a,b', 'quote"d', NULL, '', E'back\\\\slash', 'NULL', '{}', E'tab\\tin', 'é 🎉'],
         ARRAY['x', NULL, ''], ARRAY[1, NULL, -2147483648], '{{1,2},{3,NULL}}', ARRAY[-32768, NULL], ARRAY[9223372036854775807, NULL],
         ARRAY['NaN', 'Infinity', '-Infinity', '-0', '0', NULL, '4.9e-324']::float8[], ARRAY['NaN', '-0', '1.4e-45', NULL]::real[],
         ARRAY[1.50, NULL, -0.01],
         ARRAY['2024-02-29 23:59:59.999999+00', NULL, '1970-01-01 00:00:00.5+00']::timestamptz[],
         ARRAY['1999-12-31 23:59:59.999999', NULL, '1066-10-14 12:00:00']::timestamp[], ARRAY['2024-02-29', NULL]::date[],
         ARRAY[E'\\\\x00'::bytea, NULL, ''::bytea, E'\\\\x5c22'::bytea], ARRAY[true, NULL, false]),
        (2, '', NULL, '', -32768, -2147483648, -9999999999.99, -0.000001, 'Infinity', '-Infinity', '-0', '-infinity', '-infinity', '-infinity',
         '', false, 'with space', '""', '""', '00000000-0000-0000-0000-000000000000', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}',
         '{}', '{}', '{}', '{}'),
        (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
         NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
        (4, E'unicode: Zürich 東京 🎉 and ''single'' "double" \\\\N \\\\. ', E'\\\\.', 'ä  ', 0, 0, 0, 100, '-Infinity', 4.9e-324, 1.4e-45,
         '2038-01-19 03:14:08.5+09', '4713-01-01 00:00:00 BC', '4713-01-01 BC', E'\\\\x5c0a09', NULL, 'NULL', 'null', 'null',
         'ffffffff-ffff-ffff-ffff-ffffffffffff', ARRAY[NULL]::text[], ARRAY[NULL]::varchar[], ARRAY[NULL]::int[], '{{NULL}}', '{NULL}', '{NULL}',
         ARRAY[1.7976931348623157e308, -2.2250738585072014e-308], ARRAY[3.4028235e38]::real[], ARRAY[NULL]::numeric[],
         NULL, NULL, NULL, ARRAY[NULL]::bytea[], '{NULL}'),
        (5, E'ctrl \\x01 \\x7f \\b \\f \\x0b end', E'\\\\N', ' x  ', 1, 1, 99999999.99, -99999999.999999, '-1e-40', -0.0, '-0', 'infinity',
         'infinity', 'infinity', '\\x00', true, 'quote''s', '  {"a" : 1}  ', '{"b": [1, {"c": null}]}', '12345678-90ab-cdef-1234-567890abcdef',
         ARRAY[''], ARRAY['12345678'], ARRAY[0], '{{1},{2},{3}}', ARRAY[0], ARRAY[0], ARRAY[-0.0::float8], ARRAY['-0']::real[], ARRAY[0.00], ARRAY['2000-01-01 00:00:00+00']::timestamptz[],
         ARRAY['294000-12-31 23:59:59.999999']::timestamp[], ARRAY['1582-10-15', '5874897-12-31']::date[], ARRAY[''::bytea],
         ARRAY[false]),
        (6, '  ', 'N', 'ab', 3, 3, 1234567890.12, 0.1, 10000.0001, 0.1, 0.1, '2024-02-29 12:00:00.123456+05:30', '0001-01-01 00:00:00',
         '0001-01-01', '', false, 'new', '"just a string"', '{"unicode": "\\u00e9 東京"}', 'abcdefab-cdef-abcd-efab-cdefabcdefab',
         ARRAY['trailing '], ARRAY['ab '], ARRAY[3], '{{1,2,3},{4,5,6}}', ARRAY[3], ARRAY[3], ARRAY[0.1], ARRAY[0.1]::real[], ARRAY[-0.10],
         ARRAY['294000-12-31 23:59:59.999999+00', '1582-10-15 00:00:00+00']::timestamptz[], NULL,
         ARRAY['2000-01-01']::date[], NULL, NULL);
      INSERT INTO awkward (id, t, i4, f8, f4, n, nu, ts, tsn, d, ta, b, jb, u, na)
      SELECT g, 'row ' || g || E'\\t' || md5(g::text), g, (random() - 0.5) * power(10, floor(random() * 600 - 300)), ((random() - 0.5) * 1e10)::real,
             round((random() * 1e8)::numeric, 2), (random() * 1e6)::numeric ^ 3, timestamptz '1900-01-01' + random() * interval '200 years',
             timestamp '1900-01-01' + random() * interval '200 years', date '1900-01-01' + (random() * 70000)::int,
             ARRAY[md5(g::text), CASE WHEN g % 3 = 0 THEN NULL ELSE 'x ' || g END], decode(md5(g::text), 'hex'), jsonb_build_object('g', g),
             md5(g::text)::uuid, ARRAY[round((random() * 1e6)::numeric, 2), NULL]
        FROM generate_series(100, 2099) g;
      """;

  private static final SparkSession spark = LocalSpark.session();

  @TempDir static Path tmp;

  @Test
  void everySupportedTypeLoadsInBinaryAsInTextAndItsChecksumValidates() throws Exception {
    String source = TestPostgres.createDatabase("binary_source");
    String target = TestPostgres.createDatabase("binary_target");
    TestPostgres.execute(source, ENUM + "; CREATE TABLE awkward (" + COLUMNS + "); " + ROWS);
    TestPostgres.execute(
        target,
        ENUM
            + "; CREATE TABLE in_text (tenant_id text NOT NULL, "
            + COLUMNS
            + "); CREATE TABLE in_binary (tenant_id text NOT NULL, "
            + COLUMNS
            + ")");
    List<ColumnSpec> columns = ParquetExports.columns(source, "awkward");
    Dataset<Row> export =
        ParquetExports.export(
            spark,
            source,
            "awkward",
            tmp,
            Map.of(
                "ia2",
                DataTypes.createArrayType(DataTypes.createArrayType(DataTypes.IntegerType))));
    Dataset<Row> rows = withTenant(export, columns);

    assertThat(load(rows, columns, target, "in_text", CopyFormat.TEXT)).isEqualTo(2006);
    TargetTable table = new TargetTable("in_binary", columns, List.of("id"));
    ChecksumSpec spec = ChecksumQueries.spec(table, 64);
    DatasetLoadFold.Folded<TableChecksum> folded =
        DatasetCopyLoader.load(
            rows,
            datasetLoad(target, "in_binary", columns, CopyFormat.BINARY),
            ChecksumFold.over(spec, List.of(rows.columns())).orElseThrow());
    assertThat(folded.load().errors()).as("partition errors").isEmpty();
    assertThat(folded.load().loadedRows()).as("rows COPY accepted in binary").isEqualTo(2006);

    assertSameTables(target, "in_text", "in_binary", columns);
    String row =
        "ROW("
            + columns.stream().map(c -> "\"" + c.name() + "\"").collect(Collectors.joining(", "))
            + ")::text";
    List<String> fromSource = RowSets.rows(source, "SELECT " + row + " FROM awkward");
    List<String> loaded = RowSets.rows(target, "SELECT " + row + " FROM in_binary");
    List<String> missing = new ArrayList<>(fromSource);
    missing.removeAll(loaded);
    List<String> extra = new ArrayList<>(loaded);
    extra.removeAll(fromSource);
    assertThat(missing)
        .as("source rows not loaded in binary (loaded instead: %s)", extra)
        .isEmpty();
    assertThat(loaded).as("every row, none twice").hasSameSizeAs(fromSource);
    try (Connection conn = TestPostgres.connect(target)) {
      assertThat(ChecksumFold.total(spec, folded.folds()))
          .as("the Spark rows' checksum, folded in the binary load's pass, against SQL over it")
          .isEqualTo(
              PostgresChecksum.checksum(
                  conn,
                  ChecksumQueries.target(table, "public.in_binary", "tenant_id = 'acme'", 64)));
    }
  }

  /**
   * The forms the export restores: numerics as their text (PostgreSQL's output and every other
   * numeric_in syntax), timestamps and dates at the sentinels and extremes, doubles into real and
   * floats into double precision, uuids in every uuid_in syntax, multi-dimensional arrays with NULL
   * elements.
   */
  @Test
  void restoredStringNumericsUuidsAndExtremesLoadInBinaryAsInText() throws Exception {
    String target = TestPostgres.createDatabase("binary_strings");
    String columnsDdl =
        "id integer, nu numeric, n4 numeric(20,4), u uuid, j jsonb, r real, dp double precision,"
            + " ts timestamptz, tsn timestamp, d date, nua numeric[], da2 double precision[],"
            + " tsa timestamptz[], ua uuid[], jba jsonb[]";
    TestPostgres.execute(
        target,
        "CREATE TABLE in_text (tenant_id text NOT NULL, "
            + columnsDdl
            + "); CREATE TABLE in_binary (tenant_id text NOT NULL, "
            + columnsDdl
            + ")");
    List<ColumnSpec> columns = ParquetExports.columns(target, "in_text");
    StructType schema =
        new StructType()
            .add("tenant_id", DataTypes.StringType)
            .add("id", DataTypes.IntegerType)
            .add("nu", DataTypes.StringType)
            .add("n4", DataTypes.StringType)
            .add("u", DataTypes.StringType)
            .add("j", DataTypes.StringType)
            .add("r", DataTypes.DoubleType)
            .add("dp", DataTypes.FloatType)
            .add("ts_micros", DataTypes.LongType)
            .add("tsn_micros", DataTypes.LongType)
            .add("d_days", DataTypes.IntegerType)
            .add("nua", DataTypes.createArrayType(DataTypes.StringType))
            .add("da2", DataTypes.createArrayType(DataTypes.createArrayType(DataTypes.DoubleType)))
            .add("tsa_micros", DataTypes.createArrayType(DataTypes.LongType))
            .add("ua", DataTypes.createArrayType(DataTypes.StringType))
            .add("jba", DataTypes.createArrayType(DataTypes.StringType));
    String[] numerics = {
      "0",
      "-0",
      "-0.000",
      "1.50",
      "NaN",
      "nan",
      "Infinity",
      "-Infinity",
      "+inf",
      " -INF ",
      "  42  ",
      "+7",
      ".5",
      "5.",
      "0.0001",
      "1e-20",
      "1.5E3",
      "-2.5e-3",
      "10000",
      "99990000.0001",
      "123456789012345678901234567890.123456789012345678901234567890",
      "-0.00000000000000000000000000000000000001",
      "100000000000000000000000000000000000000000"
    };
    String[] fourPlaces = {"1.23456", "-1.00005", "0.00004", "9999999999999999.9999", "NaN"};
    String[] uuids = {
      "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
      "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11",
      "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}",
      "a0eebc999c0b4ef8bb6d6bb9bd380a11",
      "a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11"
    };
    double[] doubles = {
      Double.NaN,
      Double.POSITIVE_INFINITY,
      Double.NEGATIVE_INFINITY,
      -0.0,
      0.1,
      3.4028235e38,
      1.4e-45
    };
    float[] floats = {Float.NaN, Float.NEGATIVE_INFINITY, -0.0f, 0.1f, Float.MIN_VALUE};
    long[] micros = {
      Long.MAX_VALUE, // the export's infinity
      Long.MIN_VALUE,
      0,
      -1,
      946_684_800_000_000L, // PostgreSQL's epoch
      -210_866_803_200_000_000L, // 4714-11-24 BC, PostgreSQL's first instant
      Long.MAX_VALUE - 1, // year 294247, the last Spark holds
      -62_135_596_800_000_001L // one microsecond before 0001-01-01
    };
    int[] days = {
      Integer.MAX_VALUE, Integer.MIN_VALUE, 0, -719_528, -2_440_588, 2_145_042_905, 10_957, -1
    };
    List<Row> data = new ArrayList<>();
    int rowCount = numerics.length;
    for (int i = 0; i < rowCount; i++) {
      long m = micros[i % micros.length];
      data.add(
          RowFactory.create(
              "acme",
              i,
              numerics[i],
              fourPlaces[i % fourPlaces.length],
              uuids[i % uuids.length],
              i % 3 == 0 ? "{\"a\": [1, 2.50, null], \"t\": \"tab\\there \u00e9\"}" : "\"s\"",
              doubles[i % doubles.length],
              floats[i % floats.length],
              m,
              m,
              days[i % days.length],
              i % 4 == 3 ? null : Arrays.asList(numerics[i], numerics[(i + 1) % rowCount], null),
              i % 5 == 0
                  ? List.of()
                  : List.of(
                      Arrays.asList(doubles[i % doubles.length], null),
                      Arrays.asList(-0.0, Double.MIN_VALUE)),
              Arrays.asList(Long.MAX_VALUE, null, Long.MIN_VALUE, m),
              Arrays.asList(uuids[(i + 1) % uuids.length], null),
              i % 2 == 0 ? List.of() : Arrays.asList("{\"k\": [1, null]}", null, "\"\\u00e9\"")));
    }
    // Rows the way DatasetCopyLoader hands them to the encoders: timestamps and dates as numbers.
    Dataset<Row> raw = spark.createDataFrame(data, schema).repartition(2);
    Dataset<Row> rows =
        raw.select(
            col("tenant_id"),
            col("id"),
            col("nu"),
            col("n4"),
            col("u"),
            col("j"),
            col("r"),
            col("dp"),
            expr("timestamp_micros(ts_micros)").as("ts"),
            expr("cast(timestamp_micros(tsn_micros) as timestamp_ntz)").as("tsn"),
            expr("date_from_unix_date(d_days)").as("d"),
            col("nua"),
            col("da2"),
            expr("transform(tsa_micros, m -> timestamp_micros(m))").as("tsa"),
            col("ua"),
            col("jba"));
    List<ColumnSpec> withTenant = new ArrayList<>();
    withTenant.add(new ColumnSpec("tenant_id", "text", true, null, false));
    columns.stream().filter(c -> !c.name().equals("tenant_id")).forEach(withTenant::add);

    assertThat(load(rows, withTenant, target, "in_text", CopyFormat.TEXT)).isEqualTo(rowCount);
    assertThat(load(rows, withTenant, target, "in_binary", CopyFormat.BINARY)).isEqualTo(rowCount);
    assertSameTables(target, "in_text", "in_binary", withTenant.subList(1, withTenant.size()));
  }

  @Test
  void aTypeBinaryCannotCarryKeepsTheWholeTableInText() throws Exception {
    String target = TestPostgres.createDatabase("binary_fallback");
    TestPostgres.execute(
        target,
        ENUM
            + "; CREATE TABLE mixed (tenant_id text NOT NULL, id integer, iv interval, e"
            + " order_status[])");
    List<ColumnSpec> columns = ParquetExports.columns(target, "mixed");
    StructType schema =
        new StructType()
            .add("tenant_id", DataTypes.StringType)
            .add("id", DataTypes.IntegerType)
            .add("iv", DataTypes.StringType)
            .add("e", DataTypes.createArrayType(DataTypes.StringType));
    Dataset<Row> rows =
        spark.createDataFrame(
            List.of(
                RowFactory.create("acme", 1, "1 year 2 mons -3 days 04:05:06.5", List.of("paid")),
                RowFactory.create("acme", 2, null, Arrays.asList("new", null))),
            schema);
    DatasetLoad load = datasetLoad(target, "mixed", columns, CopyFormat.BINARY);

    assertThat(DatasetCopyLoader.format(load, rows.schema()))
        .as("an interval column keeps the table in text")
        .isEqualTo(CopyFormat.TEXT);
    assertThat(CopyBinaryEncoder.unsupported(columns, schema))
        .hasValue("iv (interval) from Spark type string");
    assertThat(
            CopyBinaryEncoder.unsupported(
                columns.subList(0, 2).stream().toList(),
                new StructType()
                    .add("tenant_id", DataTypes.StringType)
                    .add("id", DataTypes.IntegerType)))
        .as("text and integer alone load in binary")
        .isEmpty();
    assertThat(
            CopyBinaryEncoder.unsupported(
                List.of(columns.get(0), columns.get(3)),
                new StructType()
                    .add("tenant_id", DataTypes.StringType)
                    .add("e", DataTypes.createArrayType(DataTypes.StringType))))
        .as("an array of an enum: its element OID is the database's own")
        .hasValue("e (order_status[]) from Spark type array<string>");
    assertThat(
            CopyBinaryEncoder.unsupported(
                List.of(columns.get(0), columns.get(1)),
                new StructType()
                    .add("tenant_id", DataTypes.StringType)
                    .add("id", DataTypes.StringType)))
        .as("a string into integer needs integer's text input")
        .hasValue("id (integer) from Spark type string");

    DatasetLoadResult result = DatasetCopyLoader.load(rows, load);
    assertThat(result.errors()).isEmpty();
    assertThat(RowSets.rows(target, "SELECT ROW(id, iv, e)::text FROM mixed ORDER BY id"))
        .containsExactly("(1,\"1 year 2 mons -3 days +04:05:06.5\",{paid})", "(2,,\"{new,NULL}\")");
  }

  private static Dataset<Row> withTenant(Dataset<Row> rows, List<ColumnSpec> columns) {
    List<Column> select = new ArrayList<>();
    select.add(lit("acme").as("tenant_id"));
    columns.forEach(c -> select.add(col(c.name())));
    return rows.select(select.toArray(Column[]::new));
  }

  private static DatasetLoad datasetLoad(
      String target, String table, List<ColumnSpec> columns, CopyFormat format) {
    List<ColumnSpec> copied = new ArrayList<>();
    if (!columns.get(0).name().equals("tenant_id")) {
      copied.add(new ColumnSpec("tenant_id", "text", true, null, false));
    }
    copied.addAll(columns);
    ReportStore reports = new ReportStore("tenantfold");
    try (Connection conn = TestPostgres.connect(target)) {
      reports.ensureTables(conn);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    return new DatasetLoad(
        "run-" + format,
        "acme",
        table,
        new JdbcEndpoint(target, "postgres", "postgres"),
        "COPY public."
            + table
            + " ("
            + copied.stream().map(c -> "\"" + c.name() + "\"").collect(Collectors.joining(", "))
            + ") FROM STDIN",
        copied,
        reports.ledgerTable(),
        1,
        format);
  }

  /** Loads {@code rows} in {@code format}, checking the loader chose it, and returns the rows. */
  private static long load(
      Dataset<Row> rows, List<ColumnSpec> columns, String target, String table, CopyFormat format) {
    DatasetLoad load = datasetLoad(target, table, columns, format);
    assertThat(DatasetCopyLoader.format(load, rows.schema()))
        .as(
            "the format the load of %s uses (binary cannot carry: %s)",
            table, CopyBinaryEncoder.unsupported(load.columns(), rows.schema()))
        .isEqualTo(format);
    DatasetLoadResult result = DatasetCopyLoader.load(rows, load);
    assertThat(result.errors()).as("partition errors loading %s", table).isEmpty();
    return result.loadedRows();
  }

  /** Every row of {@code a} in {@code b} and back, as text, duplicates counted. */
  private static void assertSameTables(
      String target, String a, String b, List<ColumnSpec> columns) {
    String row =
        "ROW("
            + columns.stream().map(c -> "\"" + c.name() + "\"").collect(Collectors.joining(", "))
            + ")::text";
    for (String[] pair : new String[][] {{a, b}, {b, a}}) {
      List<String> only =
          RowSets.rows(
              target,
              "SELECT "
                  + row
                  + " FROM "
                  + pair[0]
                  + " EXCEPT ALL SELECT "
                  + row
                  + " FROM "
                  + pair[1]
                  + " LIMIT 5");
      assertThat(only)
          .as(
              "rows of %s not in %s (it has instead: %s)",
              pair[0],
              pair[1],
              RowSets.rows(
                  target,
                  "SELECT "
                      + row
                      + " FROM "
                      + pair[1]
                      + " EXCEPT ALL SELECT "
                      + row
                      + " FROM "
                      + pair[0]
                      + " LIMIT 5"))
          .isEmpty();
    }
    assertThat(RowSets.count(target, "SELECT count(*) FROM " + b))
        .isEqualTo(RowSets.count(target, "SELECT count(*) FROM " + a))
        .isPositive();
  }
}
