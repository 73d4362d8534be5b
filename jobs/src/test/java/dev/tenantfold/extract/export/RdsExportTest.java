package dev.tenantfold.extract.export;

import static org.apache.spark.sql.functions.lit;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tenantfold.config.TablesConfig;
import dev.tenantfold.conform.TargetTable;
import dev.tenantfold.demo.DemoData;
import dev.tenantfold.extract.CatalogReader;
import dev.tenantfold.extract.ColumnSpec;
import dev.tenantfold.extract.TableSpec;
import dev.tenantfold.extract.TenantCatalog;
import dev.tenantfold.jdbc.JdbcEndpoint;
import dev.tenantfold.load.DatasetCopyLoader;
import dev.tenantfold.load.DatasetLoad;
import dev.tenantfold.load.DatasetLoadFold;
import dev.tenantfold.load.DatasetLoadResult;
import dev.tenantfold.load.StagingRegistry;
import dev.tenantfold.load.StagingTable;
import dev.tenantfold.report.ReportStore;
import dev.tenantfold.source.ChecksumFold;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.RdsExportFixture;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import dev.tenantfold.validate.ChecksumQueries;
import dev.tenantfold.validate.checksum.ChecksumSpec;
import dev.tenantfold.validate.checksum.PostgresChecksum;
import dev.tenantfold.validate.checksum.SparkChecksum;
import dev.tenantfold.validate.checksum.TableChecksum;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An export written from a real tenant database the way RDS writes it reads back, loads through
 * COPY identical to the source row for row, checksums like the source in SQL, and every way an
 * export can be incomplete fails with a message naming the table and the file.
 */
class RdsExportTest {
  /** Types the demo schema lacks, a table name RDS rewrites, arrays of every restored kind. */
  private static final String EXTRAS =
      """
      CREATE TABLE extras (
        id integer PRIMARY KEY, ip inet, cidr_ cidr, mac macaddr, m money, tv tsvector, tm time, ttz timetz, ts3 timestamp(3),
        nu numeric, nn numeric(10,2), bits bit varying(8), x xml, f4a real[], f8a double precision[], tsa timestamptz[], tsna timestamp[],
        da date[], ba bytea[], na numeric(8,3)[], boa boolean[], ua uuid[], ja jsonb[], i2a smallint[], i8a bigint[], ch char(3)
      );
      INSERT INTO extras VALUES
        (1, '192.168.0.1/24', '10.0.0.0/8', '08:00:2b:01:02:03', 1234.56, 'a fat cat sat', '23:59:59.999999', '12:00:00.5-00:30',
         '2024-02-29 23:59:59.123', 'NaN', 'NaN', B'1010', '<r a="1">x</r>', ARRAY['NaN', 'Infinity', '-0', '1.4e-45']::real[],
         ARRAY['-Infinity', '4.9e-324', NULL, '0.1']::float8[], ARRAY['2024-02-29 12:00:00.123456+05:30', NULL, 'infinity', '-infinity']::timestamptz[],
         ARRAY['4713-01-01 00:00:00 BC', '0001-01-01 00:00:00']::timestamp[], ARRAY['infinity', NULL, '2000-02-29']::date[],
         ARRAY[E'\\\\x00'::bytea, NULL, ''::bytea, E'\\\\x5c22'::bytea], ARRAY[1.500, NULL, -0.001, 'NaN']::numeric(8,3)[],
         ARRAY[true, NULL, false], ARRAY['A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'::uuid, NULL], ARRAY['{"a": [1, "x,y"]}'::jsonb, 'null', NULL],
         ARRAY[-32768, NULL]::smallint[], ARRAY[9223372036854775807, NULL]::bigint[], 'ab '),
        (2, '::1', '::/0', NULL, -0.01, '', '00:00:00', '24:00:00+14', '-infinity', 'Infinity', -99999999.99, B'', '', '{}', '{}', '{}', '{}',
         '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', ''),
        (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '-Infinity', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
         NULL, NULL, NULL, NULL, NULL),
        (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 123456789012345678901234567890.123456789, 0.10, NULL, NULL, ARRAY[NULL]::real[],
         NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
      CREATE TABLE "Order Items" (id integer PRIMARY KEY, "Note" text);
      INSERT INTO "Order Items" VALUES (1, 'named with a space'), (2, NULL);
      """;

