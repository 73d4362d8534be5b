package dev.tenantfold.load;

import dev.tenantfold.extract.SourceSnapshot;
import java.io.IOException;
import java.io.OutputStream;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.postgresql.copy.CopyManager;
import org.postgresql.core.BaseConnection;

/**
 * Streams partitions as COPY from source to target inside a Spark task: {@code COPY (SELECT ...) TO
 * STDOUT} on the source, in the tenant's exported snapshot, piped straight into {@code COPY ...
 * FROM STDIN} on the staging table, both in the unit's {@link CopyFormat} (binary where every
 * column allows it: neither server then prints or parses text). No row is materialised; memory is
 * one COPY buffer.
 *
 * <p>Exactly once by {@link PartitionCopy}'s protocol: the load commits together with a ledger row
 * keyed by (run, tenant, table, partition); a retried or speculative attempt finds the row and
 * reports the committed counts instead of loading again. A stream that breaks midway can be tried
 * again from the start: each attempt after a failure opens a new source connection in the same
 * snapshot.
 *
 * <p>A task given several units ({@link TransferBatches}: a tenant's small tables) copies them one
 * after the other on one source and one target connection: the source's snapshot transaction reads
 * them all, the target commits each with its ledger row. A failed unit is its own outcome; the next
 * one starts on new connections.
 */
public final class CopyTransfer {
  private CopyTransfer() {}

  public static TransferOutcome run(TransferUnit unit) {
    return runAll(List.of(unit)).get(0);
  }

  /** Copies {@code units}, all of one tenant's transfer, in order: one outcome each. */
  public static List<TransferOutcome> runAll(List<TransferUnit> units) {
    List<TransferOutcome> outcomes = new ArrayList<>(units.size());
    if (units.isEmpty()) {
      return outcomes;
    }
    TransferUnit first = units.get(0);
    try (LazyConnection source =
            new LazyConnection(
                () -> first.source().connect("tenantfold-extract-" + first.tenantId()),
                conn -> SourceSnapshot.importInto(conn, first.snapshotId()));
        LazyConnection target = PartitionCopy.targetConnection(partition(first))) {
      for (TransferUnit unit : units) {
        if (!unit.tenantId().equals(first.tenantId())
            || !unit.snapshotId().equals(first.snapshotId())) {
          throw new IllegalArgumentException(
              "One task copies one tenant's snapshot: "
                  + unit.describe()
                  + " is not of "
                  + first.describe()
                  + "'s");
        }
        outcomes.add(PartitionCopy.copy(partition(unit), new SourceRows(unit, source), target));
      }
    }
    return outcomes;
  }

  private static PartitionCopy.Partition partition(TransferUnit unit) {
    return new PartitionCopy.Partition(
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
  }

  /** The partition's rows: a source COPY in the tenant's snapshot, on the task's source session. */
  private record SourceRows(TransferUnit unit, LazyConnection source)
      implements PartitionCopy.Rows {
    @Override
    public PartitionCopy.RowStream open() throws SQLException {
      Connection conn = source.get();
      return new PartitionCopy.RowStream() {
        private boolean ended;

        @Override
        public long copyTo(OutputStream into, PartitionCopy.Progress progress)
            throws SQLException, IOException {
          long rows =
              new CopyManager(conn.unwrap(BaseConnection.class)).copyOut(unit.copyOutSql(), into);
          ended = true;
          return rows;
        }

        @Override
        public void close() {
          // A COPY that did not end may leave the snapshot's transaction aborted: the next unit
          // reads on a new connection (the same snapshot imported again).
          if (!ended) {
            source.discard();
          }
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
