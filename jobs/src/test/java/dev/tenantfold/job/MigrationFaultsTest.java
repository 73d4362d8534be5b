package dev.tenantfold.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.report.RunResult;
import dev.tenantfold.report.TableResult;
import dev.tenantfold.report.TenantResult;
import dev.tenantfold.testing.CuttingProxy;
import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import dev.tenantfold.validate.TableStatus;
import dev.tenantfold.validate.checksum.RowDifference;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults a run must survive or report, through the public entry point only: a COPY connection cut
 * mid-stream, a target that under-reports what it loaded, readers during a re-publish, and a table
 * with far more differing keys than the report lists.
 */
class MigrationFaultsTest {
  private static final List<String> LINE_COLUMNS = List.of("id", "account", "memo");
  private static final SparkSession spark = LocalSpark.session();

  @TempDir Path reports;

  private RunResult run(TenantfoldConfig config) throws Exception {
    return new MigrationJob(config, spark).execute();
  }

  /** A tenant database with {@code lines} rows of about 60 bytes each in table {@code lines}. */
  private static String tenantWithLines(String label, int lines) {
    String url = TestPostgres.createDatabase("tenant_" + label);
    TestPostgres.execute(
        url,
        "CREATE TABLE lines (id bigint PRIMARY KEY, account int NOT NULL, memo text); INSERT INTO"
            + " lines SELECT g, g % 97, 'memo ' || g || repeat(' pad', 10) FROM generate_series(1, "
            + lines
            + ") g; ANALYZE");
    return url;
  }

