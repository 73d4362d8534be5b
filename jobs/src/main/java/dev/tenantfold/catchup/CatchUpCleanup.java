package dev.tenantfold.catchup;

import dev.tenantfold.config.TenantConfig;
import dev.tenantfold.jdbc.JdbcEndpoint;
import dev.tenantfold.report.ReportStore;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The catch-up part of {@code tenantfold cleanup}: from the target's catch-up state (which records
 * each slot's source host and database), drops the replication slots, and the publications
 * Tenantfold created, of tenants no longer configured for catch-up, of tenants already cut over,
 * and of base runs that ended before their catch-up began (they never published the tenant, so
 * catch-up refuses the slot); and grants back the {@code CONNECT} a killed {@code cutover --freeze}
 * left revoked. {@code dryRun} lists exactly that and changes nothing.
 */
public final class CatchUpCleanup {
  private static final Pattern URL = Pattern.compile("(jdbc:postgresql://[^/?]*/)([^?]*)(.*)");

  private final List<TenantConfig> tenants;
  private final String reportSchema;
  private final boolean dryRun;

  public CatchUpCleanup(List<TenantConfig> tenants, String reportSchema, boolean dryRun) {
    this.tenants = List.copyOf(tenants);
    this.reportSchema = reportSchema;
    this.dryRun = dryRun;
  }

  /** What was (or would be) dropped or granted back, one line each, also printed to {@code out}. */
  public List<String> execute(Connection targetConn, List<String> liveRuns, PrintStream out)
      throws SQLException {
    CatchUpState state = CatchUpState.of(reportSchema);
    List<String> lines = new ArrayList<>();
    for (CatchUpState.Tenant recorded : state.all(targetConn)) {
      Optional<TenantConfig> configured =
          tenants.stream()
              .filter(t -> t.id().equals(recorded.tenantId()) && t.catchUp().logical())
              .findFirst();
      Optional<JdbcEndpoint> source =
          configured.map(t -> t.forCatchUp().jdbc()).or(() -> sameServer(recorded));
      lines.addAll(grantsBack(state, targetConn, recorded, configured, source));
      if (recorded.slotDropped() || CatchUpState.isCursor(recorded)) {
        // A cursor tenant (catch-up.mode = cursor) made nothing on its source to clean up.
        continue;
      }
      String reason;
      if (configured.isEmpty()) {
        reason = "tenant " + recorded.tenantId() + " is no longer configured for catch-up";
      } else if (recorded.cutOver()) {
        reason = "tenant " + recorded.tenantId() + " was cut over";
      } else if (recorded.runId().startsWith(ExportCatchUp.EXPORT_RUN_PREFIX)
          && recorded.appliedLsn().equals(recorded.startLsn())) {
        // tenantfold export made it before its snapshot; the export task may still be running
        // (hours) or its export waiting for its run: nothing here tells an abandoned one apart.
        lines.add(
            "left replication slot "
                + recorded.slot()
                + " on "
                + recorded.source()
                + ": tenantfold export of tenant "
                + recorded.tenantId()
                + " made it ("
                + recorded.runId()
                + ") and no run has caught up from it yet; if that export was abandoned, drop it"
                + " with SELECT pg_drop_replication_slot('"
                + recorded.slot()
                + "')");
        continue;
      } else if (!liveRuns.contains(recorded.runId())
          && recorded.appliedLsn().equals(recorded.startLsn())
          && new ReportStore(reportSchema)
              .publishedByTable(targetConn, recorded.tenantId()).values().stream()
                  .noneMatch(p -> p.runId().equals(recorded.runId()))) {
        reason =
            "base run "
                + recorded.runId()
                + " of tenant "
                + recorded.tenantId()
                + " ended without publishing it, before its catch-up began";
      } else {
        continue;
      }
      lines.addAll(dropSlot(state, targetConn, recorded, source, reason));
    }
    lines.addAll(unrecorded(state.all(targetConn), liveRuns));
    lines.forEach(out::println);
    return lines;
  }

  /**
   * Slots a run created on a configured tenant's source but died before recording in the target's
   * catch-up state (between creating the slot and its first write to the target): the tenant has no
   * recorded slot, or its recorded one was dropped, yet its source holds a slot of the tenant's
   * name. Dropped only when no run is in progress (one may be about to record it) and no session
   * streams it; the publication too when Tenantfold made it.
   */
  private List<String> unrecorded(List<CatchUpState.Tenant> recorded, List<String> liveRuns) {
    List<String> lines = new ArrayList<>();
    for (TenantConfig tenant : tenants) {
      if (!tenant.catchUp().logical()
          || recorded.stream()
              .anyMatch(r -> r.tenantId().equals(tenant.id()) && !r.slotDropped())) {
        continue;
      }
      TenantConfig production = tenant.forCatchUp();
      if (production.jdbc() == null) {
        continue;
      }
      String slot = tenant.catchUp().slot();
      String publication = tenant.catchUp().publication();
      String reason =
          "left by a run of tenant "
              + tenant.id()
              + " that ended before recording it in the target's catch-up state";
      try (Connection conn = production.jdbc().connect("tenantfold-cleanup-" + tenant.id())) {
        Boolean active = slotActive(conn, slot);
        if (active == null) {
          continue;
        }
        String what = "replication slot " + slot + " on " + production.jdbc().describe();
        if (active) {
          lines.add("left " + what + ": it is in use (pg_replication_slots.active_pid)");
          continue;
        }
        if (!liveRuns.isEmpty()) {
          lines.add(
              "left "
                  + what
                  + ": not recorded in the target's catch-up state, and runs "
                  + liveRuns
                  + " are in progress (one may be about to record it); run cleanup again after"
                  + " them");
          continue;
        }
        boolean ours = PublicationSql.ours(conn, publication);
        String objects = what + (ours ? " and publication " + publication : "");
        if (!dryRun) {
          SourceSlot.drop(conn, tenant.id(), slot, publication);
        }
        lines.add((dryRun ? "would drop " : "dropped ") + objects + " (" + reason + ")");
      } catch (SQLException | RuntimeException e) {
        lines.add(
            "cannot look for tenant " + tenant.id() + "'s unrecorded slot: " + e.getMessage());
      }
    }
    return lines;
  }

