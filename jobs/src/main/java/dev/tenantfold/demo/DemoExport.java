package dev.tenantfold.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tenantfold.extract.PartitionPlanner;
import dev.tenantfold.extract.ReadPartition;
import dev.tenantfold.jdbc.Sql;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.spark.sql.DataFrameWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Writes a demo tenant's database as an RDS snapshot export would look on S3, into a local folder:
 * {@code <root>/<database>/public.<table>/1/part-*.gz.parquet} holding every column as PostgreSQL's
 * text output (as RDS writes most types), beside {@code export_info_<task>.json} and {@code
 * export_tables_info_<task>_from_1_to_<n>.json}. For the demo and {@code bench/run --source
 * export}: real exports come from RDS.
 */
public final class DemoExport {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * How the Parquet parts are cut: at most {@code rowsPerFile} rows per part and row groups of
   * about {@code rowGroupBytes}; 0 keeps Spark's default (one part per table, as the table is read
   * in one JDBC partition, and Parquet's 128 MiB row groups). RDS writes many small parts instead
   * ("usually 1-10 MB", AWS's Aurora export guide), which bounds what a reader holds. With {@code
   * rowsPerFile}, a table is read as ceil(rows / rowsPerFile) ranges, each written by its own Spark
   * task, so a large table's many parts are written in parallel.
   */
  public record Layout(long rowsPerFile, long rowGroupBytes) {
    public static final Layout SPARK_DEFAULT = new Layout(0, 0);

    public Layout {
      if (rowsPerFile < 0 || rowGroupBytes < 0) {
        throw new IllegalArgumentException(
            "Cannot cut a demo export into parts of "
                + rowsPerFile
                + " rows and row groups of "
                + rowGroupBytes
                + " bytes: both must be 0 (Spark's default) or more");
      }
    }
  }

  private DemoExport() {}

  /**
   * Exports {@code tables} of the database at {@code url} under {@code root} in Spark's default
   * layout; returns the export's task id.
   */
  public static String write(
      SparkSession spark, String url, String database, List<String> tables, Path root)
      throws SQLException, IOException {
    return write(spark, url, database, tables, root, Layout.SPARK_DEFAULT);
  }

  /**
   * Exports {@code tables} of the database at {@code url} under {@code root}, its parts cut as
   * {@code layout} says; returns the export's task id.
   */
  public static String write(
      SparkSession spark,
      String url,
      String database,
      List<String> tables,
      Path root,
      Layout layout)
      throws SQLException, IOException {
    String task = "demo-export-" + database;
    ArrayNode perTable = JSON.createArrayNode();
    try (Connection conn = DriverManager.getConnection(url)) {
      for (String table : tables) {
        List<String[]> columns = columns(conn, table);
        DataFrameWriter<Row> writer =
            rows(spark, url, table, columns, reads(conn, table, layout))
                .write()
                .option("compression", "gzip");
        if (layout.rowsPerFile() > 0) {
          writer = writer.option("maxRecordsPerFile", layout.rowsPerFile());
        }
        if (layout.rowGroupBytes() > 0) {
          writer = writer.option("parquet.block.size", layout.rowGroupBytes());
        }
        writer.parquet(root.resolve(database).resolve("public." + table).resolve("1").toString());
        ObjectNode entry = perTable.addObject();
        entry.put("target", database + ".public." + table);
        entry.put("status", "COMPLETE");
        ArrayNode mappings = entry.putObject("schemaMetadata").putArray("originalTypeMappings");
        for (String[] c : columns) {
          mappings
              .addObject()
              .put("columnName", c[0])
              .put("originalType", c[1])
              .put("expectedExportedType", "binary (UTF8)");
        }
      }
    }
    writeInfo(root, database, task, perTable, tables.size());
    return task;
  }

