package dev.tenantfold.testing;

import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.job.MigrationJob;
import dev.tenantfold.report.RunResult;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;

/**
 * Two real runs into one warehouse, as a report reader meets them: a clean first run of acme and
 * globex, then a second run in which the target changes one of globex's order lines in flight
 * (order 20, line 2: qty + 1), so globex fails validation with a readable key and acme publishes
 * again.
 *
 * @param configFile the same configuration as a file, for the command line
 */
public record ReportFixture(
    String warehouse,
    TenantfoldConfig config,
    Path configFile,
    RunResult clean,
    RunResult tampered) {

  public static ReportFixture create(SparkSession spark, Path dir) throws Exception {
    String acme = Fixtures.demoTenant("acme", 60);
    String globex = Fixtures.demoTenant("globex", 40);
    String warehouse = Fixtures.emptyWarehouse();
    Path reports = dir.resolve("reports");
    TenantfoldConfig config =
        Fixtures.config(warehouse).tenant("acme", acme).tenant("globex", globex).build(reports);
    Path file = dir.resolve("job.conf");
    Files.writeString(
        file,
        """
        tenantfold {
          target { url = "%s", user = postgres, password = postgres }
          tenants = [ { id = acme, jdbc { url = "%s", user = postgres, password = postgres } },
                      { id = globex, jdbc { url = "%s", user = postgres, password = postgres } } ]
          report.dir = "%s"
        }
        """
            .formatted(warehouse, acme, globex, reports));
    RunResult clean = new MigrationJob(config, spark).execute();
    if (clean.exitCode() != 0) {
      throw new IllegalStateException("the clean run failed: " + clean.tenants());
    }
    Fixtures.stagingTrigger(
        warehouse,
        "order_items",
        "IF NEW.tenant_id = 'globex' AND NEW.order_id = 20 AND NEW.line_no = 2 THEN NEW.qty :="
            + " NEW.qty + 1; END IF; RETURN NEW;");
    RunResult tampered = new MigrationJob(config, spark).execute();
    return new ReportFixture(warehouse, config, file, clean, tampered);
  }
}
