package dev.tenantfold.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.config.SourceSpec;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The names and URLs the restore and export stages hand to RDS: valid for RDS whatever the tenant
 * id.
 */
class AwsNamesTest {
  private static final String RDS_ID = "[a-z](?!.*--)[a-z0-9-]{0,61}[a-z0-9]";

  @Test
  void copyIdsAreValidInstanceIdentifiersForAnyTenantId() {
    assertThat(RestoreStage.copyId("acme", "20261129T150000Z-ab12"))
        .isEqualTo("tf-acme-20261129t150000z-ab12");
    assertThat(RestoreStage.copyId("Acme_Corp.eu", "20261129T150000Z-ab12"))
        .isEqualTo("tf-acme-corp-eu-20261129t150000z-ab12")
        .matches(RDS_ID);
    String longest =
        RestoreStage.copyId("a".repeat(40) + "_-" + "b".repeat(21), "20261129T150000Z-ab12");
    assertThat(longest)
        .matches(RDS_ID)
        .hasSizeLessThanOrEqualTo(63)
        .endsWith("-20261129t150000z-ab12");
    assertThat(RestoreStage.copyId("x-", "20261129T150000Z-ab12")).matches(RDS_ID);
  }

  @Test
  void theCopyUrlKeepsDatabaseAndParameters() {
    assertThat(
            RestoreStage.copyUrl(
                "jdbc:postgresql://acme.xxxx.rds.amazonaws.com:5432/acme?sslmode=verify-full&ApplicationName=x",
                "tf-acme.yyyy",
                5433))
        .isEqualTo(
            "jdbc:postgresql://tf-acme.yyyy:5433/acme?sslmode=verify-full&ApplicationName=x");
    assertThat(RestoreStage.copyUrl("jdbc:postgresql:acme", "h", 5432))
        .isEqualTo("jdbc:postgresql://h:5432/acme");
  }

  @Test
  void exportOnlyNamesSchemasOrTheConfiguredTables() {
    assertThat(ExportTaskJob.exportOnly("acme", List.of("public", "billing"), List.of()))
        .containsExactly("acme.public", "acme.billing");
    assertThat(ExportTaskJob.exportOnly("acme", List.of("public"), List.of("orders", "customers")))
        .containsExactly("acme.public.orders", "acme.public.customers");
    assertThat(SourceSpec.databaseName("jdbc:postgresql://h:5432/acme?ssl=true")).isEqualTo("acme");
    assertThat(ExportTaskJob.taskId("Acme_Corp", Instant.parse("2026-11-29T15:00:00Z")))
        .isEqualTo("tf-acme-corp-20261129-150000");
    assertThat(ExportTaskJob.taskId("t".repeat(63), Instant.parse("2026-11-29T15:00:00Z")))
        .hasSizeLessThanOrEqualTo(60);
  }
}
