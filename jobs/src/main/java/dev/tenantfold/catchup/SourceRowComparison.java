package dev.tenantfold.catchup;

import static dev.tenantfold.jdbc.Sql.ident;

import dev.tenantfold.catchup.CatchUpState.PlannedTable;
import dev.tenantfold.jdbc.JdbcEndpoint;
import dev.tenantfold.jdbc.Sql;
import dev.tenantfold.validate.CutoverFacts;
import dev.tenantfold.validate.CutoverFacts.ComparedWith;
import dev.tenantfold.validate.CutoverFacts.DifferingKey;
import dev.tenantfold.validate.CutoverFacts.RowCount;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The cutover's comparison for a tenant's tables not under rules: every key changed since the base
 * copy ({@code catchup_changed_keys}, streamed from the target), the source row against the target
 * row ({@code ROW(<planned columns>)::text}), a thousand keys per query. Its counterpart for tables
 * under rules is {@link RuledComparison}.
 */
final class SourceRowComparison {
  private static final int KEYS_PER_QUERY = 1000;

  private final String tenantId;
  private final JdbcEndpoint target;
  private final String tenantColumn;
  private final CatchUpState state;
  private final Connection source;
  private final Connection targetConn;
  private final Runnable check;

  /**
   * On the cutover's sessions ({@code source}, {@code targetConn}; a second target session reads
   * the rows while the first streams the keys); {@code check} runs before each batch (the freeze's
   * deadline).
   */
  SourceRowComparison(
      String tenantId,
      JdbcEndpoint target,
      String tenantColumn,
      CatchUpState state,
      Connection source,
      Connection targetConn,
      Runnable check) {
    this.tenantId = tenantId;
    this.target = target;
    this.tenantColumn = tenantColumn;
    this.state = state;
    this.source = source;
    this.targetConn = targetConn;
    this.check = check;
  }

  /**
   * The cutover's facts of {@code partition}'s table: its changed keys compared, the first {@code
   * listed} that differ, and {@code rowCount}.
   */
  CutoverFacts compare(TenantPartition partition, int listed, RowCount rowCount)
      throws SQLException {
    PlannedTable table = partition.table();
    DifferingKeys differing = new DifferingKeys(listed);
    List<String> batch = new ArrayList<>();
    try (PreparedStatement ps =
        targetConn.prepareStatement(
            "SELECT to_jsonb(key)::text FROM "
                + state.table("catchup_changed_keys")
                + " WHERE tenant_id = ? AND table_name = ? ORDER BY key")) {
      ps.setString(1, tenantId);
      ps.setString(2, table.key());
      ps.setFetchSize(KEYS_PER_QUERY);
      // A cursor: the keys stream in, never all held.
      boolean auto = targetConn.getAutoCommit();
      targetConn.setAutoCommit(false);
      try (Connection reader = target.connect("tenantfold-cutover-rows-" + tenantId);
          ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          batch.add(rs.getString(1));
          if (batch.size() == KEYS_PER_QUERY) {
            check.run();
            compareBatch(reader, partition, batch, differing);
            batch.clear();
          }
        }
        compareBatch(reader, partition, batch, differing);
      } finally {
        targetConn.commit();
        targetConn.setAutoCommit(auto);
      }
    }
    return differing.facts(table.key(), ComparedWith.SOURCE_ROW, rowCount);
  }

  private void compareBatch(
      Connection reader, TenantPartition partition, List<String> keys, DifferingKeys differing)
      throws SQLException {
    if (keys.isEmpty()) {
      return;
    }
    PlannedTable table = partition.table();
    String json = "[" + String.join(",", keys) + "]";
    Map<String, String> sourceRows =
        rowsByKey(source, Cutover.sourceRelation(source, table), table, json, "");
    Map<String, String> targetRows =
        rowsByKey(
            reader,
            partition.relation(),
            table,
            json,
            "r." + ident(tenantColumn) + " = " + Sql.literal(tenantId));
    for (String key : keys) {
      String s = sourceRows.get(key);
      String t = targetRows.get(key);
      if (!Objects.equals(s, t)) {
        differing.add(new DifferingKey(key, Optional.ofNullable(s), Optional.ofNullable(t)));
      }
    }
    differing.compared(keys.size());
  }

  /**
   * Each key's row as text ({@code ROW(planned columns)::text}), keyed by the key's JSON text;
   * {@code tenantPredicate} ({@code r.tenant_id = 'acme'}) leads the join on the target, whose key
   * index starts with the tenant column.
   */
  private static Map<String, String> rowsByKey(
      Connection conn, String relation, PlannedTable table, String keysJson, String tenantPredicate)
      throws SQLException {
    List<String> pk = table.primaryKey();
    List<String> predicates = new ArrayList<>();
    if (!tenantPredicate.isEmpty()) {
      predicates.add(tenantPredicate);
    }
    for (int i = 0; i < pk.size(); i++) {
      predicates.add("r." + ident(pk.get(i)) + " = (k.key->>" + i + ")::" + table.type(pk.get(i)));
    }
    String join = String.join(" AND ", predicates);
    String columns =
        table.columns().stream().map(c -> "r." + ident(c)).collect(Collectors.joining(", "));
    Map<String, String> out = new HashMap<>();
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT k.key::text, ROW("
                + columns
                + ")::text FROM jsonb_array_elements(?::jsonb) k(key) JOIN "
                + relation
                + " r ON "
                + join)) {
      ps.setString(1, keysJson);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          // jsonb prints the key as the target's to_jsonb did: the same text on both sides.
          out.put(rs.getString(1), rs.getString(2));
        }
      }
    }
    return out;
  }
}
