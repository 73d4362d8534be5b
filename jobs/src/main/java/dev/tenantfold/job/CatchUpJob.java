package dev.tenantfold.job;

import dev.tenantfold.catchup.CatchUpResult;
import dev.tenantfold.catchup.Cutover;
import dev.tenantfold.catchup.CutoverResult;
import dev.tenantfold.catchup.TenantCatchUp;
import dev.tenantfold.config.ConfigError;
import dev.tenantfold.config.TenantConfig;
import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.jdbc.Redaction;
import dev.tenantfold.report.ExitCode;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code catch-up} and {@code cutover} commands (docs/catch-up.md): each tenant with {@code
 * catch-up.mode = logical} is caught up on its own ({@link TenantCatchUp}); a cutover drains,
 * checks and switches one tenant ({@link Cutover}).
 */
public final class CatchUpJob {
  private final TenantfoldConfig config;

  public CatchUpJob(TenantfoldConfig config) {
    this.config = config;
  }

  /**
   * Catches up {@code tenantIds} (every logical tenant when empty), one after the other: exit 0
   * when all caught up, 1 when one stopped.
   */
  public int catchUp(List<String> tenantIds, PrintStream out) {
    List<CatchUpResult> results = new ArrayList<>();
    for (TenantConfig tenant : selected(tenantIds)) {
      CatchUpResult result = catchUpOf(tenant).execute();
      results.add(scrubbed(result));
      out.println(scrubbed(result).describe());
    }
    return results.stream().allMatch(CatchUpResult::caughtUp) ? ExitCode.OK : ExitCode.ERROR;
  }

  /** Cuts {@code tenantId} over: exit 0 cut over, 3 mismatch (slot kept), 1 error. */
  public int cutover(String tenantId, PrintStream out) {
    TenantConfig tenant = selected(List.of(tenantId)).get(0);
    CutoverResult result =
        new Cutover(
                tenant,
                config.target().endpoint(),
                config.target().reportSchema(),
                config.target().schemas(),
                config.tenantColumn())
            .execute();
    out.println(Redaction.redactText(result.describe(), config.secrets()));
    return switch (result.verdict()) {
      case CUT_OVER -> ExitCode.OK;
      case MISMATCH -> ExitCode.VALIDATION_FAILED;
      case FAILED -> ExitCode.ERROR;
    };
  }

  private TenantCatchUp catchUpOf(TenantConfig tenant) {
    return new TenantCatchUp(
        tenant,
        config.target().endpoint(),
        config.target().reportSchema(),
        config.target().schemas(),
        config.tenantColumn());
  }

  private CatchUpResult scrubbed(CatchUpResult r) {
    return new CatchUpResult(
        r.tenantId(),
        r.fromLsn(),
        r.toLsn(),
        r.transactions(),
        r.changes(),
        r.millis(),
        r.error().map(e -> Redaction.redactText(e, config.secrets())));
  }

  /** The named tenants (all logical ones when none is named); a usage error for anything else. */
  private List<TenantConfig> selected(List<String> tenantIds) {
    List<TenantConfig> out = new ArrayList<>();
    if (tenantIds.isEmpty()) {
      config.tenants().stream().filter(t -> t.catchUp().logical()).forEach(out::add);
      if (out.isEmpty()) {
        throw new ConfigError(
            "No tenant has catch-up.mode = logical: set it in a tenant's catch-up block, run the"
                + " tenant, then catch up");
      }
      return out;
    }
    for (String id : tenantIds) {
      TenantConfig tenant =
          config.tenants().stream()
              .filter(t -> t.id().equals(id))
              .findFirst()
              .orElseThrow(
                  () ->
                      new ConfigError(
                          "Unknown tenant '"
                              + id
                              + "' (--tenant): known tenants are "
                              + config.tenants().stream().map(TenantConfig::id).toList()));
      if (!tenant.catchUp().logical()) {
        throw new ConfigError(
            "Tenant "
                + id
                + " has catch-up.mode = none: set tenants[].catch-up.mode = logical and run it"
                + " before catching up or cutting over");
      }
      out.add(tenant);
    }
    return out;
  }
}
