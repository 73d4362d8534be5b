package dev.tenantfold.report;

import static dev.tenantfold.jdbc.Sql.qualified;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * What catch-up and cutover did after a run's base copy, per tenant, as the report tables hold it
 * (docs/report-schema.md, version 3): the tenant's catch-up state, its passes (positions and the
 * lag each left: lag over time), the changes applied per table, the shared-table deletes not
 * applied, and its cutovers (freeze window, verdict, what differed). Read for report.json,
 * report.html and CSV; lists are bounded ({@link #PASSES_LISTED}, {@link #SHARED_DELETES_LISTED}),
 * counts exact.
 */
public record CatchUpReport(Map<String, Tenant> tenants) {
  /** Passes listed per tenant, the latest; {@link Tenant#passCount} counts them all. */
  public static final int PASSES_LISTED = 1000;

  /** Shared-table deletes listed per tenant; {@link Tenant#sharedDeleteCount} counts them all. */
  public static final int SHARED_DELETES_LISTED = 1000;

  private static final ObjectMapper JSON = new ObjectMapper();

  public CatchUpReport {
    tenants = java.util.Collections.unmodifiableMap(new TreeMap<>(tenants));
  }

  /** No catch-up recorded (a run without catch-up, or a schema before version 3). */
  public static CatchUpReport none() {
    return new CatchUpReport(Map.of());
  }

  public Optional<Tenant> tenant(String tenantId) {
    return Optional.ofNullable(tenants.get(tenantId));
  }

  public boolean isEmpty() {
    return tenants.isEmpty();
  }

  /** One tenant's catch-up and cutovers after the run's base copy. */
  public record Tenant(
      String tenantId,
      Optional<State> state,
      List<Pass> passes,
      long passCount,
      List<Applied> applied,
      List<SharedDelete> sharedDeletes,
      long sharedDeleteCount,
      List<Cutover> cutovers) {
    public Tenant {
      passes = List.copyOf(passes);
      applied = List.copyOf(applied);
      sharedDeletes = List.copyOf(sharedDeletes);
      cutovers = List.copyOf(cutovers);
    }

    /** The latest cutover, the one whose verdict stands. */
    public Optional<Cutover> lastCutover() {
      return cutovers.isEmpty() ? Optional.empty() : Optional.of(cutovers.get(cutovers.size() - 1));
    }

    /** Changes applied over every table: inserts, updates, deletes, truncates, skipped. */
    public Applied total() {
      long[] n = new long[5];
      for (Applied a : applied) {
        n[0] += a.inserts();
        n[1] += a.updates();
        n[2] += a.deletes();
        n[3] += a.truncates();
        n[4] += a.skipped();
      }
      return new Applied("*", n[0], n[1], n[2], n[3], n[4]);
    }

    /** The changes applied to {@code table}, if any were. */
    public Optional<Applied> applied(String table) {
      return applied.stream().filter(a -> a.table().equals(table)).findFirst();
    }
  }

  /** {@code catchup_state}: where the tenant's catch-up stands now. */
  public record State(
      String slot,
      String publication,
      String status,
      String startLsn,
      String appliedLsn,
      long appliedChanges,
      Instant updatedAt,
      Optional<Instant> cutOverAt) {}

  /** {@code catchup_passes}: one pass; the lag it left is empty when it could not be read. */
  public record Pass(
      long passId,
      String command,
      Instant startedAt,
      Optional<Instant> finishedAt,
      String fromLsn,
      String toLsn,
      long transactions,
      long changes,
      OptionalLong lagBytes,
      Optional<Duration> lag,
      String status,
      String message) {}

  /** {@code catchup_applied}, summed over the passes: one table's changes. */
  public record Applied(
      String table, long inserts, long updates, long deletes, long truncates, long skipped) {}

  /** {@code catchup_shared_deletes}: a shared table's delete or truncate catch-up did not apply. */
  public record SharedDelete(String table, String kind, String keyJson, Instant recordedAt) {}

  /** {@code cutovers}: one cutover and its verdict. */
  public record Cutover(
      long cutoverId,
      Instant startedAt,
      Instant verdictAt,
      long freezeMillis,
      boolean frozen,
      String verdict,
      OptionalLong drainPassId,
      long keysChecked,
      List<String> differences,
      List<String> sequences,
      String message) {
    public Cutover {
      differences = List.copyOf(differences);
      sequences = List.copyOf(sequences);
    }
  }

  /**
   * The catch-up of the tenants whose base copy run {@code runId} made, from report schema {@code
   * schema}; {@link #none} when the schema has no catch-up tables yet.
   */
  public static CatchUpReport load(Connection conn, String schema, String runId)
      throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
      ps.setString(1, qualified(schema, "catchup_passes"));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        if (!rs.getBoolean(1)) {
          return none();
        }
      }
    }
    Map<String, Builder> out = new TreeMap<>();
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT tenant_id, slot_name, publication_name, status, start_lsn::text,"
                + " applied_lsn::text, applied_changes, updated_at, cut_over_at FROM "
                + qualified(schema, "catchup_state")
                + " WHERE run_id = ?")) {
      ps.setString(1, runId);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          builder(out, rs.getString(1)).state =
              Optional.of(
                  new State(
                      rs.getString(2),
                      rs.getString(3),
                      rs.getString(4),
                      rs.getString(5),
                      rs.getString(6),
                      rs.getLong(7),
                      rs.getTimestamp(8).toInstant(),
                      instant(rs.getTimestamp(9))));
        }
      }
    }
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT tenant_id, pass_id, command, started_at, finished_at, from_lsn::text,"
                + " to_lsn::text, transactions, changes, lag_bytes, lag_millis, status, message,"
                + " total FROM (SELECT p.*, row_number() OVER w AS n, count(*) OVER (PARTITION BY"
                + " tenant_id) AS total FROM "
                + qualified(schema, "catchup_passes")
                + " p WHERE run_id = ? WINDOW w AS (PARTITION BY tenant_id ORDER BY pass_id DESC))"
                + " x WHERE n <= ? ORDER BY tenant_id, pass_id")) {
      ps.setString(1, runId);
      ps.setInt(2, PASSES_LISTED);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          Builder b = builder(out, rs.getString(1));
          Long lagMillis = (Long) rs.getObject(11);
          Long lagBytes = (Long) rs.getObject(10);
          b.passes.add(
              new Pass(
                  rs.getLong(2),
                  rs.getString(3),
                  rs.getTimestamp(4).toInstant(),
                  instant(rs.getTimestamp(5)),
                  rs.getString(6),
                  rs.getString(7),
                  rs.getLong(8),
                  rs.getLong(9),
                  lagBytes == null ? OptionalLong.empty() : OptionalLong.of(lagBytes),
                  Optional.ofNullable(lagMillis).map(Duration::ofMillis),
                  rs.getString(12),
                  rs.getString(13) == null ? "" : rs.getString(13)));
          b.passCount = rs.getLong(14);
        }
      }
    }
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT a.tenant_id, a.table_name, sum(a.inserts), sum(a.updates), sum(a.deletes),"
                + " sum(a.truncates), sum(a.skipped) FROM "
                + qualified(schema, "catchup_applied")
                + " a JOIN "
                + qualified(schema, "catchup_passes")
                + " p USING (pass_id) WHERE p.run_id = ? GROUP BY 1, 2 ORDER BY 1, 2")) {
      ps.setString(1, runId);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          builder(out, rs.getString(1))
              .applied
              .add(
                  new Applied(
                      rs.getString(2),
                      rs.getLong(3),
                      rs.getLong(4),
                      rs.getLong(5),
                      rs.getLong(6),
                      rs.getLong(7)));
        }
      }
    }
    // Rows recorded before version 3 have no run: they belong to the tenant's current base copy.
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT tenant_id, table_name, kind, key::text, recorded_at, total FROM (SELECT d.*,"
                + " row_number() OVER (PARTITION BY tenant_id ORDER BY table_name, kind, key) AS"
                + " n, count(*) OVER (PARTITION BY tenant_id) AS total FROM "
                + qualified(schema, "catchup_shared_deletes")
                + " d WHERE run_id = ? OR (run_id IS NULL AND EXISTS (SELECT 1 FROM "
                + qualified(schema, "catchup_state")
                + " s WHERE s.tenant_id = d.tenant_id AND s.run_id = ?))) x WHERE n <= ? ORDER BY"
                + " tenant_id, n")) {
      ps.setString(1, runId);
      ps.setString(2, runId);
      ps.setInt(3, SHARED_DELETES_LISTED);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          Builder b = builder(out, rs.getString(1));
          b.sharedDeletes.add(
              new SharedDelete(
                  rs.getString(2),
                  rs.getString(3),
                  rs.getString(4),
                  rs.getTimestamp(5).toInstant()));
          b.sharedDeleteCount = rs.getLong(6);
        }
      }
    }
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT tenant_id, cutover_id, started_at, verdict_at, freeze_millis, frozen, verdict,"
                + " drain_pass_id, keys_checked, differences::text, sequences::text, message FROM "
                + qualified(schema, "cutovers")
                + " WHERE run_id = ? ORDER BY tenant_id, cutover_id")) {
      ps.setString(1, runId);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          Long drain = (Long) rs.getObject(8);
          builder(out, rs.getString(1))
              .cutovers
              .add(
                  new Cutover(
                      rs.getLong(2),
                      rs.getTimestamp(3).toInstant(),
                      rs.getTimestamp(4).toInstant(),
                      rs.getLong(5),
                      rs.getBoolean(6),
                      rs.getString(7),
                      drain == null ? OptionalLong.empty() : OptionalLong.of(drain),
                      rs.getLong(9),
                      strings(rs.getString(10)),
                      strings(rs.getString(11)),
                      rs.getString(12) == null ? "" : rs.getString(12)));
        }
      }
    }
    Map<String, Tenant> tenants = new TreeMap<>();
    out.forEach((id, b) -> tenants.put(id, b.build(id)));
    return new CatchUpReport(tenants);
  }

  private static Optional<Instant> instant(Timestamp t) {
    return Optional.ofNullable(t).map(Timestamp::toInstant);
  }

  private static List<String> strings(String json) {
    try {
      return JSON.readValue(json, new TypeReference<List<String>>() {});
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("Cannot read report JSON " + json, e);
    }
  }

  private static Builder builder(Map<String, Builder> out, String tenantId) {
    return out.computeIfAbsent(tenantId, k -> new Builder());
  }

  private static final class Builder {
    Optional<State> state = Optional.empty();
    final List<Pass> passes = new ArrayList<>();
    long passCount;
    final List<Applied> applied = new ArrayList<>();
    final List<SharedDelete> sharedDeletes = new ArrayList<>();
    long sharedDeleteCount;
    final List<Cutover> cutovers = new ArrayList<>();

    Tenant build(String id) {
      return new Tenant(
          id, state, passes, passCount, applied, sharedDeletes, sharedDeleteCount, cutovers);
    }
  }
}
