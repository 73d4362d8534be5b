package dev.tenantfold.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tenantfold.config.ConfigError;
import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.report.RunResult;
import dev.tenantfold.report.TableResult;
import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import dev.tenantfold.validate.TableStatus;
import dev.tenantfold.validate.checksum.RowDifference;
import dev.tenantfold.validate.checksum.RowDifference.Kind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checksums in a run (before publish) and in the validate command (after publish), end to end. */
class ChecksumValidationTest {
  private static final SparkSession spark = LocalSpark.session();

  @TempDir Path reports;

  @Test
  void aValueChangedOnTheWayIsCaughtBeforePublishWithKeyAndColumn() throws Exception {
    String acme = Fixtures.demoTenant("acme", 200);
    String warehouse = Fixtures.emptyWarehouse();
    TenantfoldConfig config = Fixtures.config(warehouse).tenant("acme", acme).build(reports);
    RunResult first = new MigrationJob(config, spark).execute();
    assertThat(first.exitCode()).isZero();
    assertThat(first.tenants().get(0).tables())
        .allSatisfy(
            t -> {
              assertThat(t.checksum()).isNotNull();
              assertThat(t.checksum().sourceDigest()).isEqualTo(t.checksum().targetDigest());
              assertThat(t.checksum().buckets()).isEqualTo(1024);
            });
    List<String> before = RowSets.rows(warehouse, "SELECT ROW(o.*)::text FROM public.orders o");
    // A target that rewrites one value in flight: same row count, different data.
    Fixtures.stagingTrigger(
        warehouse,
        "orders",
        "IF NEW.id = 42 THEN NEW.total := NEW.total + 0.0001; END IF; RETURN NEW;");

    RunResult result = new MigrationJob(config, spark).execute();

    assertThat(result.exitCode()).isEqualTo(3);
    TableResult orders = table(result, "orders");
    assertThat(orders.status()).isEqualTo(TableStatus.MISMATCH);
    assertThat(orders.counts().sourceRows())
        .as("counts agree, so only the checksum can tell")
        .isEqualTo(orders.counts().loadedRows());
    assertThat(orders.checksum().mismatchedBuckets()).isEqualTo(1);
    assertThat(orders.checksum().listed())
        .singleElement()
        .satisfies(
            d -> {
              assertThat(d.kind()).isEqualTo(Kind.CHANGED);
              assertThat(d.key()).contains("42");
              assertThat(d.changedColumns()).containsExactly("total");
            });
    assertThat(orders.message())
        .contains("checksums differ in 1 of 1024 buckets", "1 CHANGED", "total");
    assertThat(result.tenants().get(0).published()).isFalse();
    assertThat(RowSets.rows(warehouse, "SELECT ROW(o.*)::text FROM public.orders o"))
        .as("published orders untouched")
        .isEqualTo(before);
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT kind || ' ' || array_to_string(columns, ',') FROM tenantfold.mismatches"
                    + " WHERE run_id = '"
                    + result.runId()
                    + "' AND table_name = 'orders'"))
        .containsExactly("CHANGED total");
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT mismatched_buckets::text FROM tenantfold.table_results WHERE run_id = '"
                    + result.runId()
                    + "' AND table_name = 'orders'"))
        .containsExactly("1");
    assertThat(Files.readString(reports.resolve(result.runId()).resolve("report.json")))
        .contains("\"mismatched_buckets\" : 1", "\"CHANGED\"");
  }

  @Test
  void validateAuditsPublishedDataAndNamesEveryDifference() throws Exception {
    String acme = Fixtures.demoTenant("acme", 150);
    String globex = Fixtures.demoTenant("globex", 100);
    String warehouse = Fixtures.emptyWarehouse();
    TenantfoldConfig config =
        Fixtures.config(warehouse).tenant("acme", acme).tenant("globex", globex).build(reports);
    assertThat(new MigrationJob(config, spark).execute().exitCode()).isZero();

    RunResult clean = new AuditJob(config, Optional.empty(), Optional.empty()).execute();
    assertThat(clean.exitCode()).as("fresh publish audits clean: %s", clean.tenants()).isZero();
    assertThat(clean.tenants()).hasSize(2).allSatisfy(t -> assertThat(t.tables()).hasSize(4));

    TestPostgres.execute(
        warehouse,
        """
        UPDATE public.customers SET email = '' WHERE tenant_id = 'acme' AND id = 7;
        UPDATE public.orders SET placed_at = placed_at + interval '1 hour' WHERE tenant_id = 'acme' AND id = 5;
        DELETE FROM public.order_items WHERE tenant_id = 'acme' AND order_id = 3 AND line_no = 2;
        INSERT INTO public.order_items VALUES ('acme', 3, 99, 'EXTRA', 1, 1.00);
        INSERT INTO public.events SELECT * FROM public.events WHERE tenant_id = 'acme' AND kind = 'login' ORDER BY occurred_at LIMIT 1;
        UPDATE public.customers SET name = 'globex changed' WHERE tenant_id = 'globex' AND id = 1;
        """);

    RunResult audit = new AuditJob(config, Optional.of("acme"), Optional.empty()).execute();

    assertThat(audit.exitCode()).isEqualTo(3);
    assertThat(audit.tenants()).extracting(t -> t.tenantId()).containsExactly("acme");
    assertThat(differences(audit, "customers"))
        .singleElement()
        .satisfies(
            d -> {
              assertThat(d.kind()).isEqualTo(Kind.CHANGED);
              assertThat(d.changedColumns()).containsExactly("email");
            });
    assertThat(differences(audit, "orders"))
        .singleElement()
        .satisfies(d -> assertThat(d.changedColumns()).containsExactly("placed_at"));
    assertThat(differences(audit, "order_items"))
        .extracting(RowDifference::kind)
        .containsExactlyInAnyOrder(Kind.MISSING_IN_TARGET, Kind.EXTRA_IN_TARGET);
    assertThat(differences(audit, "events"))
        .extracting(RowDifference::kind)
        .containsExactly(Kind.DUPLICATED_IN_TARGET);
    assertThat(table(audit, "events").message()).contains("row counts differ");
    assertThat(
            RowSets.count(
                warehouse,
                "SELECT count(*) FROM tenantfold.mismatches WHERE run_id = '"
                    + audit.runId()
                    + "'"))
        .isEqualTo(5);
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT command || ' ' || status FROM tenantfold.runs WHERE run_id = '"
                    + audit.runId()
                    + "'"))
        .containsExactly("validate validation_failed");

    RunResult onlyGlobexOrders =
        new AuditJob(config, Optional.of("globex"), Optional.of("orders")).execute();
    assertThat(onlyGlobexOrders.exitCode()).as("globex orders were not touched").isZero();
    assertThat(onlyGlobexOrders.tenants().get(0).tables())
        .extracting(TableResult::tableName)
        .containsExactly("orders");
    TestPostgres.execute(
        globex,
        "ALTER TABLE customers ADD COLUMN vat_id text; UPDATE customers SET vat_id = 'DE1' WHERE id"
            + " = 2; CREATE TABLE coupons (code text PRIMARY KEY)");
    RunResult drifted = new AuditJob(config, Optional.of("globex"), Optional.empty()).execute();
    assertThat(drifted.exitCode()).as("source data the target cannot hold").isEqualTo(3);
    assertThat(table(drifted, "customers").message())
        .contains("source columns missing in the target: [vat_id]");
    assertThat(table(drifted, "coupons").message())
        .contains("exists in the source but has no consolidated table");
    assertThatThrownBy(() -> new AuditJob(config, Optional.of("nobody"), Optional.empty()))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("nobody")
        .hasMessageContaining("tenantfold.tenants");
  }

  private static TableResult table(RunResult result, String table) {
    return result.tenants().get(0).tables().stream()
        .filter(t -> t.tableName().equals(table))
        .findFirst()
        .orElseThrow();
  }

  private static List<RowDifference> differences(RunResult result, String table) {
    return table(result, table).checksum().listed();
  }
}
