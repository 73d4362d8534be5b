package dev.tenantfold.validate.checksum;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import java.math.BigDecimal;
import java.util.ArrayList;
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
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import dev.tenantfold.extract.ExportTemporals;
import java.util.Arrays;

/**
 * The checksum over a {@code Dataset<Row>} (rows of a Parquet snapshot export), bit-identical to
 * {@link ChecksumSql} in PostgreSQL for the same {@link ChecksumSpec}. Pure transformations from
 * rows to aggregates; {@link #checksum} and {@link #drillDown} collect the (small) results.
 *
 * <p>Timestamps and dates are turned into microseconds and days by Spark itself
 * ({@code unix_micros}, {@code unix_date}) so no calendar conversion happens in Java; every other
 * value is rendered by {@link CanonicalRow}. The per-bucket sums are taken as decimal(20,0) because
 * ANSI mode makes long overflow an error, then reduced modulo 2^64.
 */
public final class SparkChecksum {
  private static final BigDecimal TWO_POW_64 = new BigDecimal(ChecksumSql.TWO_POW_64);
  private static final BigDecimal TWO_POW_63 = new BigDecimal(ChecksumSql.TWO_POW_63);
  private static final StructType HASHES = new StructType()
      .add("bucket", DataTypes.IntegerType, false)
      .add("a", DataTypes.LongType, false)
      .add("b", DataTypes.LongType, false);
  private static final StructType PARTIALS = new StructType()
      .add("bucket", DataTypes.IntegerType, false)
      .add("n", DataTypes.LongType, false)
      .add("a", DataTypes.LongType, false)
      .add("b", DataTypes.LongType, false);
  private static final StructType DRILL_DOWN = new StructType()
      .add("bucket", DataTypes.IntegerType, false)
      .add("key_text", DataTypes.StringType, false)
      .add("row_digest", DataTypes.StringType, false)
      .add("column_values", DataTypes.createArrayType(DataTypes.StringType, true), false);

  private SparkChecksum() {}

  /** {@code bucket int, row_count bigint, digest_a bigint, digest_b bigint}, one row per non-empty bucket. */
  public static Dataset<Row> bucketDigests(Dataset<Row> rows, ChecksumSpec spec) {
    // Each partition folds its rows into at most one row per bucket (sums modulo 2^64 in plain longs), so the shuffle and the
    // decimal sums see buckets x partitions rows instead of one per table row.
    Dataset<Row> partials = prepared(rows, spec).mapPartitions(new BucketFolder(spec), Encoders.row(PARTIALS));
    return partials.groupBy("bucket")
        .agg(sum(col("n")).as("row_count"),
            sum(col("a").cast(DataTypes.createDecimalType(20, 0))).as("sum_a"),
            sum(col("b").cast(DataTypes.createDecimalType(20, 0))).as("sum_b"))
        .select(col("bucket"), col("row_count"), signed64(col("sum_a")).as("digest_a"), signed64(col("sum_b")).as("digest_b"))
        .orderBy("bucket");
  }

  /** {@code bucket int, key_text string, row_digest string, column_values array<string>} for the rows of {@code buckets}, sorted by key text then digest. */
  public static Dataset<Row> drillDownRows(Dataset<Row> rows, ChecksumSpec spec, Collection<Integer> buckets) {
    // Spark compares strings by their UTF-8 bytes: the same order as PostgreSQL's COLLATE "C".
    return prepared(rows, spec).flatMap(new RowHasher(spec, true, new TreeSet<>(buckets)), Encoders.row(DRILL_DOWN))
        .sort(col("key_text"), col("row_digest"));
  }

  /** Collects {@link #bucketDigests}: at most {@link ChecksumSpec#buckets()} rows reach the driver. */
  public static TableChecksum checksum(Dataset<Row> rows, ChecksumSpec spec) {
    Map<Integer, BucketDigest> buckets = new HashMap<>();
    for (Row row : bucketDigests(rows, spec).collectAsList()) {
      buckets.put(row.getInt(0), new BucketDigest(row.getLong(1), row.getLong(2), row.getLong(3)));
    }
    return new TableChecksum(spec.buckets(), buckets);
  }

