package dev.tenantfold.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.report.RunResult;
import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.Roles;
import dev.tenantfold.testing.TestPostgres;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Logical catch-up with the source role holding only docs/security.md's reader grants, the
 * replication right, SELECT on the sequences (docs/catch-up.md) and a publication a DBA created:
 * run, catch-up and cutover work, and the publication is left to the DBA.
 */
class CatchUpLeastPrivilegeTest {
  private static final SparkSession spark = LocalSpark.session();
  private static final String READER = "tf_catchup_reader";

  @TempDir Path reports;

  @Test
  void aReaderWithReplicationAndADbaPublicationCatchesUpAndCutsOver() throws Exception {
    String acme = TestPostgres.createDatabase("catchup_reader");
    TestPostgres.execute(acme, CatchUpTest.SCHEMA);
    Roles.ensure(READER, "LOGIN NOSUPERUSER NOBYPASSRLS REPLICATION");
    TestPostgres.execute(
        acme,
        "GRANT USAGE ON SCHEMA public TO "
            + READER
            + "; GRANT SELECT ON ALL TABLES IN SCHEMA public TO "
            + READER
            + "; CREATE PUBLICATION acme_dba FOR TABLE customers, orders, tags, scratch");
    String warehouse = Fixtures.emptyWarehouse();
    String hocon =
        """
        tenantfold {
          target { url = "%s", user = postgres, password = postgres }
          report.dir = "%s"
          tenants = [ { id = acme, jdbc { url = "%s", user = %s, password = unused },
                        catch-up { mode = logical, publication = acme_dba } } ]
        }
        """
            .formatted(warehouse, reports, acme, READER);
    TenantfoldConfig config = TenantfoldConfig.fromConfig(ConfigFactory.parseString(hocon));
    // Without SELECT on the sequences the plan refuses, naming them and the grant.
    java.io.ByteArrayOutputStream planned = new java.io.ByteArrayOutputStream();
    PlanJob.Outcome plan =
        new PlanJob(config, null)
            .execute(new java.io.PrintStream(planned, true), java.util.Optional.empty());
    assertThat(plan.clean()).isFalse();
    assertThat(String.join("\n", plan.unreadable().values()))
        .contains("table public.customers draws ids from sequences public.customers_id_seq")
        .contains("GRANT SELECT ON ALL SEQUENCES IN SCHEMA \"public\" TO <role>");
    TestPostgres.execute(acme, "GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO " + READER);
    try (CatchUpTest.Writer writer = new CatchUpTest.Writer(acme, 7)) {
      writer.awaitMore(30);
      RunResult result = new MigrationJob(config, spark).execute();
      assertThat(result.exitCode()).as("run: %s", result.tenants()).isZero();
      writer.awaitMore(200);
      assertThat(CatchUpTest.run(new CatchUpJob(config))).startsWith("0|");
      writer.awaitMore(100);
    }
    assertThat(CatchUpTest.cutover(new CatchUpJob(config), "acme")).startsWith("0|");
    CatchUpTest.assertSameTables(acme, warehouse, "acme");
    CatchUpTest.assertSequencesPastSource(acme, warehouse, "acme");
  }
}
