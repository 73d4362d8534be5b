package dev.tenantfold.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.report.RunResult;
import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.RdsExportFixture;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.S3Server;
import dev.tenantfold.testing.TestPostgres;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Export tenants end to end: the same target rows as over JDBC, mixed with JDBC tenants, and
 * skipped tables failing alone.
 */
class ExportTenantTest {
  private static final List<String> TABLES =
      List.of("customers", "orders", "order_items", "events");
  private static final Map<String, List<String>> ORDER =
      Map.of(
          "customers",
          List.of("id"),
          "orders",
          List.of("id"),
          "order_items",
          List.of("order_id", "line_no"),
          "events",
          List.of("occurred_at", "kind"));
  private static final SparkSession spark = LocalSpark.session();

  @TempDir Path tmp;

  private static String database(String url) {
    return url.substring(url.lastIndexOf('/') + 1);
  }

  /** {@code tenant}'s demo tables written as an RDS snapshot export under {@code folder}. */
  private RdsExportFixture.Written export(String tenant, String folder) throws Exception {
    return RdsExportFixture.write(
        spark,
        tenant,
        tmp.resolve(folder),
        database(tenant),
        TABLES,
        RdsExportFixture.Options.defaults());
  }

  @Test
  void aTenantConsolidatedFromItsExportEqualsTheSameTenantOverJdbc() throws Exception {
    String acme = Fixtures.demoTenant("acme", 120);
    RdsExportFixture.Written export = export(acme, "export");
    String overJdbc = Fixtures.emptyWarehouse();
    String fromExport = Fixtures.emptyWarehouse();

    RunResult jdbc =
        new MigrationJob(
                Fixtures.config(overJdbc).tenant("acme", acme).build(tmp.resolve("r1")), spark)
            .execute();
    dev.tenantfold.config.TenantfoldConfig exportConfig =
        Fixtures.config(fromExport)
            .exportTenant("acme", export.root(), database(acme), acme)
            .build(tmp.resolve("r2"));
    RunResult exported = new MigrationJob(exportConfig, spark).execute();

    assertThat(jdbc.exitCode()).as("%s", jdbc.tenants()).isZero();
    assertThat(exported.exitCode()).as("%s", exported.tenants()).isZero();
    for (String table : TABLES) {
      String rows =
          "SELECT ROW(t.*)::text FROM public."
              + table
              + " t ORDER BY "
              + String.join(", ", ORDER.get(table))
              + ", ROW(t.*)::text";
      assertThat(RowSets.rows(fromExport, rows))
          .as(table + " from the export")
          .isNotEmpty()
          .isEqualTo(RowSets.rows(overJdbc, rows));
      assertThat(
              RowSets.rows(
                  fromExport,
                  "SELECT pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i JOIN pg_class c ON"
                      + " c.oid = i.inhrelid WHERE i.inhparent = 'public."
                      + table
                      + "'::regclass"))
          .containsExactly("FOR VALUES IN ('acme')");
    }
    assertThat(exported.tenant("acme").orElseThrow().tables())
        .allSatisfy(t -> assertThat(t.checksum().mismatchedBuckets()).isZero());
    // The export holds rows only: the keys, foreign keys, checks and indexes come from
    // export.catalog, as over JDBC.
    String objects =
        "SELECT c.conrelid::regclass || ' ' || c.conname || ' ' || pg_get_constraintdef(c.oid) FROM"
            + " pg_constraint c JOIN pg_class t ON t.oid = c.conrelid WHERE t.relnamespace ="
            + " 'public'::regnamespace AND t.relkind = 'p' UNION ALL SELECT"
            + " pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid"
            + " WHERE t.relnamespace = 'public'::regnamespace AND t.relkind = 'p' ORDER BY 1";
    assertThat(RowSets.rows(fromExport, objects))
        .isEqualTo(RowSets.rows(overJdbc, objects))
        .anySatisfy(o -> assertThat(o).contains("FOREIGN KEY (tenant_id,"));
    assertThat(exported.tenant("acme").orElseThrow().source())
        .hasValueSatisfying(
            src -> {
              assertThat(src.kind()).isEqualTo("export");
              assertThat(src.description()).contains(export.taskId());
              assertThat(src.pointInTime()).isPresent();
            });
    assertThat(jdbc.tenant("acme").orElseThrow().source())
        .hasValueSatisfying(src -> assertThat(src.kind()).isEqualTo("jdbc"));
    RunResult audit =
        new AuditJob(exportConfig, java.util.Optional.empty(), java.util.Optional.empty())
            .execute();
    assertThat(audit.exitCode())
        .as("validate checks the export tenant against its export: %s", audit.tenants())
        .isZero();
    assertThat(audit.notes()).as("no tenant skipped").isEmpty();
    assertThat(audit.tenant("acme").orElseThrow().tables())
        .hasSize(TABLES.size())
        .allSatisfy(
            t ->
                assertThat(t.status())
                    .as(t.tableName())
                    .isEqualTo(dev.tenantfold.validate.TableStatus.OK))
        .allSatisfy(
            t ->
                assertThat(t.counts().sourceRows())
                    .as(t.tableName() + " rows read from the export")
                    .isPositive());
    RunResult one =
        new AuditJob(exportConfig, java.util.Optional.of("acme"), java.util.Optional.of("orders"))
            .execute();
    assertThat(one.exitCode()).as("--tenant of an export tenant: %s", one.tenants()).isZero();
    assertThat(one.tenant("acme").orElseThrow().tables())
        .extracting(t -> t.tableName())
        .containsExactly("orders");
    assertThat(
            java.nio.file.Files.readString(
                tmp.resolve("r2").resolve(exported.runId()).resolve("report.json")))
        .contains("\"kind\" : \"export\"", export.taskId());
  }

