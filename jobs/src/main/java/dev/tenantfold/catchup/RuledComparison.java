package dev.tenantfold.catchup;

import dev.tenantfold.catchup.CatchUpState.PlannedTable;
import dev.tenantfold.config.SchemaMap;
import dev.tenantfold.config.TenantConfig;
import dev.tenantfold.jdbc.Sql;
import dev.tenantfold.validate.CutoverFacts;
import dev.tenantfold.validate.CutoverFacts.ComparedWith;
import dev.tenantfold.validate.CutoverFacts.DifferingKey;
import dev.tenantfold.validate.CutoverFacts.FreshRun;
import dev.tenantfold.validate.CutoverFacts.NotCounted;
import dev.tenantfold.validate.CutoverFacts.RowCount;
import dev.tenantfold.validate.CutoverFacts.Why;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
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
 * #covers} says whether it is under rules; if so, {@link #compareTable} gathers the table's facts
 * for the verdict ({@link dev.tenantfold.validate.CutoverFacts}, judged by {@link
 * dev.tenantfold.validate.TableVerifier}) in place of the comparison of source and target rows and
 * the carried row count: its changed keys against what a fresh run publishes ({@link #differences}
 * says each difference as the cutover lists it), and {@link #expectedRows} / {@link #actualRows}
 * the row counts ({@code expectedRows} empty: unknown on this source, or a shared table).
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
   * catchup_changed_keys} holds them) whose target row differs from what a fresh run publishes, as
   * the cutover lists it.
   */
  public List<String> differences(String key, List<List<String>> keys) throws SQLException {
    return differingKeys(key, keys).stream()
        .map(d -> d.describe(key, ComparedWith.FRESH_RUN))
        .toList();
  }

  /**
   * The keys of {@code keys} whose target row differs from what a fresh run publishes, in key
   * order.
   */
  List<DifferingKey> differingKeys(String key, List<List<String>> keys) throws SQLException {
    RuledTable table = tables.get(key);
    Map<String, String> expected = table.expected(keys);
    Map<String, String> actual = table.actual(keys);
    Set<String> overruled = table.overruled();
    Set<String> all = new TreeSet<>(expected.keySet());
    all.addAll(actual.keySet());
    List<DifferingKey> out = new ArrayList<>();
    for (String k : all) {
      String e = expected.get(k);
      String a = actual.get(k);
      if (table.shared() && (e == null || overruled.contains(k))) {
        continue;
      }
      if (!Objects.equals(e, a)) {
        out.add(new DifferingKey(k, Optional.ofNullable(e), Optional.ofNullable(a)));
      }
    }
    return out;
  }

  /** Keys compared per query. */
  static final int KEYS_PER_QUERY = 1000;

  /**
   * The cutover's facts of table {@code key}: every key changed since the base copy ({@code
   * catchup_changed_keys}, read a thousand at a time) compared, the first {@code listed} that
   * differ, and the tenant's row count against what a fresh run publishes.
   */
  public CutoverFacts compareTable(String key, String reportSchema, String tenantId, int listed)
      throws SQLException {
    RuledTable table = tables.get(key);
    DifferingKeys differing = new DifferingKeys(listed);
    String after = null;
    while (true) {
      List<List<String>> batch = new ArrayList<>();
      String last = null;
      try (PreparedStatement ps =
          table
              .targetConnection()
              .prepareStatement(
                  "SELECT key, key::text FROM "
                      + Sql.qualified(reportSchema, "catchup_changed_keys")
                      + " WHERE tenant_id = ? AND table_name = ? AND (?::text[] IS NULL OR key >"
                      + " ?::text[]) ORDER BY 1 LIMIT "
                      + KEYS_PER_QUERY)) {
        ps.setString(1, tenantId);
        ps.setString(2, key);
        ps.setString(3, after);
        ps.setString(4, after);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            batch.add(List.of((String[]) rs.getArray(1).getArray()));
            last = rs.getString(2);
          }
        }
      }
      if (batch.isEmpty()) {
        break;
      }
      differing.compared(batch.size());
      differingKeys(key, batch).forEach(differing::add);
      after = last;
    }
    return differing.facts(key, ComparedWith.FRESH_RUN, rowCount(table));
  }

  /** The tenant's rows against a fresh run's: not for a shared table, unknown on an old source. */
  private static RowCount rowCount(RuledTable table) throws SQLException {
    if (table.shared()) {
      return new NotCounted(Why.SHARED_TABLE);
    }
    Optional<Long> expected = table.expectedRows();
    return expected.isPresent()
        ? new FreshRun(expected.get(), table.actualRows())
        : new NotCounted(Why.FRESH_RUN_UNCOUNTABLE);
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
