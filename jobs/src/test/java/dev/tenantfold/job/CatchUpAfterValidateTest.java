package dev.tenantfold.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.report.RunResult;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import java.nio.file.Path;
import java.util.Optional;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code validate} only reads: auditing a tenant with catch-up between its base copy and its
 * catch-up keeps the base copy's slot and recorded start, so catch-up goes on from there (the demo
 * found validate replacing the slot, after which catch-up refused the tenant).
 */
class CatchUpAfterValidateTest {
  private static final SparkSession spark = LocalSpark.session();

  @TempDir Path reports;

  @Test
  void validateBetweenTheBaseCopyAndCatchUpLeavesTheSlotAlone() throws Exception {
    String source = TestPostgres.createDatabase("validate_keeps_slot");
    TestPostgres.execute(source, CatchUpTest.SCHEMA);
    String warehouse = TestPostgres.createDatabase("validate_keeps_slot_wh");
    TenantfoldConfig config = CatchUpTest.acmeOnly(warehouse, reports, source, "mode = logical");
    RunResult run = new MigrationJob(config, spark).execute();
    assertThat(run.exitCode()).as("%s", run.tenants()).isZero();
    String slotQuery =
        "SELECT slot_name || ' ' || restart_lsn FROM pg_replication_slots WHERE database ="
            + " 'validate_keeps_slot'";
    var slotBefore = RowSets.rows(source, slotQuery);
    TestPostgres.execute(source, "UPDATE customers SET name = 'changed' WHERE id = 1");

    RunResult audit = new AuditJob(config, Optional.empty(), Optional.empty(), spark).execute();

    assertThat(audit.tenants()).isNotEmpty();
    assertThat(RowSets.rows(source, slotQuery)).as("the base copy's slot").isEqualTo(slotBefore);
    assertThat(
            RowSets.rows(
                warehouse, "SELECT run_id FROM tenantfold.catchup_state WHERE tenant_id = 'acme'"))
        .as("catch-up still starts from the base copy")
        .containsExactly(run.runId());
    assertThat(CatchUpTest.run(new CatchUpJob(config), "acme")).startsWith("0|");
    assertThat(
            RowSets.rows(
                warehouse, "SELECT name FROM public.customers WHERE tenant_id = 'acme' AND id = 1"))
        .containsExactly("changed");
  }
}
