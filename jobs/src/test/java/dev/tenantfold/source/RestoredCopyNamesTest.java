package dev.tenantfold.source;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The names and URLs a restored copy is given: valid for RDS whatever the tenant id, and the
 * tenant's own database and parameters on the copy's endpoint.
 */
class RestoredCopyNamesTest {
  private static final String RDS_ID = "[a-z](?!.*--)[a-z0-9-]{0,61}[a-z0-9]";

  @Test
  void copyIdsAreValidInstanceIdentifiersForAnyTenantId() {
    assertThat(RestoredCopies.copyId("acme", "20261129T150000Z-ab12"))
        .isEqualTo("tf-acme-20261129t150000z-ab12");
    assertThat(RestoredCopies.copyId("Acme_Corp.eu", "20261129T150000Z-ab12"))
        .isEqualTo("tf-acme-corp-eu-20261129t150000z-ab12")
        .matches(RDS_ID);
    String longest =
        RestoredCopies.copyId("a".repeat(40) + "_-" + "b".repeat(21), "20261129T150000Z-ab12");
    assertThat(longest)
        .matches(RDS_ID)
        .hasSizeLessThanOrEqualTo(63)
        .endsWith("-20261129t150000z-ab12");
    assertThat(RestoredCopies.copyId("x-", "20261129T150000Z-ab12")).matches(RDS_ID);
  }

  @Test
  void theCopyUrlKeepsDatabaseAndParameters() {
    assertThat(
            RestoredCopies.copyUrl(
                "jdbc:postgresql://acme.xxxx.rds.amazonaws.com:5432/acme?sslmode=verify-full&ApplicationName=x",
                "tf-acme.yyyy",
                5433))
        .isEqualTo(
            "jdbc:postgresql://tf-acme.yyyy:5433/acme?sslmode=verify-full&ApplicationName=x");
    assertThat(RestoredCopies.copyUrl("jdbc:postgresql:acme", "h", 5432))
        .isEqualTo("jdbc:postgresql://h:5432/acme");
  }
}
