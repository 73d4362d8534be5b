package dev.tenantfold.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tenantfold.jdbc.Sql;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;

/**
 * Builds an export-shaped tree from a real PostgreSQL database the way RDS writes a snapshot
 * export: {@code export_info_<task>.json}, the table list split over several {@code
 * export_tables_info_<task>_from_<n>_to_<m>.json} files (originalTypeMappings from {@code
 * information_schema.columns}, row counts in {@code stats}), and per table gzip Parquet parts
 * {@code <root>/<database>/<schema>.<table>/<batch>/part-<n>-<uuid>.gz.parquet} spread over two
 * batch folders with gaps in the part numbers, {@code _SUCCESS} files beside them. Folder names
 * replace {@code \ ` "} and space with {@code _}, as AWS documents. Parquet types as AWS documents
 * them for PostgreSQL: integers, floats and booleans native, bytea binary, everything else
 * (numeric, dates, times, timestamps, intervals, json, uuid, enums, arrays, money, inet, ...) a
 * UTF-8 string with PostgreSQL's text output (session in UTC, {@code IntervalStyle = postgres}).
 *
 * <p>{@link Options} produce each failure; the static mutators apply them to an existing tree, so a
 * test can copy one good export and break it without writing Parquet again.
 */
public final class RdsExportFixture {
  private static final ObjectMapper JSON = new ObjectMapper();

  private RdsExportFixture() {}

  /** What to write besides a good export; every option produces one failure. */
  public static final class Options {
    String taskId = "tf-export-1";
    String status = "COMPLETE";
    Instant snapshotTime = Instant.parse("2026-11-25T16:33:38.123Z");
    boolean batchFolders = true;
    boolean typed = false;
    final Map<String, String> skipped = new HashMap<>();
    final Set<String> withoutFiles = new HashSet<>();
    final Set<String> truncated = new HashSet<>();
    final Map<String, String> droppedParquetColumns = new HashMap<>();

    public static Options defaults() {
      return new Options();
    }

    public Options taskId(String id) {
      taskId = id;
      return this;
    }

    /** The export's status in export_info (FAILED, CANCELED, ...). */
    public Options status(String s) {
      status = s;
      return this;
    }

    public Options snapshotTime(Instant t) {
      snapshotTime = t;
      return this;
    }

    /** The older layout: parts directly in the table folder, no batch folders. */
    public Options withoutBatchFolders() {
      batchFolders = false;
      return this;
    }

    /**
     * Typed Parquet columns instead of AWS's strings ({@link ParquetExports}: decimal, timestamp,
     * date, lists), as other export tools write them; the reader must accept both.
     */
    public Options typedParquet() {
      typed = true;
      return this;
    }

    /**
     * {@code table} listed SKIPPED with {@code warning} (e.g. PERMISSIONS_DO_NOT_EXIST), no files.
     */
    public Options skip(String table, String warning) {
      skipped.put(table, warning);
      return this;
    }

    /** {@code table} listed COMPLETE, its Parquet files removed. */
    public Options withoutFiles(String table) {
      withoutFiles.add(table);
      return this;
    }

    /** The first Parquet part of {@code table} cut in half (no footer). */
    public Options truncate(String table) {
      truncated.add(table);
      return this;
    }

    /** {@code column} of {@code table} listed in the metadata but not written to Parquet. */
    public Options dropParquetColumn(String table, String column) {
      droppedParquetColumns.put(table, column);
      return this;
    }
  }

  /** What was written: the root to pass to {@code RdsExport.open} and the task id. */
  public record Written(String root, String taskId, Map<String, Long> rowCounts) {}

