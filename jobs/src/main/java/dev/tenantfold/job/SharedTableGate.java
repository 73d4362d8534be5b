package dev.tenantfold.job;

import static dev.tenantfold.jdbc.Sql.ident;
import static dev.tenantfold.jdbc.Sql.literal;

import dev.tenantfold.config.RulesConfig.Shared;
import dev.tenantfold.jdbc.Sql;
import dev.tenantfold.load.StagingTable;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Where tenants with shared reference tables meet before publishing. A shared table holds one row
 * per key for every tenant, so whether a tenant may publish depends on the others' rows: every
 * tenant of the run either arrives here with its validated staging or withdraws (it failed before);
 * when the last one is in, the rows of each shared table are compared across tenants in the target
 * (one query per table over the staging tables), and each tenant learns whether it may publish and
 * which of its rows another tenant's row overrules. The comparison covers the tenants of this run;
 * rows published by earlier runs are replaced by this run's rows for the same key.
 */
final class SharedTableGate {
  /** Conflicting rows listed per table at most (all are counted). */
  static final int MAX_LISTED_ROWS = 10_000;

  /**
   * How {@code shared_conflicts.outcome} begins for a row another tenant's row overruled: a
   * resolved conflict.
   */
  static final String OVERRULED = "overruled by tenant ";

  private final List<String> tenantOrder;
  private final Map<String, Shared> rules;
  private final String tenantColumn;
  private final ConnectionSource target;
  private final Set<String> pending;
  private final Map<String, Map<String, StagingTable>> arrived = new LinkedHashMap<>();
  private Map<String, Decision> decisions;
  private List<Conflict> conflicts = List.of();
  private SQLException failure;

  /** Opens a connection to the target (the gate's comparison runs on its own connection). */
  @FunctionalInterface
  interface ConnectionSource {
    Connection open() throws SQLException;
  }

  /**
   * @param tenants the run's tenants in config order: each must {@link #arrive} or {@link
   *     #withdraw}
   * @param rules the shared tables and their on-conflict rules
   */
  SharedTableGate(
      List<String> tenants,
      Map<String, Shared> rules,
      String tenantColumn,
      ConnectionSource target) {
    this.tenantOrder = List.copyOf(tenants);
    this.rules = Map.copyOf(rules);
    this.tenantColumn = tenantColumn;
    this.target = target;
    this.pending = new LinkedHashSet<>(tenants);
  }

  /**
   * What one tenant does with its shared rows: refused (with the reason) or publish, less the
   * overruled keys.
   */
  record Decision(Optional<String> refused, Map<String, List<String>> overruledKeys) {
    static Decision publish() {
      return new Decision(Optional.empty(), Map.of());
    }
  }

  /** One row of a key that tenants disagree on, as the report lists it. */
  record Conflict(String table, String keyJson, String tenantId, String rowJson, String outcome) {}

  boolean active() {
    return !rules.isEmpty();
  }

  /** A tenant that will not publish (it failed before the gate): the others stop waiting for it. */
  synchronized void withdraw(String tenantId) {
    if (active() && pending.remove(tenantId)) {
      settleIfLast();
    }
  }

  /**
   * Waits for every tenant, then returns this tenant's decision. {@code staged}: its staging per
   * shared table.
   */
  synchronized Decision arrive(String tenantId, Map<String, StagingTable> staged)
      throws SQLException, InterruptedException {
    if (!active()) {
      // No shared tables: nobody waits for anybody.
      return Decision.publish();
    }
    if (pending.remove(tenantId)) {
      arrived.put(tenantId, Map.copyOf(staged));
      settleIfLast();
    }
    while (decisions == null && failure == null) {
      wait();
    }
    if (failure != null) {
      throw new SQLException(
          "Cannot compare the shared tables across tenants: " + failure.getMessage(),
          failure.getSQLState(),
          failure);
    }
    return decisions.getOrDefault(tenantId, Decision.publish());
  }

  /** The conflicting rows found (once every tenant is in), for the report. */
  synchronized List<Conflict> conflicts() {
    return conflicts;
  }

  private void settleIfLast() {
    if (!pending.isEmpty() || decisions != null || failure != null) {
      return;
    }
    try {
      decisions = decide();
    } catch (SQLException e) {
      failure = e;
    }
    notifyAll();
  }

  private Map<String, Decision> decide() throws SQLException {
    Map<String, Optional<String>> refused = new LinkedHashMap<>();
    Map<String, Map<String, List<String>>> overruled = new LinkedHashMap<>();
    List<Conflict> listed = new ArrayList<>();
    try (Connection conn = target.open()) {
      for (Map.Entry<String, Shared> rule : rules.entrySet()) {
        String table = rule.getKey();
        List<StagingTable> copies = new ArrayList<>();
        arrived.values().forEach(m -> Optional.ofNullable(m.get(table)).ifPresent(copies::add));
        if (copies.size() < 2) {
          continue;
        }
        Map<String, List<Row>> byKey = conflictingRows(conn, copies);
        for (Map.Entry<String, List<Row>> key : byKey.entrySet()) {
          resolve(table, rule.getValue(), key.getKey(), key.getValue(), refused, overruled, listed);
        }
      }
    }
    conflicts = List.copyOf(listed);
    Map<String, Decision> out = new LinkedHashMap<>();
    for (String tenant : arrived.keySet()) {
      out.put(
          tenant,
          new Decision(
              refused.getOrDefault(tenant, Optional.empty()),
              overruled.getOrDefault(tenant, Map.of())));
    }
    return out;
  }

