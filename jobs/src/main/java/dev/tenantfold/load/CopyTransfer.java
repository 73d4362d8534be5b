package dev.tenantfold.load;


import dev.tenantfold.extract.SourceSnapshot;
import dev.tenantfold.jdbc.Redaction;
import java.sql.Connection;
import java.sql.SQLException;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;
import org.postgresql.copy.PGCopyOutputStream;
import org.postgresql.core.BaseConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import dev.tenantfold.jdbc.JdbcEndpoint;
import dev.tenantfold.jdbc.SessionName;
import java.util.Arrays;

/**
 * Streams one partition as COPY from source to target inside a Spark task: {@code COPY (SELECT ...)
 * TO STDOUT} on the source, in the tenant's exported snapshot, piped straight into {@code COPY ...
 * FROM STDIN} on the staging table. No row is materialised; memory is one COPY buffer.
 *
 * <p>Exactly once: the load commits together with a ledger row keyed by (run, tenant, table,
 * partition). A retried or speculative attempt finds the ledger row and reports the committed
 * counts instead of loading again, so Spark's re-execution never duplicates rows.
 */
public final class CopyTransfer {
  private static final Logger LOG = LoggerFactory.getLogger(CopyTransfer.class);
  private static final int COPY_BUFFER_BYTES = 1 << 16;

  private CopyTransfer() {}

  public static TransferOutcome run(TransferUnit unit) {
    long start = System.nanoTime();
    String lastError = null;
    for (int attempt = 1; attempt <= unit.attempts(); attempt++) {
      try {
        TransferOutcome outcome = attempt(unit, attempt, start);
        LOG.info("Transferred {}: {} rows in {} ms{}", unit.describe(), outcome.loadedRows(), outcome.millis(),
            outcome.fromLedger() ? " (already committed by an earlier attempt)" : "");
        return outcome;
      } catch (SQLException | RuntimeException e) {
        lastError = Redaction.sqlMessage(e, Arrays.asList(secret(unit.source()), secret(unit.target())));
        LOG.warn("Attempt {}/{} to transfer {} failed: {}", attempt, unit.attempts(), unit.describe(), lastError);
        if (!Attempts.retryable(e) || attempt == unit.attempts()) {
          break;
        }
        Attempts.sleep(500L * attempt);
      }
    }
    return new TransferOutcome(unit.tenantId(), unit.table(), unit.partition(), 0, 0, Attempts.elapsedMillis(start), unit.attempts(), false,
        "Cannot transfer " + unit.describe() + ": " + lastError);
  }

  private static TransferOutcome attempt(TransferUnit unit, int attempt, long start) throws SQLException {
    try (Connection target = unit.target().connect(SessionName.of(unit.runId(), "load-" + unit.tenantId()));
        Connection source = unit.source().connect("tenantfold-extract-" + unit.tenantId())) {
      target.setAutoCommit(false);
      LoadLedger ledger = new LoadLedger(unit.ledgerTable(), unit.runId(), unit.tenantId(), unit.table(), unit.partition());
      if (!ledger.claim(target)) {
        LoadLedger.Counts counts = ledger.committed(target);
        target.rollback();
        return new TransferOutcome(unit.tenantId(), unit.table(), unit.partition(), counts.extracted(), counts.loaded(), Attempts.elapsedMillis(start),
            attempt, true, null);
      }
      SourceSnapshot.importInto(source, unit.snapshotId());
      long extracted;
      long loaded;
      PGCopyOutputStream into = new PGCopyOutputStream(target.unwrap(PGConnection.class), unit.copyInSql(), COPY_BUFFER_BYTES);
      try {
        extracted = new CopyManager(source.unwrap(BaseConnection.class)).copyOut(unit.copyOutSql(), into);
        loaded = into.endCopy();
      } catch (java.io.IOException e) {
        throw new SQLException("COPY stream broke: " + e.getMessage(), e);
      } finally {
        if (into.isActive()) {
          into.cancelCopy();
        }
      }
      ledger.record(target, extracted, loaded);
      target.commit();
      source.rollback();
      return new TransferOutcome(unit.tenantId(), unit.table(), unit.partition(), extracted, loaded, Attempts.elapsedMillis(start), attempt, false, null);
    }
  }


  private static String secret(JdbcEndpoint endpoint) {
    return endpoint.password();
  }



}
