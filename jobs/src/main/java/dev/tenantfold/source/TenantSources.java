package dev.tenantfold.source;

import dev.tenantfold.config.TenantConfig;
import dev.tenantfold.config.TenantfoldConfig;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * The source of one tenant as its config names it: a live database ({@code jdbc}) or a snapshot
 * export ({@code export}).
 */
public final class TenantSources {
  private TenantSources() {}

  /**
   * The tenant's source for {@code validate}: read only, so a tenant with catch-up keeps the slot
   * and the start its base copy recorded ({@link TenantSource#readOnly}).
   */
  public static TenantSource forAudit(
      TenantfoldConfig config,
      TenantConfig tenant,
      String runId,
      String ledgerTable,
      SparkSession spark) {
    return of(config, tenant, runId, ledgerTable, spark).readOnly();
  }

  /**
   * @param ledgerTable the load ledger (qualified) Dataset and COPY transfers record their
   *     partitions in
   * @param spark the session export tenants read through and JDBC tenants stream on; may be null
   *     for a JDBC tenant that is only audited (never staged)
   */
  public static TenantSource of(
      TenantfoldConfig config,
      TenantConfig tenant,
      String runId,
      String ledgerTable,
      SparkSession spark) {
    if (tenant.isExport()) {
      return new ExportTenantSource(
              tenant,
              runId,
              config.options(),
              config.validate().buckets(),
              config.target().endpoint(),
              ledgerTable,
              config.tenantColumn(),
              spark)
          .landingIn(config.target());
    }
    return new JdbcTenantSource(
            tenant,
            runId,
            config.options(),
            config.validate().buckets(),
            config.target().endpoint(),
            ledgerTable,
            spark == null ? null : JavaSparkContext.fromSparkContext(spark.sparkContext()))
        .landingIn(config.target())
        .cursorRules(config.rules());
  }
}