  @Test
  void anExportTenantLoadsStagingInBinaryUnlessTheCopyFormatSaysText() throws Exception {
    String acme = Fixtures.demoTenant("acme", 40);
    RdsExportFixture.Written export = export(acme, "export");
    Map<String, String> formats = new java.util.LinkedHashMap<>();
    for (String setting : List.of("auto", "text")) {
      String warehouse = Fixtures.emptyWarehouse();
      TestPostgres.execute(
          warehouse, "CREATE SCHEMA probe; CREATE TABLE probe.copies (query text UNIQUE)");
      Fixtures.stagingTrigger(
          warehouse,
          "customers",
          "INSERT INTO probe.copies VALUES (current_query()) ON CONFLICT DO NOTHING; RETURN NEW;");
      RunResult result =
          new MigrationJob(
                  Fixtures.config(warehouse)
                      .exportTenant("acme", export.root(), database(acme), acme)
                      .set("load.copy-format", setting)
                      .build(tmp.resolve("r-" + setting)),
                  spark)
              .execute();
      assertThat(result.exitCode()).as("%s: %s", setting, result.tenants()).isZero();
      formats.put(
          setting,
          String.join(
              ",",
              RowSets.rows(
                  warehouse,
                  "SELECT DISTINCT CASE WHEN query LIKE '%(FORMAT binary)' THEN 'binary' ELSE"
                      + " 'text' END FROM probe.copies")));
    }
    assertThat(formats).containsEntry("auto", "binary").containsEntry("text", "text");
  }

