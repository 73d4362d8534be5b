package dev.tenantfold.validate;

import dev.tenantfold.validate.checksum.ChecksumSpec;
import dev.tenantfold.validate.checksum.ChecksumSql;
import dev.tenantfold.validate.checksum.DrillDownRow;
import dev.tenantfold.validate.checksum.PostgresChecksum;
import dev.tenantfold.validate.checksum.SparkChecksum;
import dev.tenantfold.validate.checksum.TableChecksum;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Collection;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * One side of a table's comparison, computed where its rows live: in PostgreSQL (a source snapshot,
 * staging, published rows) or in Spark (rows read from a snapshot export). Both compute the same
 * canonical digest (docs/checksums.md), so either side may face either.
 */
public interface ChecksumSide {
  ChecksumSpec spec();

  TableChecksum checksum() throws SQLException;

  /** The rows of {@code buckets}, sorted by key text then digest. */
  List<DrillDownRow> drillDown(Collection<Integer> buckets) throws SQLException;

  /** The rows {@code sql} selects on {@code conn}. */
  static ChecksumSide sql(Connection conn, ChecksumSql sql) {
    return new ChecksumSide() {
      @Override
      public ChecksumSpec spec() {
        return sql.spec();
      }

      @Override
      public TableChecksum checksum() throws SQLException {
        return PostgresChecksum.checksum(conn, sql);
      }

      @Override
      public List<DrillDownRow> drillDown(Collection<Integer> buckets) throws SQLException {
        return PostgresChecksum.drillDown(conn, sql, buckets);
      }
    };
  }

  /** The rows of {@code rows}: the spec's columns, by name. */
  static ChecksumSide spark(Dataset<Row> rows, ChecksumSpec spec) {
    return new ChecksumSide() {
      @Override
      public ChecksumSpec spec() {
        return spec;
      }

      @Override
      public TableChecksum checksum() {
        return SparkChecksum.checksum(rows, spec);
      }

      @Override
      public List<DrillDownRow> drillDown(Collection<Integer> buckets) {
        return SparkChecksum.drillDown(rows, spec, buckets);
      }
    };
  }
}
