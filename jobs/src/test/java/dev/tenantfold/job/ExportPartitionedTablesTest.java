package dev.tenantfold.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.report.RunResult;
import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.LogCapture;
import dev.tenantfold.testing.RdsExportFixture;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Export tenants whose tables an export cannot describe alone: a range-partitioned table (the
 * export holds its leaf partitions, not the parent) and columns whose metadata type loses the exact
 * type (arrays, an enum, numeric precision and scale, varchar length). With {@code export.catalog}
 * or by what the other tenants' catalogs and the target know, the target rows equal those of the
 * same tenant read over JDBC; what nobody knows fails the tenant alone, naming table and column.
 */
class ExportPartitionedTablesTest {
  private static final SparkSession spark = LocalSpark.session();
  private static final List<String> TABLES = List.of("payment", "things");
  private static final String PAYMENT_ROWS =
      "SELECT ROW(t.*)::text FROM public.payment t ORDER BY tenant_id, id, paid_at";
  private static final String THINGS_ROWS =
      "SELECT ROW(t.*)::text FROM public.things t ORDER BY tenant_id, id";
  private static final String LEAF_TABLES =
      "SELECT count(*) FROM pg_class WHERE relname LIKE 'payment_p2022%'";

  @TempDir Path tmp;

  /**
   * A tenant with {@code payment} PARTITION BY RANGE (paid_at) over three monthly leaves, and a
   * plain table.
   */
  private static String partitionedTenant(String label, int payments) {
    String url = TestPostgres.createDatabase("parts_" + label);
    TestPostgres.execute(
        url,
        """
        CREATE TYPE mood AS ENUM ('calm', 'busy', 'angry');
        CREATE TABLE payment (id bigint NOT NULL, paid_at date NOT NULL, amount numeric(10,2), tags text[], mood mood, note varchar(40),
                              PRIMARY KEY (id, paid_at)) PARTITION BY RANGE (paid_at);
        CREATE TABLE payment_p2022_01 PARTITION OF payment FOR VALUES FROM ('2022-01-01') TO ('2022-02-01');
        CREATE TABLE payment_p2022_02 PARTITION OF payment FOR VALUES FROM ('2022-02-01') TO ('2022-03-01');
        CREATE TABLE payment_p2022_03 PARTITION OF payment FOR VALUES FROM ('2022-03-01') TO ('2022-04-01');
        INSERT INTO payment SELECT g, date '2022-01-01' + (g * 7 %% 90), round(g * 1.37, 2), ARRAY['t' || g, NULL, ''],
               (ARRAY['calm', 'busy', 'angry'])[1 + g %% 3]::mood, CASE WHEN g %% 5 = 0 THEN NULL ELSE 'note ' || g || ' ' || '%s' END
          FROM generate_series(1, %d) g;
        CREATE TABLE things (id int PRIMARY KEY, label text);
        INSERT INTO things SELECT g, 'thing ' || g FROM generate_series(1, 10) g;
        """
            .formatted(label, payments));
    return url;
  }

  private static String database(String url) {
    return url.substring(url.lastIndexOf('/') + 1);
  }

