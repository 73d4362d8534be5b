package dev.tenantfold.catchup;

import dev.tenantfold.config.RulesConfig;
import dev.tenantfold.config.TenantConfig;
import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.validate.ShrinkGuard;
import java.util.Collection;
import java.util.List;

/**
 * What catch-up applies a tenant's changes with, as a run would: the tables' rules ({@code
 * tenantfold.rules}), the shrink guard's settings ({@code publish.max-shrink}, and whether the
 * tenant may shrink: {@code publish.allow-shrink} or {@code --allow-shrink}) and the tenants in
 * config order (shared tables' {@code first-tenant} rule).
 */
public record CatchUpRules(
    RulesConfig rules, double maxShrink, boolean allowShrink, List<String> tenantOrder) {
  public CatchUpRules {
    tenantOrder = List.copyOf(tenantOrder);
  }

  /** No rules, the default shrink guard, not allowed to shrink. */
  public static CatchUpRules none() {
    return new CatchUpRules(RulesConfig.none(), ShrinkGuard.DEFAULT_MAX_SHRINK, false, List.of());
  }

  /**
   * The rules of {@code config} for tenant {@code tenantId}; {@code allowShrink}: the tenants named
   * by {@code --allow-shrink} on the command line (empty when the command has no such option).
   */
  public static CatchUpRules of(
      TenantfoldConfig config, String tenantId, Collection<String> allowShrink) {
    return new CatchUpRules(
        config.rules(),
        config.options().maxShrink(),
        ShrinkGuard.allows(tenantId, config.options().allowShrink(), allowShrink),
        config.tenants().stream().map(TenantConfig::id).toList());
  }
}