  private static final List<String> TABLES =
      List.of("customers", "orders", "order_items", "events", "extras", "Order Items");

  private static SparkSession spark;
  private static String source;
  private static String target;
  private static Path good;
  private static RdsExportFixture.Written written;
  private static TenantCatalog jdbcCatalog;

  @TempDir static Path tmp;

  @BeforeAll
  static void writeExport() throws Exception {
    spark = LocalSpark.session();
    source = TestPostgres.createDatabase("export_source");
    target = TestPostgres.createDatabase("export_target");
    try (Connection conn = TestPostgres.connect(source)) {
      DemoData.createTenant(conn, "acme", 40);
    }
    TestPostgres.execute(source, EXTRAS);
    try (Connection conn = TestPostgres.connect(source)) {
      jdbcCatalog =
          CatalogReader.read(
              conn, "acme", List.of("public"), new TablesConfig(List.of("*"), List.of()));
    }
    TestPostgres.execute(
        target,
        "CREATE TYPE order_status AS ENUM ('new', 'paid', 'shipped', 'cancelled'); CREATE SCHEMA"
            + " tenantfold_staging");
    ReportStore reports = new ReportStore("tenantfold");
    try (Connection conn = TestPostgres.connect(target)) {
      reports.ensureTables(conn);
      new StagingRegistry("tenantfold").ensureTable(conn);
    }
    good = tmp.resolve("good");
    written =
        RdsExportFixture.write(
            spark, source, good, "acme db", TABLES, RdsExportFixture.Options.defaults());
  }

  private static RdsExport open(Path root) throws ExportException {
    return RdsExport.open(new Configuration(), root.toString(), "acme db");
  }

  private static Path copyOfGood(String name) throws Exception {
    return RdsExportFixture.copy(good, tmp.resolve(name));
  }

  @Test
  void readsTheMetadataAndEveryPartOfEveryBatch() throws Exception {
    RdsExport export = open(good);

    assertThat(export.taskId()).isEqualTo("tf-export-1");
    assertThat(export.snapshotTime()).isEqualTo(Instant.parse("2026-11-25T16:33:38.123Z"));
    assertThat(export.sourceArn())
        .hasValue("arn:aws:rds:us-east-1:123456789012:snapshot:acme db-snapshot");
    assertThat(export.tables())
        .extracting(ExportedTable::table)
        .as("tables from several export_tables_info files")
        .containsExactlyInAnyOrderElementsOf(TABLES);
    ExportedTable orders = export.table("public", "orders").orElseThrow();
    assertThat(orders.exported()).isTrue();
    assertThat(orders.rowCount()).hasValue(written.rowCounts().get("orders"));
    assertThat(orders.path())
        .as("database and table folders as RDS names them")
        .endsWith("/acme_db/public.orders");
    assertThat(orders.files())
        .as("parts of both batch folders, part numbers with gaps, _SUCCESS and notes ignored")
        .hasSize(4)
        .allMatch(f -> f.matches(".*/public\\.orders/[12]/part-\\d{5}-[0-9a-f-]+\\.gz\\.parquet"))
        .anyMatch(f -> f.contains("/part-00010-"));
    assertThat(orders.column("history")).map(OriginalType::originalType).hasValue("ARRAY");
    assertThat(export.table("public", "Order Items").orElseThrow().path())
        .endsWith("/public.Order_Items");
  }