  @Test
  void withACatalogTheLeafPartitionsOfAnExportLandInTheParentsTableAsOverJdbc() throws Exception {
    String globex = partitionedTenant("globex", 90);
    RdsExportFixture.Written export =
        RdsExportFixture.write(
            spark,
            globex,
            tmp.resolve("export"),
            database(globex),
            TABLES,
            RdsExportFixture.Options.defaults());
    assertThat(export.rowCounts())
        .as("the export holds the leaves, not the parent")
        .containsOnlyKeys("payment_p2022_01", "payment_p2022_02", "payment_p2022_03", "things");
    String overJdbc = Fixtures.emptyWarehouse();
    String fromExport = Fixtures.emptyWarehouse();

    RunResult jdbc =
        new MigrationJob(
                Fixtures.config(overJdbc).tenant("globex", globex).build(tmp.resolve("r1")), spark)
            .execute();
    TenantfoldConfig exportConfig =
        Fixtures.config(fromExport)
            .exportTenant("globex", export.root(), database(globex), globex)
            .build(tmp.resolve("r2"));
    RunResult exported = new MigrationJob(exportConfig, spark).execute();

    assertThat(jdbc.exitCode()).as("%s", jdbc.tenants()).isZero();
    assertThat(exported.exitCode()).as("%s", exported.tenants()).isZero();
    assertThat(RowSets.rows(fromExport, PAYMENT_ROWS))
        .hasSize(90)
        .isEqualTo(RowSets.rows(overJdbc, PAYMENT_ROWS));
    assertThat(RowSets.rows(fromExport, THINGS_ROWS))
        .hasSize(10)
        .isEqualTo(RowSets.rows(overJdbc, THINGS_ROWS));
    assertThat(RowSets.count(fromExport, LEAF_TABLES))
        .as("no leaf became a table of its own")
        .isZero();
    assertThat(
            exported
                .tenant("globex")
                .orElseThrow()
                .table("payment")
                .orElseThrow()
                .counts()
                .sourceRows())
        .isEqualTo(90);

    RunResult audit = new AuditJob(exportConfig, Optional.empty(), Optional.empty()).execute();
    assertThat(audit.exitCode())
        .as("validate reads the leaves as the parent: %s", audit.tenants())
        .isZero();
    assertThat(
            audit
                .tenant("globex")
                .orElseThrow()
                .table("payment")
                .orElseThrow()
                .counts()
                .sourceRows())
        .isEqualTo(90);

    // A leaf RDS skipped is a hole in the parent: the tenant fails naming the leaf, its published
    // rows stay.
    RdsExportFixture.Written holed =
        RdsExportFixture.write(
            spark,
            globex,
            tmp.resolve("holed"),
            database(globex),
            TABLES,
            RdsExportFixture.Options.defaults()
                .taskId("tf-export-2")
                .skip("payment_p2022_02", "PERMISSIONS_DO_NOT_EXIST"));
    RunResult failed =
        new MigrationJob(
                Fixtures.config(fromExport)
                    .exportTenant("globex", holed.root(), database(globex), globex)
                    .build(tmp.resolve("r3")),
                spark)
            .execute();
    assertThat(failed.tenant("globex").orElseThrow().published()).isFalse();
    assertThat(failed.tenant("globex").orElseThrow().message())
        .contains(
            "public.payment_p2022_02 (a partition of public.payment)", "PERMISSIONS_DO_NOT_EXIST");
    assertThat(RowSets.rows(fromExport, PAYMENT_ROWS))
        .as("published rows unchanged")
        .isEqualTo(RowSets.rows(overJdbc, PAYMENT_ROWS));
  }

  @Test
  void withoutACatalogLeavesAndExactTypesComeFromAJdbcTenantAndTheTargetRowsEqualTheJdbcRun()
      throws Exception {
    String acme = partitionedTenant("acme", 60);
    String globex = partitionedTenant("globex", 90);
    RdsExportFixture.Written export =
        RdsExportFixture.write(
            spark,
            globex,
            tmp.resolve("export"),
            database(globex),
            TABLES,
            RdsExportFixture.Options.defaults());
    String overJdbc = Fixtures.emptyWarehouse();
    String mixed = Fixtures.emptyWarehouse();

    RunResult jdbc =
        new MigrationJob(
                Fixtures.config(overJdbc)
                    .tenant("acme", acme)
                    .tenant("globex", globex)
                    .build(tmp.resolve("r1")),
                spark)
            .execute();
    TenantfoldConfig mixedConfig =
        Fixtures.config(mixed)
            .tenant("acme", acme)
            .exportTenant("globex", export.root(), database(globex), null)
            .build(tmp.resolve("r2"));
    RunResult exported = new MigrationJob(mixedConfig, spark).execute();

    assertThat(jdbc.exitCode()).as("%s", jdbc.tenants()).isZero();
    assertThat(exported.exitCode()).as("%s", exported.tenants()).isZero();
    assertThat(RowSets.rows(mixed, PAYMENT_ROWS))
        .hasSize(150)
        .isEqualTo(RowSets.rows(overJdbc, PAYMENT_ROWS));
    assertThat(RowSets.rows(mixed, THINGS_ROWS))
        .hasSize(20)
        .isEqualTo(RowSets.rows(overJdbc, THINGS_ROWS));
    assertThat(RowSets.count(mixed, LEAF_TABLES)).as("no leaf became a table of its own").isZero();
    assertThat(
            RowSets.rows(
                mixed,
                "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid ="
                    + " 'public.payment'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY"
                    + " attnum"))
        .as("exact types, as over JDBC")
        .isEqualTo(
            RowSets.rows(
                overJdbc,
                "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid ="
                    + " 'public.payment'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY"
                    + " attnum"));

    // Validate plans the export tenant the same way: keys, types and partitions from the target and
    // the other tenants.
    RunResult audit = new AuditJob(mixedConfig, Optional.of("globex"), Optional.empty()).execute();
    assertThat(audit.exitCode()).as("%s", audit.tenants()).isZero();
    assertThat(
            audit
                .tenant("globex")
                .orElseThrow()
                .table("payment")
                .orElseThrow()
                .counts()
                .sourceRows())
        .isEqualTo(90);

    // A second run finds the consolidated tables in the target: the export tenant re-publishes the
    // same rows.
    RunResult again = new MigrationJob(mixedConfig, spark).execute();
    assertThat(again.exitCode()).as("%s", again.tenants()).isZero();
    assertThat(RowSets.rows(mixed, PAYMENT_ROWS)).isEqualTo(RowSets.rows(overJdbc, PAYMENT_ROWS));
  }

