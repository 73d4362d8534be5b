package dev.tenantfold.extract.export;

import dev.tenantfold.extract.ColumnSpec;
import dev.tenantfold.extract.TableSpec;
import dev.tenantfold.extract.TenantCatalog;
import java.io.IOException;
import java.io.Serializable;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
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
      ExportMetadata metadata = ExportMetadata.read(fs, rootPath, database, where);
      List<String> problems = new ArrayList<>(metadata.problems());
      Map<String, Long> rowsInFiles = new HashMap<>();
      Path databasePath = new Path(rootPath, ExportFolders.folderName(database));
      List<ExportedTable> out =
          ExportFiles.check(fs, conf, databasePath, metadata, problems, rowsInFiles);
      if (!problems.isEmpty()) {
        throw new ExportException(
            "Cannot read "
                + where
                + " (task "
                + metadata.taskId()
                + ", database "
                + database
                + "): "
                + String.join("; ", problems),
            problems,
            null);
      }
      return new RdsExport(
          root,
          database,
          metadata.taskId(),
          metadata.status(),
          metadata.snapshotTime(),
          metadata.sourceArn(),
          out,
          rowsInFiles,
          conf);
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
    return ExportMetadata.fingerprint(conf, root);
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
}