  @Test
  void everyTableLoadsIdenticalToItsSourceAndChecksumsLikeItInSql() throws Exception {
    RdsExport export = open(good);
    ExportCatalog catalog = export.catalog("acme", Optional.of(jdbcCatalog));
    catalog.requireComplete();
    List<String> failures = new ArrayList<>();
    for (TableSpec spec : catalog.catalog().tables()) {
      TargetTable table = new TargetTable(spec.name(), spec.columns(), spec.primaryKey());
      Dataset<Row> rows =
          export.rows(
              spark, export.table(spec.schema(), spec.name()).orElseThrow(), spec.columns());

      List<TableChecksum> folded = new ArrayList<>();
      List<String> loadFailures = loadAndCompare(table, rows, folded);
      failures.addAll(loadFailures);

      TableChecksum sparkSide = SparkChecksum.checksum(rows, ChecksumQueries.spec(table, 64));
      TableChecksum sqlSide;
      try (Connection conn = TestPostgres.connect(source)) {
        sqlSide = PostgresChecksum.checksum(conn, ChecksumQueries.source(table, spec, 64));
      }
      if (!sparkSide.equals(sqlSide)) {
        failures.add(
            spec.name()
                + ": Spark checksum over the export differs from the SQL checksum of the source ("
                + sparkSide.totalRows()
                + " vs "
                + sqlSide.totalRows()
                + " rows)");
      }
      if (loadFailures.isEmpty() && !folded.get(0).equals(sqlSide)) {
        failures.add(
            spec.name()
                + ": the checksum folded in the load pass differs from the SQL checksum of the"
                + " source ("
                + folded.get(0).totalRows()
                + " vs "
                + sqlSide.totalRows()
                + " rows)");
      }
    }
    assertThat(failures).as("tables whose rows or checksums differ").isEmpty();
  }

  @Test
  void typedParquetColumnsRestoreAsWell() throws Exception {
    Path root = tmp.resolve("typed");
    List<String> demo = List.of("customers", "orders", "events");
    RdsExportFixture.write(
        spark, source, root, "acme", demo, RdsExportFixture.Options.defaults().typedParquet());
    RdsExport export = RdsExport.open(new Configuration(), root.toString(), "acme");
    List<String> failures = new ArrayList<>();
    for (String name : demo) {
      TableSpec spec = jdbcCatalog.table(name).orElseThrow();
      TargetTable table = new TargetTable(name, spec.columns(), spec.primaryKey());
      Dataset<Row> rows =
          export.rows(spark, export.table("public", name).orElseThrow(), spec.columns());
      TableChecksum sparkSide = SparkChecksum.checksum(rows, ChecksumQueries.spec(table, 64));
      try (Connection conn = TestPostgres.connect(source)) {
        if (!sparkSide.equals(
            PostgresChecksum.checksum(conn, ChecksumQueries.source(table, spec, 64)))) {
          failures.add(name);
        }
      }
    }
    assertThat(failures)
        .as("tables whose typed export checksums differently from the source")
        .isEmpty();
  }

  /**
   * Loads {@code rows} into a fresh staging table, folding the source checksum in the load pass as
   * a run does (into {@code folded}), and compares staging with the source as PostgreSQL row text.
   */
  private static List<String> loadAndCompare(
      TargetTable table, Dataset<Row> rows, List<TableChecksum> folded) throws Exception {
    StagingTable staging;
    String runId = "run-" + table.name().replace(' ', '_');
    try (Connection conn = TestPostgres.connect(target)) {
      String ddl =
          table.columns().stream()
              .map(
                  c ->
                      dev.tenantfold.jdbc.Sql.ident(c.name())
                          + " "
                          + c.targetType(dev.tenantfold.config.SchemaMap.of("public")))
              .collect(Collectors.joining(", "));
      try (var st = conn.createStatement()) {
        st.execute(
            "CREATE TABLE "
                + dev.tenantfold.jdbc.Sql.qualified("public", table.name())
                + " (tenant_id text NOT NULL, "
                + ddl
                + ")");
      }
      staging =
          StagingTable.of(
              new StagingRegistry("tenantfold")
                  .register(conn, runId, "acme", table.name(), "tenantfold_staging"),
              "public",
              table,
              "tenant_id",
              "acme");
      staging.create(conn);
    }
    List<Column> conformed = new ArrayList<>();
    conformed.add(lit("acme").as("tenant_id"));
    table.columns().forEach(c -> conformed.add(rows.col("`" + c.name() + "`")));
    Dataset<Row> loadRows = rows.select(conformed.toArray(new Column[0]));
    ChecksumSpec spec = ChecksumQueries.spec(table, 64);
    DatasetLoadFold.Folded<TableChecksum> loaded =
        DatasetCopyLoader.load(
            loadRows,
            DatasetLoad.into(
                staging,
                runId,
                new JdbcEndpoint(target, "postgres", "postgres"),
                new ReportStore("tenantfold").ledgerTable(),
                1),
            ChecksumFold.over(spec, List.of(loadRows.columns())).orElseThrow());
    DatasetLoadResult result = loaded.load();
    folded.add(ChecksumFold.total(spec, loaded.folds()));
    List<String> out = new ArrayList<>();
    if (!result.errors().isEmpty()) {
      out.add(table.name() + ": load errors " + result.errors());
      return out;
    }
    String cols =
        table.columns().stream().map(c -> "\"" + c.name() + "\"").collect(Collectors.joining(", "));
    List<String> expected =
        RowSets.rows(source, "SELECT ROW(" + cols + ")::text FROM public.\"" + table.name() + "\"");
    List<String> actual =
        RowSets.rows(target, "SELECT ROW(" + cols + ")::text FROM " + staging.qualifiedName());
    if (!expected.equals(actual)) {
      List<String> missing = new ArrayList<>(expected);
      missing.removeAll(actual);
      List<String> extra = new ArrayList<>(actual);
      extra.removeAll(expected);
      out.add(
          table.name()
              + ": "
              + expected.size()
              + " source rows, "
              + actual.size()
              + " loaded; only in source "
              + missing.stream().limit(3).toList()
              + "; only in staging "
              + extra.stream().limit(3).toList());
    }
    return out;
  }

