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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A staging table's target checksum computed on a connection of its own, on a thread of its own,
 * while the run's session builds the table's keys: the key is built as a unique index first (a
 * SHARE lock, which the checksum's read passes), so the two no longer wait for each other. When no
 * second connection can be had, {@link #await} computes the checksum on the session afterwards, as
 * before.
 */
final class ConcurrentChecksum implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ConcurrentChecksum.class);

  private final Optional<Connection> conn;
  private final Optional<CompletableFuture<TableChecksum>> sums;

  private ConcurrentChecksum(
      Optional<Connection> conn, Optional<CompletableFuture<TableChecksum>> sums) {
    this.conn = conn;
    this.sums = sums;
  }

  /** Starts {@code queries}' checksum on a new connection to {@code target}. */
  static ConcurrentChecksum start(
      JdbcEndpoint target, String runId, String tenantId, ChecksumSql queries) {
    Connection conn;
    try {
      conn = target.connect(SessionName.of(runId, "validate-" + tenantId));
    } catch (SQLException | RuntimeException e) {
      LOG.info(
          "Tenant {}: no second target connection for the checksum ({}); computed after the keys",
          tenantId,
          e.getMessage());
      return new ConcurrentChecksum(Optional.empty(), Optional.empty());
    }
    CompletableFuture<TableChecksum> sums =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return ChecksumSide.sql(conn, queries).checksum();
              } catch (SQLException e) {
                throw new CompletionException(e);
              }
            },
            // A thread of its own: the common pool has one thread on two cores, and tenants
            // validate in parallel.
            task -> {
              Thread thread = new Thread(task, "tenantfold-checksum-" + tenantId);
              thread.setDaemon(true);
              thread.start();
            });
    return new ConcurrentChecksum(Optional.of(conn), Optional.of(sums));
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

  /** Waits for the checksum to end (whatever its outcome), then closes its connection. */
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
    conn.ifPresent(
        c -> {
          try {
            c.close();
          } catch (SQLException ignored) {
            // Already gone.
          }
        });
  }
}
