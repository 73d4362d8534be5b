package dev.tenantfold.bench;

import static org.apache.spark.sql.functions.lit;

import dev.tenantfold.jdbc.JdbcEndpoint;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.postgresql.PGConnection;
import org.postgresql.copy.PGCopyOutputStream;

/**
 * The floor for export tenants: the exported Parquet read by Spark (the same files, the same
 * reader, the same local[2] tasks as tenantfold) and its values, which the export holds as
 * PostgreSQL's text output, escaped for COPY's text format and streamed into {@code COPY orders
 * FROM STDIN}, one COPY and one transaction per Spark partition. No restore of types, ledger,
 * staging, checksum, keys or publish: only the bytes.
 */
final class RawParquetPipe {
  private static final int COPY_BUFFER_BYTES = 1 << 16;

  private RawParquetPipe() {}

  /**
   * Copies the export's orders rows once per tenant into {@code target}'s orders table; returns the
   * rows the target's COPYs reported.
   */
  static long run(
      SparkSession spark, String tableFolder, List<String> tenantIds, JdbcEndpoint target) {
    Dataset<Row> all = null;
    for (String tenantId : tenantIds) {
      Dataset<Row> rows = spark.read().option("recursiveFileLookup", "true").parquet(tableFolder);
      List<Column> columns = new ArrayList<>();
      columns.add(lit(tenantId).as(OrdersDataset.TENANT_COLUMN));
      OrdersDataset.COLUMNS.forEach(c -> columns.add(functions.col(c)));
      Dataset<Row> withTenant = rows.select(columns.toArray(Column[]::new));
      all = all == null ? withTenant : all.union(withTenant);
    }
    String copyIn =
        "COPY "
            + OrdersDataset.TABLE
            + " ("
            + OrdersDataset.TENANT_COLUMN
            + ", "
            + String.join(", ", OrdersDataset.COLUMNS)
            + ") FROM STDIN";
    spark
        .sparkContext()
        .setJobGroup("tenantfold-bench-raw-parquet", "raw Parquet to COPY pipe", true);
    try {
      // Through an RDD of Rows, as DatasetCopyLoader streams its partitions, so both pay the same
      // row conversion.
      return all
          .javaRDD()
          .mapPartitions(it -> List.of(copyPartition(target, copyIn, it)).iterator())
          .collect()
          .stream()
          .mapToLong(Long::longValue)
          .sum();
    } finally {
      spark.sparkContext().clearJobGroup();
    }
  }

  private static long copyPartition(JdbcEndpoint target, String copyIn, Iterator<Row> rows)
      throws Exception {
    if (!rows.hasNext()) {
      return 0;
    }
    try (Connection conn = target.connect("tenantfold-bench-raw-parquet")) {
      conn.setAutoCommit(false);
      PGCopyOutputStream into =
          new PGCopyOutputStream(conn.unwrap(PGConnection.class), copyIn, COPY_BUFFER_BYTES);
      long loaded;
      try {
        StringBuilder line = new StringBuilder(256);
        while (rows.hasNext()) {
          Row row = rows.next();
          line.setLength(0);
          for (int i = 0; i < row.length(); i++) {
            if (i > 0) {
              line.append('\t');
            }
            escape(row.isNullAt(i) ? null : row.getString(i), line);
          }
          line.append('\n');
          write(line, into);
        }
        loaded = into.endCopy();
      } finally {
        if (into.isActive()) {
          into.cancelCopy();
        }
      }
      conn.commit();
      return loaded;
    }
  }

  /**
   * COPY text format: {@code \N} for NULL; backslash, tab, newline and carriage return escaped
   * (most values have none: appended whole).
   */
  private static void escape(String value, StringBuilder out) {
    if (value == null) {
      out.append("\\N");
      return;
    }
    if (value.indexOf('\\') < 0
        && value.indexOf('\t') < 0
        && value.indexOf('\n') < 0
        && value.indexOf('\r') < 0) {
      out.append(value);
      return;
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '\\' -> out.append("\\\\");
        case '\t' -> out.append("\\t");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        default -> out.append(c);
      }
    }
  }

  private static void write(StringBuilder line, OutputStream out) throws IOException {
    out.write(line.toString().getBytes(StandardCharsets.UTF_8));
  }
}
