package dev.tenantfold.load;

import dev.tenantfold.extract.ExportTemporals;
import java.io.IOException;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads a {@code Dataset<Row>} whose rows exist only in Spark (a Parquet snapshot export, the
 * output of deduplication) into a staging table with PostgreSQL COPY, one stream per Spark
 * partition: each task encodes its rows into {@code COPY staging (cols) FROM STDIN} through
 * pgjdbc's {@code PGCopyOutputStream}, with {@link CopyBinaryEncoder} in PostgreSQL's binary format
 * when the load asks for it ({@link DatasetLoad#format()}) and that encoder carries every column,
 * else with {@link CopyTextEncoder} in the text format; the whole table in one format. Memory per
 * task is one 64 KB COPY buffer plus one encoded row; only per-partition counts come back to the
 * driver.
 *
 * <p>Exactly once, by the same protocol as {@link CopyTransfer} ({@link PartitionCopy}): a
 * partition's COPY commits in one transaction with its row in the ledger, keyed by (run, tenant,
 * table, Spark partition id). A re-executed or speculative task finds the row and reports the
 * committed counts instead of loading again; a failed COPY rolls back and leaves neither rows nor a
 * ledger row.
 *
 * <p>The Spark partition id is the ledger's {@code part}, so the Dataset's partitioning must be
 * deterministic: a retried task, and a re-run of the same run id, must see the same rows under the
 * same partition id. A Parquet scan with the same files and split settings is; so is a shuffle
 * whose input order does not matter (hash partitioning, a total ordering before {@code
 * row_number()}). Round-robin repartitioning of unsorted input, {@code rand()} or a changed split
 * size are not.
 */
public final class DatasetCopyLoader {
  private static final Logger LOG = LoggerFactory.getLogger(DatasetCopyLoader.class);

  private DatasetCopyLoader() {}

  /**
   * Loads {@code rows} (tenant column first, then the target columns in target order, as {@link
   * DatasetLoad#columns()}) and returns one outcome per partition.
   *
   * @throws IllegalArgumentException before any task runs when the Dataset's columns do not match
   *     the load's columns or hold a type that has no COPY text form
   */
  public static DatasetLoadResult load(Dataset<Row> rows, DatasetLoad load) {
    return run(rows, load, null).load();
  }

  /**
   * Loads {@code rows} as {@link #load(Dataset, DatasetLoad)} does and folds every row into {@code
   * fold} in the same pass: a partition that commits folds the rows it sent; a partition found
   * committed by an earlier attempt of the run reads its rows again, without loading them, to fold
   * them, and fails when they are not as many as that attempt committed (a partitioning that is not
   * deterministic).
   */
  public static <T extends Serializable> DatasetLoadFold.Folded<T> load(
      Dataset<Row> rows, DatasetLoad load, DatasetLoadFold<T> fold) {
    return run(rows, load, Objects.requireNonNull(fold, "fold"));
  }

  @SuppressWarnings("unchecked")
  private static <T extends Serializable> DatasetLoadFold.Folded<T> run(
      Dataset<Row> rows, DatasetLoad load, DatasetLoadFold<T> fold) {
    StructType schema = rows.schema();
    CopyFormat format;
    try {
      new CopyTextEncoder(load.columns(), schema);
      format = format(load, schema);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "Cannot load tenant "
              + load.tenantId()
              + " table "
              + load.table()
              + ": "
              + e.getMessage(),
          e);
    }
    JavaRDD<Row> rdd = transported(rows).javaRDD();
    int partitionCount = rdd.getNumPartitions();
    List<PartitionLoad> partitions =
        rdd.mapPartitionsWithIndex(
                (partition, it) ->
                    List.of(
                            loadPartition(
                                load, format, schema, partition, partitionCount, it, fold))
                        .iterator(),
                false)
            .collect();
    List<TransferOutcome> outcomes = partitions.stream().map(PartitionLoad::outcome).toList();
    List<T> folds =
        partitions.stream().filter(p -> p.fold() != null).map(p -> (T) p.fold()).toList();
    DatasetLoadResult result = new DatasetLoadResult(load.tenantId(), load.table(), outcomes);
    LOG.info(
        "Loaded tenant {} table {} from a Dataset in {} COPY: {} rows in {} partitions ({} already"
            + " committed, {} failed)",
        load.tenantId(),
        load.table(),
        format.name().toLowerCase(java.util.Locale.ROOT),
        result.loadedRows(),
        outcomes.size(),
        result.partitionsFromLedger(),
        result.errors().size());
    return new DatasetLoadFold.Folded<>(result, folds);
  }

  /**
   * The format the load's COPY streams use: binary when asked for and {@link CopyBinaryEncoder}
   * carries every column, else text (the whole table: one stream has one format).
   */
  static CopyFormat format(DatasetLoad load, StructType schema) {
    if (load.format() == CopyFormat.TEXT) {
      return CopyFormat.TEXT;
    }
    Optional<String> unsupported = CopyBinaryEncoder.unsupported(load.columns(), schema);
    unsupported.ifPresent(
        column ->
            LOG.info(
                "Loading tenant {} table {} in COPY text format: binary COPY cannot carry column"
                    + " {}",
                load.tenantId(),
                load.table(),
                column));
    return unsupported.isPresent() ? CopyFormat.TEXT : CopyFormat.BINARY;
  }

  /** One partition's outcome and, when the load folds and the partition committed, its fold. */
  record PartitionLoad(TransferOutcome outcome, Serializable fold) implements Serializable {}

  /**
   * The same rows with timestamps and dates as numbers ({@code unix_micros}, {@code unix_date}),
   * which the encoder formats itself: Spark's own conversion to {@code java.sql.Timestamp}
   * (java8API off) rebases calendars and overflows on the export's {@code -infinity} sentinel. A
   * projection: the partitioning, and so each row's ledger partition, is unchanged.
   */
  static Dataset<Row> transported(Dataset<Row> rows) {
    StructField[] fields = rows.schema().fields();
    Column[] columns = new Column[fields.length];
    for (int i = 0; i < fields.length; i++) {
      String name = fields[i].name();
      columns[i] =
          ExportTemporals.asEpochNumbers(
                  functions.col("`" + name.replace("`", "``") + "`"), fields[i].dataType())
              .as(name);
    }
    return rows.select(columns);
  }

  /**
   * One task: the partition's rows through {@link PartitionCopy}'s protocol, folded on the way when
   * {@code fold} is given; an empty partition claims nothing.
   */
  static <T extends Serializable> PartitionLoad loadPartition(
      DatasetLoad load,
      CopyFormat format,
      StructType schema,
      int partition,
      int partitionCount,
      Iterator<Row> rows,
      DatasetLoadFold<T> fold) {
    if (!rows.hasNext()) {
      return new PartitionLoad(
          new TransferOutcome(load.tenantId(), load.table(), partition, 0, 0, 0, 0, false, null),
          fold == null ? null : fold.start().result());
    }
    SparkRows sparkRows = new SparkRows(load, format, schema, rows, fold);
    TransferOutcome outcome =
        PartitionCopy.copy(
            new PartitionCopy.Partition(
                "load",
                load.runId(),
                load.tenantId(),
                load.table(),
                partition,
                partitionCount,
                load.target(),
                load.copyInSql(format),
                load.ledgerTable(),
                load.attempts()),
            sparkRows);
    if (fold == null || outcome.failed()) {
      return new PartitionLoad(outcome, null);
    }
    if (!outcome.fromLedger()) {
      return new PartitionLoad(outcome, sparkRows.folded());
    }
    return refold(load, partition, partitionCount, rows, fold, outcome);
  }

  /**
   * A partition an earlier attempt committed: nothing was read, so its rows are read now, for the
   * fold only, and must be as many as were committed.
   */
  private static <T extends Serializable> PartitionLoad refold(
      DatasetLoad load,
      int partition,
      int partitionCount,
      Iterator<Row> rows,
      DatasetLoadFold<T> fold,
      TransferOutcome outcome) {
    DatasetLoadFold.Partial<T> again = fold.start();
    long read = 0;
    while (rows.hasNext()) {
      again.add(rows.next());
      read++;
    }
    if (read != outcome.extractedRows()) {
      return new PartitionLoad(
          new TransferOutcome(
              load.tenantId(),
              load.table(),
              partition,
              outcome.extractedRows(),
              outcome.loadedRows(),
              outcome.millis(),
              outcome.attempts(),
              true,
              "Cannot load "
                  + load.describe(partition, partitionCount)
                  + ": an earlier attempt of run "
                  + load.runId()
                  + " committed "
                  + outcome.extractedRows()
                  + " rows of it, this attempt reads "
                  + read
                  + "; the Dataset's partitioning is not deterministic (see DatasetCopyLoader), so"
                  + " load the tenant again under a new run id"),
          null);
    }
    return new PartitionLoad(outcome, again.result());
  }

  /**
   * A Spark partition's rows, encoded by {@link CopyBinaryEncoder} or {@link CopyTextEncoder} and
   * folded when the load folds: an iterator, read once, so an attempt that started streaming is
   * final, and the fold of the last attempt opened is the committed one's.
   */
  private static final class SparkRows implements PartitionCopy.Rows {
    private final DatasetLoad load;
    private final CopyFormat format;
    private final StructType schema;
    private final Iterator<Row> rows;
    private final DatasetLoadFold<?> fold;
    private DatasetLoadFold.Partial<?> partial;

    SparkRows(
        DatasetLoad load,
        CopyFormat format,
        StructType schema,
        Iterator<Row> rows,
        DatasetLoadFold<?> fold) {
      this.load = load;
      this.format = format;
      this.schema = schema;
      this.rows = rows;
      this.fold = fold;
    }

    Serializable folded() {
      return (Serializable) partial.result();
    }

    @Override
    public PartitionCopy.RowStream open() {
      CopyBinaryEncoder binary =
          format == CopyFormat.BINARY ? new CopyBinaryEncoder(load.columns(), schema) : null;
      CopyTextEncoder text = binary == null ? new CopyTextEncoder(load.columns(), schema) : null;
      DatasetLoadFold.Partial<?> folding = fold == null ? null : fold.start();
      partial = folding;
      return new PartitionCopy.RowStream() {
        @Override
        public long copyTo(OutputStream into, PartitionCopy.Progress progress) throws IOException {
          progress.rows = 0;
          if (binary != null) {
            binary.writeHeader(into);
          }
          while (rows.hasNext()) {
            progress.rows++;
            Row row = rows.next();
            if (binary != null) {
              binary.write(row, into);
            } else {
              text.write(row, into);
            }
            if (folding != null) {
              folding.add(row);
            }
          }
          if (binary != null) {
            binary.writeTrailer(into);
          }
          return progress.rows;
        }

        @Override
        public void close() {
          // Nothing to release: the iterator belongs to the Spark task.
        }
      };
    }

    @Override
    public boolean replayable() {
      return false;
    }

    @Override
    public List<String> secrets() {
      return Arrays.asList(load.target().password());
    }
  }
}
