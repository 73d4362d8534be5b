package dev.tenantfold.job;

import dev.tenantfold.jdbc.JdbcEndpoint;
import dev.tenantfold.jdbc.SessionName;
import dev.tenantfold.validate.ChecksumSide;
import dev.tenantfold.validate.checksum.ChecksumSql;
import dev.tenantfold.validate.checksum.TableChecksum;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A tenant's staging tables' target checksums, each computed on a connection and thread of the
 * tenant's own while the run's session builds the table's keys: the key is built as a unique index
 * first (a SHARE lock, which the checksum's read passes), so the two do not wait for each other.
 * One connection serves the tenant's tables one after the other (a new backend per small table cost
 * more than its checksum); one whose checksum failed is dropped and the next table opens another.
 * When no second connection can be had, {@link Pending#await} computes the checksum on the session
 * afterwards, as before.
 */
final class ConcurrentChecksum implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ConcurrentChecksum.class);

  private final JdbcEndpoint target;
  private final String runId;
  private final String tenantId;
  private final ExecutorService thread;
  // Used by one table's checksum at a time: start() is called after the previous Pending closed.
  private volatile Connection conn;

  private ConcurrentChecksum(JdbcEndpoint target, String runId, String tenantId) {
    this.target = target;
    this.runId = runId;
    this.tenantId = tenantId;
    // A thread of its own: the common pool has one thread on two cores, and tenants validate in
    // parallel.
    this.thread =
        Executors.newSingleThreadExecutor(
            task -> {
              Thread t = new Thread(task, "tenantfold-checksum-" + tenantId);
              t.setDaemon(true);
              return t;
            });
  }

  /** The tenant's checksum lane on {@code target}; it connects when the first table needs it. */
  static ConcurrentChecksum open(JdbcEndpoint target, String runId, String tenantId) {
    return new ConcurrentChecksum(target, runId, tenantId);
  }

  /** Starts {@code queries}' checksum, on the lane's connection (opened now if it has none). */
  Pending start(ChecksumSql queries) {
    if (conn == null) {
      try {
        conn = target.connect(SessionName.of(runId, "validate-" + tenantId));
      } catch (SQLException | RuntimeException e) {
        LOG.info(
            "Tenant {}: no second target connection for the checksum ({}); computed after the keys",
            tenantId,
            e.getMessage());
        return new Pending(Optional.empty());
      }
    }
    Connection mine = conn;
    CompletableFuture<TableChecksum> sums =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return ChecksumSide.sql(mine, queries).checksum();
              } catch (SQLException | RuntimeException e) {
                drop(mine);
                throw new CompletionException(e);
              }
            },
            thread);
    return new Pending(Optional.of(sums));
  }

  private void drop(Connection broken) {
    if (conn == broken) {
      conn = null;
    }
    try {
      broken.close();
    } catch (SQLException ignored) {
      // Already gone.
    }
  }

  /** Ends the lane: its thread and connection (call once every Pending has closed). */
  @Override
  public void close() {
    thread.shutdownNow();
    Connection last = conn;
    if (last != null) {
      drop(last);
    }
  }

  /** One table's checksum, started or left to the session. */
  static final class Pending implements AutoCloseable {
    private final Optional<CompletableFuture<TableChecksum>> sums;

    private Pending(Optional<CompletableFuture<TableChecksum>> sums) {
      this.sums = sums;
    }

    /**
     * The checksum: the concurrent one's result, or {@code fallback}'s computed now when none was
     * started.
     */
    TableChecksum await(ChecksumSide fallback) throws SQLException {
      if (sums.isEmpty()) {
        return fallback.checksum();
      }
      try {
        return sums.get().join();
      } catch (CompletionException e) {
        if (e.getCause() instanceof SQLException sql) {
          throw sql;
        }
        throw e;
      }
    }

    /** Waits for the checksum to end, whatever its outcome. */
    @Override
    public void close() {
      sums.ifPresent(
          s -> {
            try {
              s.join();
            } catch (RuntimeException ignored) {
              // Its outcome was, or is no longer, asked for.
            }
          });
    }
  }
}
