package dev.tenantfold.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.report.RunResult;
import dev.tenantfold.report.TableResult;
import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import dev.tenantfold.validate.TableStatus;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A table that lost most of its rows is not republished without being told (issue 20 item 9), and
 * allowing one tenant to shrink allows that tenant only, by --allow-shrink or by
 * publish.allow-shrink.
 */
class ShrinkByProportionTest {
  private static final SparkSession spark = LocalSpark.session();

  @TempDir Path reports;

  @Test
  void aTableLosingMoreThanMaxShrinkIsRefusedForEveryTenantNotAllowed() throws Exception {
    String a = Fixtures.demoTenant("shrink_a", 40);
    String c = Fixtures.demoTenant("shrink_c", 30);
    String warehouse = Fixtures.emptyWarehouse();
    TenantfoldConfig config =
        Fixtures.config(warehouse).tenant("a", a).tenant("c", c).build(reports);
    assertThat(new MigrationJob(config, spark).execute().exitCode()).isZero();
    long eventsA = count(warehouse, "a");
    long eventsC = count(warehouse, "c");
    assertThat(eventsA).isGreaterThan(2);
    assertThat(eventsC).isGreaterThan(2);
    String keepOne = "DELETE FROM events WHERE ctid <> (SELECT min(ctid) FROM events)";
    TestPostgres.execute(a, keepOne);
    TestPostgres.execute(c, keepOne);

    RunResult onlyC =
        new MigrationJob(config, spark, new RunOptions(Set.of("c"), Optional.empty(), false))
            .execute();

    assertThat(onlyC.exitCode()).isEqualTo(1);
    assertThat(onlyC.tenant("c").orElseThrow().published()).isTrue();
    assertThat(onlyC.tenant("a").orElseThrow().published())
        .as("--allow-shrink c does not allow a")
        .isFalse();
    TableResult events = onlyC.tenant("a").orElseThrow().table("events").orElseThrow();
    assertThat(events.status()).isEqualTo(TableStatus.FAILED);
    assertThat(events.message())
        .contains("it published " + eventsA + " rows of \"events\"")
        .contains("its source now returns 1 (")
        .contains("more than publish.max-shrink = 50%")
        .contains("--allow-shrink a");
    assertThat(count(warehouse, "a")).as("a's published rows stay").isEqualTo(eventsA);
    assertThat(count(warehouse, "c")).isEqualTo(1);

    RunResult byConfig =
        new MigrationJob(
                Fixtures.config(warehouse)
                    .tenant("a", a)
                    .tenant("c", c)
                    .set("publish.allow-shrink", List.of("a"))
                    .build(reports),
                spark)
            .execute();
    assertThat(byConfig.exitCode()).as("%s", byConfig.tenants()).isZero();
    assertThat(count(warehouse, "a")).isEqualTo(1);

    RunResult looser =
        new MigrationJob(
                Fixtures.config(warehouse)
                    .tenant("a", a)
                    .tenant("c", c)
                    .set("publish.max-shrink", "100%")
                    .build(reports),
                spark)
            .execute();
    assertThat(looser.exitCode()).as("nothing shrinks any more: %s", looser.tenants()).isZero();
  }

  private static long count(String warehouse, String tenant) {
    return RowSets.count(
        warehouse, "SELECT count(*) FROM public.events WHERE tenant_id = '" + tenant + "'");
  }
}
