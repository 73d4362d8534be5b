package dev.tenantfold.catchup;

import dev.tenantfold.catchup.CatchUpState.PlannedTable;
import dev.tenantfold.config.SchemaMap;
import dev.tenantfold.config.TenantConfig;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The cutover's comparison for a tenant's tables under rules: for the keys changed since the base
 * copy, what a fresh run from the source (as it is now, frozen at cutover) would publish, against
 * what the target holds; and the row count a fresh run would publish. The expected rows are
 * conformed by the run's own SQL, exactly as catch-up applies them ({@link RuledTable}), so a rule
 * has one owner on both sides. A shared table's keys the source deleted are not compared (catch-up
 * never applies a delete there: they are listed in {@code catchup_shared_deletes}), nor keys
 * another tenant's row overruled in the publishing run.
 *
 * <p>For the cutover: {@link #open} once per tenant after the drain; for each planned table {@link
 * #covers} says whether it is under rules; if so, {@link #differences} replaces the comparison of
 * source and target rows for its changed keys, and {@link #expectedRows} / {@link #actualRows} the
 * row counts ({@code expectedRows} empty: unknown on this source, or a shared table).
 */
public final class RuledComparison {
  private final Map<String, RuledTable> tables;

  private RuledComparison(Map<String, RuledTable> tables) {
    this.tables = Map.copyOf(tables);
  }

  /**
   * The comparison of {@code tenant}'s tables under {@code rules}, on the given sessions (the
   * target one gets temporary tables); {@code runId}: the run that published the tenant's base
   * copy.
   */
  public static RuledComparison open(
      TenantConfig tenant,
      String runId,
      CatchUpRules rules,
      SchemaMap schemas,
      String reportSchema,
      String tenantColumn,
      Connection target,
      Connection source)
      throws SQLException {
    List<TenantPartition> underRules = new ArrayList<>();
    for (PlannedTable table : CatchUpState.of(reportSchema).tables(target, tenant.id())) {
      if (RuledTables.ruled(rules.rules().forTable(table.key()))) {
        underRules.add(
            RuledTables.partition(target, schemas, table, tenantColumn, tenant.id(), rules));
      }
    }
    return new RuledComparison(
        RuledTables.build(
            tenant, runId, underRules, rules, schemas, reportSchema, tenantColumn, target, source));
  }

  /** Whether table {@code key} is under rules (compare it here, not row for row). */
  public boolean covers(String key) {
    return tables.containsKey(key);
  }

  /**
   * One sentence per key of {@code keys} (each the source key's values as text, as {@code
   * catchup_changed_keys} holds them) whose target row differs from what a fresh run publishes.
   */
  public List<String> differences(String key, List<List<String>> keys) throws SQLException {
    RuledTable table = tables.get(key);
    Map<String, String> expected = table.expected(keys);
    Map<String, String> actual = table.actual(keys);
    Set<String> overruled = table.overruled();
    Set<String> all = new TreeSet<>(expected.keySet());
    all.addAll(actual.keySet());
    List<String> out = new ArrayList<>();
    for (String k : all) {
      String e = expected.get(k);
      String a = actual.get(k);
      if (table.shared() && (e == null || overruled.contains(k))) {
        continue;
      }
      if (!Objects.equals(e, a)) {
        out.add(
            "table "
                + key
                + " key "
                + k
                + ": a fresh run publishes "
                + (e == null ? "no row" : e)
                + ", target "
                + (a == null ? "has no row" : a));
      }
    }
    return out;
  }

  /** Keys compared per query. */
  static final int KEYS_PER_QUERY = 1000;

  /**
   * Compares every key of table {@code key} changed since the base copy ({@code
   * catchup_changed_keys}, read a thousand at a time) and the tenant's row count; adds to {@code
   * differences} up to {@code listed} sentences and counts the rest in the last one. Returns how
   * many keys it compared.
   */
  public long compareTable(
      String key, String reportSchema, String tenantId, List<String> differences, int listed)
      throws SQLException {
    RuledTable table = tables.get(key);
    Connection target = table.targetConnection();
    long compared = 0;
    long unlisted = 0;
    String after = null;
    while (true) {
      List<List<String>> batch = new ArrayList<>();
      String last = null;
      try (java.sql.PreparedStatement ps =
          target.prepareStatement(
              "SELECT key, key::text FROM "
                  + dev.tenantfold.jdbc.Sql.qualified(reportSchema, "catchup_changed_keys")
                  + " WHERE tenant_id = ? AND table_name = ? AND (?::text[] IS NULL OR key >"
                  + " ?::text[]) ORDER BY 1 LIMIT "
                  + KEYS_PER_QUERY)) {
        ps.setString(1, tenantId);
        ps.setString(2, key);
        ps.setString(3, after);
        ps.setString(4, after);
        try (java.sql.ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            batch.add(List.of((String[]) rs.getArray(1).getArray()));
            last = rs.getString(2);
          }
        }
      }
      if (batch.isEmpty()) {
        break;
      }
      compared += batch.size();
      for (String d : differences(key, batch)) {
        if (differences.size() < listed) {
          differences.add(d);
        } else {
          unlisted++;
        }
      }
      after = last;
    }
    Optional<Long> expected = expectedRows(key);
    if (expected.isPresent() && expected.get() != actualRows(key)) {
      differences.add(
          "table "
              + key
              + ": a fresh run publishes "
              + expected.get()
              + " rows, the target holds "
              + actualRows(key));
    } else if (expected.isEmpty() && !table.shared()) {
      differences.add(
          "table "
              + key
              + ": the rows a fresh run publishes cannot be counted on this source (a cast needs"
              + " PostgreSQL 16 there); the row count is unknown: run validate after cutover");
    }
    if (unlisted > 0) {
      differences.add("... and " + unlisted + " more keys of table " + key + " differ");
    }
    return compared;
  }

  /** The rows a fresh run publishes for the tenant in table {@code key}; empty when unknown. */
  public Optional<Long> expectedRows(String key) throws SQLException {
    return tables.get(key).expectedRows();
  }

  /** The tenant's rows of table {@code key} in the target (not for a shared table). */
  public long actualRows(String key) throws SQLException {
    return tables.get(key).actualRows();
  }
}
