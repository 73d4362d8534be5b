package dev.tenantfold.extract.export;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;

/**
 * An export's Parquet files against its metadata: every folder listed, a table listed {@code
 * COMPLETE} without files or files of a table not exported, a folder no table maps to, a file too
 * short or without its {@code PAR1} magic (truncated), and each table's parts against the parts and
 * row counts the metadata records ({@link ExportParts}).
 */
final class ExportFiles {
  private static final byte[] MAGIC = {'P', 'A', 'R', '1'};

  private ExportFiles() {}

  /**
   * The tables of {@code metadata} with their Parquet files under {@code databasePath}, every
   * problem found added to {@code problems}, the rows their footers count put in {@code
   * rowsInFiles}.
   */
  static List<ExportedTable> check(
      FileSystem fs,
      Configuration conf,
      Path databasePath,
      ExportMetadata metadata,
      List<String> problems,
      Map<String, Long> rowsInFiles)
      throws IOException {
    Map<String, ExportedTable> byFolder = metadata.byFolder();
    Map<String, List<ExportParts.RecordedPart>> recordedParts = metadata.recordedParts();
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
    return out;
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
}
