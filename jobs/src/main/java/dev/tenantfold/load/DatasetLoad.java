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
 * @param copyInSql the COPY statement in text format; {@link #copyInSql(CopyFormat)} gives it in
 *     either
 * @param attempts how often a partition tries to connect and claim its ledger row on a transient
 *     error (connection refused, serialization failure); once rows stream, a failure is final
 *     because a Dataset partition's iterator cannot be rewound
 * @param format the format to load in: {@link CopyFormat#BINARY} loads in binary when {@link
 *     CopyBinaryEncoder} carries every column of the Dataset, else in text
 */
public record DatasetLoad(
    String runId,
    String tenantId,
    String table,
    JdbcEndpoint target,
    String copyInSql,
    List<ColumnSpec> columns,
    String ledgerTable,
    int attempts,
    CopyFormat format)
    implements Serializable {

  public DatasetLoad {
    columns = List.copyOf(columns);
    java.util.Objects.requireNonNull(format, "format");
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

  /** A load in binary where the Dataset's columns allow it ({@link CopyFormat#BINARY}). */
  public DatasetLoad(
      String runId,
      String tenantId,
      String table,
      JdbcEndpoint target,
      String copyInSql,
      List<ColumnSpec> columns,
      String ledgerTable,
      int attempts) {
    this(
        runId,
        tenantId,
        table,
        target,
        copyInSql,
        columns,
        ledgerTable,
        attempts,
        CopyFormat.BINARY);
  }

  /** The COPY statement in {@code format}. */
  public String copyInSql(CopyFormat format) {
    return copyInSql + format.option();
  }

  /**
   * The load into {@code staging} in binary where the Dataset's columns allow it: see {@link
   * #into(StagingTable, String, JdbcEndpoint, String, int, CopyFormat)}.
   */
  public static DatasetLoad into(
      StagingTable staging, String runId, JdbcEndpoint target, String ledgerTable, int attempts) {
    return into(staging, runId, target, ledgerTable, attempts, CopyFormat.BINARY);
  }

  /**
   * The load into {@code staging}: its COPY statement and columns, the tenant column typed {@code
   * text} as in the target, in {@code format} (binary only where the Dataset's columns allow it).
   */
  public static DatasetLoad into(
      StagingTable staging,
      String runId,
      JdbcEndpoint target,
      String ledgerTable,
      int attempts,
      CopyFormat format) {
    List<ColumnSpec> columns = new ArrayList<>();
    columns.add(new ColumnSpec(staging.tenantColumn(), "text", true, null, false));
    staging.table().columns().stream().filter(ColumnSpec::loaded).forEach(columns::add);
    return new DatasetLoad(
        runId,
        staging.tenantId(),
        staging.table().name(),
        target,
        staging.copyInSql(CopyFormat.TEXT),
        columns,
        ledgerTable,
        attempts,
        format);
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
