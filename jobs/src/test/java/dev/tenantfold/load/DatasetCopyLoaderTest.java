package dev.tenantfold.load;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;
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
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Rows that exist only in Spark load through COPY exactly: a Parquet-exported table of awkward
 * values round-trips into staging identical as PostgreSQL itself renders it, and a re-run or a
 * failed partition never duplicates or half-loads rows.
 */
class DatasetCopyLoaderTest {
  private static final String COLUMNS =
      """
      id bigint PRIMARY KEY, t text, vc varchar(32), ch char(4), i2 smallint, i4 integer, n numeric(12,2), n30 numeric(30,6), nu numeric,
      f8 double precision, f4 real, ts timestamptz, tsn timestamp, d date, b bytea, ta text[], ia integer[], ia2 integer[][], fa float8[],
      na numeric(10,2)[], tsa timestamptz[], da date[], ba bytea[], e order_status, ea order_status[], j json, jb jsonb, u uuid,
      iv interval, tm time, bo boolean
      """;
  private static final String ENUM =
      "CREATE TYPE order_status AS ENUM ('new', 'paid', 'shipped', 'cancelled', 'with space',"
          + " 'quote''s', 'NULL')";

  /**
   * DemoData's awkward values and more, one row per kind of trouble, then bulk rows with random
   * floats and timestamps.
   */
  private static final String ROWS =
      """
      INSERT INTO awkward VALUES
        (1, E'tab\\there, newline\\nthere, cr\\rhere', '', 'DE', 32767, 2147483647, 0.01, 123456789012345678901234.123456,
         3.14159265358979323846264338327950288419716939937510, 'NaN', 'Infinity', '2024-02-29 23:59:59.999999+00', '2024-02-29 23:59:59.999999',
         '2024-02-29', E'\\\\x00ff00deadbeef00', ARRAY['a,b', 'quote"d', NULL, '', E'back\\\\slash', 'NULL', 'null', '{}', E'tab\\tin', ' lead', 'é 🎉'],
         ARRAY[1, NULL, -2147483648], '{{1,2},{3,NULL}}', ARRAY['NaN', 'Infinity', '-Infinity', '-0', '0', NULL, '4.9e-324']::float8[],
         ARRAY[1.50, NULL, -0.01], ARRAY['2024-02-29 23:59:59.999999+00', NULL, '1970-01-01 00:00:00.5+00']::timestamptz[],
         ARRAY['2024-02-29', NULL]::date[], ARRAY[E'\\\\x00'::bytea, NULL, ''::bytea, E'\\\\x5c22'::bytea], 'paid',
         ARRAY['new', 'paid', 'with space', 'quote''s', 'NULL', NULL]::order_status[], '{"spaced" :  1,"x":[ 1 ,2 ]}',
         '{"k": "v", "nested": {"arr": [1, 2.50, null]}, "u": "\\u00e9\\u00e8"}', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11',
         '1 year 2 mons 3 days 04:05:06.789', '23:59:59.999999', true),
        (2, '', NULL, '', -32768, -2147483648, -9999999999.99, -0.000001, 'Infinity', '-Infinity', '-0', '-infinity', '-infinity', '-infinity',
         '', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', 'cancelled', '{}', '""', '""', '00000000-0000-0000-0000-000000000000', '-1 days',
         '00:00:00', false),
        (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
         NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
        (4, E'unicode: Zürich 東京 emoji 🎉 and ''single'' "double" quotes \\\\N \\\\. ', E'\\\\.', 'ä  ', 0, 0, 0, 100, '-Infinity',
         4.9e-324, 1.4e-45, '2038-01-19 03:14:08.5+09', '4713-01-01 00:00:00 BC', '4713-01-01 BC', E'\\\\x5c0a09', ARRAY[NULL]::text[],
         ARRAY[NULL]::int[], '{{NULL}}', ARRAY[1.7976931348623157e308, -2.2250738585072014e-308], ARRAY[NULL]::numeric[], NULL, NULL, NULL,
         'NULL', ARRAY[NULL]::order_status[], 'null', 'null', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '1 year -2 mons +3 days -04:05:06.5',
         '24:00:00', NULL),
        (5, E'ctrl \\x01 chars \\x7f \\b \\f \\x0b end', E'\\\\N', ' x  ', 1, 1, 99999999.99, -99999999.999999, '-1e-40', 1.7976931348623157e308,
         3.4028235e38, 'infinity', 'infinity', 'infinity', '\\x00', ARRAY[''], ARRAY[0], '{{1},{2},{3}}', ARRAY[-0.0::float8], ARRAY[0.00],
         ARRAY['2000-01-01 00:00:00+00']::timestamptz[], ARRAY['0001-12-31']::date[], ARRAY[''::bytea], 'with space', ARRAY['with space']::order_status[],
         '  {"a" : 1}  ', '{"b": [1, {"c": null}]}', '12345678-90ab-cdef-1234-567890abcdef', '100 hours', '01:02:03', true),
        (6, '  ', 'N', 'ab', 3, 3, 1234567890.12, 0.1, 0.1, 0.1, 0.1, '2024-02-29 12:00:00.123456+05:30', '0001-01-01 00:00:00', '0001-01-01',
         '', ARRAY['trailing '], ARRAY[3], '{{1,2,3},{4,5,6}}', ARRAY[0.1], ARRAY[-0.10], NULL, NULL, NULL, 'quote''s', ARRAY['shipped', NULL]::order_status[], '"just a string"',
         '{"unicode": "\\u00e9 東京"}', 'abcdefab-cdef-abcd-efab-cdefabcdefab', '-178000000 years', '13:14:15', false);
      INSERT INTO awkward (id, t, i4, f8, f4, n, nu, ts, tsn, d, ta, b, jb)
      SELECT g, 'row ' || g || E'\\t' || md5(g::text), g, (random() - 0.5) * power(10, floor(random() * 600 - 300)), ((random() - 0.5) * 1e10)::real,
             round((random() * 1e8)::numeric, 2), (random() * 1e6)::numeric ^ 3, timestamptz '1900-01-01' + random() * interval '200 years',
             timestamp '1900-01-01' + random() * interval '200 years', date '1900-01-01' + (random() * 70000)::int,
             ARRAY[md5(g::text), CASE WHEN g % 3 = 0 THEN NULL ELSE 'x ' || g END], decode(md5(g::text), 'hex'), jsonb_build_object('g', g)
        FROM generate_series(100, 3099) g;
      """;