  @Test
  void validateAuditsAnExportTenantsPublishedRowsAgainstItsExportAndNamesTheChangedKeys()
      throws Exception {
    String acme = Fixtures.demoTenant("acme", 40);
    String globex = Fixtures.demoTenant("globex", 30);
    RdsExportFixture.Written globexExport = export(globex, "globex");
    String warehouse = Fixtures.emptyWarehouse();
    dev.tenantfold.config.TenantfoldConfig config =
        Fixtures.config(warehouse)
            .tenant("acme", acme)
            .exportTenant("globex", globexExport.root(), database(globex), globex)
            .build(tmp.resolve("reports"));
    assertThat(new MigrationJob(config, spark).execute().exitCode()).isZero();

    RunResult clean =
        new AuditJob(config, java.util.Optional.empty(), java.util.Optional.empty()).execute();
    assertThat(clean.exitCode()).as("%s", clean.tenants()).isZero();
    assertThat(clean.tenant("globex").orElseThrow().tables())
        .hasSize(TABLES.size())
        .allSatisfy(
            t ->
                assertThat(t.status())
                    .as(t.tableName())
                    .isEqualTo(dev.tenantfold.validate.TableStatus.OK));
    assertThat(
            clean
                .tenant("globex")
                .orElseThrow()
                .table("orders")
                .orElseThrow()
                .counts()
                .sourceRows())
        .isEqualTo(RowSets.count(globex, "SELECT count(*) FROM orders"));

    TestPostgres.execute(
        warehouse,
        """
        UPDATE public.customers SET email = '' WHERE tenant_id = 'globex' AND id = 7;
        DELETE FROM public.order_items WHERE tenant_id = 'globex' AND order_id = 3 AND line_no = 2;
        """);
    RunResult audit =
        new AuditJob(config, java.util.Optional.empty(), java.util.Optional.empty()).execute();

    assertThat(audit.exitCode()).as("a validation failure: %s", audit.tenants()).isEqualTo(3);
    assertThat(audit.tenant("acme").orElseThrow().tables())
        .allSatisfy(t -> assertThat(t.status()).isEqualTo(dev.tenantfold.validate.TableStatus.OK));
    dev.tenantfold.report.TableResult customers =
        audit.tenant("globex").orElseThrow().table("customers").orElseThrow();
    assertThat(customers.status()).isEqualTo(dev.tenantfold.validate.TableStatus.MISMATCH);
    assertThat(customers.checksum().listed())
        .singleElement()
        .satisfies(
            d -> {
              assertThat(d.key())
                  .as("the readable key, from the Spark side of the drill-down")
                  .isEqualTo("{\"id\": 7}");
              assertThat(d.kind())
                  .isEqualTo(dev.tenantfold.validate.checksum.RowDifference.Kind.CHANGED);
              assertThat(d.changedColumns()).containsExactly("email");
            });
    dev.tenantfold.report.TableResult items =
        audit.tenant("globex").orElseThrow().table("order_items").orElseThrow();
    assertThat(items.message()).contains("row counts differ");
    assertThat(items.checksum().listed())
        .singleElement()
        .satisfies(
            d ->
                assertThat(d.kind())
                    .isEqualTo(
                        dev.tenantfold.validate.checksum.RowDifference.Kind.MISSING_IN_TARGET));
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT command || ' ' || status FROM tenantfold.runs WHERE run_id = '"
                    + audit.runId()
                    + "'"))
        .containsExactly("validate validation_failed");
  }

  @Test
  void anExportOnS3ConsolidatesLikeTheSameTenantOverJdbc() throws Exception {
    String acme = Fixtures.demoTenant("acme", 30);
    RdsExportFixture.Written export = export(acme, "export");
    S3Server s3 = S3Server.get();
    s3.createBucket("exports");
    s3.putDirectory(tmp.resolve("export"), "exports", "acme/" + export.taskId());
    s3.applyTo(spark.sparkContext().hadoopConfiguration());
    String overJdbc = Fixtures.emptyWarehouse();
    String fromS3 = Fixtures.emptyWarehouse();

    RunResult jdbc =
        new MigrationJob(
                Fixtures.config(overJdbc).tenant("acme", acme).build(tmp.resolve("r1")), spark)
            .execute();
    // s3:// is read as s3a://.
    RunResult exported =
        new MigrationJob(
                Fixtures.config(fromS3)
                    .exportTenant(
                        "acme", "s3://exports/acme/" + export.taskId(), database(acme), acme)
                    .build(tmp.resolve("r2")),
                spark)
            .execute();

    assertThat(jdbc.exitCode()).isZero();
    assertThat(exported.exitCode()).as("%s", exported.tenants()).isZero();
    for (String table : TABLES) {
      String rows =
          "SELECT ROW(t.*)::text FROM public."
              + table
              + " t ORDER BY "
              + String.join(", ", ORDER.get(table))
              + ", ROW(t.*)::text";
      assertThat(RowSets.rows(fromS3, rows))
          .as(table + " from the export on S3")
          .isNotEmpty()
          .isEqualTo(RowSets.rows(overJdbc, rows));
    }
  }

  @Test
  void jdbcAndExportTenantsShareTablesAndASkippedTableFailsOnlyItsTenant() throws Exception {
    String acme = Fixtures.demoTenant("acme", 40);
    String globex = Fixtures.demoTenant("globex", 30);
    String initech = Fixtures.demoTenant("initech", 20);
    RdsExportFixture.Written globexExport = export(globex, "globex");
    RdsExportFixture.Written initechExport =
        RdsExportFixture.write(
            spark,
            initech,
            tmp.resolve("initech"),
            database(initech),
            TABLES,
            RdsExportFixture.Options.defaults().skip("orders", "PERMISSIONS_DO_NOT_EXIST"));
    String warehouse = Fixtures.emptyWarehouse();

    RunResult result =
        new MigrationJob(
                Fixtures.config(warehouse)
                    .tenant("acme", acme)
                    .exportTenant("globex", globexExport.root(), database(globex), globex)
                    .exportTenant("initech", initechExport.root(), database(initech), initech)
                    .build(tmp.resolve("reports")),
                spark)
            .execute();

    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(result.tenant("acme").orElseThrow().published()).isTrue();
    assertThat(result.tenant("globex").orElseThrow().published())
        .as("%s", result.tenant("globex"))
        .isTrue();
    assertThat(result.tenant("initech").orElseThrow().published()).isFalse();
    assertThat(result.tenant("initech").orElseThrow().message())
        .contains("orders", "PERMISSIONS_DO_NOT_EXIST");
    for (String table : TABLES) {
      String rows =
          "SELECT ROW(t.*)::text FROM public."
              + table
              + " t ORDER BY "
              + String.join(", ", ORDER.get(table))
              + ", ROW(t.*)::text";
      String sourceRows =
          rows.replace(
              "public." + table + " t",
              "(SELECT 'globex'::text AS tenant_id, * FROM public." + table + ") t");
      assertThat(
              RowSets.rows(
                  warehouse, rows.replace(" t ORDER", " t WHERE tenant_id = 'globex' ORDER")))
          .as("globex's " + table + " from its export")
          .isNotEmpty()
          .isEqualTo(RowSets.rows(globex, sourceRows));
    }
    assertThat(
            RowSets.count(
                warehouse, "SELECT count(*) FROM public.orders WHERE tenant_id = 'initech'"))
        .isZero();
  }

  @Test
  void withACatalogAndAnIncludeListASkippedIncludedTableFailsItsTenant() throws Exception {
    String globex = TestPostgres.createDatabase("include_globex");
    TestPostgres.execute(
        globex,
        "CREATE TABLE things (id int PRIMARY KEY, label text); INSERT INTO things VALUES (1, 'g');"
            + " CREATE TABLE notes (id int PRIMARY KEY, body text); INSERT INTO notes VALUES (1,"
            + " 'n')");
    RdsExportFixture.Written skipped =
        RdsExportFixture.write(
            spark,
            globex,
            tmp.resolve("globex"),
            database(globex),
            List.of("things", "notes"),
            RdsExportFixture.Options.defaults().skip("notes", "PERMISSIONS_DO_NOT_EXIST"));
    String warehouse = Fixtures.emptyWarehouse();

    RunResult result =
        new MigrationJob(
                Fixtures.config(warehouse)
                    .exportTenant("globex", skipped.root(), database(globex), globex)
                    .set("tables.include", List.of("things", "notes"))
                    .build(tmp.resolve("reports")),
                spark)
            .execute();

    assertThat(result.tenant("globex").orElseThrow().published()).isFalse();
    assertThat(result.tenant("globex").orElseThrow().message())
        .contains("public.notes", "PERMISSIONS_DO_NOT_EXIST");
  }

  @Test
  void withoutACatalogASkippedTableOrATableOtherTenantsHaveFailsTheExportTenantAlone()
      throws Exception {
    String acme = TestPostgres.createDatabase("plain_acme");
    String globex = TestPostgres.createDatabase("plain_globex");
    String initech = TestPostgres.createDatabase("plain_initech");
    for (String db : List.of(acme, globex, initech)) {
      TestPostgres.execute(
          db,
          "CREATE TABLE things (id int PRIMARY KEY, label text, qty bigint); INSERT INTO things"
              + " SELECT g, 'thing ' || g, g * 3 FROM generate_series(1, 50) g; CREATE TABLE notes"
              + " (id int PRIMARY KEY, body text); INSERT INTO notes VALUES (1, 'a'), (2, 'b')");
    }
    RdsExportFixture.Written skipped =
        RdsExportFixture.write(
            spark,
            globex,
            tmp.resolve("globex"),
            database(globex),
            List.of("things", "notes"),
            RdsExportFixture.Options.defaults().skip("notes", "PERMISSIONS_DO_NOT_EXIST"));
    // initech's export simply lacks notes, which the other tenants have.
    RdsExportFixture.Written lacking =
        RdsExportFixture.write(
            spark,
            initech,
            tmp.resolve("initech"),
            database(initech),
            List.of("things"),
            RdsExportFixture.Options.defaults());
    String warehouse = Fixtures.emptyWarehouse();

    RunResult result =
        new MigrationJob(
                Fixtures.config(warehouse)
                    .tenant("acme", acme)
                    .exportTenant("globex", skipped.root(), database(globex), null)
                    .exportTenant("initech", lacking.root(), database(initech), null)
                    .build(tmp.resolve("reports")),
                spark)
            .execute();

    assertThat(result.tenant("acme").orElseThrow().published()).isTrue();
    assertThat(result.tenant("globex").orElseThrow().published()).isFalse();
    assertThat(result.tenant("globex").orElseThrow().message())
        .contains("public.notes", "PERMISSIONS_DO_NOT_EXIST");
    assertThat(result.tenant("initech").orElseThrow().published()).isFalse();
    assertThat(result.tenant("initech").orElseThrow().table("notes").orElseThrow().message())
        .contains("the export holds no such table");
    assertThat(result.tenant("initech").orElseThrow().table("things").orElseThrow().status())
        .as("things, keyed like acme's, validates")
        .isEqualTo(dev.tenantfold.validate.TableStatus.OK);
    assertThat(
            RowSets.count(
                warehouse,
                "SELECT count(*) FROM public.things WHERE tenant_id IN ('globex', 'initech')"))
        .isZero();
  }

  @Test
  void aTenantWhoseSchemasHoldNoTableIsRefusedNamingItsOwnSchemasKey() throws Exception {
    String acme = Fixtures.demoTenant("acme", 20);
    String globex = Fixtures.demoTenant("globex", 20);
    RdsExportFixture.Written export = export(globex, "globex");
    String warehouse = Fixtures.emptyWarehouse();
    TenantfoldConfig config =
        TenantfoldConfig.fromConfig(
            ConfigFactory.parseString(
                """
                tenantfold {
                  target { url = "%1$s", user = postgres, password = postgres }
                  report.dir = "%2$s"
                  tenants = [
                    { id = acme, jdbc { url = "%3$s", user = postgres, password = postgres } }
                    { id = globex, export { path = "%4$s", database = %5$s, schemas = [nosuch],
                      catalog { url = "%6$s", user = postgres, password = postgres } } }
                    { id = initech, jdbc { url = "%6$s", user = postgres, password = postgres,
                      schemas = [nosuch] } }
                  ]
                }
                """
                    .formatted(
                        warehouse,
                        tmp.resolve("reports"),
                        acme,
                        export.root(),
                        database(globex),
                        globex)));

    RunResult result = new MigrationJob(config, spark).execute();

    assertThat(result.tenant("acme").orElseThrow().published()).isTrue();
    assertThat(result.tenant("globex").orElseThrow().message())
        .as("an export tenant is read through its export block")
        .contains(
            "schemas [nosuch] hold no table that tenantfold.tables selects;"
                + " check tenantfold.tenants[1].export.schemas and that it names the right"
                + " database")
        .doesNotContain("jdbc.schemas");
    assertThat(result.tenant("initech").orElseThrow().message())
        .contains("check tenantfold.tenants[2].jdbc.schemas");
  }
}
