package dev.tenantfold.bench;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import dev.tenantfold.config.TablesConfig;
import dev.tenantfold.conform.TargetTable;
import dev.tenantfold.demo.DemoExport;
import dev.tenantfold.extract.CatalogReader;
import dev.tenantfold.extract.ColumnSpec;
import dev.tenantfold.extract.TableSpec;
import dev.tenantfold.extract.export.ExportException;
import dev.tenantfold.extract.export.ExportedTable;
import dev.tenantfold.extract.export.RdsExport;
import dev.tenantfold.jdbc.JdbcEndpoint;
import dev.tenantfold.load.DatasetCopyLoader;
import dev.tenantfold.load.DatasetLoad;
import dev.tenantfold.load.DatasetLoadResult;
import dev.tenantfold.load.LoadLedger;
import dev.tenantfold.validate.ChecksumQueries;
import dev.tenantfold.validate.checksum.SparkChecksum;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The benchmark tenants as RDS-shaped snapshot exports: the first tenant's database is exported
 * once with {@link DemoExport} (gzip Parquet holding PostgreSQL's text output, plus the export's
 * metadata JSON) into a local folder, and every tenant reads that export (the tenants hold the same
 * rows; each reads its exact types from its own database through {@code export.catalog}).
 *
 * <p>With {@code --profile}, it also times the parts of tenantfold's export path one by one, each
 * per tenant, two tenants at a time like {@code tenant-parallelism = 2}: reading and restoring the
 * rows alone, restoring and loading them with {@link DatasetCopyLoader} into a plain table (ledger
 * included, no staging, checksum, keys or publish), and the Spark checksum alone.
 */
final class ExportBench implements AutoCloseable {
  private static final String SCHEMA = "public";

  private final SparkSession spark;
  private final Path root;
  private final String database;
  private final Map<String, JdbcEndpoint> tenants;
  private final int parallelism;

  /**
   * How the export's Parquet is cut, read from the parts' footers: parts, row groups, the largest
   * part on disk and the largest row group (compressed bytes as stored, and its rows). A Parquet
   * reader holds one row group's column chunks at a time per task, so the largest row group bounds
   * what reading the export costs in heap.
   */
  record FileLayout(
      int parts,
      int rowGroups,
      long largestPartBytes,
      long largestRowGroupBytes,
      long rowGroupRows) {
    static final FileLayout NONE = new FileLayout(0, 0, 0, 0, 0);
  }

  private ExportBench(
      SparkSession spark,
      Path root,
      String database,
      Map<String, JdbcEndpoint> tenants,
      int parallelism) {
    this.spark = spark;
    this.root = root;
    this.database = database;
    this.tenants = Map.copyOf(tenants);
    this.parallelism = parallelism;
  }

  /**
   * Writes the export of {@code tables} of the first tenant's database ({@code database}) into a
   * new temporary folder.
   */
  static ExportBench write(
      SparkSession spark,
      String database,
      Map<String, JdbcEndpoint> tenants,
      int parallelism,
      List<String> tables,
      DemoExport.Layout layout)
      throws SQLException, IOException {
    Path root = Files.createTempDirectory("tenantfold-bench-export");
    JdbcEndpoint first = tenants.values().iterator().next();
    DemoExport.write(spark, withCredentials(first), database, tables, root, layout);
    return new ExportBench(spark, root, database, new LinkedHashMap<>(tenants), parallelism);
  }

  /** The export's size on disk, for the report. */
  long bytesOnDisk() throws IOException {
    try (Stream<Path> files = Files.walk(root)) {
      return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    }
  }

  /** The orders table's parts and row groups, from their footers. */
  FileLayout ordersLayout() throws IOException {
    List<Path> parts;
    try (Stream<Path> files = Files.walk(Path.of(tableFolder()))) {
      parts = files.filter(p -> p.getFileName().toString().endsWith(".parquet")).toList();
    }
    int rowGroups = 0;
    long largestPart = 0;
    long largestGroup = 0;
    long groupRows = 0;
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    for (Path part : parts) {
      largestPart = Math.max(largestPart, Files.size(part));
      try (ParquetFileReader reader =
          ParquetFileReader.open(
              HadoopInputFile.fromPath(new org.apache.hadoop.fs.Path(part.toUri()), conf))) {
        for (BlockMetaData group : reader.getFooter().getBlocks()) {
          rowGroups++;
          if (group.getCompressedSize() > largestGroup) {
            largestGroup = group.getCompressedSize();
            groupRows = group.getRowCount();
          }
        }
      }
    }
    return new FileLayout(parts.size(), rowGroups, largestPart, largestGroup, groupRows);
  }

  /** The folder holding the orders table's Parquet parts. */
  String tableFolder() {
    return root.resolve(database).resolve(SCHEMA + "." + OrdersDataset.TABLE).toString();
  }

  /** The {@code export { }} block of a tenant whose catalog is read from {@code catalog}. */
  Map<String, Object> tenantExport(JdbcEndpoint catalog) {
    Map<String, Object> export = new LinkedHashMap<>();
    export.put("path", root.toString());
    export.put("database", database);
    export.put("catalog", Benchmark.credentials(catalog));
    return export;
  }

