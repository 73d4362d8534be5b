package dev.tenantfold.load;

import dev.tenantfold.jdbc.JdbcEndpoint;
import java.io.Serializable;

/**
 * One Spark task's work: stream one partition of one tenant table from the source snapshot into its
 * staging table, both COPYs in {@code format} ({@link CopyFormat#of}). Carries endpoints (with
 * credentials) to the executor; its {@code toString}, like {@link JdbcEndpoint}'s, shows none.
 */
public record TransferUnit(
    String runId,
    String tenantId,
    String table,
    int partition,
    int partitionCount,
    JdbcEndpoint source,
    String snapshotId,
    String copyOutSql,
    JdbcEndpoint target,
    String copyInSql,
    CopyFormat format,
    String ledgerTable,
    int attempts)
    implements Serializable {

  public String describe() {
    return "tenant "
        + tenantId
        + " table "
        + table
        + " partition "
        + (partition + 1)
        + "/"
        + partitionCount;
  }
}