  /** Collects {@link #drillDownRows}. */
  public static List<DrillDownRow> drillDown(Dataset<Row> rows, ChecksumSpec spec, Collection<Integer> buckets) {
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
    return when(m.geq(lit(TWO_POW_63)), m.minus(lit(TWO_POW_64))).otherwise(m).cast(DataTypes.LongType);
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
        throw new IllegalArgumentException("Cannot checksum dataset: column " + name + " is missing; it has "
            + List.of(rows.schema().fieldNames()));
      }
      columns.add(ExportTemporals.asEpochNumbers(col("`" + field.name().replace("`", "``") + "`"), field.dataType()).as("c" + i));
    }
    return rows.select(columns.toArray(new Column[0]));
  }

  /** Renders, encodes and hashes rows; with {@code drillDown}, keeps only rows of the wanted buckets. */
  /**
   * Hashes a partition's rows ({@link RowHasher}) and folds them per bucket: row count and the two
   * 64-bit halves summed with Java's wrapping arithmetic, which is the sum modulo 2^64 the digest is
   * defined by. Memory: three longs per bucket.
   */
  private static final class BucketFolder implements MapPartitionsFunction<Row, Row> {
    private final ChecksumSpec spec;

    BucketFolder(ChecksumSpec spec) {
      this.spec = spec;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
      RowHasher hasher = new RowHasher(spec, false, null);
      int buckets = spec.buckets();
      java.util.Map<Integer, long[]> folded = new java.util.TreeMap<>();
      while (rows.hasNext()) {
        Iterator<Row> hashed = hasher.call(rows.next());
        while (hashed.hasNext()) {
          Row h = hashed.next();
          long[] acc = folded.computeIfAbsent(h.getInt(0), b -> new long[3]);
          acc[0]++;
          acc[1] += h.getLong(1);
          acc[2] += h.getLong(2);
        }
      }
      java.util.List<Row> out = new java.util.ArrayList<>(Math.min(folded.size(), buckets));
      folded.forEach((bucket, acc) -> out.add(RowFactory.create(bucket, acc[0], acc[1], acc[2])));
      return out.iterator();
    }
  }

  private static final class RowHasher implements FlatMapFunction<Row, Row> {
    private final ChecksumSpec spec;
    private final CanonicalType[] types;
    private final int[] keyPositions;
    private final boolean integerKey;
    private final boolean drillDown;
    private final Set<Integer> buckets;

    RowHasher(ChecksumSpec spec, boolean drillDown, Set<Integer> buckets) {
      this.spec = spec;
      this.types = spec.columns().stream().map(CanonicalType::of).toArray(CanonicalType[]::new);
      this.keyPositions = spec.keyPositions();
      this.integerKey = keyPositions.length == 1 && types[keyPositions[0]].kind() == CanonicalType.Kind.INTEGER && !types[keyPositions[0]].array();
      this.drillDown = drillDown;
      this.buckets = buckets;
    }

    @Override
    public Iterator<Row> call(Row row) {
      String[] values = new String[types.length];
      StringBuilder text = new StringBuilder();
      for (int i = 0; i < types.length; i++) {
        values[i] = CanonicalRow.render(types[i], row.get(i));
        CanonicalRow.appendRowField(text, values[i]);
      }
      String key = null;
      CanonicalRow.Hash hash;
      if (integerKey) {
        hash = CanonicalRow.hashWithIntegerKey(text.toString(), values[keyPositions[0]], spec.buckets());
      } else if (spec.keyed()) {
        StringBuilder k = new StringBuilder();
        for (int p : keyPositions) {
          CanonicalRow.appendRowField(k, values[p]);
        }
        hash = CanonicalRow.hash(text.toString(), k.toString(), spec.buckets());
      } else {
        hash = CanonicalRow.hash(text.toString(), null, spec.buckets());
      }
      if (drillDown && spec.keyed()) {
        StringBuilder k = new StringBuilder();
        for (int p : keyPositions) {
          CanonicalRow.appendField(k, values[p]);
        }
        key = k.toString();
      }
      if (!drillDown) {
        return Collections.singletonList(RowFactory.create(hash.bucket(), hash.a(), hash.b())).iterator();
      }
      if (!buckets.contains(hash.bucket())) {
        return Collections.emptyIterator();
      }
      return Collections.singletonList(
          RowFactory.create(hash.bucket(), key == null ? hash.hex() : key, hash.hex(),
              scala.jdk.javaapi.CollectionConverters.asScala(Arrays.asList(values)).toSeq())).iterator();
    }
  }
}
