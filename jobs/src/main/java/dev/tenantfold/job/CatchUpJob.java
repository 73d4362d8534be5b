package dev.tenantfold.job;

import dev.tenantfold.catchup.CatchUpResult;
import dev.tenantfold.catchup.CatchUpRules;
import dev.tenantfold.catchup.Cutover;
import dev.tenantfold.catchup.CutoverResult;
import dev.tenantfold.catchup.TenantCatchUp;
import dev.tenantfold.config.ConfigError;
import dev.tenantfold.config.TenantConfig;
import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.jdbc.Redaction;
import dev.tenantfold.report.ExitCode;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * The {@code catch-up} and {@code cutover} commands (docs/catch-up.md): each tenant with {@code
 * catch-up.mode = logical} or {@code cursor} is caught up on its own ({@link TenantCatchUp}); a
 * cutover drains, checks and switches one tenant ({@link Cutover}).
 */
public final class CatchUpJob {
  private final TenantfoldConfig config;

  /** Tenants {@code --allow-shrink} names: their applied deletes pass the shrink guard. */
  private java.util.Set<String> allowShrink = java.util.Set.of();

  public CatchUpJob(TenantfoldConfig config) {
    this.config = config;
  }

  /**
   * This job letting {@code tenants} (or {@code *}) lose more rows through applied deletes and
   * truncates than {@code publish.max-shrink} allows, as {@code run --allow-shrink} does.
   */
  public CatchUpJob allowingShrink(java.util.Collection<String> tenants) {
    this.allowShrink = java.util.Set.copyOf(tenants);
    return this;
  }

  /**
   * Catches up {@code tenantIds} (every logical tenant when empty), one after the other: exit 0
   * when all caught up, 1 when one stopped.
   */
  public int catchUp(List<String> tenantIds, PrintStream out) {
    List<CatchUpResult> results = new ArrayList<>();
    for (TenantConfig tenant : selected(tenantIds)) {
      TenantCatchUp catchUp = catchUpOf(tenant);
      CatchUpResult result = catchUp.execute();
      results.add(scrubbed(result));
      out.println(scrubbed(result).describe() + lagText(catchUp, result));
    }
    writeReports(results.stream().map(CatchUpResult::tenantId).toList(), out);
    return results.stream().allMatch(CatchUpResult::caughtUp) ? ExitCode.OK : ExitCode.ERROR;
  }

  /** How long {@link #follow} waits between passes when there was nothing new. */
  static final Duration POLL = Duration.ofSeconds(1);

  /**
   * Keeps catching up {@code tenantIds} (every logical tenant when empty), a pass over each tenant
   * every {@link #POLL}, until {@code stop} says so (SIGTERM: the pass under way ends at a
   * committed batch) or, with {@code untilLag}, until every tenant's lag is below it. A tenant that
   * stops leaves the rotation; exit 1 when one did, else 0.
   */
  public int follow(
      List<String> tenantIds, Optional<Duration> untilLag, BooleanSupplier stop, PrintStream out)
      throws InterruptedException {
    List<TenantConfig> active = new ArrayList<>(selected(tenantIds));
    if (untilLag.isPresent() && refusesUntilLag(active, out)) {
      return ExitCode.USAGE;
    }
    java.util.Set<String> yielding = new java.util.HashSet<>();
    boolean failed = false;
    while (true) {
      boolean allBelow = true;
      for (TenantConfig tenant : List.copyOf(active)) {
        if (stop.getAsBoolean()) {
          break;
        }
        Pass pass = pass(tenant, untilLag, stop, yielding, out);
        if (pass.leaves) {
          active.remove(tenant);
        }
        failed |= pass == Pass.FAILED;
        allBelow &= pass.below;
      }
      if (active.isEmpty() || stop.getAsBoolean() || (untilLag.isPresent() && allBelow)) {
        if (stop.getAsBoolean()) {
          out.println("catch-up: stopped (SIGTERM); what was applied is committed");
        }
        writeReports(selected(tenantIds).stream().map(TenantConfig::id).toList(), out);
        return failed ? ExitCode.ERROR : ExitCode.OK;
      }
      long until = System.nanoTime() + POLL.toNanos();
      while (System.nanoTime() < until && !stop.getAsBoolean()) {
        Thread.sleep(20);
      }
    }
  }

  /**
   * Whether {@code --until-lag} is refused (said on {@code out}): a cursor tenant has no slot whose
   * lag could fall below it. Refused before any pass.
   */
  private static boolean refusesUntilLag(List<TenantConfig> tenants, PrintStream out) {
    List<String> cursorTenants =
        tenants.stream().filter(t -> t.catchUp().cursor()).map(TenantConfig::id).toList();
    if (cursorTenants.isEmpty()) {
      return false;
    }
    out.println(
        "catch-up --until-lag: tenants "
            + cursorTenants
            + " have catch-up.mode = cursor, whose lag is not measured (no replication slot);"
            + " catch them up without --until-lag (each pass reads every change up to its"
            + " snapshot), or name only logical tenants with --tenant");
    return true;
  }