  /**
   * The table's rows, every column as PostgreSQL's text output: one Spark partition per read, so
   * the parts are written by as many tasks in parallel.
   */
  private static Dataset<Row> rows(
      SparkSession spark,
      String url,
      String table,
      List<String[]> columns,
      List<ReadPartition> reads) {
    List<String> select = new ArrayList<>();
    for (String[] c : columns) {
      select.add(Sql.ident(c[0]) + "::text AS " + Sql.ident(c[0]));
    }
    String query = "SELECT " + String.join(", ", select) + " FROM public." + Sql.ident(table);
    Dataset<Row> rows = null;
    for (ReadPartition read : reads) {
      // A fetch size makes pgjdbc stream through a cursor instead of holding the whole read in
      // the heap.
      Dataset<Row> part =
          spark
              .read()
              .format("jdbc")
              .option("url", url)
              .option("fetchsize", "10000")
              .option("query", read.wholeTable() ? query : query + " WHERE " + read.predicate())
              .load();
      rows = rows == null ? part : rows.union(part);
    }
    return rows;
  }

  /**
   * How the table is read: whole in Spark's default layout; with parts of at most {@code
   * rowsPerFile} rows, in one read per part (ranges of a single integer primary key, else of heap
   * pages), so that writing a large table in many parts is not one task's work.
   */
  private static List<ReadPartition> reads(Connection conn, String table, Layout layout)
      throws SQLException {
    if (layout.rowsPerFile() == 0) {
      return List.of(new ReadPartition(0, 1, ""));
    }
    String relation = "public." + Sql.ident(table);
    try (Statement st = conn.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT count(*), pg_relation_size('"
                    + relation.replace("'", "''")
                    + "') / current_setting('block_size')::bigint FROM "
                    + relation)) {
      rs.next();
      long rows = rs.getLong(1);
      long pages = rs.getLong(2);
      int parts = (int) Math.max(1, (rows + layout.rowsPerFile() - 1) / layout.rowsPerFile());
      if (parts == 1) {
        return List.of(new ReadPartition(0, 1, ""));
      }
      Optional<String> key = integerKey(conn, table);
      if (key.isPresent()) {
        try (ResultSet b =
            st.executeQuery(
                "SELECT min(" + key.get() + "), max(" + key.get() + ") FROM " + relation)) {
          b.next();
          return PartitionPlanner.integerRanges(
              key.get(), new PartitionPlanner.KeyBounds(b.getLong(1), b.getLong(2)), parts);
        }
      }
      return PartitionPlanner.pageRanges(Math.max(1, pages), parts);
    }
  }

  /** The table's primary key, quoted, when it is one column of an integer type. */
  private static Optional<String> integerKey(Connection conn, String table) throws SQLException {
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT a.attname, a.atttypid::regtype::text FROM pg_index i"
                + " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
                + " WHERE i.indisprimary AND i.indrelid = to_regclass(?)"
                + " AND i.indnkeyatts = 1")) {
      ps.setString(1, "public." + Sql.ident(table));
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next() && List.of("smallint", "integer", "bigint").contains(rs.getString(2))) {
          return Optional.of(Sql.ident(rs.getString(1)));
        }
      }
    }
    return Optional.empty();
  }

  /** The export's info and per-table status files, as RDS writes them beside the parts. */
  private static void writeInfo(
      Path root, String database, String task, ArrayNode perTable, int tableCount)
      throws IOException {
    ObjectNode info = JSON.createObjectNode();
    info.put("exportTaskIdentifier", task);
    info.put("status", "COMPLETE");
    info.put("snapshotTime", Instant.now().toString());
    info.put("sourceArn", "arn:aws:rds:eu-west-1:000000000000:snapshot:demo-" + database);
    Files.writeString(root.resolve("export_info_" + task + ".json"), JSON.writeValueAsString(info));
    ObjectNode tablesInfo = JSON.createObjectNode();
    tablesInfo.set("perTableStatus", perTable);
    Files.writeString(
        root.resolve("export_tables_info_" + task + "_from_1_to_" + tableCount + ".json"),
        JSON.writeValueAsString(tablesInfo));
  }

  /** Name and information_schema data type of each column, in order. */
  private static List<String[]> columns(Connection conn, String table) throws SQLException {
    List<String[]> out = new ArrayList<>();
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT column_name, data_type FROM information_schema.columns"
                + " WHERE table_schema = 'public' AND table_name = ? ORDER BY ordinal_position")) {
      ps.setString(1, table);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new String[] {rs.getString(1), rs.getString(2)});
        }
      }
    }
    return out;
  }
}