  @Test
  void aTransferCutMidStreamIsRetriedAndLoadsEveryRowExactlyOnce() throws Exception {
    String acme = tenantWithLines("cut_acme", 30000);
    String warehouse = Fixtures.emptyWarehouse();
    RunResult result;
    try (CuttingProxy proxy = CuttingProxy.cutOnce(acme, "COPY (", 100_000)) {
      result =
          run(
              Fixtures.config(warehouse)
                  .tenant("acme", proxy.url(acme))
                  .set("extract.rows-per-partition", 10000)
                  .set("extract.transfer-attempts", 2)
                  .build(reports));
      assertThat(proxy.cuts()).as("COPY connections cut mid-stream").isEqualTo(1);
    }

    assertThat(result.exitCode()).as("exit code; tenants: %s", result.tenants()).isZero();
    TableResult lines = table(result, "acme", "lines");
    assertThat(lines.counts().partitions()).as("partitions of lines").isGreaterThan(1);
    assertThat(lines.status()).isEqualTo(TableStatus.OK);
    assertThat(lines.counts().extractedRows()).as("rows extracted").isEqualTo(30000);
    assertThat(lines.counts().loadedRows()).as("rows loaded").isEqualTo(30000);
    RowSets.assertSameRows(acme, warehouse, "acme", "lines", LINE_COLUMNS);
    assertThat(
            RowSets.count(warehouse, "SELECT count(*) FROM public.lines WHERE tenant_id = 'acme'"))
        .as("published rows")
        .isEqualTo(30000);
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT count(*) || ' ' || sum(rows_extracted) || ' ' || sum(rows_loaded) FROM"
                    + " tenantfold.load_ledger WHERE run_id = '"
                    + result.runId()
                    + "' AND table_name = 'lines'"))
        .as("ledger: one committed row per partition, every row counted once")
        .containsExactly(lines.counts().partitions() + " 30000 30000");
  }

  @Test
  void aTargetConnectionCutMidCopyIsRetriedAndLoadsEveryRowExactlyOnce() throws Exception {
    String acme = tenantWithLines("cut_target_acme", 30000);
    String warehouse = Fixtures.emptyWarehouse();
    RunResult result;
    try (CuttingProxy proxy = CuttingProxy.cutOnce(warehouse, "FROM STDIN", 100_000)) {
      result =
          run(
              Fixtures.config(proxy.url(warehouse))
                  .tenant("acme", acme)
                  .set("extract.rows-per-partition", 10000)
                  .set("extract.transfer-attempts", 2)
                  .build(reports));
      assertThat(proxy.cuts()).as("COPY IN connections cut mid-stream").isEqualTo(1);
    }

    assertThat(result.exitCode()).as("exit code; tenants: %s", result.tenants()).isZero();
    RowSets.assertSameRows(acme, warehouse, "acme", "lines", LINE_COLUMNS);
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT count(*) || ' ' || sum(rows_loaded) FROM tenantfold.load_ledger"
                    + " WHERE run_id = '"
                    + result.runId()
                    + "' AND table_name = 'lines'"))
        .as("ledger: one committed row per partition")
        .containsExactly(table(result, "acme", "lines").counts().partitions() + " 30000");
  }

  @Test
  void withOneTransferAttemptTheSameCutFailsTheTenantAndPublishesNothing() throws Exception {
    String acme = tenantWithLines("cut_once_acme", 30000);
    String globex = tenantWithLines("cut_once_globex", 500);
    String warehouse = Fixtures.emptyWarehouse();
    RunResult result;
    try (CuttingProxy proxy = CuttingProxy.cutOnce(acme, "COPY (", 100_000)) {
      result =
          run(
              Fixtures.config(warehouse)
                  .tenant("acme", proxy.url(acme))
                  .tenant("globex", globex)
                  .set("extract.rows-per-partition", 10000)
                  .set("extract.transfer-attempts", 1)
                  .build(reports));
      assertThat(proxy.cuts()).as("COPY connections cut mid-stream").isEqualTo(1);
    }

    assertThat(result.exitCode()).as("exit code; tenants: %s", result.tenants()).isEqualTo(1);
    TableResult lines = table(result, "acme", "lines");
    assertThat(lines.status()).isEqualTo(TableStatus.FAILED);
    assertThat(lines.message())
        .as("failure message")
        .contains("Cannot transfer tenant acme table lines partition");
    assertThat(tenant(result, "acme").published()).isFalse();
    assertThat(tenant(result, "globex").published()).as("the other tenant").isTrue();
    assertThat(
            RowSets.count(warehouse, "SELECT count(*) FROM public.lines WHERE tenant_id = 'acme'"))
        .as("acme rows published")
        .isZero();
    RowSets.assertSameRows(globex, warehouse, "globex", "lines", LINE_COLUMNS);
  }

  @Test
  void aTargetThatUnderReportsItsCopyFailsOnCountsThoughEveryChecksumMatches() throws Exception {
    String acme = tenantWithLines("undercount", 2000);
    String warehouse = Fixtures.emptyWarehouse();
    // The target's COPY skips row 5 and re-inserts it itself: all rows land, but COPY reports one
    // fewer.
    Fixtures.stagingTrigger(
        warehouse,
        "lines",
        """
        IF NEW.id = 5 AND pg_trigger_depth() = 1 THEN
          EXECUTE format('INSERT INTO %I.%I SELECT ($1).*', TG_TABLE_SCHEMA, TG_TABLE_NAME) USING NEW;
          RETURN NULL;
        END IF;
        RETURN NEW;\
        """);

    RunResult result = run(Fixtures.config(warehouse).tenant("acme", acme).build(reports));

    TableResult lines = table(result, "acme", "lines");
    assertThat(lines.checksum().mismatchedBuckets())
        .as("checksum buckets differing: the rows themselves all arrived")
        .isZero();
    assertThat(lines.status()).as("verdict of lines; %s", lines).isEqualTo(TableStatus.MISMATCH);
    assertThat(lines.message())
        .contains(
            "row counts differ: source snapshot 2000, extracted 2000, copied into staging 1999,"
                + " staged 2000");
    assertThat(result.exitCode()).isEqualTo(3);
    assertThat(tenant(result, "acme").published()).isFalse();
    assertThat(RowSets.count(warehouse, "SELECT count(*) FROM public.lines"))
        .as("rows published")
        .isZero();
    assertThat(
            RowSets.count(
                warehouse,
                "SELECT count(*) FROM tenantfold.table_results WHERE run_id = '"
                    + result.runId()
                    + "' AND table_name = 'lines' AND status = 'MISMATCH' AND NOT published"))
        .as("recorded verdict")
        .isEqualTo(1);
  }

  @Test
  void readersDuringRepublishesSeeTheOldTenantOrTheNewOneNeverAMixOrNothing() throws Exception {
    String acme = TestPostgres.createDatabase("tenant_atomic_acme");
    String globex = tenantWithLines("atomic_globex", 300);
    TestPostgres.execute(
        acme,
        "CREATE TABLE lines (id bigint PRIMARY KEY, account int NOT NULL, memo text);"
            + " INSERT INTO lines SELECT g, 1, 'v1' FROM generate_series(1, 3000) g");
    String warehouse = Fixtures.emptyWarehouse();
    assertThat(
            run(Fixtures.config(warehouse)
                    .tenant("acme", acme)
                    .tenant("globex", globex)
                    .build(reports))
                .exitCode())
        .isZero();

    List<String> seen = Collections.synchronizedList(new ArrayList<>());
    List<String> errors = Collections.synchronizedList(new ArrayList<>());
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong reads = new AtomicLong();
    Thread reader =
        new Thread(
            () -> {
              try (var conn = TestPostgres.connect(warehouse);
                  var st = conn.createStatement()) {
                while (!stop.get()) {
                  try (ResultSet rs =
                      st.executeQuery(
                          "SELECT count(*) || ' rows ' || coalesce(min(memo), '-') || '..' ||"
                              + " coalesce(max(memo), '-') FROM public.lines WHERE tenant_id ="
                              + " 'acme'")) {
                    rs.next();
                    String state = rs.getString(1);
                    if (seen.isEmpty() || !seen.get(seen.size() - 1).equals(state)) {
                      seen.add(state);
                    }
                    reads.incrementAndGet();
                  } catch (Exception e) {
                    errors.add(e.getMessage());
                  }
                }
              } catch (Exception e) {
                errors.add(e.getMessage());
              }
            },
            "publish-reader");
    reader.start();
    List<Integer> exitCodes = new ArrayList<>();
    try {
      TestPostgres.execute(
          acme,
          "TRUNCATE lines; INSERT INTO lines SELECT g, 2, 'v2' FROM generate_series(1, 5000) g");
      exitCodes.add(
          run(Fixtures.config(warehouse)
                  .tenant("acme", acme)
                  .set("publish.max-shrink", "100%")
                  .build(reports))
              .exitCode());
      TestPostgres.execute(
          acme,
          "TRUNCATE lines; INSERT INTO lines SELECT g, 3, 'v3' FROM generate_series(1, 1200) g");
      exitCodes.add(
          run(Fixtures.config(warehouse)
                  .tenant("acme", acme)
                  .set("publish.max-shrink", "100%")
                  .build(reports))
              .exitCode());
    } finally {
      stop.set(true);
      reader.join();
    }

    assertThat(exitCodes).as("exit codes of the re-publishes").containsExactly(0, 0);
    assertThat(errors).as("errors seen by the reader").isEmpty();
    assertThat(reads.get()).as("reads during the re-publishes").isGreaterThan(50);
    assertThat(seen)
        .as("states of tenant acme seen by a concurrent reader, in order")
        .containsExactly("3000 rows v1..v1", "5000 rows v2..v2", "1200 rows v3..v3");
    RowSets.assertSameRows(globex, warehouse, "globex", "lines", LINE_COLUMNS);
  }

  @Test
  void aTableWithManyDifferingKeysListsOnlyMaxListedKeysAndCountsThemAll() throws Exception {
    String acme = tenantWithLines("many_diffs", 3000);
    String warehouse = Fixtures.emptyWarehouse();
    // Every tenth row's memo changes on its way into staging.
    Fixtures.stagingTrigger(
        warehouse,
        "lines",
        "IF NEW.id % 10 = 0 THEN NEW.memo := NEW.memo || '!'; END IF; RETURN NEW;");

    RunResult result =
        run(
            Fixtures.config(warehouse)
                .tenant("acme", acme)
                .set("validate.max-listed-keys", 4)
                .set("validate.buckets", 32)
                .build(reports));

    assertThat(result.exitCode()).isEqualTo(3);
    TableResult lines = table(result, "acme", "lines");
    assertThat(lines.checksum().differenceCounts())
        .as("differences by kind")
        .containsEntry(RowDifference.Kind.CHANGED, 300L);
    assertThat(lines.checksum().listed()).as("keys listed").hasSize(4);
    assertThat(lines.message()).as("message").contains("300 CHANGED", "memo");
    assertThat(
            RowSets.count(
                warehouse,
                "SELECT count(*) FROM tenantfold.mismatches WHERE run_id = '"
                    + result.runId()
                    + "' AND table_name = 'lines'"))
        .as("keys recorded in mismatches")
        .isEqualTo(4);
  }

  private static TenantResult tenant(RunResult result, String id) {
    return result.tenants().stream()
        .filter(t -> t.tenantId().equals(id))
        .findFirst()
        .orElseThrow(
            () -> new AssertionError("no result for tenant " + id + " in " + result.tenants()));
  }

  private static TableResult table(RunResult result, String tenantId, String table) {
    return tenant(result, tenantId).tables().stream()
        .filter(t -> t.tableName().equals(table))
        .findFirst()
        .orElseThrow(
            () ->
                new AssertionError(
                    "no result for " + tenantId + "." + table + " in " + tenant(result, tenantId)));
  }
}
