package dev.tenantfold.source;

import dev.tenantfold.config.SourceSpec;
import dev.tenantfold.config.TargetConfig;
import dev.tenantfold.config.TenantConfig;
import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.load.CopyFormat;
import dev.tenantfold.load.LoadLedger;
import java.util.Optional;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * The sources of one job's run ({@code plan}, {@code run} or {@code validate}), each tenant's as
 * its config names it ({@link TenantConfig#source}). The run makes one and asks it for every
 * source: it owns what the sources share, the exports opened so far ({@link OpenedExports}), so the
 * source a run migrates with reuses the export its planning opened, and nothing outlives the run.
 */
public final class TenantSources {
  private final TenantfoldConfig config;
  private final String ledgerTable;
  private final OpenedExports exports = new OpenedExports();

  public TenantSources(TenantfoldConfig config) {
    this.config = config;
    // The load ledger Dataset and COPY transfers record their partitions in.
    this.ledgerTable = LoadLedger.tableIn(config.target().reportSchema());
  }

  /**
   * The tenant's source for {@code validate}: read only, so a tenant with catch-up keeps the slot
   * and the start its base copy recorded ({@link TenantSource#readOnly}).
   */
  public TenantSource forAudit(TenantConfig tenant, String runId, SparkSession spark) {
    return of(tenant, runId, spark).readOnly();
  }

  /**
   * Why {@code validate} cannot read the tenant's source, with how to validate it, when it cannot:
   * a restored copy's tenant ({@code validate} restores no copy, and its configured database is
   * production).
   */
  public Optional<String> refusesAudit(TenantConfig tenant) {
    return RestoredCopies.restores(tenant)
        ? Optional.of(RestoredCopies.auditRefusal(config, tenant))
        : Optional.empty();
  }

  /**
   * @param spark the session export tenants read through and JDBC tenants stream on; may be null
   *     for a JDBC tenant that is only audited (never staged)
   */
  public TenantSource of(TenantConfig tenant, String runId, SparkSession spark) {
    if (tenant.source() instanceof SourceSpec.Export) {
      return new ExportTenantSource(
          tenant,
          runId,
          config.options(),
          config.validate().buckets(),
          config.target().endpoint(),
          ledgerTable,
          config.tenantColumn(),
          spark,
          exports,
          landing(tenant, runId, spark));
    }
    return new JdbcTenantSource(
            tenant,
            runId,
            config.options(),
            config.validate().buckets(),
            config.target().endpoint(),
            ledgerTable,
            config.target().reportSchema(),
            spark == null ? null : JavaSparkContext.fromSparkContext(spark.sparkContext()),
            landing(tenant, runId, null))
        .cursorRules(config.rules());
  }

  /**
   * The tenant's landing in the target's staging schema, for tables whose rules only the target's
   * SQL applies; {@code spark} when the rows land from a Dataset (an export's), else null.
   */
  private LazyLanding landing(TenantConfig tenant, String runId, SparkSession spark) {
    TargetConfig target = config.target();
    return new LazyLanding(
        () ->
            new ExportLanding(
                tenant.id(),
                runId,
                config.validate().buckets(),
                config.options().transferAttempts(),
                CopyFormat.allowedBy(config.options().copyFormat()),
                target.endpoint(),
                ledgerTable,
                target.reportSchema(),
                target.stagingSchema(),
                target.schemas(),
                spark));
  }
}