  @Test
  void withoutACatalogTheTypesTheMetadataCannotTellAreNamed() throws Exception {
    ExportCatalog catalog = open(good).catalog("acme", Optional.empty());

    assertThat(catalog.unknownTypes())
        .extracting(u -> u.table() + "." + u.column())
        .contains(
            "public.orders.status",
            "public.orders.history",
            "public.customers.tags",
            "public.customers.balance",
            "public.extras.nu");
    assertThat(catalog.catalog().table("customers").orElseThrow().column("country"))
        .map(ColumnSpec::type)
        .hasValue("character(2)");
    assertThat(catalog.catalog().table("orders").orElseThrow().column("placed_at"))
        .map(ColumnSpec::type)
        .hasValue("timestamp with time zone");
    assertThat(catalog.catalog().table("extras").orElseThrow().column("ts3"))
        .map(ColumnSpec::type)
        .hasValue("timestamp(3) without time zone");
    assertThat(catalog.primaryKeysKnown()).isFalse();
    assertThatThrownBy(catalog::requireComplete)
        .isInstanceOf(ExportException.class)
        .hasMessageContaining(
            "tenant acme table public.orders column status: type unknown (export metadata says"
                + " USER-DEFINED")
        .hasMessageContaining("set export.catalog");
  }

  @Test
  void theOlderLayoutWithoutBatchFoldersReadsTheSame() throws Exception {
    Path root = tmp.resolve("old-layout");
    RdsExportFixture.write(
        spark,
        source,
        root,
        "acme",
        List.of("events"),
        RdsExportFixture.Options.defaults().withoutBatchFolders());
    RdsExport export = RdsExport.open(new Configuration(), root.toString(), "acme");
    ExportedTable events = export.tables().get(0);
    assertThat(events.files())
        .allMatch(f -> f.matches(".*/public\\.events/part-[^/]*\\.gz\\.parquet"));
    assertThat(
            export.rows(spark, events, jdbcCatalog.table("events").orElseThrow().columns()).count())
        .isEqualTo(RowSets.count(source, "SELECT count(*) FROM events"));
  }

  @Test
  void aColumnTheTableLacksComesAsATypedNull() throws Exception {
    RdsExport export = open(good);
    List<ColumnSpec> columns =
        new ArrayList<>(jdbcCatalog.table("order_items").orElseThrow().columns());
    columns.add(new ColumnSpec("added_later", "timestamp with time zone", false, null, false));
    Dataset<Row> rows =
        export.rows(spark, export.table("public", "order_items").orElseThrow(), columns);
    assertThat(rows.schema().apply("added_later").dataType().simpleString()).isEqualTo("timestamp");
    assertThat(rows.where("added_later IS NOT NULL").count()).isZero();
  }

