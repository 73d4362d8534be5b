package dev.tenantfold.load;

import dev.tenantfold.jdbc.JdbcEndpoint;
import dev.tenantfold.jdbc.Redaction;
import dev.tenantfold.jdbc.SessionName;
import java.io.IOException;
import java.io.OutputStream;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.postgresql.PGConnection;
import org.postgresql.copy.PGCopyOutputStream;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one protocol by which every load path COPYs one partition into its staging table exactly
 * once, whatever supplies the rows ({@link CopyTransfer}: a COPY stream from the source snapshot;
 * {@link DatasetCopyLoader}: the rows of a Spark partition). Per attempt, in one target
 * transaction: claim the partition's {@link LoadLedger} row, open the rows, stream them into {@code
 * COPY ... FROM STDIN}, record the counts, commit. A partition an earlier attempt committed is
 * reported from the ledger instead of loaded again; a failed attempt rolls back and leaves neither
 * rows nor a ledger row, and is tried again when the failure is transient ({@link
 * Attempts#retryable}) and the rows can be read again from the start.
 *
 * <p>A path supplies only what its partition is ({@link Partition}) and how to open its rows
 * ({@link Rows}).
 */
final class PartitionCopy {
  private static final Logger LOG = LoggerFactory.getLogger(PartitionCopy.class);
  private static final int COPY_BUFFER_BYTES = 1 << 16;

  private PartitionCopy() {}

  /**
   * What a partition is: the ledger's key (run, tenant, table, part), where its rows go, and how
   * messages name it ({@code action} is the verb: "transfer", "load").
   */
  record Partition(
      String action,
      String runId,
      String tenantId,
      String table,
      int part,
      int partCount,
      JdbcEndpoint target,
      String copyInSql,
      String ledgerTable,
      int attempts) {

    /** {@code tenant acme table orders partition 3/8}. */
    String describe() {
      return "tenant "
          + tenantId
          + " table "
          + table
          + " partition "
          + (part + 1)
          + "/"
          + partCount;
    }

    LoadLedger ledger() {
      return new LoadLedger(ledgerTable, runId, tenantId, table, part);
    }
  }

  /** Where a partition's rows come from. */
  interface Rows {
    /**
     * Opens one attempt's rows; called once the partition is claimed, so a committed partition
     * opens nothing.
     */
    RowStream open() throws SQLException;

    /**
     * Whether an attempt that broke after rows were read can read them again from the start (a
     * source COPY can, a Spark iterator cannot).
     */
    boolean replayable();

    /** Passwords that must not appear in a message. */
    List<String> secrets();
  }

  /** One attempt's rows. */
  interface RowStream extends AutoCloseable {
    /**
     * Writes every row to {@code into} in the format of the partition's {@code copyInSql} (COPY
     * text, or binary for a source COPY in binary), counting in {@code progress.rows} when it can;
     * returns the rows read.
     */
    long copyTo(OutputStream into, Progress progress) throws SQLException, IOException;

    @Override
    void close() throws SQLException;
  }

  /**
   * How far an attempt got: whether rows started to flow, and how many were read ({@code -1}: the
   * stream counts only at its end).
   */
  static final class Progress {
    boolean streaming;
    long rows = -1;
  }

  /**
   * Loads the partition, trying again as {@link Partition#attempts()} allows; a failure is an
   * outcome with its error, never an exception.
   */
  static TransferOutcome copy(Partition partition, Rows rows) {
    try (LazyConnection target = targetConnection(partition)) {
      return copy(partition, rows, target);
    }
  }

  /** A target connection for {@code partition}'s tenant that its task's partitions can share. */
  static LazyConnection targetConnection(Partition partition) {
    return new LazyConnection(
        () ->
            partition
                .target()
                .connect(SessionName.of(partition.runId(), "load-" + partition.tenantId())),
        conn -> conn.setAutoCommit(false));
  }

  /**
   * {@link #copy(Partition, Rows)} on {@code target}, a connection the task's other partitions
   * share.
   */
  static TransferOutcome copy(Partition partition, Rows rows, LazyConnection target) {
    long start = System.nanoTime();
    String lastError = null;
    for (int attempt = 1; attempt <= partition.attempts(); attempt++) {
      Progress progress = new Progress();
      try {
        TransferOutcome outcome = attempt(partition, rows, target, attempt, start, progress);
        LOG.info(
            "Committed {}: {} rows in {} ms{}",
            partition.describe(),
            outcome.loadedRows(),
            outcome.millis(),
            outcome.fromLedger() ? " (already committed by an earlier attempt)" : "");
        return outcome;
      } catch (SQLException | IOException | RuntimeException e) {
        target.discard();
        lastError = Redaction.redactText(message(e, progress, rows.secrets()), rows.secrets());
        LOG.warn(
            "Attempt {}/{} to {} {} failed: {}",
            attempt,
            partition.attempts(),
            partition.action(),
            partition.describe(),
            lastError);
        if ((progress.streaming && !rows.replayable())
            || !Attempts.retryable(e)
            || attempt == partition.attempts()) {
          break;
        }
        Attempts.sleep(500L * attempt);
      }
    }
    return new TransferOutcome(
        partition.tenantId(),
        partition.table(),
        partition.part(),
        0,
        0,
        Attempts.elapsedMillis(start),
        partition.attempts(),
        false,
        "Cannot " + partition.action() + " " + partition.describe() + ": " + lastError);
  }

  private static TransferOutcome attempt(
      Partition partition,
      Rows rows,
      LazyConnection connection,
      int attempt,
      long start,
      Progress progress)
      throws SQLException, IOException {
    Connection target = connection.get();
    LoadLedger ledger = partition.ledger();
    if (!ledger.claim(target)) {
      LoadLedger.Counts counts = ledger.committed(target);
      target.rollback();
      return new TransferOutcome(
          partition.tenantId(),
          partition.table(),
          partition.part(),
          counts.extracted(),
          counts.loaded(),
          Attempts.elapsedMillis(start),
          attempt,
          true,
          null);
    }
    long read;
    long loaded;
    try (RowStream stream = rows.open()) {
      PGCopyOutputStream into =
          new PGCopyOutputStream(
              target.unwrap(PGConnection.class), partition.copyInSql(), COPY_BUFFER_BYTES);
      try {
        progress.streaming = true;
        read = stream.copyTo(into, progress);
        loaded = into.endCopy();
      } finally {
        if (into.isActive()) {
          into.cancelCopy();
        }
      }
    }
    ledger.record(target, read, loaded);
    target.commit();
    return new TransferOutcome(
        partition.tenantId(),
        partition.table(),
        partition.part(),
        read,
        loaded,
        Attempts.elapsedMillis(start),
        attempt,
        false,
        null);
  }

  /**
   * The server's message rather than a wrapper's (pgjdbc reports a COPY the server aborted as an
   * IOException "Write to copy failed" around the SQLException that says why), without the DETAIL
   * and the row value in the WHERE line, but with the COPY line and column it names; then how far
   * the attempt got.
   */
  static String message(Throwable e, Progress progress, List<String> secrets) {
    List<String> parts = new ArrayList<>();
    Throwable cause = e;
    while (cause instanceof IOException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause instanceof PSQLException psql && psql.getServerErrorMessage() != null) {
      ServerErrorMessage server = psql.getServerErrorMessage();
      String where = server.getWhere();
      String at =
          where == null || !where.startsWith("COPY ")
              ? ""
              : " (" + where.split("\\R", 2)[0].replaceFirst(": \".*$", "") + ")";
      parts.add(server.getSeverity() + ": " + server.getMessage() + at);
    } else if (cause instanceof SQLException) {
      parts.add(Redaction.sqlMessage(cause, secrets));
    } else {
      parts.add(cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage());
    }
    if (progress.streaming) {
      parts.add(
          (progress.rows >= 0
                  ? "after " + progress.rows + " rows of the partition were read; "
                  : "")
              + "nothing of it was committed");
    }
    return String.join("; ", parts);
  }
}