  /**
   * What one tenant's pass of {@link #follow} leaves: whether the tenant leaves the rotation,
   * failed, and whether its lag is below {@code --until-lag} (or not measured).
   */
  private enum Pass {
    CUT_OVER(true, true),
    YIELDED(false, false),
    FAILED(true, true),
    BELOW(false, true),
    ABOVE(false, false);

    final boolean leaves;
    final boolean below;

    Pass(boolean leaves, boolean below) {
      this.leaves = leaves;
      this.below = below;
    }
  }

  /**
   * One pass of {@link #follow} over {@code tenant}: catches up, says what happened on {@code out},
   * and with {@code untilLag} measures the lag left.
   */
  private Pass pass(
      TenantConfig tenant,
      Optional<Duration> untilLag,
      BooleanSupplier stop,
      java.util.Set<String> yielding,
      PrintStream out) {
    TenantCatchUp catchUp = catchUpOf(tenant).yielding();
    CatchUpResult result = scrubbed(catchUp.execute(stop));
    if (result.cutOver()) {
      // Cut over by another command: done, not failed.
      out.println(result.describe());
      return Pass.CUT_OVER;
    }
    if (result.yielded()) {
      // Another catch-up or a cutover holds the tenant: try again next pass, say so once.
      if (yielding.add(tenant.id())) {
        out.println(result.describe());
      }
      return Pass.YIELDED;
    }
    yielding.remove(tenant.id());
    if (!result.caughtUp()) {
      out.println(result.describe());
      return Pass.FAILED;
    }
    if (result.transactions() > 0 && untilLag.isEmpty()) {
      out.println(result.describe() + lagText(catchUp, result));
    }
    if (untilLag.isEmpty() || stop.getAsBoolean()) {
      return Pass.BELOW;
    }
    return lagAfter(tenant, catchUp, result, untilLag.get(), out);
  }

  /** The tenant's lag after a pass, said on {@code out}, against {@code untilLag}. */
  private Pass lagAfter(
      TenantConfig tenant,
      TenantCatchUp catchUp,
      CatchUpResult result,
      Duration untilLag,
      PrintStream out) {
    Duration lag;
    try {
      TenantCatchUp.Lag now = catchUp.lagNow();
      lag = now.time();
      if (result.transactions() > 0) {
        out.println(result.describe() + "; " + now.describe());
      }
    } catch (java.sql.SQLException e) {
      out.println(
          "tenant "
              + tenant.id()
              + ": FAILED: cannot read its lag: "
              + Redaction.redactText(String.valueOf(e.getMessage()), config.secrets()));
      return Pass.FAILED;
    }
    out.printf("tenant %s: lag %.1f s%n", tenant.id(), lag.toMillis() / 1000.0);
    return lag.compareTo(untilLag) >= 0 ? Pass.ABOVE : Pass.BELOW;
  }

  /** Cuts {@code tenantId} over: exit 0 cut over, 3 mismatch (slot kept), 1 error. */
  public int cutover(String tenantId, PrintStream out) {
    return cutover(tenantId, false, Optional.empty(), out);
  }

  /**
   * As {@link #cutover(String, PrintStream)}, with {@code --freeze} (lock the tenant's {@code
   * catch-up.freeze-roles} out of the source until the verdict) and {@code --max-freeze}.
   */
  public int cutover(
      String tenantId, boolean freeze, Optional<Duration> maxFreeze, PrintStream out) {
    Cutover.Options options = new Cutover.Options(freeze, maxFreeze);
    TenantConfig tenant = selected(List.of(tenantId)).get(0);
    if (freeze && tenant.catchUp().freezeRoles().isEmpty()) {
      throw new ConfigError(
          "cutover --freeze of tenant "
              + tenantId
              + " needs tenants[].catch-up.freeze-roles: the roles its application connects as"
              + " (e.g. [acme_app]); or stop the application yourself and cut over without"
              + " --freeze");
    }
    CutoverResult result =
        new Cutover(
                tenant.forCatchUp(),
                targetFor(tenant),
                config.target().reportSchema(),
                config.target().schemas(),
                config.tenantColumn(),
                CatchUpRules.of(config, tenant.id(), allowShrink))
            .execute(options);
    out.println(Redaction.redactText(result.describe(), config.secrets()));
    writeReports(List.of(tenantId), out);
    return switch (result.verdict()) {
      case CUT_OVER -> ExitCode.OK;
      case MISMATCH -> ExitCode.VALIDATION_FAILED;
      case FAILED -> ExitCode.ERROR;
    };
  }