  private static final SparkSession spark = LocalSpark.session();

  @TempDir static Path tmp;

  @ParameterizedTest(name = "java8API={0}")
  @ValueSource(booleans = {false, true})
  void parquetExportedAwkwardValuesLoadIdenticalIntoStaging(boolean java8Api) throws Exception {
    String source = TestPostgres.createDatabase("dataset_source");
    String target = TestPostgres.createDatabase("dataset_target");
    TestPostgres.execute(source, ENUM + "; CREATE TABLE awkward (" + COLUMNS + "); " + ROWS);
    TestPostgres.execute(
        target,
        ENUM
            + "; CREATE TABLE awkward (tenant_id text NOT NULL, "
            + COLUMNS
            + "); CREATE SCHEMA tenantfold_staging");
    ReportStore reports = new ReportStore("tenantfold");
    List<ColumnSpec> columns = ParquetExports.columns(source, "awkward");
    StagingTable staging;
    try (Connection conn = TestPostgres.connect(target)) {
      reports.ensureTables(conn);
      StagingRegistry registry = new StagingRegistry("tenantfold");
      registry.ensureTable(conn);
      staging =
          StagingTable.of(
              registry.register(conn, "run-" + java8Api, "acme", "awkward", "tenantfold_staging"),
              "public",
              new TargetTable("awkward", columns, List.of("id")),
              "tenant_id",
              "acme");
      staging.create(conn);
    }

    ChecksumSpec spec = ChecksumQueries.spec(staging.table(), 64);
    TableChecksum folded;
    spark.conf().set("spark.sql.datetime.java8API.enabled", java8Api);
    try {
      Dataset<Row> export =
          ParquetExports.export(
              spark,
              source,
              "awkward",
              tmp,
              Map.of(
                  "ia2",
                  DataTypes.createArrayType(DataTypes.createArrayType(DataTypes.IntegerType))));
      Dataset<Row> conformed = export.select(conformedColumns(columns));
      Object ts = conformed.where(col("ts").isNotNull()).select("ts").first().get(0);
      assertThat(ts)
          .as(
              "the session hands timestamps out as %s; the load must not depend on it",
              java8Api ? "Instant" : "java.sql.Timestamp")
          .isInstanceOf(java8Api ? Instant.class : java.sql.Timestamp.class);

      DatasetLoadFold.Folded<TableChecksum> loaded =
          DatasetCopyLoader.load(
              conformed,
              DatasetLoad.into(
                  staging,
                  "run-" + java8Api,
                  new JdbcEndpoint(target, "postgres", "postgres"),
                  reports.ledgerTable(),
                  2),
              ChecksumFold.over(spec, List.of(conformed.columns())).orElseThrow());
      DatasetLoadResult result = loaded.load();
      folded = ChecksumFold.total(spec, loaded.folds());

      assertThat(result.errors()).as("partition errors").isEmpty();
      assertThat(result.partitions())
          .as("one outcome per Parquet partition")
          .hasSize(conformed.javaRDD().getNumPartitions());
      assertThat(result.loadedRows()).as("rows COPY accepted").isEqualTo(3006);
      assertThat(result.sentRows()).as("rows read from the Dataset").isEqualTo(3006);
    } finally {
      spark.conf().unset("spark.sql.datetime.java8API.enabled");
    }

    String cols =
        columns.stream().map(c -> "\"" + c.name() + "\"").collect(Collectors.joining(", "));
    List<String> expected = RowSets.rows(source, "SELECT ROW(" + cols + ")::text FROM awkward");
    List<String> actual =
        RowSets.rows(
            target,
            "SELECT ROW("
                + cols
                + ")::text FROM "
                + staging.qualifiedName()
                + " WHERE tenant_id = 'acme'");
    List<String> missing = new ArrayList<>(expected);
    missing.removeAll(actual);
    List<String> extra = new ArrayList<>(actual);
    extra.removeAll(expected);
    assertThat(missing)
        .as(
            "source rows not in staging (staging has instead: %s)",
            extra.stream().limit(5).toList())
        .isEmpty();
    assertThat(actual).as("every row identical, none twice").hasSameSizeAs(expected);
    try (Connection conn = TestPostgres.connect(target)) {
      assertThat(folded)
          .as("the source checksum folded in the load pass, against SQL over staging")
          .isEqualTo(
              PostgresChecksum.checksum(
                  conn,
                  ChecksumQueries.target(
                      staging.table(), staging.qualifiedName(), "tenant_id = 'acme'", 64)));
    }
  }

