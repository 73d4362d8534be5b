package dev.tenantfold.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tenantfold.jdbc.Sql;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.DataFrameWriter;
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
   * ("usually 1-10 MB", AWS's Aurora export guide), which bounds what a reader holds.
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
        List<String> select = new ArrayList<>();
        for (String[] c : columns) {
          select.add(Sql.ident(c[0]) + "::text AS " + Sql.ident(c[0]));
        }
        // A fetch size makes pgjdbc stream through a cursor instead of holding the whole table in
        // the heap.
        DataFrameWriter<Row> writer =
            spark
                .read()
                .format("jdbc")
                .option("url", url)
                .option("fetchsize", "10000")
                .option(
                    "query",
                    "SELECT " + String.join(", ", select) + " FROM public." + Sql.ident(table))
                .load()
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