  /**
   * Writes report.json and report.html again for the run whose base copy each of {@code tenantIds}
   * continues ({@code <report.dir>/<run_id>/}), now with their catch-up and cutover sections, and
   * prints where. A report that cannot be written is a warning: what was applied and recorded
   * stands, and {@code tenantfold report --run-id} renders it from the report tables.
   */
  private void writeReports(List<String> tenantIds, PrintStream out) {
    String schema = config.target().reportSchema();
    java.util.Set<String> runs = new java.util.TreeSet<>();
    try (java.sql.Connection conn =
        config.target().endpoint().connect("tenantfold-catchup-report")) {
      dev.tenantfold.catchup.CatchUpState state = dev.tenantfold.catchup.CatchUpState.of(schema);
      for (String id : tenantIds) {
        state.read(conn, id).ifPresent(t -> runs.add(t.runId()));
      }
      dev.tenantfold.report.ReportReader reader = new dev.tenantfold.report.ReportReader(schema);
      org.apache.hadoop.conf.Configuration hadoop = new org.apache.hadoop.conf.Configuration();
      config.s3().applyTo(hadoop);
      for (String runId : runs) {
        Optional<dev.tenantfold.report.ReportReader.StoredRun> stored = reader.load(conn, runId);
        if (stored.isEmpty()) {
          continue;
        }
        dev.tenantfold.report.RunResult run = stored.get().run();
        String path =
            dev.tenantfold.report.ReportWriter.write(
                config.reportDir(),
                run,
                stored.get().status(),
                reader.previous(conn, run).map(dev.tenantfold.report.ReportReader.StoredRun::run),
                dev.tenantfold.report.CatchUpReport.load(conn, schema, runId),
                hadoop);
        out.println("report: " + path + " (run " + runId + ", with catch-up and cutover)");
      }
    } catch (java.sql.SQLException | java.io.IOException | RuntimeException e) {
      out.println(
          "WARNING: cannot write the report of run(s) "
              + runs
              + ": "
              + Redaction.redactText(String.valueOf(e.getMessage()), config.secrets())
              + "; tenantfold report --run-id <run> renders it from the report tables");
    }
  }

  /**
   * {@code ; lag 1234 bytes, 0.4 s} after a pass that caught up: what its slot still holds now;
   * {@code ; lag unknown (...)} when it cannot be read (another reader streams the slot).
   */
  private String lagText(TenantCatchUp catchUp, CatchUpResult result) {
    if (!result.caughtUp() || result.cursor()) {
      // A cursor tenant has no slot to measure a lag from.
      return "";
    }
    if (catchUp.lastLag().isPresent()) {
      // Read once at the pass's end and recorded with it (catchup_passes).
      return "; " + catchUp.lastLag().get().describe();
    }
    try {
      return "; " + catchUp.lagNow().describe();
    } catch (java.sql.SQLException | RuntimeException e) {
      return "; lag unknown ("
          + Redaction.redactText(String.valueOf(e.getMessage()), config.secrets())
          + ")";
    }
  }

  private TenantCatchUp catchUpOf(TenantConfig tenant) {
    return new TenantCatchUp(
        tenant.forCatchUp(),
        targetFor(tenant),
        config.target().reportSchema(),
        config.target().schemas(),
        config.tenantColumn(),
        CatchUpRules.of(config, tenant.id(), allowShrink));
  }

  /**
   * The target as catch-up and cutover of {@code tenant} reach it: with row-level security on,
   * every session acts as the tenant (its partitions force the tenant's policy, which the job's
   * {@code row_security = off} would turn into an error for a loader without {@code BYPASSRLS}).
   */
  private dev.tenantfold.jdbc.JdbcEndpoint targetFor(TenantConfig tenant) {
    dev.tenantfold.jdbc.JdbcEndpoint endpoint = config.target().endpoint();
    if (!config.target().rowLevelSecurity()) {
      return endpoint;
    }
    return endpoint
        .withSessionSetting("row_security", "on")
        .withSessionSetting(config.target().tenantSetting(), tenant.id());
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
      config.tenants().stream().filter(t -> t.catchUp().on()).forEach(out::add);
      if (out.isEmpty()) {
        throw new ConfigError(
            "No tenant has catch-up.mode = logical or cursor: set it in a tenant's catch-up block,"
                + " run the tenant, then catch up");
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
      if (!tenant.catchUp().on()) {
        throw new ConfigError(
            "Tenant "
                + id
                + " has catch-up.mode = none: set tenants[].catch-up.mode = logical (or cursor)"
                + " and run it before catching up or cutting over");
      }
      out.add(tenant);
    }
    return out;
  }
}
