package dev.tenantfold.load;

import dev.tenantfold.extract.SourceSnapshot;
import java.io.IOException;
import java.io.OutputStream;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.List;
import org.postgresql.copy.CopyManager;
import org.postgresql.core.BaseConnection;

/**
 * Streams one partition as COPY from source to target inside a Spark task: {@code COPY (SELECT ...)
 * TO STDOUT} on the source, in the tenant's exported snapshot, piped straight into {@code COPY ...
 * FROM STDIN} on the staging table, both in the unit's {@link CopyFormat} (binary where every
 * column allows it: neither server then prints or parses text). No row is materialised; memory is
 * one COPY buffer.
 *
 * <p>Exactly once by {@link PartitionCopy}'s protocol: the load commits together with a ledger row
 * keyed by (run, tenant, table, partition); a retried or speculative attempt finds the row and
 * reports the committed counts instead of loading again. A stream that breaks midway can be tried
 * again from the start: each attempt opens a new source connection in the same snapshot.
 */
public final class CopyTransfer {
  private CopyTransfer() {}

  public static TransferOutcome run(TransferUnit unit) {
    PartitionCopy.Partition partition =
        new PartitionCopy.Partition(
            "transfer",
            unit.runId(),
            unit.tenantId(),
            unit.table(),
            unit.partition(),
            unit.partitionCount(),
            unit.target(),
            unit.copyInSql(),
            unit.ledgerTable(),
            unit.attempts());
    return PartitionCopy.copy(partition, new SourceRows(unit));
  }

  /** The partition's rows: a source COPY in the tenant's snapshot, opened anew by each attempt. */
  private record SourceRows(TransferUnit unit) implements PartitionCopy.Rows {
    @Override
    public PartitionCopy.RowStream open() throws SQLException {
      Connection source = unit.source().connect("tenantfold-extract-" + unit.tenantId());
      try {
        SourceSnapshot.importInto(source, unit.snapshotId());
      } catch (SQLException | RuntimeException e) {
        source.close();
        throw e;
      }
      return new PartitionCopy.RowStream() {
        @Override
        public long copyTo(OutputStream into, PartitionCopy.Progress progress)
            throws SQLException, IOException {
          return new CopyManager(source.unwrap(BaseConnection.class))
              .copyOut(unit.copyOutSql(), into);
        }

        @Override
        public void close() throws SQLException {
          // Ends the read-only snapshot transaction.
          source.close();
        }
      };
    }

    @Override
    public boolean replayable() {
      return true;
    }

    @Override
    public List<String> secrets() {
      return Arrays.asList(unit.source().password(), unit.target().password());
    }
  }
}