  private List<String> grantsBack(
      CatchUpState state,
      Connection targetConn,
      CatchUpState.Tenant recorded,
      Optional<TenantConfig> configured,
      Optional<JdbcEndpoint> source)
      throws SQLException {
    List<Freeze.Grant> grants = state.frozen(targetConn, recorded.tenantId());
    if (grants.isEmpty()) {
      return List.of();
    }
    if (configured.isPresent()) {
      return Freeze.restoreRecorded(configured.get(), targetConn, state, dryRun);
    }
    List<String> lines = new ArrayList<>();
    for (Freeze.Grant g : grants) {
      lines.add(
          "cannot grant back CONNECT on "
              + g.database()
              + " to "
              + g.role()
              + " (tenant "
              + recorded.tenantId()
              + " is no longer configured): have a DBA run "
              + g.sql());
    }
    return lines;
  }

  private List<String> dropSlot(
      CatchUpState state,
      Connection targetConn,
      CatchUpState.Tenant recorded,
      Optional<JdbcEndpoint> source,
      String reason)
      throws SQLException {
    String what =
        "replication slot "
            + recorded.slot()
            + " and publication "
            + recorded.publication()
            + " (when Tenantfold created it) on "
            + recorded.source();
    if (source.isEmpty()) {
      return List.of(
          "cannot drop "
              + what
              + ": "
              + reason
              + " and no configured tenant reads that server; have a DBA run SELECT"
              + " pg_drop_replication_slot('"
              + recorded.slot()
              + "')"
              + (recorded.publicationCreated()
                  ? "; DROP PUBLICATION " + dev.tenantfold.jdbc.Sql.ident(recorded.publication())
                  : ""));
    }
    try (Connection conn = source.get().connect("tenantfold-cleanup-" + recorded.tenantId())) {
      Boolean active = slotActive(conn, recorded.slot());
      boolean ours = PublicationSql.ours(conn, recorded.publication());
      if (active == null && !ours) {
        if (!dryRun && !recorded.cutOver()) {
          state.markSlotDropped(targetConn, recorded.tenantId());
        }
        return List.of();
      }
      if (Boolean.TRUE.equals(active)) {
        return List.of(
            "left "
                + what
                + ": "
                + reason
                + ", but the slot is in use; stop its reader (pg_replication_slots.active_pid),"
                + " then run cleanup again");
      }
      String objects =
          (active != null ? "replication slot " + recorded.slot() : "")
              + (active != null && ours ? " and " : "")
              + (ours ? "publication " + recorded.publication() : "")
              + " on "
              + recorded.source();
      if (!dryRun) {
        SourceSlot.drop(conn, recorded.tenantId(), recorded.slot(), recorded.publication());
        if (!recorded.cutOver()) {
          state.markSlotDropped(targetConn, recorded.tenantId());
        }
      }
      return List.of((dryRun ? "would drop " : "dropped ") + objects + " (" + reason + ")");
    } catch (SQLException e) {
      return List.of("cannot drop " + what + " (" + reason + "): " + e.getMessage());
    }
  }

  /** Null when the slot does not exist, else whether a session streams it. */
  private static Boolean slotActive(Connection conn, String slot) throws SQLException {
    try (PreparedStatement ps =
        conn.prepareStatement("SELECT active FROM pg_replication_slots WHERE slot_name = ?")) {
      ps.setString(1, slot);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getBoolean(1) : null;
      }
    }
  }

  /**
   * A tenant no longer configured: its source through the credentials of a configured tenant on the
   * same server (host and port), with the recorded database.
   */
  private Optional<JdbcEndpoint> sameServer(CatchUpState.Tenant recorded) {
    Matcher gone = URL.matcher(recorded.source());
    if (!gone.matches()) {
      return Optional.empty();
    }
    for (TenantConfig t : tenants) {
      if (t.jdbc() == null) {
        continue;
      }
      Matcher m = URL.matcher(t.jdbc().url());
      if (m.matches() && m.group(1).equals(gone.group(1))) {
        return Optional.of(t.jdbc().withUrl(m.group(1) + gone.group(2) + m.group(3)));
      }
    }
    return Optional.empty();
  }
}
