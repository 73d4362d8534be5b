package dev.tenantfold.load;

import dev.tenantfold.extract.ColumnSpec;
import dev.tenantfold.jdbc.JdbcEndpoint;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@link DatasetCopyLoader} loads one Dataset into: the staging table's {@code COPY ... FROM
 * STDIN} and its columns (tenant column first, then the target columns in target order), the ledger
 * that makes each partition exactly-once, and the key (run, tenant, table) of its rows.
 * Serializable because every Spark task carries it; the endpoint's {@code toString} shows no
 * credentials, so neither does this record's.
 *
 * @param attempts how often a partition tries to connect and claim its ledger row on a transient
 *     error (connection refused, serialization failure); once rows stream, a failure is final
 *     because a Dataset partition's iterator cannot be rewound
 */
public record DatasetLoad(
    String runId,
    String tenantId,
    String table,
    JdbcEndpoint target,
    String copyInSql,
    List<ColumnSpec> columns,
    String ledgerTable,
    int attempts)
    implements Serializable {

  public DatasetLoad {
    columns = List.copyOf(columns);
    if (attempts < 1) {
      throw new IllegalArgumentException(
          "Cannot load tenant "
              + tenantId
              + " table "
              + table
              + ": attempts must be at least 1, got "
              + attempts);
    }
  }

  /**
   * The load into {@code staging}: its COPY statement and columns, the tenant column typed {@code
   * text} as in the target.
   */
  public static DatasetLoad into(
      StagingTable staging, String runId, JdbcEndpoint target, String ledgerTable, int attempts) {
    List<ColumnSpec> columns = new ArrayList<>();
    columns.add(new ColumnSpec(staging.tenantColumn(), "text", true, null, false));
    staging.table().columns().stream().filter(ColumnSpec::loaded).forEach(columns::add);
    return new DatasetLoad(
        runId,
        staging.tenantId(),
        staging.table().name(),
        target,
        staging.copyInSql(),
        columns,
        ledgerTable,
        attempts);
  }

  /**
   * {@code tenant acme table orders partition 3/8}, as {@link TransferUnit#describe()} names a
   * stream.
   */
  public String describe(int partition, int partitionCount) {
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