  /**
   * Writes an export of {@code tables} ({@code table} or {@code schema.table}) of the database at
   * {@code jdbcUrl} into {@code root}, as database {@code database}. A partitioned table is written
   * as RDS writes it: its leaf partitions, each a table of the export, and no entry for the parent.
   */
  public static Written write(
      SparkSession spark,
      String jdbcUrl,
      Path root,
      String database,
      List<String> tables,
      Options options) {
    try {
      Files.createDirectories(root);
      tables = withLeafPartitions(jdbcUrl, tables);
      Map<String, Long> counts = new HashMap<>();
      ArrayNode entries = JSON.createArrayNode();
      for (String name : tables) {
        String schema = name.contains(".") ? name.substring(0, name.indexOf('.')) : "public";
        String table = name.contains(".") ? name.substring(name.indexOf('.') + 1) : name;
        ObjectNode entry = entries.addObject();
        entry.put("target", database + "." + schema + "." + table);
        String warning = options.skipped.get(table);
        if (warning != null) {
          entry.put("status", "SKIPPED");
          entry.put("warningMessage", warning);
          continue;
        }
        List<ColumnInfo> columns = columns(jdbcUrl, schema, table);
        ArrayNode mappings = entry.putObject("schemaMetadata").putArray("originalTypeMappings");
        for (ColumnInfo c : columns) {
          ObjectNode m = mappings.addObject();
          m.put("columnName", c.name);
          m.put("originalType", c.dataType);
          m.put("expectedExportedType", exportedTypeName(c));
          m.put("originalCharMaxLength", c.charMaxLength);
          m.put("originalNumPrecision", c.numericPrecision);
          m.put("originalDateTimePrecision", c.dateTimePrecision);
        }
        Path tableDir =
            root.resolve(folder(database)).resolve(folder(schema) + "." + folder(table));
        long rows =
            options.typed
                ? writeTypedParquet(spark, jdbcUrl, schema, table, tableDir, options.batchFolders)
                : writeParquet(
                    spark,
                    jdbcUrl,
                    schema,
                    table,
                    columns,
                    options.droppedParquetColumns.get(table),
                    tableDir,
                    options.batchFolders);
        counts.put(table, rows);
        entry.put("status", "COMPLETE");
        entry.put("sizeGB", 0.0);
        entry.putObject("stats").put("rowCount", rows);
      }
      writeMetadata(root, database, options, entries);
      for (String t : options.withoutFiles) {
        removeFiles(root, database, t);
      }
      for (String t : options.truncated) {
        truncateFirstPart(root, database, t);
      }
      return new Written(root.toString(), options.taskId, counts);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (SQLException e) {
      throw new IllegalStateException("Cannot export " + tables + ": " + e.getMessage(), e);
    }
  }

  /**
   * Every partitioned table of {@code tables} replaced by its leaf partitions ({@code
   * schema.name}).
   */
  private static List<String> withLeafPartitions(String url, List<String> tables)
      throws SQLException {
    String sql =
        """
        SELECT n.nspname || '.' || c.relname FROM pg_partition_tree(to_regclass(?)) pt
          JOIN pg_class c ON c.oid = pt.relid JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE pt.isleaf AND pt.relid <> to_regclass(?) ORDER BY 1
        """;
    List<String> out = new ArrayList<>();
    try (Connection conn = TestPostgres.connect(url);
        PreparedStatement ps = conn.prepareStatement(sql)) {
      for (String name : tables) {
        String qualified = name.contains(".") ? name : "public." + name;
        ps.setString(1, qualified);
        ps.setString(2, qualified);
        List<String> leaves = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            leaves.add(rs.getString(1));
          }
        }
        if (leaves.isEmpty()) {
          out.add(name);
        } else {
          out.addAll(leaves);
        }
      }
    }
    return out;
  }

  // ---- mutators: each turns a good export into one failure ----

  /** Copies an export tree. */
  public static Path copy(Path from, Path to) throws IOException {
    try (Stream<Path> paths = Files.walk(from)) {
      for (Path p : paths.toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
    return to;
  }

  /** Sets export_info's status (and a failureCause). */
  public static void setStatus(Path root, String status) throws IOException {
    Path info = only(root, "export_info_");
    ObjectNode json = (ObjectNode) JSON.readTree(info.toFile());
    json.put("status", status);
    json.put("failureCause", "The export task failed: simulated by RdsExportFixture");
    JSON.writerWithDefaultPrettyPrinter().writeValue(info.toFile(), json);
  }

  /** Marks {@code table} SKIPPED with {@code warning} in the table list and removes its files. */
  public static void skip(Path root, String database, String table, String warning)
      throws IOException {
    editTableEntry(
        root,
        database,
        table,
        entry -> {
          entry.put("status", "SKIPPED");
          entry.put("warningMessage", warning);
          entry.remove("schemaMetadata");
          entry.remove("stats");
        });
    deleteTree(tableDir(root, database, table));
  }

  /** Deletes every Parquet file of {@code table}, leaving it COMPLETE in the metadata. */
  public static void removeFiles(Path root, String database, String table) throws IOException {
    for (Path p : parquetFiles(tableDir(root, database, table))) {
      Files.delete(p);
    }
  }

  /** Cuts the first Parquet part of {@code table} in half; returns it. */
  public static Path truncateFirstPart(Path root, String database, String table)
      throws IOException {
    Path first = parquetFiles(tableDir(root, database, table)).get(0);
    try (RandomAccessFile f = new RandomAccessFile(first.toFile(), "rw")) {
      f.setLength(f.length() / 2);
    }
    return first;
  }

  /**
   * Copies {@code table}'s folder to a folder named {@code folderName} that no metadata entry
   * names.
   */
  public static void addOrphanFolder(Path root, String database, String table, String folderName)
      throws IOException {
    copy(tableDir(root, database, table), root.resolve(folder(database)).resolve(folderName));
  }

  /** Removes {@code table} from the export entirely: its metadata entry and its folder. */
  public static void removeTable(Path root, String database, String table) throws IOException {
    String schema = table.contains(".") ? table.substring(0, table.indexOf('.')) : "public";
    String name = table.contains(".") ? table.substring(table.indexOf('.') + 1) : table;
    String target = database + "." + schema + "." + name;
    try (Stream<Path> s = Files.list(root)) {
      for (Path p :
          s.filter(p -> p.getFileName().toString().startsWith("export_tables_info_")).toList()) {
        ObjectNode json = (ObjectNode) JSON.readTree(p.toFile());
        ArrayNode list = json.withArray("perTableStatus");
        for (int i = list.size() - 1; i >= 0; i--) {
          if (target.equals(list.get(i).path("target").asText())) {
            list.remove(i);
          }
        }
        JSON.writerWithDefaultPrettyPrinter().writeValue(p.toFile(), json);
      }
    }
    deleteTree(tableDir(root, database, table));
  }

  /** Deletes the last Parquet part of {@code table}; returns it. */
  public static Path deletePart(Path root, String database, String table) throws IOException {
    List<Path> parts = parquetFiles(tableDir(root, database, table));
    Path last = parts.get(parts.size() - 1);
    Files.delete(last);
    return last;
  }

  /**
   * Copies the first Parquet part of {@code table} to a new part name beside it (as a re-run upload
   * or a careless copy would); returns the copy.
   */
  public static Path copyPart(Path root, String database, String table) throws IOException {
    Path first = parquetFiles(tableDir(root, database, table)).get(0);
    Path copy =
        first.resolveSibling(
            "part-09999-" + UUID.nameUUIDFromBytes(first.toString().getBytes()) + ".gz.parquet");
    Files.copy(first, copy);
    return copy;
  }

  /** Removes {@code table}'s row count from the metadata (RDS does not always record one). */
  public static void removeRowCount(Path root, String database, String table) throws IOException {
    editTableEntry(root, database, table, entry -> entry.remove("stats"));
  }

  /**
   * Lists {@code table}'s parts in its metadata entry ({@code parts}: file relative to the table's
   * folder and the row count of its footer), as the export is now.
   */
  public static void recordParts(Path root, String database, String table) throws IOException {
    Path dir = tableDir(root, database, table);
    ArrayNode parts = JSON.createArrayNode();
    for (Path p : parquetFiles(dir)) {
      try (var reader =
          org.apache.parquet.hadoop.ParquetFileReader.open(
              org.apache.parquet.hadoop.util.HadoopInputFile.fromPath(
                  new org.apache.hadoop.fs.Path(p.toUri()),
                  new org.apache.hadoop.conf.Configuration()))) {
        ObjectNode part = parts.addObject();
        part.put("file", dir.relativize(p).toString());
        part.put("rowCount", reader.getRecordCount());
      }
    }
    editTableEntry(root, database, table, entry -> entry.set("parts", parts));
  }

  /** Deletes every export_tables_info file. */
  public static void removeTablesInfo(Path root) throws IOException {
    try (Stream<Path> s = Files.list(root)) {
      for (Path p :
          s.filter(p -> p.getFileName().toString().startsWith("export_tables_info_")).toList()) {
        Files.delete(p);
      }
    }
  }

  /** The Parquet parts of {@code table}, sorted. */
  public static List<Path> parquetFiles(Path tableDir) throws IOException {
    if (!Files.exists(tableDir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.walk(tableDir)) {
      return s.filter(p -> p.getFileName().toString().endsWith(".parquet")).sorted().toList();
    }
  }

  public static Path tableDir(Path root, String database, String table) {
    String schema = table.contains(".") ? table.substring(0, table.indexOf('.')) : "public";
    String name = table.contains(".") ? table.substring(table.indexOf('.') + 1) : table;
    return root.resolve(folder(database)).resolve(folder(schema) + "." + folder(name));
  }

  // ---- writing ----

  private record ColumnInfo(
      String name,
      String dataType,
      String udtName,
      int charMaxLength,
      int numericPrecision,
      int dateTimePrecision) {}

  private static List<ColumnInfo> columns(String url, String schema, String table)
      throws SQLException {
    String sql =
        """
        SELECT column_name, data_type, udt_name, coalesce(character_maximum_length, 0), coalesce(numeric_precision, 0),
               coalesce(datetime_precision, 0)
          FROM information_schema.columns WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position
        """;
    List<ColumnInfo> out = new ArrayList<>();
    try (Connection conn = TestPostgres.connect(url);
        PreparedStatement ps = conn.prepareStatement(sql)) {
      ps.setString(1, schema);
      ps.setString(2, table);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(
              new ColumnInfo(
                  rs.getString(1),
                  rs.getString(2),
                  rs.getString(3),
                  rs.getInt(4),
                  rs.getInt(5),
                  rs.getInt(6)));
        }
      }
    }
    if (out.isEmpty()) {
      throw new SQLException("table " + schema + "." + table + " has no columns or does not exist");
    }
    return out;
  }

  /** The Parquet (Spark) type RDS uses for a PostgreSQL column. */
  private static DataType sparkType(ColumnInfo c) {
    return switch (c.dataType) {
      case "smallint" -> DataTypes.ShortType;
      case "integer" -> DataTypes.IntegerType;
      case "bigint" -> DataTypes.LongType;
      case "real" -> DataTypes.FloatType;
      case "double precision" -> DataTypes.DoubleType;
      case "boolean" -> DataTypes.BooleanType;
      case "bytea" -> DataTypes.BinaryType;
      default -> DataTypes.StringType;
    };
  }

  private static String exportedTypeName(ColumnInfo c) {
    DataType t = sparkType(c);
    if (t == DataTypes.ShortType || t == DataTypes.IntegerType) {
      return "int32";
    } else if (t == DataTypes.LongType) {
      return "int64";
    } else if (t == DataTypes.FloatType) {
      return "float";
    } else if (t == DataTypes.DoubleType) {
      return "double";
    } else if (t == DataTypes.BooleanType) {
      return "boolean";
    } else if (t == DataTypes.BinaryType) {
      return "binary";
    }
    return "binary (UTF8)";
  }

  private static long writeParquet(
      SparkSession spark,
      String url,
      String schema,
      String table,
      List<ColumnInfo> all,
      String dropped,
      Path tableDir,
      boolean batchFolders)
      throws SQLException, IOException {
    List<ColumnInfo> columns = all.stream().filter(c -> !c.name.equals(dropped)).toList();
    List<StructField> fields = new ArrayList<>();
    List<String> select = new ArrayList<>();
    for (ColumnInfo c : columns) {
      DataType t = sparkType(c);
      fields.add(DataTypes.createStructField(c.name, t, true));
      select.add(t == DataTypes.StringType ? Sql.ident(c.name) + "::text" : Sql.ident(c.name));
    }
    List<Row> rows = new ArrayList<>();
    try (Connection conn = TestPostgres.connect(url);
        Statement st = conn.createStatement()) {
      st.execute(
          "SET TimeZone = 'UTC'; SET IntervalStyle = 'postgres'; SET DateStyle = 'ISO'; SET"
              + " extra_float_digits = 3");
      try (ResultSet rs =
          st.executeQuery(
              "SELECT " + String.join(", ", select) + " FROM " + Sql.qualified(schema, table))) {
        while (rs.next()) {
          Object[] values = new Object[columns.size()];
          for (int i = 0; i < values.length; i++) {
            values[i] = value(rs, i + 1, fields.get(i).dataType());
          }
          rows.add(RowFactory.create(values));
        }
      }
    }
    Path staging = Files.createTempDirectory("rds-export-" + table);
    spark
        .createDataFrame(rows, DataTypes.createStructType(fields))
        .repartition(4)
        .write()
        .mode("overwrite")
        .option("compression", "gzip")
        .parquet(staging.resolve("out").toString());
    List<Path> parts;
    try (Stream<Path> s = Files.list(staging.resolve("out"))) {
      parts =
          s.filter(
                  p ->
                      p.getFileName().toString().startsWith("part-")
                          && p.getFileName().toString().endsWith(".parquet"))
              .sorted()
              .toList();
    }
    placeParts(parts, table, tableDir, batchFolders);
    deleteTree(staging);
    return rows.size();
  }

  private static long writeTypedParquet(
      SparkSession spark,
      String url,
      String schema,
      String table,
      Path tableDir,
      boolean batchFolders)
      throws IOException {
    Path staging = Files.createTempDirectory("rds-typed-" + table.replace(' ', '_'));
    String qualified = Sql.qualified(schema, table);
    org.apache.spark.sql.Dataset<Row> written;
    try {
      written =
          ParquetExports.export(
              spark, url, qualified, ParquetExports.columns(url, qualified), staging, Map.of());
    } catch (Exception e) {
      throw new IllegalStateException(
          "Cannot write typed Parquet of " + qualified + ": " + e.getMessage(), e);
    }
    long rows = written.count();
    List<Path> parts =
        Stream.of(written.inputFiles()).map(f -> Path.of(java.net.URI.create(f))).sorted().toList();
    placeParts(parts, table, tableDir, batchFolders);
    deleteTree(staging);
    return rows;
  }

  private static void placeParts(
      List<Path> parts, String table, Path tableDir, boolean batchFolders) throws IOException {
    Files.createDirectories(tableDir);
    Files.writeString(tableDir.resolve("_SUCCESS"), "");
    for (int i = 0; i < parts.size(); i++) {
      // Two batches; part numbers with gaps, as RDS leaves them when a ranged read is empty.
      Path dir = batchFolders ? tableDir.resolve(Integer.toString(1 + i % 2)) : tableDir;
      Files.createDirectories(dir);
      if (batchFolders && !Files.exists(dir.resolve("_SUCCESS"))) {
        Files.writeString(dir.resolve("_SUCCESS"), "");
      }
      String name =
          String.format(
              "part-%05d-%s.gz.parquet", i * 3 + 1, UUID.nameUUIDFromBytes((table + i).getBytes()));
      Files.move(parts.get(i), dir.resolve(name));
    }
    Files.writeString(tableDir.resolve("export-notes.txt"), "not Parquet: ignored by readers");
  }

  private static Object value(ResultSet rs, int column, DataType type) throws SQLException {
    Object o = rs.getObject(column);
    if (o == null) {
      return null;
    }
    if (type == DataTypes.ShortType) {
      return rs.getShort(column);
    } else if (type == DataTypes.IntegerType) {
      return rs.getInt(column);
    } else if (type == DataTypes.LongType) {
      return rs.getLong(column);
    } else if (type == DataTypes.FloatType) {
      return rs.getFloat(column);
    } else if (type == DataTypes.DoubleType) {
      return rs.getDouble(column);
    } else if (type == DataTypes.BooleanType) {
      return rs.getBoolean(column);
    } else if (type == DataTypes.BinaryType) {
      return rs.getBytes(column);
    }
    return rs.getString(column);
  }

  private static void writeMetadata(Path root, String database, Options options, ArrayNode entries)
      throws IOException {
    ObjectNode info = JSON.createObjectNode();
    info.put("exportTaskIdentifier", options.taskId);
    info.put("sourceArn", "arn:aws:rds:us-east-1:123456789012:snapshot:" + database + "-snapshot");
    info.putArray("exportOnly");
    info.put("snapshotTime", options.snapshotTime.toString());
    info.put("taskStartTime", options.snapshotTime.plusSeconds(60).toString());
    info.put("taskEndTime", options.snapshotTime.plusSeconds(600).toString());
    info.put("s3Bucket", "local");
    info.put("s3Prefix", "");
    info.put("exportedFilesPath", root.toString());
    info.put("iamRoleArn", "arn:aws:iam::123456789012:role/export");
    info.put(
        "kmsKeyId", "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000");
    info.put("status", options.status);
    info.put("percentProgress", 100);
    info.put("totalExtractedDataInGB", 0);
    JSON.writerWithDefaultPrettyPrinter()
        .writeValue(root.resolve("export_info_" + options.taskId + ".json").toFile(), info);
    // Several table-list files, two tables each, as large exports have.
    for (int from = 0; from < entries.size(); from += 2) {
      int to = Math.min(entries.size(), from + 2);
      ObjectNode file = JSON.createObjectNode();
      ArrayNode list = file.putArray("perTableStatus");
      for (int i = from; i < to; i++) {
        list.add(entries.get(i));
      }
      JSON.writerWithDefaultPrettyPrinter()
          .writeValue(
              root.resolve(
                      "export_tables_info_"
                          + options.taskId
                          + "_from_"
                          + (from + 1)
                          + "_to_"
                          + to
                          + ".json")
                  .toFile(),
              file);
    }
  }

  private interface EntryEdit {
    void apply(ObjectNode entry);
  }

  private static void editTableEntry(Path root, String database, String table, EntryEdit edit)
      throws IOException {
    String schema = table.contains(".") ? table.substring(0, table.indexOf('.')) : "public";
    String name = table.contains(".") ? table.substring(table.indexOf('.') + 1) : table;
    String target = database + "." + schema + "." + name;
    try (Stream<Path> s = Files.list(root)) {
      for (Path p :
          s.filter(p -> p.getFileName().toString().startsWith("export_tables_info_")).toList()) {
        ObjectNode json = (ObjectNode) JSON.readTree(p.toFile());
        boolean changed = false;
        for (var entry : json.withArray("perTableStatus")) {
          if (target.equals(entry.path("target").asText())) {
            edit.apply((ObjectNode) entry);
            changed = true;
          }
        }
        if (changed) {
          JSON.writerWithDefaultPrettyPrinter().writeValue(p.toFile(), json);
        }
      }
    }
  }

  private static Path only(Path root, String prefix) throws IOException {
    try (Stream<Path> s = Files.list(root)) {
      return s.filter(p -> p.getFileName().toString().startsWith(prefix)).findFirst().orElseThrow();
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted((a, b) -> b.compareTo(a)).toList()) {
        Files.delete(p);
      }
    }
  }

  private static String folder(String name) {
    return name.replace('\\', '_').replace('`', '_').replace('"', '_').replace(' ', '_');
  }
}