  // ---- failures ----

  @Test
  void anExportThatIsNotCompleteIsRefused() throws Exception {
    Path root = copyOfGood("failed");
    RdsExportFixture.setStatus(root, "FAILED");
    assertThatThrownBy(() -> open(root))
        .isInstanceOf(ExportException.class)
        .hasMessageContaining("Cannot read export at " + root)
        .hasMessageContaining("export task tf-export-1 has status FAILED")
        .hasMessageContaining("export_info_tf-export-1.json, not COMPLETE");
  }

  @Test
  void aSkippedTableCarriesRdsWarningIntoEveryMessage() throws Exception {
    Path root = copyOfGood("skipped");
    RdsExportFixture.skip(root, "acme db", "orders", "PERMISSIONS_DO_NOT_EXIST");
    RdsExport export = open(root);
    ExportedTable orders = export.table("public", "orders").orElseThrow();

    assertThat(orders.exported()).isFalse();
    assertThatThrownBy(() -> export.rows(spark, orders, List.of()))
        .isInstanceOf(ExportException.class)
        .hasMessageContaining("Cannot read table public.orders of export tf-export-1")
        .hasMessageContaining("status SKIPPED, PERMISSIONS_DO_NOT_EXIST");
    ExportCatalog catalog = export.catalog("acme", Optional.of(jdbcCatalog));
    assertThat(catalog.missingTables())
        .extracting(ExportCatalog.MissingTable::table)
        .containsExactly("public.orders");
    assertThatThrownBy(catalog::requireComplete)
        .hasMessageContaining(
            "tenant acme table public.orders: not exported (status SKIPPED,"
                + " PERMISSIONS_DO_NOT_EXIST)");
  }

  @Test
  void aCompleteTableWithoutFilesAFolderWithoutMetadataAndATruncatedFileAreAllReported()
      throws Exception {
    Path root = copyOfGood("broken");
    RdsExportFixture.removeFiles(root, "acme db", "customers");
    RdsExportFixture.addOrphanFolder(root, "acme db", "events", "public.events_old");
    Path cut = RdsExportFixture.truncateFirstPart(root, "acme db", "order_items");

    assertThatThrownBy(() -> open(root))
        .isInstanceOfSatisfying(
            ExportException.class,
            e -> {
              assertThat(e.problems()).as("every problem, not only the first").hasSize(3);
              assertThat(e.getMessage())
                  .contains(
                      "table public.customers is COMPLETE in the metadata but "
                          + RdsExportFixture.tableDir(root, "acme db", "customers"))
                  .contains("holds no Parquet file")
                  .contains("public.events_old holds 4 Parquet files")
                  .contains("no table of the export metadata maps to it")
                  .contains("table public.order_items file file:" + cut)
                  .contains("is truncated: no PAR1 magic at its end");
            });
  }

  @Test
  void missingTableListOrInfoFileIsRefused() throws Exception {
    Path root = copyOfGood("no-tables-info");
    RdsExportFixture.removeTablesInfo(root);
    assertThatThrownBy(() -> open(root))
        .hasMessageContaining("no export_tables_info_tf-export-1_from_<n>_to_<m>.json file");
    Path garbled = copyOfGood("garbled");
    try (var s = Files.list(garbled)) {
      Path info =
          s.filter(p -> p.getFileName().toString().startsWith("export_info_"))
              .findFirst()
              .orElseThrow();
      Files.writeString(info, "{\"status\": \"COMPLETE\", ");
    }
    assertThatThrownBy(() -> open(garbled))
        .hasMessageContaining("export_info_tf-export-1.json is not valid JSON");
    assertThatThrownBy(() -> open(tmp.resolve("nowhere")))
        .hasMessageContaining("the folder does not exist");
  }