  /** Profile: every tenant's rows read and restored, then dropped; returns the rows seen. */
  long restoreOnly() throws Exception {
    return perTenant(
        (tenantId, rows, table) ->
            rows
                .javaRDD()
                .mapPartitions(
                    it -> {
                      long n = 0;
                      while (it.hasNext()) {
                        it.next();
                        n++;
                      }
                      return List.of(n).iterator();
                    })
                .collect()
                .stream()
                .mapToLong(Long::longValue)
                .sum());
  }

  /**
   * Profile: every tenant's restored rows loaded by {@link DatasetCopyLoader} into {@code target}'s
   * plain orders table.
   */
  long datasetLoad(JdbcEndpoint target) throws Exception {
    String ledger = LoadLedger.tableIn(SCHEMA);
    try (Connection conn = target.connect("tenantfold-bench-ddl")) {
      conn.setAutoCommit(true);
      LoadLedger.createTable(conn, ledger);
    }
    return perTenant(
        (tenantId, rows, table) -> {
          List<ColumnSpec> columns = new ArrayList<>();
          columns.add(new ColumnSpec(OrdersDataset.TENANT_COLUMN, "text", true, null, false));
          columns.addAll(table.columns());
          List<Column> select = new ArrayList<>();
          select.add(lit(tenantId).as(OrdersDataset.TENANT_COLUMN));
          table.columns().forEach(c -> select.add(col(c.name())));
          String copyIn =
              "COPY "
                  + OrdersDataset.TABLE
                  + " ("
                  + String.join(", ", columns.stream().map(ColumnSpec::name).toList())
                  + ") FROM STDIN";
          DatasetLoadResult result =
              DatasetCopyLoader.load(
                  rows.select(select.toArray(Column[]::new)),
                  new DatasetLoad(
                      "bench", tenantId, OrdersDataset.TABLE, target, copyIn, columns, ledger, 1));
          if (result.failed()) {
            throw new SQLException(String.join("; ", result.errors()));
          }
          return result.loadedRows();
        });
  }

  /**
   * Profile: the Spark side of the checksum (1,024 buckets, as {@code validate.buckets}) of every
   * tenant's restored rows.
   */
  long sparkChecksum() throws Exception {
    return perTenant(
        (tenantId, rows, table) ->
            SparkChecksum.checksum(
                    rows,
                    ChecksumQueries.spec(
                        new TargetTable(table.name(), table.columns(), table.primaryKey()), 1024))
                .totalRows());
  }

  @FunctionalInterface
  private interface TenantWork {
    long run(String tenantId, Dataset<Row> restored, TableSpec table) throws Exception;
  }

  /**
   * Runs {@code work} on each tenant's restored orders rows, {@code parallelism} tenants at a time;
   * returns the sum.
   */
  private long perTenant(TenantWork work) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(parallelism);
    try {
      List<Future<Long>> futures = new ArrayList<>();
      for (Map.Entry<String, JdbcEndpoint> tenant : new java.util.TreeMap<>(tenants).entrySet()) {
        Callable<Long> task =
            () -> {
              TableSpec table = catalogTable(tenant.getKey(), tenant.getValue());
              return work.run(tenant.getKey(), restored(table), table);
            };
        futures.add(pool.submit(task));
      }
      long total = 0;
      for (Future<Long> f : futures) {
        total += f.get();
      }
      return total;
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    } finally {
      pool.shutdownNow();
    }
  }

  private Dataset<Row> restored(TableSpec table) throws ExportException {
    RdsExport export =
        RdsExport.open(spark.sparkContext().hadoopConfiguration(), root.toString(), database);
    ExportedTable exported = export.table(SCHEMA, OrdersDataset.TABLE).orElseThrow();
    return export.rows(spark, exported, table.columns());
  }

  private static TableSpec catalogTable(String tenantId, JdbcEndpoint source) throws SQLException {
    try (Connection conn = source.connect("tenantfold-bench-catalog")) {
      return CatalogReader.read(
              conn,
              tenantId,
              List.of(SCHEMA),
              new TablesConfig(List.of(OrdersDataset.TABLE), List.of()))
          .table(OrdersDataset.TABLE)
          .orElseThrow();
    }
  }

  /** DemoExport opens its connections from the URL alone: user and password go into it. */
  private static String withCredentials(JdbcEndpoint endpoint) {
    StringBuilder url = new StringBuilder(endpoint.url());
    char separator = endpoint.url().contains("?") ? '&' : '?';
    if (endpoint.user() != null) {
      url.append(separator)
          .append("user=")
          .append(URLEncoder.encode(endpoint.user(), StandardCharsets.UTF_8));
      separator = '&';
    }
    if (endpoint.password() != null) {
      url.append(separator)
          .append("password=")
          .append(URLEncoder.encode(endpoint.password(), StandardCharsets.UTF_8));
    }
    return url.toString();
  }

  @Override
  public void close() throws IOException {
    try (Stream<Path> files = Files.walk(root)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
