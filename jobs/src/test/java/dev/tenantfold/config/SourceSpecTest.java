package dev.tenantfold.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.jdbc.JdbcEndpoint;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Each source kind's answers to the questions the jobs ask ({@link SourceSpec}), as the tenant's
 * config makes them ({@link TenantConfig#source}).
 */
class SourceSpecTest {
  private static final JdbcEndpoint LIVE =
      new JdbcEndpoint("jdbc:postgresql://DB.example:5432/acme?ssl=true", "u", "secret");
  private static final JdbcEndpoint CATALOG =
      new JdbcEndpoint("jdbc:postgresql://db.example/acme", "u", "secret");
  private static final RestoreConfig RESTORE =
      new RestoreConfig(
          "acme-prod",
          RestoreConfig.From.latestRestorableTime(),
          Optional.empty(),
          Optional.empty(),
          List.of(),
          Duration.ofMinutes(90),
          false);

  private static TenantConfig exportTenant(Optional<JdbcEndpoint> catalog) {
    return new TenantConfig(
        "acme",
        null,
        List.of("public"),
        Optional.of(new ExportConfig("s3a://b/p", "acme", List.of("public"), catalog)));
  }

  @Test
  void aLiveDatabaseIsReadOnItsServerThroughItsOwnConnection() {
    SourceSpec spec = new TenantConfig("acme", LIVE, List.of("public")).source();
    assertThat(spec).isInstanceOf(SourceSpec.Jdbc.class);
    assertThat(spec.block()).isEqualTo("jdbc");
    assertThat(spec.describe()).doesNotContain("secret");
    assertThat(spec.identity()).isEqualTo("db.example:5432/acme");
    assertThat(spec.databaseName()).isEqualTo("acme");
    assertThat(spec.catalogConnection()).contains(LIVE);
    assertThat(spec.readsThroughSpark()).isFalse();
    assertThat(spec.checksumsOnServer()).isTrue();
    assertThat(spec.catalogIncomplete()).isFalse();
    assertThat(spec.exportable()).isTrue();
    assertThat(spec.restoredFrom()).isEmpty();
  }

  @Test
  void anExportIsReadThroughSparkAndPlanningCompletesItsCatalogUnlessItHasACatalogConnection() {
    SourceSpec spec = exportTenant(Optional.empty()).source();
    assertThat(spec).isInstanceOf(SourceSpec.Export.class);
    assertThat(spec.block()).isEqualTo("export");
    assertThat(spec.describe()).isEqualTo("snapshot export at s3a://b/p");
    assertThat(spec.identity()).isEqualTo("export s3a://b/p database acme");
    assertThat(spec.databaseName()).isEqualTo("acme");
    assertThat(spec.catalogConnection()).isEmpty();
    assertThat(spec.readsThroughSpark()).isTrue();
    assertThat(spec.checksumsOnServer()).isFalse();
    assertThat(spec.catalogIncomplete()).isTrue();
    assertThat(spec.exportable()).isFalse();
    assertThat(spec.restoredFrom()).isEmpty();

    SourceSpec withCatalog = exportTenant(Optional.of(CATALOG)).source();
    assertThat(withCatalog.catalogConnection()).contains(CATALOG);
    assertThat(withCatalog.catalogIncomplete()).isFalse();
  }

  @Test
  void aRestoredCopyIsReadAsADatabaseAndCarriesItsRestoreBlock() {
    TenantConfig tenant =
        new TenantConfig(
            "acme",
            LIVE,
            List.of("public"),
            Optional.empty(),
            Optional.of(RESTORE),
            Optional.empty());
    SourceSpec spec = tenant.source();
    assertThat(spec).isInstanceOf(SourceSpec.RestoredCopy.class);
    assertThat(spec.block()).isEqualTo("jdbc");
    assertThat(spec.identity()).isEqualTo("db.example:5432/acme");
    assertThat(spec.catalogConnection()).contains(LIVE);
    assertThat(spec.readsThroughSpark()).isFalse();
    assertThat(spec.checksumsOnServer()).isTrue();
    assertThat(spec.exportable()).isTrue();
    assertThat(spec.restoredFrom()).contains(RESTORE);

    JdbcEndpoint copy = new JdbcEndpoint("jdbc:postgresql://copy.example:5432/acme", "u", "p");
    assertThat(tenant.readingFrom(copy).source().restoredFrom()).contains(RESTORE);
    assertThat(tenant.readingFrom(copy).source().catalogConnection()).contains(copy);
  }
}
