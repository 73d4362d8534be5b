package dev.tenantfold.load;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import dev.tenantfold.extract.ExportTemporals;

/**
 * Loads a {@code Dataset<Row>} whose rows exist only in Spark (a Parquet snapshot export, the
 * output of deduplication) into a staging table with PostgreSQL COPY, one stream per Spark
 * partition: each task encodes its rows with {@link CopyTextEncoder} into {@code COPY staging
 * (cols) FROM STDIN} through pgjdbc's {@code PGCopyOutputStream}. Memory per task is one 64 KB
 * COPY buffer plus one encoded row; only per-partition counts come back to the driver.
 *
 * <p>Exactly once, by the same protocol as {@link CopyTransfer} ({@link PartitionCopy}): a partition's COPY
 * commits in one transaction with its row in the ledger, keyed by (run, tenant, table, Spark
 * partition id). A re-executed or speculative task finds the row and reports the committed counts
 * instead of loading again; a failed COPY rolls back and leaves neither rows nor a ledger row.
 *
 * <p>The Spark partition id is the ledger's {@code part}, so the Dataset's partitioning must be
 * deterministic: a retried task, and a re-run of the same run id, must see the same rows under the
 * same partition id. A Parquet scan with the same files and split settings is; so is a shuffle
 * whose input order does not matter (hash partitioning, a total ordering before {@code row_number()}).
 * Round-robin repartitioning of unsorted input, {@code rand()} or a changed split size are not.
 */
public final class DatasetCopyLoader {
  private static final Logger LOG = LoggerFactory.getLogger(DatasetCopyLoader.class);

  private DatasetCopyLoader() {}

  /**
   * Loads {@code rows} (tenant column first, then the target columns in target order, as
   * {@link DatasetLoad#columns()}) and returns one outcome per partition.
   *
   * @throws IllegalArgumentException before any task runs when the Dataset's columns do not match
   *     the load's columns or hold a type that has no COPY text form
   */
  public static DatasetLoadResult load(Dataset<Row> rows, DatasetLoad load) {
    StructType schema = rows.schema();
    try {
      new CopyTextEncoder(load.columns(), schema);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("Cannot load tenant " + load.tenantId() + " table " + load.table() + ": " + e.getMessage(), e);
    }
    JavaRDD<Row> rdd = transported(rows).javaRDD();
    int partitionCount = rdd.getNumPartitions();
    List<TransferOutcome> outcomes = rdd
        .mapPartitionsWithIndex((partition, it) -> List.of(loadPartition(load, schema, partition, partitionCount, it)).iterator(), false)
        .collect();
    DatasetLoadResult result = new DatasetLoadResult(load.tenantId(), load.table(), outcomes);
    LOG.info("Loaded tenant {} table {} from a Dataset: {} rows in {} partitions ({} already committed, {} failed)", load.tenantId(),
        load.table(), result.loadedRows(), outcomes.size(), result.partitionsFromLedger(), result.errors().size());
    return result;
  }

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
      columns[i] = ExportTemporals.asEpochNumbers(functions.col("`" + name.replace("`", "``") + "`"), fields[i].dataType()).as(name);
    }
    return rows.select(columns);
  }

  /** One task: the partition's rows through {@link PartitionCopy}'s protocol; an empty partition claims nothing. */
  static TransferOutcome loadPartition(DatasetLoad load, StructType schema, int partition, int partitionCount, Iterator<Row> rows) {
    if (!rows.hasNext()) {
      return new TransferOutcome(load.tenantId(), load.table(), partition, 0, 0, 0, 0, false, null);
    }
    return PartitionCopy.copy(new PartitionCopy.Partition("load", load.runId(), load.tenantId(), load.table(), partition, partitionCount,
        load.target(), load.copyInSql(), load.ledgerTable(), load.attempts()), new SparkRows(load, schema, rows));
  }

  /** A Spark partition's rows, encoded by {@link CopyTextEncoder}: an iterator, read once, so an attempt that started streaming is final. */
  private record SparkRows(DatasetLoad load, StructType schema, Iterator<Row> rows) implements PartitionCopy.Rows {
    @Override
    public PartitionCopy.RowStream open() {
      CopyTextEncoder encoder = new CopyTextEncoder(load.columns(), schema);
      return new PartitionCopy.RowStream() {
        @Override
        public long copyTo(OutputStream into, PartitionCopy.Progress progress) throws IOException {
          progress.rows = 0;
          while (rows.hasNext()) {
            progress.rows++;
            encoder.write(rows.next(), into);
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