  @Test
  void withoutACatalogWhatNobodyKnowsFailsTheTenantNamingTheColumnOrLoadsTheLeafAsItsOwnTable()
      throws Exception {
    String acme = TestPostgres.createDatabase("plain_acme");
    TestPostgres.execute(
        acme,
        "CREATE TABLE things (id int PRIMARY KEY, label text); INSERT INTO things VALUES (1, 'a')");
    String globex = TestPostgres.createDatabase("unknown_globex");
    TestPostgres.execute(
        globex,
        """
        CREATE TABLE things (id int PRIMARY KEY, label text); INSERT INTO things VALUES (1, 'g');
        CREATE TABLE gauges (id int PRIMARY KEY, readings numeric(8,3)[]); INSERT INTO gauges VALUES (1, '{1.500,NULL}');
        """);
    String initech = TestPostgres.createDatabase("leaves_initech");
    TestPostgres.execute(
        initech,
        """
        CREATE TABLE things (id int PRIMARY KEY, label text); INSERT INTO things VALUES (1, 'i');
        CREATE TABLE visit (id int NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);
        CREATE TABLE visit_2024 PARTITION OF visit FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
        INSERT INTO visit VALUES (1, '2024-03-01'), (2, '2024-04-01');
        """);
    RdsExportFixture.Written globexExport =
        RdsExportFixture.write(
            spark,
            globex,
            tmp.resolve("globex"),
            database(globex),
            List.of("things", "gauges"),
            RdsExportFixture.Options.defaults());
    RdsExportFixture.Written initechExport =
        RdsExportFixture.write(
            spark,
            initech,
            tmp.resolve("initech"),
            database(initech),
            List.of("things", "visit"),
            RdsExportFixture.Options.defaults());
    String warehouse = Fixtures.emptyWarehouse();

    RunResult result;
    String log;
    try (LogCapture capture = LogCapture.start()) {
      result =
          new MigrationJob(
                  Fixtures.config(warehouse)
                      .tenant("acme", acme)
                      .exportTenant("globex", globexExport.root(), database(globex), null)
                      .exportTenant("initech", initechExport.root(), database(initech), null)
                      .build(tmp.resolve("reports")),
                  spark)
              .execute();
      log = capture.log();
    }

    assertThat(result.tenant("acme").orElseThrow().published()).isTrue();
    assertThat(result.tenant("globex").orElseThrow().published()).isFalse();
    assertThat(result.tenant("globex").orElseThrow().message())
        .contains(
            "tenant globex table public.gauges column readings: type unknown",
            "ARRAY",
            "set export.catalog");
    assertThat(
            RowSets.count(
                warehouse, "SELECT count(*) FROM public.things WHERE tenant_id = 'globex'"))
        .isZero();
    assertThat(result.tenant("initech").orElseThrow().published())
        .as("%s", result.tenant("initech"))
        .isTrue();
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT tenant_id || ' ' || id || ' ' || at FROM public.visit_2024 ORDER BY id"))
        .as("no catalog names visit_2024 a partition: it is a table of its own")
        .containsExactly("initech 1 2024-03-01", "initech 2 2024-04-01");
    assertThat(log)
        .contains(
            "table public.visit_2024 of the export may be a leaf partition",
            "loads as a table of its own");
    assertThat(RowSets.count(warehouse, "SELECT count(*) FROM pg_class WHERE relname = 'gauges'"))
        .as("no table planned for an unknown type")
        .isZero();
  }
}
