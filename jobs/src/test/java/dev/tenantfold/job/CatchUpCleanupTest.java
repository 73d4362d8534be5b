package dev.tenantfold.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.report.RunResult;
import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tenantfold cleanup [--dry-run]} drops the replication slots and the publications
 * Tenantfold created that nothing will read any more (docs/catch-up.md): those of a tenant no
 * longer configured, and of a base run that ended without publishing its tenant (catch-up never
 * began); {@code --dry-run} lists exactly those and drops nothing.
 */
class CatchUpCleanupTest {
  private static final SparkSession spark = LocalSpark.session();

  @TempDir Path reports;

  private TenantfoldConfig config(String warehouse, String tenants) {
    return TenantfoldConfig.fromConfig(
        ConfigFactory.parseString(
            """
            tenantfold {
              target { url = "%s", user = postgres, password = postgres }
              report.dir = "%s"
              tenants = [ %s ]
            }
            """
                .formatted(warehouse, reports, tenants)));
  }

  private static String tenant(String id, String url, boolean logical) {
    return "{ id = %s, jdbc { url = \"%s\", user = postgres, password = postgres }%s }"
        .formatted(id, url, logical ? ", catch-up { mode = logical }" : "");
  }

  private static String cleanup(TenantfoldConfig config, boolean dryRun) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    new CleanupJob(config, dryRun).execute(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    return bytes.toString(StandardCharsets.UTF_8);
  }

  private static long slots(String url) {
    return RowSets.count(
        url, "SELECT count(*) FROM pg_replication_slots WHERE database = current_database()");
  }

  private static long publications(String url) {
    return RowSets.count(url, "SELECT count(*) FROM pg_publication");
  }

  @Test
  void abandonedSlotsAreListedByADryRunThenDropped() throws Exception {
    String acme = TestPostgres.createDatabase("cleanup_acme");
    String initech = TestPostgres.createDatabase("cleanup_initech");
    String globex = TestPostgres.createDatabase("cleanup_globex");
    for (String url : new String[] {acme, initech, globex}) {
      TestPostgres.execute(url, CatchUpTest.SCHEMA);
    }
    String warehouse = Fixtures.emptyWarehouse();
    TenantfoldConfig all =
        config(
            warehouse,
            tenant("acme", acme, true)
                + ", "
                + tenant("initech", initech, true)
                + ", "
                + tenant("globex", globex, false));
    RunResult first = new MigrationJob(all, spark).execute();
    assertThat(first.exitCode()).as("run: %s", first.tenants()).isZero();
    assertThat(cleanup(all, true))
        .as("slots a catch-up will read are left alone")
        .doesNotContain("tenantfold_acme")
        .doesNotContain("tenantfold_initech");

    // initech's next base run creates a new slot, then is refused (the shrink guard): it never
    // publishes, so catch-up can never read that slot.
    TestPostgres.execute(initech, "DELETE FROM orders WHERE id > 100");
    RunResult second = new MigrationJob(all, spark).execute();
    assertThat(second.tenants())
        .anySatisfy(
            t -> {
              assertThat(t.tenantId()).isEqualTo("initech");
              assertThat(t.published()).isFalse();
            });
    String dropped = cleanup(all, false);
    assertThat(dropped)
        .contains("dropped replication slot tenantfold_initech and publication tenantfold_initech")
        .contains("ended without publishing it, before its catch-up began")
        .doesNotContain("tenantfold_acme");
    assertThat(slots(initech)).isZero();
    assertThat(publications(initech)).isZero();
    assertThat(slots(acme)).isEqualTo(1);

    // acme leaves the configuration: its slot is found through the catch-up state and dropped
    // with the credentials of a configured tenant on the same server.
    TenantfoldConfig withoutAcme = config(warehouse, tenant("globex", globex, false));
    String dry = cleanup(withoutAcme, true);
    assertThat(dry)
        .contains("would drop replication slot tenantfold_acme and publication tenantfold_acme on ")
        .contains("(tenant acme is no longer configured for catch-up)")
        .doesNotContain("initech");
    assertThat(slots(acme)).as("the dry run drops nothing").isEqualTo(1);
    assertThat(publications(acme)).isEqualTo(1);
    assertThat(cleanup(withoutAcme, false))
        .contains("dropped replication slot tenantfold_acme and publication tenantfold_acme on ");
    assertThat(slots(acme)).isZero();
    assertThat(publications(acme)).isZero();
    assertThat(cleanup(withoutAcme, true)).doesNotContain("tenantfold_acme");
  }

  @Test
  void aSlotARunMadeButNeverRecordedIsFoundOnTheConfiguredSourceAndDropped() throws Exception {
    String umbrella = TestPostgres.createDatabase("cleanup_umbrella");
    TestPostgres.execute(umbrella, CatchUpTest.SCHEMA);
    String warehouse = Fixtures.emptyWarehouse();
    TenantfoldConfig config = config(warehouse, tenant("umbrella", umbrella, true));
    // What a run killed between creating the slot and recording it leaves: a slot of the tenant's
    // name on its source, nothing in the target's catch-up state.
    TestPostgres.execute(
        umbrella, "SELECT pg_create_logical_replication_slot('tenantfold_umbrella', 'pgoutput')");
    assertThat(cleanup(config, true))
        .contains("would drop replication slot tenantfold_umbrella on ")
        .contains("ended before recording it in the target's catch-up state");
    assertThat(slots(umbrella)).as("the dry run drops nothing").isEqualTo(1);
    assertThat(cleanup(config, false)).contains("dropped replication slot tenantfold_umbrella on ");
    assertThat(slots(umbrella)).isZero();
    assertThat(cleanup(config, true)).doesNotContain("tenantfold_umbrella");
  }
}
