package dev.tenantfold.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.config.SourceSpec;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The names the export stage hands to RDS: valid for RDS whatever the tenant id. */
class AwsNamesTest {

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