  private record Row(String tenantId, String text, String json) {}

  /**
   * The last run that published {@code tenantId}'s rows of shared table {@code table}: the run
   * whose resolved conflicts explain where they differ from the shared table now.
   */
  static Optional<String> publishingRun(
      Connection conn, String reportSchema, String tenantId, String table) throws SQLException {
    String sql =
        "SELECT t.run_id FROM "
            + Sql.qualified(reportSchema, "table_results")
            + " t JOIN "
            + Sql.qualified(reportSchema, "runs")
            + " r USING (run_id) WHERE t.tenant_id = ? AND t.table_name = ? AND t.published ORDER"
            + " BY r.started_at DESC, t.run_id DESC LIMIT 1";
    try (java.sql.PreparedStatement ps = conn.prepareStatement(sql)) {
      ps.setString(1, tenantId);
      ps.setString(2, table);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
      }
    }
  }

  /**
   * The keys (jsonb, column {@code key}) of {@code tenantId}'s rows of {@code table} that another
   * tenant's row overruled in run {@code runId}.
   */
  static String resolvedKeysSql(String reportSchema, String runId, String tenantId, String table) {
    return "SELECT key FROM "
        + Sql.qualified(reportSchema, "shared_conflicts")
        + " WHERE run_id = "
        + literal(runId)
        + " AND tenant_id = "
        + literal(tenantId)
        + " AND table_name = "
        + literal(table)
        + " AND starts_with(outcome, "
        + literal(OVERRULED)
        + ")";
  }

  /**
   * The rows of every key whose rows differ between tenants, by key (JSON text), tenants in config
   * order.
   */
  private Map<String, List<Row>> conflictingRows(Connection conn, List<StagingTable> copies)
      throws SQLException {
    StagingTable first = copies.get(0);
    List<String> key = first.table().primaryKey();
    List<String> others =
        first.table().columnNames().stream().filter(c -> !key.contains(c)).toList();
    String keyJson = Sql.keyJson(key, "");
    // Compared as each value's text, as the publish verifies the merge.
    String rowText =
        "jsonb_build_array("
            + String.join(", ", others.stream().map(c -> ident(c) + "::text").toList())
            + ")::text";
    List<String> parts = new ArrayList<>();
    for (StagingTable s : copies) {
      parts.add(
          "SELECT "
              + keyJson
              + " AS key, "
              + ident(tenantColumn)
              + " AS tenant, "
              + rowText
              + " AS row_text, to_jsonb(s) - "
              + literal(tenantColumn)
              + " AS row_data FROM "
              + s.qualifiedName()
              + " s");
    }
    String sql =
        "WITH u AS ("
            + String.join(" UNION ALL ", parts)
            + "),\n"
            + " c AS (SELECT key FROM u GROUP BY key HAVING count(DISTINCT row_text) > 1)\n"
            + "SELECT u.key::text, u.tenant, u.row_text, u.row_data::text FROM u JOIN c USING (key)"
            + " ORDER BY u.key::text, u.tenant LIMIT "
            + MAX_LISTED_ROWS;
    Map<String, List<Row>> byKey = new LinkedHashMap<>();
    try (Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) {
        byKey
            .computeIfAbsent(rs.getString(1), k -> new ArrayList<>())
            .add(new Row(rs.getString(2), rs.getString(3), rs.getString(4)));
      }
    }
    byKey
        .values()
        .forEach(
            rows ->
                rows.sort(
                    (a, b) ->
                        Integer.compare(
                            tenantOrder.indexOf(a.tenantId()), tenantOrder.indexOf(b.tenantId()))));
    return byKey;
  }

  private void resolve(
      String table,
      Shared rule,
      String key,
      List<Row> rows,
      Map<String, Optional<String>> refused,
      Map<String, Map<String, List<String>>> overruled,
      List<Conflict> listed) {
    List<String> tenants = rows.stream().map(Row::tenantId).toList();
    if (rule.onConflict() == Shared.OnConflict.FAIL) {
      for (Row row : rows) {
        List<String> against = tenants.stream().filter(t -> !t.equals(row.tenantId())).toList();
        refused.putIfAbsent(
            row.tenantId(),
            Optional.of(
                "shared table "
                    + table
                    + ": its row for key "
                    + key
                    + " differs from tenants "
                    + against
                    + " ("
                    + rule.path()
                    + ".on-conflict = fail; all conflicting rows are listed in the report's"
                    + " shared_conflicts)"));
        listed.add(
            new Conflict(
                table, key, row.tenantId(), row.json(), "not published (on-conflict = fail)"));
      }
      return;
    }
    Row winner = rows.get(0);
    if (rule.onConflict() == Shared.OnConflict.TENANT) {
      winner =
          rows.stream()
              .filter(r -> r.tenantId().equals(rule.winner().orElseThrow()))
              .findFirst()
              .orElse(winner);
    }
    for (Row row : rows) {
      boolean kept = row.text().equals(winner.text());
      if (!kept) {
        overruled
            .computeIfAbsent(row.tenantId(), t -> new LinkedHashMap<>())
            .computeIfAbsent(table, t -> new ArrayList<>())
            .add(key);
      }
      listed.add(
          new Conflict(
              table,
              key,
              row.tenantId(),
              row.json(),
              kept
                  ? "kept (on-conflict = " + rule.describe() + ")"
                  : OVERRULED + winner.tenantId() + " (on-conflict = " + rule.describe() + ")"));
    }
  }
}
