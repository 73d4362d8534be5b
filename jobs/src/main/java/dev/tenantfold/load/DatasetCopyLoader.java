package dev.tenantfold.load;

import dev.tenantfold.jdbc.Redaction;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
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
import org.postgresql.PGConnection;
import org.postgresql.copy.PGCopyOutputStream;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import dev.tenantfold.extract.ExportTemporals;

/**
 * Loads a {@code Dataset<Row>} whose rows exist only in Spark (a Parquet snapshot export, the
 * output of deduplication) into a staging table with PostgreSQL COPY, one stream per Spark
 * partition: each task encodes its rows with {@link CopyTextEncoder} into {@code COPY staging
 * (cols) FROM STDIN} through pgjdbc's {@link PGCopyOutputStream}. Memory per task is one 64 KB
 * COPY buffer plus one encoded row; only per-partition counts come back to the driver.
 *
 * <p>Exactly once, with the same ledger protocol as {@link CopyTransfer}: a partition's COPY
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
  private static final int COPY_BUFFER_BYTES = 1 << 16;

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

  /** One task: claim the partition in the ledger, stream its rows into COPY, record the counts, commit. */
  static TransferOutcome loadPartition(DatasetLoad load, StructType schema, int partition, int partitionCount, Iterator<Row> rows) {
    long start = System.nanoTime();
    String describe = load.describe(partition, partitionCount);
    if (!rows.hasNext()) {
      return new TransferOutcome(load.tenantId(), load.table(), partition, 0, 0, Attempts.elapsedMillis(start), 0, false, null);
    }
    String lastError = null;
    for (int attempt = 1; attempt <= load.attempts(); attempt++) {
      Progress progress = new Progress();
      try {
        TransferOutcome outcome = attempt(load, schema, partition, rows, attempt, start, progress);
        LOG.info("Loaded {}: {} rows in {} ms{}", describe, outcome.loadedRows(), outcome.millis(),
            outcome.fromLedger() ? " (already committed by an earlier attempt)" : "");
        return outcome;
      } catch (SQLException | IOException | RuntimeException e) {
        lastError = Redaction.redactText(message(e, progress), Arrays.asList(load.target().password()));
        LOG.warn("Attempt {}/{} to load {} failed: {}", attempt, load.attempts(), describe, lastError);
        if (progress.streaming || !Attempts.retryable(e) || attempt == load.attempts()) {
          break;
        }
        Attempts.sleep(500L * attempt);
      }
    }
    return new TransferOutcome(load.tenantId(), load.table(), partition, 0, 0, Attempts.elapsedMillis(start), load.attempts(), false,
        "Cannot load " + describe + ": " + lastError);
  }

  private static TransferOutcome attempt(DatasetLoad load, StructType schema, int partition, Iterator<Row> rows, int attempt, long start,
      Progress progress) throws SQLException, IOException {
    try (Connection target = load.target().connect(dev.tenantfold.jdbc.SessionName.of(load.runId(), "load-" + load.tenantId()))) {
      target.setAutoCommit(false);
      try {
        LoadLedger ledger = new LoadLedger(load.ledgerTable(), load.runId(), load.tenantId(), load.table(), partition);
        if (!ledger.claim(target)) {
          LoadLedger.Counts counts = ledger.committed(target);
          target.rollback();
          return new TransferOutcome(load.tenantId(), load.table(), partition, counts.extracted(), counts.loaded(), Attempts.elapsedMillis(start), attempt,
              true, null);
        }
        CopyTextEncoder encoder = new CopyTextEncoder(load.columns(), schema);
        long loaded;
        PGCopyOutputStream into = new PGCopyOutputStream(target.unwrap(PGConnection.class), load.copyInSql(), COPY_BUFFER_BYTES);
        try {
          progress.streaming = true;
          while (rows.hasNext()) {
            progress.rows++;
            encoder.write(rows.next(), into);
          }
          loaded = into.endCopy();
        } finally {
          if (into.isActive()) {
            into.cancelCopy();
          }
        }
        ledger.record(target, progress.rows, loaded);
        target.commit();
        return new TransferOutcome(load.tenantId(), load.table(), partition, progress.rows, loaded, Attempts.elapsedMillis(start), attempt, false, null);
      } catch (SQLException | IOException | RuntimeException e) {
        rollbackQuietly(target);
        throw e;
      }
    }
  }

  private static void rollbackQuietly(Connection target) {
    try {
      target.rollback();
    } catch (SQLException ignored) {
      // The connection is closed next; the server rolls back an open transaction then anyway.
    }
  }

  /**
   * The server's message rather than a wrapper's (pgjdbc reports a COPY the server aborted as an
   * IOException "Write to copy failed" around the SQLException that says why), without the DETAIL
   * and the row value in the WHERE line, but with the COPY line and column it names.
   */
  private static String message(Throwable e, Progress progress) {
    List<String> parts = new ArrayList<>();
    Throwable cause = e;
    while (cause instanceof IOException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause instanceof PSQLException psql && psql.getServerErrorMessage() != null) {
      ServerErrorMessage server = psql.getServerErrorMessage();
      String where = server.getWhere();
      String at = where == null || !where.startsWith("COPY ") ? "" : " (" + where.split("\\R", 2)[0].replaceFirst(": \".*$", "") + ")";
      parts.add(server.getSeverity() + ": " + server.getMessage() + at);
    } else {
      parts.add(cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage());
    }
    if (progress.streaming) {
      parts.add("after " + progress.rows + " rows of the partition were read; nothing of it was committed");
    }
    return String.join("; ", parts);
  }




  /** How far an attempt got: once rows were taken from the iterator, it cannot be tried again. */
  private static final class Progress {
    boolean streaming;
    long rows;
  }
}
