package dev.tenantfold.extract.export;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tenantfold.extract.ColumnSpec;
import dev.tenantfold.extract.TableSpec;
import dev.tenantfold.extract.TenantCatalog;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * One database of an RDS snapshot export (Parquet on S3 or a local copy), read through Hadoop's
 * {@link FileSystem} so a local path and an {@code s3a://} URI work alike.
 *
 * <p>{@link #open} reads {@code <root>/export_info_<task>.json} and every {@code
 * <root>/export_tables_info_<task>_from_<n>_to_<m>.json}, keeps the tables of the given database
 * and lists their Parquet parts ({@code <root>/<database>/<schema>.<table>/<batch>/part-*.parquet}
 * or the older layout without batch folders). It checks everything that can be checked without
 * reading data and reports every problem at once: status not {@code COMPLETE}, metadata missing or
 * unparseable, a table listed {@code COMPLETE} without Parquet files, a folder no metadata entry
 * names, a Parquet file too short or without its {@code PAR1} magic (truncated). The Parquet schema
 * of each file is checked against the metadata when its rows are read ({@link #rows}).
 */
public final class RdsExport implements Serializable {
  private static final Pattern INFO = Pattern.compile("export_info_(.+)\\.json");
  private static final Pattern TABLES_INFO =
      Pattern.compile("export_tables_info_(.+)_from_(\\d+)_to_(\\d+)\\.json");
  private static final byte[] MAGIC = {'P', 'A', 'R', '1'};
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String root;
  private final String database;
  private final String taskId;
  private final String status;
  private final Instant snapshotTime;
  private final String sourceArn;
  private final List<ExportedTable> tables;
  private final Map<String, Long> rowsInFiles;
  private final transient Configuration conf;

  private RdsExport(
      String root,
      String database,
      String taskId,
      String status,
      Instant snapshotTime,
      String sourceArn,
      List<ExportedTable> tables,
      Map<String, Long> rowsInFiles,
      Configuration conf) {
    this.root = root;
    this.database = database;
    this.taskId = taskId;
    this.status = status;
    this.snapshotTime = snapshotTime;
    this.sourceArn = sourceArn;
    this.tables = List.copyOf(tables);
    this.rowsInFiles = Map.copyOf(rowsInFiles);
    this.conf = conf;
  }

  /**
   * Opens the export at {@code root} (the folder holding {@code export_info_<task>.json}) for
   * {@code database}.
   *
   * @throws ExportException naming the root, the file and every problem found
   */
  public static RdsExport open(Configuration conf, String root, String database)
      throws ExportException {
    Path rootPath = new Path(root);
    String where = "export at " + root;
    try {
      FileSystem fs = rootPath.getFileSystem(conf);
      if (!fs.exists(rootPath)) {
        throw new ExportException(
            "Cannot read " + where + ": the folder does not exist; check export.path");
      }
      FileStatus info = null;
      List<FileStatus> tablesInfo = new ArrayList<>();
      for (FileStatus f : fs.listStatus(rootPath)) {
        String name = f.getPath().getName();
        if (f.isFile() && INFO.matcher(name).matches()) {
          if (info != null) {
            throw new ExportException(
                "Cannot read "
                    + where
                    + ": it holds two export info files, "
                    + info.getPath().getName()
                    + " and "
                    + name
                    + "; point export.path at the folder of one export task");
          }
          info = f;
        } else if (f.isFile() && TABLES_INFO.matcher(name).matches()) {
          tablesInfo.add(f);
        }
      }
      if (info == null) {
        throw new ExportException(
            "Cannot read "
                + where
                + ": export_info_<task>.json is missing; export.path must be the folder that holds"
                + " the export's export_info and export_tables_info files");
      }
      String infoFile = info.getPath().getName();
      Matcher infoName = INFO.matcher(infoFile);
      infoName.matches();
      String fileTask = infoName.group(1);
      JsonNode infoJson = readJson(fs, info.getPath(), where);
      String taskId = text(infoJson, "exportTaskIdentifier").orElse(fileTask);
      String status =
          text(infoJson, "status")
              .orElseThrow(
                  () ->
                      new ExportException(
                          "Cannot read " + where + ": " + infoFile + " has no status"));
      if (!ExportedTable.COMPLETE.equalsIgnoreCase(status)) {
        String cause = text(infoJson, "failureCause").map(c -> " (" + c + ")").orElse("");
        throw new ExportException(
            "Cannot read "
                + where
                + ": export task "
                + taskId
                + " has status "
                + status
                + cause
                + " in "
                + info.getPath().getName()
                + ", not COMPLETE; only a completed export holds every table");
      }
      Instant snapshotTime = instant(infoJson, "snapshotTime", info.getPath().getName(), where);
      String sourceArn = text(infoJson, "sourceArn").orElse(null);
      tablesInfo.removeIf(
          f -> {
            Matcher m = TABLES_INFO.matcher(f.getPath().getName());
            return !(m.matches() && m.group(1).equals(fileTask));
          });
      if (tablesInfo.isEmpty()) {
        throw new ExportException(
            "Cannot read "
                + where
                + ": no export_tables_info_"
                + fileTask
                + "_from_<n>_to_<m>.json file; the export's"
                + " table list is missing, so no table can be trusted to be complete");
      }
      tablesInfo.sort((a, b) -> a.getPath().getName().compareTo(b.getPath().getName()));

      List<String> problems = new ArrayList<>();
      Map<String, ExportedTable> byFolder = new LinkedHashMap<>();
      Map<String, List<ExportParts.RecordedPart>> recordedParts = new HashMap<>();
      String prefix = database + ".";
      Path databasePath = new Path(rootPath, ExportFolders.folderName(database));
      for (FileStatus f : tablesInfo) {
        JsonNode json = readJson(fs, f.getPath(), where);
        JsonNode perTable = json.get("perTableStatus");
        if (perTable == null || !perTable.isArray()) {
          throw new ExportException(
              "Cannot read "
                  + where
                  + ": "
                  + f.getPath().getName()
                  + " has no perTableStatus list");
        }
        for (JsonNode t : perTable) {
          String target = text(t, "target").orElse(null);
          if (target == null || !target.startsWith(prefix)) {
            continue;
          }
          String schemaTable = target.substring(prefix.length());
          int dot = schemaTable.indexOf('.');
          if (dot < 0) {
            problems.add(
                f.getPath().getName() + ": target " + target + " is not database.schema.table");
            continue;
          }
          String schema = schemaTable.substring(0, dot);
          String table = schemaTable.substring(dot + 1);
          String folder = ExportFolders.tableFolder(schema, table);
          ExportedTable parsed =
              new ExportedTable(
                  schema,
                  table,
                  text(t, "status").orElse("UNKNOWN"),
                  text(t, "warningMessage").orElse(null),
                  columns(t),
                  rowCount(t),
                  new Path(databasePath, folder).toString(),
                  List.of());
          List<ExportParts.RecordedPart> listed = recordedParts(t);
          if (listed != null) {
            recordedParts.put(folder, listed);
          }
          ExportedTable earlier = byFolder.put(folder, parsed);
          if (earlier != null) {
            problems.add(
                "tables "
                    + earlier.qualifiedName()
                    + " and "
                    + parsed.qualifiedName()
                    + " both map to folder "
                    + folder
                    + " (RDS writes \\ ` \" and space as _), so their files cannot be told apart");
          }
        }
      }

      Map<String, List<String>> files = listParquet(fs, databasePath, problems);
      List<ExportedTable> out = new ArrayList<>();
      for (Map.Entry<String, ExportedTable> e : byFolder.entrySet()) {
        ExportedTable t = e.getValue();
        List<String> parts = files.getOrDefault(e.getKey(), List.of());
        if (t.exported()
            && parts.isEmpty()
            && !(t.rowCount().isPresent() && t.rowCount().getAsLong() == 0)) {
          problems.add(
              "table "
                  + t.qualifiedName()
                  + " is COMPLETE in the metadata but "
                  + t.path()
                  + " holds no Parquet file");
        }
        if (!t.exported() && !parts.isEmpty()) {
          problems.add(
              "table "
                  + t.qualifiedName()
                  + " has status "
                  + t.status()
                  + " but "
                  + parts.size()
                  + " Parquet files under "
                  + t.path());
        }
        out.add(
            new ExportedTable(
                t.schema(),
                t.table(),
                t.status(),
                t.warningMessage(),
                t.columns(),
                t.rowCount(),
                t.path(),
                parts));
      }
      for (Map.Entry<String, List<String>> e : files.entrySet()) {
        if (!byFolder.containsKey(e.getKey())) {
          problems.add(
              "folder "
                  + new Path(databasePath, e.getKey())
                  + " holds "
                  + e.getValue().size()
                  + " Parquet files (first "
                  + e.getValue().get(0)
                  + ") but no table of the export metadata maps to it");
        }
      }
      Map<String, Long> rowsInFiles = new HashMap<>();
      for (ExportedTable t : out) {
        boolean whole = true;
        Map<String, Long> lengths = new LinkedHashMap<>();
        for (String file : t.files()) {
          String broken = checkMagic(fs, new Path(file));
          if (broken != null) {
            problems.add("table " + t.qualifiedName() + " file " + file + ": " + broken);
            whole = false;
          } else {
            lengths.put(file, fs.getFileStatus(new Path(file)).getLen());
          }
        }
        if (whole && t.exported() && !t.files().isEmpty()) {
          problems.addAll(
              checkParts(fs, conf, t, lengths, recordedParts.get(folderOf(t)), rowsInFiles));
        }
      }
      if (!problems.isEmpty()) {
        throw new ExportException(
            "Cannot read "
                + where
                + " (task "
                + taskId
                + ", database "
                + database
                + "): "
                + String.join("; ", problems),
            problems,
            null);
      }
      return new RdsExport(
          root, database, taskId, status, snapshotTime, sourceArn, out, rowsInFiles, conf);
    } catch (IOException e) {
      throw new ExportException("Cannot read " + where + ": " + e.getMessage(), e);
    }
  }

  /**
   * The names, sizes and modification times of the export's metadata files at {@code root}, from
   * one listing of the root: equal fingerprints mean the same completed export (RDS writes the
   * metadata last and never changes a completed export). Empty when the root cannot be listed.
   */
  public static String metadataFingerprint(Configuration conf, String root) {
    try {
      Path rootPath = new Path(root);
      List<String> parts = new ArrayList<>();
      for (FileStatus f : rootPath.getFileSystem(conf).listStatus(rootPath)) {
        String name = f.getPath().getName();
        if (f.isFile() && (INFO.matcher(name).matches() || TABLES_INFO.matcher(name).matches())) {
          parts.add(name + ":" + f.getLen() + ":" + f.getModificationTime());
        }
      }
      parts.sort(null);
      return String.join("/", parts);
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }

  public String root() {
    return root;
  }

  public String database() {
    return database;
  }

  public String taskId() {
    return taskId;
  }

  public String status() {
    return status;
  }

  /** When the snapshot was taken: the point in time every table of the export shows. */
  public Instant snapshotTime() {
    return snapshotTime;
  }

  /** The snapshot's ARN, when the metadata gives it. */
  public Optional<String> sourceArn() {
    return Optional.ofNullable(sourceArn);
  }

  /**
   * Every table of the opened database in the metadata, exported or not (see {@link
   * ExportedTable#status()}).
   */
  public List<ExportedTable> tables() {
    return tables;
  }

  public Optional<ExportedTable> table(String schema, String table) {
    return tables.stream()
        .filter(t -> t.schema().equals(schema) && t.table().equals(table))
        .findFirst();
  }

  /**
   * The export's tables as the project's catalog types. Types come from {@code catalog} (read over
   * JDBC, {@code export.catalog}) where it has the table; otherwise from the metadata, with what it
   * cannot tell listed in {@link ExportCatalog#unknownTypes()}.
   */
  public ExportCatalog catalog(String tenantId, Optional<TenantCatalog> catalog) {
    return ExportCatalog.of(tenantId, this, catalog);
  }

  /**
   * The table's rows as {@code targetColumns} (names, order, types), each value restored for {@code
   * DatasetCopyLoader} and {@code SparkChecksum} (see {@link ExportRows}). Lazy: nothing is read
   * until the Dataset runs; the Parquet footers are checked now.
   *
   * @throws ExportException when the table was not exported (with RDS's warning), a file cannot be
   *     read, or its columns differ from the metadata
   */
  public Dataset<Row> rows(SparkSession spark, ExportedTable table, List<ColumnSpec> targetColumns)
      throws ExportException {
    return ExportRows.read(spark, this, conf(), table, targetColumns);
  }

  /**
   * The exported tables holding {@code table}'s rows: its leaf partitions when it is a partitioned
   * table whose leaves are known (the export holds those, not the parent), else the table itself.
   *
   * @throws ExportException naming every one the export lacks or did not export
   */
  public List<ExportedTable> tablesOf(TableSpec table) throws ExportException {
    if (!table.partitioned() || table.leafPartitions().isEmpty()) {
      Optional<ExportedTable> own = table(table.schema(), table.name());
      if (own.isEmpty() && table.partitioned()) {
        // A partitioned table without partitions holds no rows.
        return List.of();
      }
      return List.of(
          own.orElseThrow(
              () ->
                  new ExportException(
                      "Cannot read table "
                          + table.qualifiedName()
                          + " of "
                          + describe()
                          + ": the export does not hold it")));
    }
    List<ExportedTable> leaves = new ArrayList<>();
    List<String> lacking = new ArrayList<>();
    for (String leaf : table.leafPartitions()) {
      int dot = leaf.indexOf('.');
      Optional<ExportedTable> t = table(leaf.substring(0, dot), leaf.substring(dot + 1));
      if (t.isPresent() && t.get().exported()) {
        leaves.add(t.get());
      } else {
        lacking.add(
            leaf
                + t.map(
                        e ->
                            " (status "
                                + e.status()
                                + (e.warningMessage() == null ? "" : ", " + e.warningMessage())
                                + ")")
                    .orElse(" (not in the export)"));
      }
    }
    if (!lacking.isEmpty()) {
      throw new ExportException(
          "Cannot read table "
              + table.qualifiedName()
              + " of "
              + describe()
              + ": partitions "
              + lacking
              + " were not exported",
          lacking,
          null);
    }
    return leaves;
  }

  /**
   * The rows of {@code tables} (the leaf partitions of one table, or the table itself) as one
   * Dataset of {@code targetColumns}, as {@link #rows(SparkSession, ExportedTable, List)} reads
   * each.
   */
  public Dataset<Row> rows(
      SparkSession spark, List<ExportedTable> tables, List<ColumnSpec> targetColumns)
      throws ExportException {
    if (tables.isEmpty()) {
      return ExportRows.emptyRows(spark, targetColumns);
    }
    Dataset<Row> rows = null;
    for (ExportedTable t : tables) {
      Dataset<Row> one = rows(spark, t, targetColumns);
      rows = rows == null ? one : rows.union(one);
    }
    return rows;
  }

  /**
   * The rows the Parquet footers of {@code tables} count together (checked against the metadata
   * when {@link #open} ran), where every one has files.
   */
  public OptionalLong rowsInFiles(List<ExportedTable> tables) {
    long sum = 0;
    for (ExportedTable t : tables) {
      Long rows = rowsInFiles.get(t.qualifiedName());
      if (rows == null && t.exported() && t.files().isEmpty()) {
        rows = 0L;
      }
      if (rows == null) {
        return OptionalLong.empty();
      }
      sum += rows;
    }
    return OptionalLong.of(sum);
  }

  /** The metadata's row count of {@code tables} together, where it gives one for each. */
  public static OptionalLong rowCount(List<ExportedTable> tables) {
    long sum = 0;
    for (ExportedTable t : tables) {
      if (t.rowCount().isEmpty()) {
        return OptionalLong.empty();
      }
      sum += t.rowCount().getAsLong();
    }
    return OptionalLong.of(sum);
  }

  Configuration conf() {
    return conf == null ? new Configuration() : conf;
  }

  String describe() {
    return "export " + taskId + " at " + root;
  }

  private static Map<String, List<String>> listParquet(
      FileSystem fs, Path databasePath, List<String> problems) throws IOException {
    Map<String, List<String>> out = new HashMap<>();
    if (!fs.exists(databasePath)) {
      return out;
    }
    for (FileStatus tableDir : fs.listStatus(databasePath)) {
      if (!tableDir.isDirectory()) {
        continue;
      }
      List<String> parts = new ArrayList<>();
      RemoteIterator<LocatedFileStatus> it = fs.listFiles(tableDir.getPath(), true);
      while (it.hasNext()) {
        LocatedFileStatus f = it.next();
        String name = f.getPath().getName();
        if (f.isFile()
            && name.endsWith(".parquet")
            && !name.startsWith("_")
            && !name.startsWith(".")) {
          parts.add(f.getPath().toString());
        }
      }
      if (!parts.isEmpty()) {
        parts.sort(null);
        out.put(tableDir.getPath().getName(), parts);
      }
    }
    return out;
  }

  /** The table's folder name, as RDS writes it. */
  private static String folderOf(ExportedTable t) {
    return new Path(t.path()).getName();
  }

  /**
   * The table's parts against its metadata ({@link ExportParts}): the rows their footers count, the
   * parts the metadata lists, byte-identical copies.
   */
  private static List<String> checkParts(
      FileSystem fs,
      Configuration conf,
      ExportedTable t,
      Map<String, Long> lengths,
      List<ExportParts.RecordedPart> recorded,
      Map<String, Long> rowsInFiles)
      throws IOException {
    Set<String> digested = new HashSet<>(ExportParts.needDigest(lengths));
    String folder = new Path(t.path()).toUri().getPath();
    List<ExportParts.Part> parts = new ArrayList<>();
    for (Map.Entry<String, Long> e : lengths.entrySet()) {
      Path file = new Path(e.getKey());
      String relative = file.toUri().getPath();
      if (relative.startsWith(folder + "/")) {
        relative = relative.substring(folder.length() + 1);
      }
      long rows;
      try (ParquetFileReader reader =
          ParquetFileReader.open(HadoopInputFile.fromPath(file, conf))) {
        rows = reader.getRecordCount();
      } catch (IOException | RuntimeException ex) {
        return List.of(
            "table "
                + t.qualifiedName()
                + " file "
                + e.getKey()
                + ": its Parquet footer cannot be read ("
                + ex.getMessage()
                + ")");
      }
      parts.add(
          new ExportParts.Part(
              relative,
              e.getValue(),
              rows,
              digested.contains(e.getKey()) ? digest(fs, file) : null));
    }
    rowsInFiles.put(t.qualifiedName(), parts.stream().mapToLong(ExportParts.Part::rows).sum());
    return ExportParts.problems(t.qualifiedName(), t.rowCount(), recorded, parts);
  }

  private static String digest(FileSystem fs, Path file) throws IOException {
    try (InputStream in = fs.open(file)) {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      byte[] buffer = new byte[1 << 16];
      for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
        sha.update(buffer, 0, n);
      }
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /**
   * The parts the table's entry lists ({@code parts}: {@code file} relative to the table's folder,
   * {@code rowCount} where recorded), or null when it lists none.
   */
  private static List<ExportParts.RecordedPart> recordedParts(JsonNode table) {
    JsonNode parts = table.get("parts");
    if (parts == null || !parts.isArray()) {
      return null;
    }
    List<ExportParts.RecordedPart> out = new ArrayList<>();
    for (JsonNode p : parts) {
      JsonNode rows = p.get("rowCount");
      out.add(
          new ExportParts.RecordedPart(
              text(p, "file").orElse(""),
              rows != null && rows.canConvertToLong()
                  ? OptionalLong.of(rows.asLong())
                  : OptionalLong.empty()));
    }
    return out;
  }

  /** A Parquet file starts and ends with {@code PAR1}; a truncated upload lacks the footer. */
  private static String checkMagic(FileSystem fs, Path file) throws IOException {
    long length = fs.getFileStatus(file).getLen();
    if (length < 12) {
      return "is " + length + " bytes long, too short for Parquet (truncated?)";
    }
    byte[] head = new byte[4];
    byte[] tail = new byte[4];
    try (FSDataInputStream in = fs.open(file)) {
      in.readFully(0, head);
      in.readFully(length - 4, tail);
    }
    if (!java.util.Arrays.equals(head, MAGIC)) {
      return "is not a Parquet file (no PAR1 magic at its start)";
    }
    if (!java.util.Arrays.equals(tail, MAGIC)) {
      return "is truncated: no PAR1 magic at its end (" + length + " bytes), the footer is missing";
    }
    return null;
  }

  private static JsonNode readJson(FileSystem fs, Path file, String where) throws ExportException {
    try (InputStream in = fs.open(file)) {
      return JSON.readTree(in);
    } catch (IOException e) {
      throw new ExportException(
          "Cannot read " + where + ": " + file.getName() + " is not valid JSON: " + e.getMessage(),
          e);
    }
  }

  private static Optional<String> text(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v == null || v.isNull() ? Optional.empty() : Optional.of(v.asText());
  }

  private static Instant instant(JsonNode node, String field, String file, String where)
      throws ExportException {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      throw new ExportException("Cannot read " + where + ": " + file + " has no " + field);
    }
    if (v.isNumber()) {
      return Instant.ofEpochMilli(v.asLong());
    }
    try {
      return Instant.parse(v.asText());
    } catch (DateTimeParseException e) {
      throw new ExportException(
          "Cannot read "
              + where
              + ": "
              + file
              + " field "
              + field
              + " is '"
              + v.asText()
              + "', not an ISO-8601 instant or epoch milliseconds",
          e);
    }
  }

  private static List<OriginalType> columns(JsonNode table) {
    List<OriginalType> out = new ArrayList<>();
    JsonNode meta = table.get("schemaMetadata");
    JsonNode mappings = meta == null ? null : meta.get("originalTypeMappings");
    if (mappings == null && meta != null) {
      mappings = meta.get("OriginalTypeMappings");
    }
    if (mappings != null && mappings.isArray()) {
      for (JsonNode m : mappings) {
        out.add(
            new OriginalType(
                text(m, "columnName").orElse(""),
                text(m, "originalType").orElse(""),
                text(m, "expectedExportedType").orElse(""),
                integer(m, "originalCharMaxLength"),
                integer(m, "originalNumPrecision"),
                integer(m, "originalNumScale"),
                integer(m, "originalDateTimePrecision")));
      }
    }
    return out;
  }

  private static Integer integer(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v == null || !v.canConvertToInt() ? null : v.asInt();
  }

  /** {@code stats.rowCount} (or {@code numRows}), where the metadata gives it. */
  private static OptionalLong rowCount(JsonNode table) {
    for (String container : List.of("stats", "TableStatistics", "tableStatistics")) {
      JsonNode stats = table.get(container);
      if (stats != null) {
        for (String field : List.of("rowCount", "numRows", "rows")) {
          JsonNode v = stats.get(field);
          if (v != null && v.canConvertToLong()) {
            return OptionalLong.of(v.asLong());
          }
        }
      }
    }
    return OptionalLong.empty();
  }
}