  @Test
  void aColumnMissingInParquetNamesTableFileAndColumn() throws Exception {
    Path root = tmp.resolve("dropped-column");
    RdsExportFixture.write(
        spark,
        source,
        root,
        "acme",
        List.of("order_items"),
        RdsExportFixture.Options.defaults().dropParquetColumn("order_items", "unit_price"));
    RdsExport export = RdsExport.open(new Configuration(), root.toString(), "acme");
    ExportedTable items = export.tables().get(0);
    assertThatThrownBy(
            () ->
                export.rows(spark, items, jdbcCatalog.table("order_items").orElseThrow().columns()))
        .isInstanceOf(ExportException.class)
        .hasMessageContaining("Cannot read table public.order_items of export tf-export-1")
        .hasMessageContaining(
            items.files().get(0) + " lacks column(s) [unit_price] that the export metadata lists");
  }

  @Test
  void aDeletedPartFailsNamingTableAndFiles() throws Exception {
    Path root = copyOfGood("deleted-part");
    Path gone = RdsExportFixture.deletePart(root, "acme db", "orders");
    assertThatThrownBy(() -> open(root))
        .isInstanceOfSatisfying(
            ExportException.class,
            e ->
                assertThat(e.problems())
                    .singleElement()
                    .asString()
                    .contains(
                        "table public.orders: the export metadata counts "
                            + written.rowCounts().get("orders")
                            + " rows")
                    .contains("a part is missing or truncated")
                    .doesNotContain(gone.getFileName().toString()));
    // Without a row count, the metadata's list of parts names the missing file.
    Path listed = copyOfGood("deleted-listed-part");
    RdsExportFixture.recordParts(listed, "acme db", "orders");
    RdsExportFixture.removeRowCount(listed, "acme db", "orders");
    Path listedGone = RdsExportFixture.deletePart(listed, "acme db", "orders");
    assertThatThrownBy(() -> open(listed))
        .hasMessageContaining(
            "table public.orders file "
                + RdsExportFixture.tableDir(listed, "acme db", "orders").relativize(listedGone)
                + ": listed in the export metadata but missing");
  }

  @Test
  void aCopiedOrAddedPartFailsNamingTableAndFile() throws Exception {
    Path root = copyOfGood("copied-part");
    RdsExportFixture.removeRowCount(root, "acme db", "events");
    Path copy = RdsExportFixture.copyPart(root, "acme db", "events");
    assertThatThrownBy(() -> open(root))
        .hasMessageContaining(
            "table public.events file "
                + RdsExportFixture.tableDir(root, "acme db", "events").relativize(copy)
                + ": identical to ");
    Path counted = copyOfGood("copied-part-counted");
    RdsExportFixture.copyPart(counted, "acme db", "events");
    assertThatThrownBy(() -> open(counted))
        .isInstanceOfSatisfying(
            ExportException.class,
            e ->
                assertThat(e.problems())
                    .singleElement()
                    .asString()
                    .contains("a part was added or copied"));
    Path listed = copyOfGood("added-part");
    RdsExportFixture.recordParts(listed, "acme db", "events");
    RdsExportFixture.removeRowCount(listed, "acme db", "events");
    Path other =
        RdsExportFixture.parquetFiles(RdsExportFixture.tableDir(listed, "acme db", "orders"))
            .get(0);
    Path added =
        RdsExportFixture.parquetFiles(RdsExportFixture.tableDir(listed, "acme db", "events"))
            .get(0)
            .resolveSibling("part-08888-added.gz.parquet");
    Files.copy(other, added);
    assertThatThrownBy(() -> open(listed))
        .hasMessageContaining(
            "table public.events file "
                + RdsExportFixture.tableDir(listed, "acme db", "events").relativize(added)
                + ": not listed in the export metadata");
  }

  @Test
  void aTableTheCatalogListsAndTheExportLacksEntirelyIsNamed() throws Exception {
    Path root = copyOfGood("lacking");
    RdsExportFixture.removeTable(root, "acme db", "order_items");
    RdsExport export = open(root);
    assertThat(export.table("public", "order_items")).isEmpty();
    ExportCatalog catalog = export.catalog("acme", Optional.of(jdbcCatalog));
    assertThat(catalog.missingTables())
        .extracting(ExportCatalog.MissingTable::table)
        .containsExactly("public.order_items");
    assertThatThrownBy(catalog::requireComplete)
        .hasMessageContaining("tenant acme table public.order_items: not in the export");
  }
}
