package dev.tenantfold.extract.export;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * What an RDS snapshot export's metadata says, read from {@code <root>/export_info_<task>.json} and
 * every {@code <root>/export_tables_info_<task>_from_<n>_to_<m>.json}: the task, its status and
 * snapshot time, and the given database's tables by folder with the parts each lists. Refuses an
 * export whose metadata is missing, unparseable, ambiguous or not {@code COMPLETE}; problems that
 * concern single tables are collected in {@link #problems} so {@link RdsExport#open} can report
 * every problem at once.
 */
record ExportMetadata(
    String taskId,
    String status,
    Instant snapshotTime,
    String sourceArn,
    Map<String, ExportedTable> byFolder,
    Map<String, List<ExportParts.RecordedPart>> recordedParts,
    List<String> problems) {
  static final Pattern INFO = Pattern.compile("export_info_(.+)\\.json");
  static final Pattern TABLES_INFO =
      Pattern.compile("export_tables_info_(.+)_from_(\\d+)_to_(\\d+)\\.json");
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Reads the metadata of the export at {@code rootPath} for {@code database}; {@code where} names
   * the export in messages.
   */
  static ExportMetadata read(FileSystem fs, Path rootPath, String database, String where)
      throws IOException, ExportException {
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
    readTables(fs, rootPath, database, where, tablesInfo, byFolder, recordedParts, problems);
    return new ExportMetadata(
        taskId, status, snapshotTime, sourceArn, byFolder, recordedParts, problems);
  }

  /**
   * The tables of {@code database} every {@code export_tables_info} file lists, by folder, with the
   * parts each lists; two tables mapping to one folder, or a target that is not {@code
   * database.schema.table}, are problems.
   */
  private static void readTables(
      FileSystem fs,
      Path rootPath,
      String database,
      String where,
      List<FileStatus> tablesInfo,
      Map<String, ExportedTable> byFolder,
      Map<String, List<ExportParts.RecordedPart>> recordedParts,
      List<String> problems)
      throws ExportException {
    String prefix = database + ".";
    Path databasePath = new Path(rootPath, ExportFolders.folderName(database));
    for (FileStatus f : tablesInfo) {
      JsonNode json = readJson(fs, f.getPath(), where);
      JsonNode perTable = json.get("perTableStatus");
      if (perTable == null || !perTable.isArray()) {
        throw new ExportException(
            "Cannot read " + where + ": " + f.getPath().getName() + " has no perTableStatus list");
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
  }

  /**
   * The names, sizes and modification times of the export's metadata files at {@code root}, from
   * one listing of the root: equal fingerprints mean the same completed export (RDS writes the
   * metadata last and never changes a completed export). Empty when the root cannot be listed.
   */
  static String fingerprint(Configuration conf, String root) {
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
