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
 * Catch-up and cutover with row-level security on and a loader without superuser or BYPASSRLS: the
 * tenant's partitions force its policy, so every catch-up session acts as the tenant (under the
 * job's {@code row_security = off} a direct write to the partition would be an error).
 */
class CatchUpRowLevelSecurityTest {
  private static final SparkSession spark = LocalSpark.session();
  private static final String LOADER = "tf_cu_rls_loader";
  private static final String APP = "tf_cu_rls_app";

  @TempDir Path reports;

  @Test
  void aLoaderUnderForcedPoliciesCatchesUpAndCutsOver() throws Exception {
    String plain = "LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION";
    Roles.ensure(LOADER, plain);
    Roles.ensure(APP, plain);
    String acme = TestPostgres.createDatabase("catchup_rls");
    TestPostgres.execute(acme, CatchUpTest.SCHEMA);
    String warehouse = Fixtures.emptyWarehouse();
    TestPostgres.execute(
        warehouse,
        "GRANT CREATE ON DATABASE "
            + warehouse.substring(warehouse.lastIndexOf('/') + 1)
            + " TO "
            + LOADER
            + "; GRANT CREATE ON SCHEMA public TO "
            + LOADER);
    TenantfoldConfig config =
        TenantfoldConfig.fromConfig(
            ConfigFactory.parseString(
                """
                tenantfold {
                  target { url = "%s", user = %s, row-level-security = true, application-role = %s }
                  report.dir = "%s"
                  tenants = [ { id = acme, jdbc { url = "%s", user = postgres, password = postgres },
                                catch-up { mode = logical } } ]
                }
                """
                    .formatted(warehouse, LOADER, APP, reports, acme)));
    try (CatchUpTest.Writer writer = new CatchUpTest.Writer(acme, 11)) {
      writer.awaitMore(30);
      RunResult result = new MigrationJob(config, spark).execute();
      assertThat(result.exitCode()).as("run: %s", result.tenants()).isZero();
      writer.awaitMore(200);
      assertThat(CatchUpTest.run(new CatchUpJob(config))).startsWith("0|");
      writer.awaitMore(100);
    }
    assertThat(CatchUpTest.cutover(new CatchUpJob(config), "acme")).startsWith("0|");
    CatchUpTest.assertSameTables(acme, warehouse, "acme");
  }
}