  @Test
  void everyDoubleAndFloatBitPatternSurvivesTheTextForm() {
    String target = TestPostgres.createDatabase("dataset_floats");
    TestPostgres.execute(
        target,
        "CREATE TABLE floats (tenant_id text NOT NULL, bits bigint, f8 double precision, fbits"
            + " integer, f4 real)");
    ReportStore reports = new ReportStore("tenantfold");
    try (Connection conn = TestPostgres.connect(target)) {
      reports.ensureTables(conn);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    SplittableRandom random = new SplittableRandom(42);
    List<Row> rows = new ArrayList<>();
    while (rows.size() < 50_000) {
      long bits = random.nextLong();
      int fbits = random.nextInt();
      // Small and subnormal magnitudes are where shortest round-trip printing and strtod disagree
      // most often.
      if (rows.size() % 5 == 0) {
        bits &= 0x800fffffffffffffL;
        fbits &= 0x807fffff;
      }
      double d = Double.longBitsToDouble(bits);
      float f = Float.intBitsToFloat(fbits);
      if (!Double.isNaN(d) && !Float.isNaN(f)) {
        rows.add(RowFactory.create("acme", bits, d, fbits, f));
      }
    }
    StructType schema =
        new StructType()
            .add("tenant_id", DataTypes.StringType)
            .add("bits", DataTypes.LongType)
            .add("f8", DataTypes.DoubleType)
            .add("fbits", DataTypes.IntegerType)
            .add("f4", DataTypes.FloatType);
    List<ColumnSpec> columns =
        List.of(
            new ColumnSpec("tenant_id", "text", true, null, false),
            new ColumnSpec("bits", "bigint", false, null, false),
            new ColumnSpec("f8", "double precision", false, null, false),
            new ColumnSpec("fbits", "integer", false, null, false),
            new ColumnSpec("f4", "real", false, null, false));

    DatasetLoadResult result =
        DatasetCopyLoader.load(
            spark.createDataFrame(rows, schema).repartition(4, col("bits")),
            new DatasetLoad(
                "floats",
                "acme",
                "floats",
                new JdbcEndpoint(target, "postgres", "postgres"),
                "COPY floats (tenant_id, bits, f8, fbits, f4) FROM STDIN",
                columns,
                reports.ledgerTable(),
                1));

    assertThat(result.errors()).isEmpty();
    assertThat(result.loadedRows()).isEqualTo(rows.size());
    assertThat(
            RowSets.count(
                target,
                "SELECT count(*) FROM floats WHERE float8send(f8) <> int8send(bits) OR"
                    + " float4send(f4) <> int4send(fbits)"))
        .as("values whose bits changed on the way")
        .isZero();
  }

  @Test
  void aReRunLoadsNothingTwiceAndAFailedPartitionLeavesNoRowsNorLedgerRow() {
    String password = "S3cret-Pw-7781";
    TestPostgres.createPasswordRole("tf_dataset_loader", password);
    String target = TestPostgres.createDatabase("dataset_once");
    TestPostgres.execute(
        target, "CREATE TABLE staged (tenant_id text NOT NULL, id bigint, n integer)");
    ReportStore reports = new ReportStore("tenantfold");
    try (Connection conn = TestPostgres.connect(target)) {
      reports.ensureTables(conn);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    DatasetLoad load =
        new DatasetLoad(
            "run1",
            "acme",
            "t",
            new JdbcEndpoint(target, "tf_dataset_loader", password),
            "COPY staged (tenant_id, id, n) FROM STDIN",
            List.of(
                new ColumnSpec("tenant_id", "text", true, null, false),
                new ColumnSpec("id", "bigint", false, null, false),
                new ColumnSpec("n", "integer", false, null, false)),
            reports.ledgerTable(),
            2);
    // Three partitions of 1000 ids each (a range is deterministic); the third holds a value an
    // integer column rejects.
    Dataset<Row> ids = spark.range(0, 3000, 1, 3).select(lit("acme").as("tenant_id"), col("id"));
    Dataset<Row> broken =
        ids.withColumn(
            "n", when(col("id").equalTo(2500), lit(password)).otherwise(col("id").cast("string")));
    Dataset<Row> fixed = ids.withColumn("n", col("id").cast("string"));

    DatasetLoadResult first = DatasetCopyLoader.load(broken, load);
    DatasetLoadResult again = DatasetCopyLoader.load(broken, load);

    assertThat(first.partitions())
        .extracting(TransferOutcome::failed)
        .as("which partitions failed")
        .containsExactly(false, false, true);
    assertThat(first.loadedRows()).isEqualTo(2000);
    String error = first.errors().get(0);
    assertThat(error)
        .as("names tenant, table and partition")
        .startsWith("Cannot load tenant acme table t partition 3/3: ")
        .contains("invalid input syntax for type integer")
        .contains("(COPY staged, line 501, column n)")
        .doesNotContain(password);
    assertThat(RowSets.count(target, "SELECT count(*) FROM staged WHERE id >= 2000"))
        .as("a failed partition leaves no rows")
        .isZero();
    assertThat(RowSets.count(target, "SELECT count(*) FROM tenantfold.load_ledger WHERE part = 2"))
        .as("nor a ledger row")
        .isZero();

    assertThat(again.partitions())
        .extracting(TransferOutcome::fromLedger)
        .as("a re-run reports committed partitions from the ledger")
        .containsExactly(true, true, false);
    assertThat(again.loadedRows()).as("counts from the ledger").isEqualTo(2000);
    assertThat(RowSets.count(target, "SELECT count(*) FROM staged"))
        .as("nothing loaded twice")
        .isEqualTo(2000);

    DatasetLoadResult resumed = DatasetCopyLoader.load(fixed, load);
    assertThat(resumed.errors()).isEmpty();
    assertThat(resumed.partitionsFromLedger()).isEqualTo(2);
    assertThat(resumed.loadedRows()).isEqualTo(3000);
    assertThat(RowSets.count(target, "SELECT count(*) FROM staged")).isEqualTo(3000);
    assertThat(RowSets.count(target, "SELECT count(DISTINCT id) FROM staged"))
        .as("each id once")
        .isEqualTo(3000);
    assertThat(
            RowSets.count(
                target,
                "SELECT sum(rows_loaded) FROM tenantfold.load_ledger WHERE run_id = 'run1'"))
        .isEqualTo(3000);
  }

  @Test
  void aFoldingLoadFoldsEveryPartitionOnceAndReadsAgainWhatTheLedgerSaysIsCommitted() {
    String target = TestPostgres.createDatabase("dataset_fold");
    TestPostgres.execute(target, "CREATE TABLE staged (tenant_id text NOT NULL, id bigint)");
    ReportStore reports = new ReportStore("tenantfold");
    try (Connection conn = TestPostgres.connect(target)) {
      reports.ensureTables(conn);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    DatasetLoad load =
        new DatasetLoad(
            "run-fold",
            "acme",
            "t",
            new JdbcEndpoint(target, "postgres", "postgres"),
            "COPY staged (tenant_id, id) FROM STDIN",
            List.of(
                new ColumnSpec("tenant_id", "text", true, null, false),
                new ColumnSpec("id", "bigint", false, null, false)),
            reports.ledgerTable(),
            2);
    Dataset<Row> ids = spark.range(0, 3000, 1, 3).select(lit("acme").as("tenant_id"), col("id"));

    DatasetLoadFold.Folded<long[]> first = DatasetCopyLoader.load(ids, load, new CountAndSum());
    DatasetLoadFold.Folded<long[]> again = DatasetCopyLoader.load(ids, load, new CountAndSum());
    DatasetLoadFold.Folded<long[]> changed =
        DatasetCopyLoader.load(ids.where(col("id").notEqual(2999)), load, new CountAndSum());

    assertThat(first.load().errors()).isEmpty();
    assertThat(first.folds())
        .as("one fold per committed partition: (rows, sum of ids)")
        .containsExactly(
            new long[] {1000, 499_500}, new long[] {1000, 1_499_500}, new long[] {1000, 2_499_500});
    assertThat(again.load().partitionsFromLedger())
        .as("a re-run of the run loads nothing")
        .isEqualTo(3);
    assertThat(again.folds())
        .as("but folds the committed partitions' rows again, each once")
        .containsExactlyElementsOf(first.folds());
    assertThat(RowSets.count(target, "SELECT count(*) FROM staged"))
        .as("nothing loaded twice")
        .isEqualTo(3000);
    assertThat(changed.load().errors())
        .as("a committed partition whose rows changed since")
        .singleElement()
        .asString()
        .startsWith(
            "Cannot load tenant acme table t partition 3/3: an earlier attempt of run run-fold"
                + " committed 1000 rows of it, this attempt reads 999");
    assertThat(changed.folds()).as("folds of the partitions that still agree").hasSize(2);
  }

  /** Rows and the sum of their ids (column 1): a fold simple enough to check by hand. */
  private static final class CountAndSum implements DatasetLoadFold<long[]> {
    @Override
    public Partial<long[]> start() {
      long[] acc = new long[2];
      return new Partial<>() {
        @Override
        public void add(Row row) {
          acc[0]++;
          acc[1] += row.getLong(1);
        }

        @Override
        public long[] result() {
          return acc;
        }
      };
    }
  }

  /**
   * The export's columns as the loader takes them: tenant column first, then the target columns in
   * target order.
   */
  private static org.apache.spark.sql.Column[] conformedColumns(List<ColumnSpec> columns) {
    List<org.apache.spark.sql.Column> out = new ArrayList<>();
    out.add(lit("acme").as("tenant_id"));
    columns.forEach(c -> out.add(col(c.name())));
    return out.toArray(org.apache.spark.sql.Column[]::new);
  }
}
