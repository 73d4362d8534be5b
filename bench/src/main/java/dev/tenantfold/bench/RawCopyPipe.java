package dev.tenantfold.bench;

import dev.tenantfold.jdbc.JdbcEndpoint;
import dev.tenantfold.jdbc.Sql;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;
import org.postgresql.copy.PGCopyOutputStream;
import org.postgresql.core.BaseConnection;

/**
 * The floor every path is compared with: for each tenant, {@code COPY (SELECT 'tenant', * FROM
 * orders) TO STDOUT} on the source piped by pgjdbc's CopyManager straight into {@code COPY orders
 * FROM STDIN} on the target, {@code parallelism} tenants at a time, each in one transaction. No
 * snapshot export, staging, ledger, validation or publish: only the bytes. {@code binary}: both
 * COPYs in PostgreSQL's binary format, as tenantfold streams a table whose columns all allow it
 * (informative; the text pipe stays the baseline).
 */
final class RawCopyPipe {
  private static final int COPY_BUFFER_BYTES = 1 << 16;

  private RawCopyPipe() {}

  /**
   * Copies every tenant into {@code target}'s orders table and returns the rows the target's COPYs
   * reported.
   */
  static long run(Map<String, JdbcEndpoint> tenants, JdbcEndpoint target, int parallelism)
      throws SQLException, InterruptedException {
    return run(tenants, target, parallelism, false);
  }

  static long run(
      Map<String, JdbcEndpoint> tenants, JdbcEndpoint target, int parallelism, boolean binary)
      throws SQLException, InterruptedException {
    ExecutorService pool = Executors.newFixedThreadPool(parallelism);
    try {
      List<Future<Long>> copies = new ArrayList<>();
      tenants.forEach(
          (tenantId, source) ->
              copies.add(pool.submit(() -> copyTenant(tenantId, source, target, binary))));
      long rows = 0;
      for (Future<Long> copy : copies) {
        rows += copy.get();
      }
      return rows;
    } catch (ExecutionException e) {
      throw new SQLException(
          "Cannot copy a tenant through the raw pipe: " + e.getCause().getMessage(), e.getCause());
    } finally {
      pool.shutdownNow();
    }
  }

  private static long copyTenant(
      String tenantId, JdbcEndpoint source, JdbcEndpoint target, boolean binary)
      throws SQLException, IOException {
    String format = binary ? " (FORMAT binary)" : "";
    String copyOut =
        "COPY (SELECT "
            + Sql.literal(tenantId)
            + "::text, * FROM "
            + OrdersDataset.TABLE
            + ") TO STDOUT"
            + format;
    String copyIn =
        "COPY "
            + OrdersDataset.TABLE
            + " ("
            + OrdersDataset.TENANT_COLUMN
            + ", "
            + String.join(", ", OrdersDataset.COLUMNS)
            + ") FROM STDIN"
            + format;
    try (Connection in = target.connect("tenantfold-bench-raw-in");
        Connection out = source.connect("tenantfold-bench-raw-out")) {
      in.setAutoCommit(false);
      PGCopyOutputStream into =
          new PGCopyOutputStream(in.unwrap(PGConnection.class), copyIn, COPY_BUFFER_BYTES);
      long loaded;
      try {
        new CopyManager(out.unwrap(BaseConnection.class)).copyOut(copyOut, into);
        loaded = into.endCopy();
      } finally {
        if (into.isActive()) {
          into.cancelCopy();
        }
      }
      in.commit();
      return loaded;
    }
  }
}
