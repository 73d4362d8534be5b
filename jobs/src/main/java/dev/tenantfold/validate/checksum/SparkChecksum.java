package dev.tenantfold.validate.checksum;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import dev.tenantfold.extract.ExportTemporals;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The checksum over a {@code Dataset<Row>} (rows of a Parquet snapshot export), bit-identical to
 * {@link ChecksumSql} in PostgreSQL for the same {@link ChecksumSpec}. Pure transformations from
 * rows to aggregates; {@link #checksum} and {@link #drillDown} collect the (small) results.
 *
 * <p>Timestamps and dates are turned into microseconds and days by Spark itself ({@code
 * unix_micros}, {@code unix_date}) so no calendar conversion happens in Java; every other value is
 * rendered by {@link CanonicalRow}. The per-bucket sums are taken as decimal(20,0) because ANSI
 * mode makes long overflow an error, then reduced modulo 2^64.
 */
public final class SparkChecksum {
  private static final BigDecimal TWO_POW_64 = new BigDecimal(ChecksumSql.TWO_POW_64);
  private static final BigDecimal TWO_POW_63 = new BigDecimal(ChecksumSql.TWO_POW_63);
  private static final StructType PARTIALS =
      new StructType()
          .add("bucket", DataTypes.IntegerType, false)
          .add("n", DataTypes.LongType, false)
          .add("a", DataTypes.LongType, false);
  private static final StructType DRILL_DOWN =
      new StructType()
          .add("bucket", DataTypes.IntegerType, false)
          .add("key_text", DataTypes.StringType, false)
          .add("row_digest", DataTypes.StringType, false)
          .add("column_values", DataTypes.createArrayType(DataTypes.StringType, true), false);

  private SparkChecksum() {}

  /** {@code bucket int, row_count bigint, digest bigint}, one row per non-empty bucket. */
  public static Dataset<Row> bucketDigests(Dataset<Row> rows, ChecksumSpec spec) {
    // Each partition folds its rows into at most one row per bucket (sums modulo 2^64 in plain
    // longs), so the shuffle and the
    // decimal sums see buckets x partitions rows instead of one per table row.
    Dataset<Row> partials =
        prepared(rows, spec).mapPartitions(new BucketFolder(spec), Encoders.row(PARTIALS));
    return partials
        .groupBy("bucket")
        .agg(
            sum(col("n")).as("row_count"),
            sum(col("a").cast(DataTypes.createDecimalType(20, 0))).as("sum_a"))
        .select(col("bucket"), col("row_count"), signed64(col("sum_a")).as("digest"))
        .orderBy("bucket");
  }

  /**
   * {@code bucket int, key_text string, row_digest string, column_values array<string>} for the
   * rows of {@code buckets}, sorted by key text then digest.
   */
  public static Dataset<Row> drillDownRows(
      Dataset<Row> rows, ChecksumSpec spec, Collection<Integer> buckets) {
    // Spark compares strings by their UTF-8 bytes: the same order as PostgreSQL's COLLATE "C".
    return prepared(rows, spec)
        .flatMap(
            new RowHasher(spec, identity(spec.columns().size()), true, new TreeSet<>(buckets)),
            Encoders.row(DRILL_DOWN))
        .sort(col("key_text"), col("row_digest"));
  }

  /**
   * Collects {@link #bucketDigests}: at most {@link ChecksumSpec#buckets()} rows reach the driver.
   */
  public static TableChecksum checksum(Dataset<Row> rows, ChecksumSpec spec) {
    Map<Integer, BucketDigest> buckets = new HashMap<>();
    for (Row row : bucketDigests(rows, spec).collectAsList()) {
      buckets.put(row.getInt(0), new BucketDigest(row.getLong(1), row.getLong(2)));
    }
    return new TableChecksum(spec.buckets(), buckets);
  }

  /** Collects {@link #drillDownRows}. */
  public static List<DrillDownRow> drillDown(
      Dataset<Row> rows, ChecksumSpec spec, Collection<Integer> buckets) {
    List<DrillDownRow> out = new ArrayList<>();
    if (buckets.isEmpty()) {
      return out;
    }
    for (Row row : drillDownRows(rows, spec, buckets).collectAsList()) {
      out.add(new DrillDownRow(row.getInt(0), row.getString(1), row.getString(2), row.getList(3)));
    }
    return out;
  }

  private static Column signed64(Column sum) {
    Column m = pmod(sum, lit(TWO_POW_64));
    return when(m.geq(lit(TWO_POW_63)), m.minus(lit(TWO_POW_64)))
        .otherwise(m)
        .cast(DataTypes.LongType);
  }

  /** The spec's columns in digest order, timestamps and dates already turned into numbers. */
  private static Dataset<Row> prepared(Dataset<Row> rows, ChecksumSpec spec) {
    Map<String, StructField> fields = new HashMap<>();
    for (StructField field : rows.schema().fields()) {
      fields.put(field.name().toLowerCase(Locale.ROOT), field);
    }
    List<Column> columns = new ArrayList<>();
    for (int i = 0; i < spec.columns().size(); i++) {
      String name = spec.columns().get(i).name();
      StructField field = fields.get(name.toLowerCase(Locale.ROOT));
      if (field == null) {
        throw new IllegalArgumentException(
            "Cannot checksum dataset: column "
                + name
                + " is missing; it has "
                + List.of(rows.schema().fieldNames()));
      }
      columns.add(
          ExportTemporals.asEpochNumbers(
                  col("`" + field.name().replace("`", "``") + "`"), field.dataType())
              .as("c" + i));
    }
    return rows.select(columns.toArray(new Column[0]));
  }

  /**
   * Folds rows into the checksum's per-bucket sums one at a time, in the task that reads them: how
   * a load computes the source side of the checksum in its own pass over the rows, with the same
   * digest as {@link #checksum}. Memory: three longs per bucket. Not thread-safe: one per task.
   *
   * @param spec what the checksum covers
   * @param positions where each of {@link ChecksumSpec#columns()} is in the rows {@link
   *     BucketFold#add} gets; values as {@link #checksum} reads them (timestamps and dates as epoch
   *     numbers, {@link ExportTemporals})
   */
  public static BucketFold fold(ChecksumSpec spec, int[] positions) {
    if (positions.length != spec.columns().size()) {
      throw new IllegalArgumentException(
          "Cannot fold a checksum: "
              + positions.length
              + " positions for the "
              + spec.columns().size()
              + " columns "
              + spec.columnNames());
    }
    return new BucketFold(spec, positions.clone());
  }

  /**
   * Per-bucket sums of the rows added so far; {@link #result} is the same {@link TableChecksum}
   * {@link #checksum} gives for them.
   */
  public static final class BucketFold {
    /**
     * Up to this many buckets the sums are one array; beyond, only the buckets rows fall into are
     * kept.
     */
    private static final int DENSE_BUCKETS = 1 << 16;

    private final RowHasher hasher;
    private final int buckets;

    /**
     * Row count and digest per bucket (at 2 x bucket), summed modulo 2^64 in Java's wrapping
     * arithmetic.
     */
    private final long[] dense;

    private final Map<Integer, long[]> sparse;

    private BucketFold(ChecksumSpec spec, int[] positions) {
      this.hasher = new RowHasher(spec, positions, false, null);
      this.buckets = spec.buckets();
      this.dense = buckets <= DENSE_BUCKETS ? new long[2 * buckets] : null;
      this.sparse = dense == null ? new HashMap<>() : null;
    }

    public void add(Row row) {
      hasher.digest(row);
      long[] sums = dense;
      int at = 2 * hasher.bucket;
      if (sums == null) {
        sums = sparse.computeIfAbsent(hasher.bucket, k -> new long[2]);
        at = 0;
      }
      sums[at]++;
      sums[at + 1] += hasher.a;
    }

    public TableChecksum result() {
      Map<Integer, BucketDigest> out = new HashMap<>();
      if (dense == null) {
        sparse.forEach((bucket, sums) -> out.put(bucket, new BucketDigest(sums[0], sums[1])));
      } else {
        for (int bucket = 0; bucket < buckets; bucket++) {
          if (dense[2 * bucket] != 0) {
            out.put(bucket, new BucketDigest(dense[2 * bucket], dense[2 * bucket + 1]));
          }
        }
      }
      return new TableChecksum(buckets, out);
    }
  }

  /**
   * Hashes a partition's rows ({@link RowHasher}) and folds them per bucket: row count and the
   * 64-bit hashes summed with Java's wrapping arithmetic, which is the sum modulo 2^64 the digest
   * is defined by.
   */
  private static final class BucketFolder implements MapPartitionsFunction<Row, Row> {
    private final ChecksumSpec spec;

    BucketFolder(ChecksumSpec spec) {
      this.spec = spec;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
      BucketFold fold = new BucketFold(spec, identity(spec.columns().size()));
      while (rows.hasNext()) {
        fold.add(rows.next());
      }
      List<Row> out = new ArrayList<>();
      fold.result()
          .byBucket()
          .forEach((bucket, d) -> out.add(RowFactory.create(bucket, d.rowCount(), d.digest())));
      return out.iterator();
    }
  }

  private static int[] identity(int n) {
    int[] positions = new int[n];
    for (int i = 0; i < n; i++) {
      positions[i] = i;
    }
    return positions;
  }

  /**
   * Renders, encodes and hashes rows, reusing one text and one byte buffer per task; with {@code
   * drillDown}, keeps only rows of the wanted buckets. {@link #digest} leaves the row's hash in
   * {@code a} and {@code bucket}.
   */
  private static final class RowHasher implements FlatMapFunction<Row, Row> {
    private final ChecksumSpec spec;
    private final CanonicalType[] types;
    private final int[] positions;
    private final int[] keyPositions;
    private final boolean integerKey;
    private final boolean drillDown;
    private final Set<Integer> buckets;
    private transient CanonicalRow.Hasher hasher;
    private transient StringBuilder text;
    private transient StringBuilder keyText;
    private transient String[] values;
    long a;
    int bucket;

    RowHasher(ChecksumSpec spec, int[] positions, boolean drillDown, Set<Integer> buckets) {
      this.spec = spec;
      this.types = spec.columns().stream().map(CanonicalType::of).toArray(CanonicalType[]::new);
      this.positions = positions;
      this.keyPositions = spec.keyPositions();
      this.integerKey =
          keyPositions.length == 1
              && types[keyPositions[0]].kind() == CanonicalType.Kind.INTEGER
              && !types[keyPositions[0]].array();
      this.drillDown = drillDown;
      this.buckets = buckets;
    }

    /**
     * Renders and hashes {@code row}: its hash is left in {@link #a} and {@link #bucket}, its
     * rendered values in {@code values}.
     */
    void digest(Row row) {
      if (hasher == null) {
        hasher = new CanonicalRow.Hasher();
        text = new StringBuilder(256);
        keyText = new StringBuilder(32);
        values = new String[types.length];
      }
      text.setLength(0);
      for (int i = 0; i < types.length; i++) {
        values[i] = CanonicalRow.render(types[i], row.get(positions[i]));
        CanonicalRow.appendRowField(text, types[i], values[i]);
      }
      if (integerKey) {
        hasher.hashWithIntegerKey(text, values[keyPositions[0]], spec.buckets());
      } else if (spec.keyed()) {
        keyText.setLength(0);
        for (int p : keyPositions) {
          CanonicalRow.appendRowField(keyText, types[p], values[p]);
        }
        hasher.hash(text, keyText, spec.buckets());
      } else {
        hasher.hash(text, null, spec.buckets());
      }
      a = hasher.a();
      bucket = hasher.bucket();
    }

    @Override
    public Iterator<Row> call(Row row) {
      digest(row);
      if (!drillDown) {
        return Collections.singletonList(RowFactory.create(bucket, a)).iterator();
      }
      if (!buckets.contains(bucket)) {
        return Collections.emptyIterator();
      }
      String key = null;
      if (spec.keyed()) {
        StringBuilder k = new StringBuilder();
        for (int p : keyPositions) {
          CanonicalRow.appendField(k, values[p]);
        }
        key = k.toString();
      }
      String hex = hasher.hex();
      return Collections.singletonList(
              RowFactory.create(
                  bucket,
                  key == null ? hex : key,
                  hex,
                  scala.jdk.javaapi.CollectionConverters.asScala(Arrays.asList(values.clone()))
                      .toSeq()))
          .iterator();
    }
  }
}
