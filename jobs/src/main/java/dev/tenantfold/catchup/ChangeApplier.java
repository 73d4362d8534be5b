package dev.tenantfold.catchup;

import dev.tenantfold.catchup.CatchUpState.PlannedTable;
import dev.tenantfold.catchup.PgOutput.Column;
import dev.tenantfold.catchup.PgOutput.Relation;
import dev.tenantfold.catchup.PgOutput.Tuple;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Replays decoded changes into a tenant's partitions inside the caller's open target transaction,
 * in the order they arrive, idempotently: an insert or a complete update is an upsert by key, a
 * delete deletes by key, a TRUNCATE empties the tenant's partition. Consecutive changes with the
 * same statement go to the server as one JDBC batch; order across statements is kept by flushing
 * the batch before a different statement. The keys changed are recorded for {@code cutover}'s
 * check, in the same transaction. A relation whose columns differ from the base copy's stops the
 * tenant ({@link SourceChanged}).
 */
final class ChangeApplier {
  /** The source's shape changed since the base copy: catch-up cannot go on without a re-plan. */
  static final class SourceChanged extends SQLException {
    SourceChanged(String message) {
      super(message);
    }
  }

  /** Rows per JDBC batch and changed keys held before they are written: bounded memory. */
  static final int MAX_BATCH = 1000;

  private final String tenantId;
  private final Connection target;
  private final Connection source;
  private final Map<String, TenantPartition> partitions;
  private final CatchUpState state;
  private final Map<Integer, Bound> relations = new HashMap<>();
  private final Map<String, String> typeNames = new HashMap<>();
  private final Map<String, PreparedStatement> statements = new HashMap<>();
  private final Set<List<String>> changedKeys = new LinkedHashSet<>();
  private PreparedStatement pending;
  private String pendingSql;
  private boolean pendingExpectsRows;
  private int pendingCount;
  private final Map<String, Long> counts = new HashMap<>();
  private final RowCounts rowCounts = new RowCounts();

  /** A relation of the stream bound to its partition: {@code slot[i]} is the planned index. */
  private record Bound(TenantPartition partition, int[] slot) {}

  /**
   * @param partitions the tenant's partitions by source {@code schema.name}
   * @param source a plain session on the tenant's source, to name the types of a relation message
   */
  ChangeApplier(
      String tenantId,
      Connection target,
      Connection source,
      Map<String, TenantPartition> partitions,
      CatchUpState state) {
    this.tenantId = tenantId;
    this.target = target;
    this.source = source;
    this.partitions = partitions;
    this.state = state;
  }

  /** Inserts, updates, deletes and truncates applied so far (committed or not). */
  Map<String, Long> counts() {
    return Map.copyOf(counts);
  }

  void relation(Relation r) throws SQLException {
    TenantPartition partition = partitions.get(r.namespace() + "." + r.name());
    if (partition == null) {
      throw new SourceChanged(
          "Cannot catch up tenant "
              + tenantId
              + ": the publication sends changes of table "
              + r.namespace()
              + "."
              + r.name()
              + ", which its base copy did not plan; re-plan and run the tenant again (tenantfold"
              + " run), then catch up");
    }
    PlannedTable planned = partition.table();
    List<String> problems = new ArrayList<>();
    List<String> names = r.columns().stream().map(Column::name).toList();
    for (Column c : r.columns()) {
      int at = planned.columns().indexOf(c.name());
      if (at < 0) {
        problems.add("column " + c.name() + " added");
        continue;
      }
      if (!(Integer.toUnsignedLong(c.typeOid()) + "/" + c.typeModifier())
          .equals(planned.typeIds().get(at))) {
        problems.add(
            "column "
                + c.name()
                + " changed type from "
                + planned.types().get(at)
                + " to "
                + typeName(c.typeOid(), c.typeModifier()));
      }
    }
    for (String c : planned.columns()) {
      if (!names.contains(c)) {
        problems.add("column " + c + " dropped");
      }
    }
    if (!problems.isEmpty()) {
      throw new SourceChanged(
          "Cannot catch up tenant "
              + tenantId
              + " table "
              + planned.key()
              + ": the source changed since the base copy ("
              + String.join(", ", problems)
              + "); catch-up never guesses: re-plan and run the tenant again (tenantfold run),"
              + " then catch up");
    }
    int[] slot = new int[names.size()];
    for (int i = 0; i < slot.length; i++) {
      slot[i] = planned.columns().indexOf(names.get(i));
    }
    relations.put(r.id(), new Bound(partition, slot));
  }

  void insert(PgOutput.Insert m) throws SQLException {
    Bound b = bound(m.relation());
    upsert(b, planned(b, m.row()));
    count("inserts");
    rowCounts.inserted(b.partition().table().key());
  }

  void update(PgOutput.Update m) throws SQLException {
    Bound b = bound(m.relation());
    String[] row = planned(b, m.row());
    boolean[] unchanged = unchanged(b, m.row());
    if (m.oldRow() != null) {
      // REPLICA IDENTITY FULL: the old row is complete; unchanged values come from it.
      String[] old = planned(b, m.oldRow());
      for (int i = 0; i < row.length; i++) {
        if (unchanged[i]) {
          row[i] = old[i];
          unchanged[i] = false;
        }
      }
    }
    List<String> newKey = key(b, row);
    List<String> oldKey =
        m.oldKey() != null
            ? key(b, planned(b, m.oldKey()))
            : m.oldRow() != null ? key(b, planned(b, m.oldRow())) : newKey;
    boolean anyUnchanged = false;
    for (boolean u : unchanged) {
      anyUnchanged |= u;
    }
    if (anyUnchanged) {
      // A TOASTed value the update did not change was not sent: the target row holds it.
      List<String> columns = b.partition().table().columns();
      List<String> set = new ArrayList<>();
      List<String> values = new ArrayList<>();
      for (int i = 0; i < row.length; i++) {
        if (!unchanged[i]) {
          set.add(columns.get(i));
          values.add(row[i]);
        }
      }
      values.addAll(oldKey);
      add(b.partition().updateSql(set), values, true);
    } else {
      if (!oldKey.equals(newKey)) {
        add(b.partition().deleteSql(), oldKey, false);
      }
      upsert(b, row);
    }
    changed(b, oldKey);
    changed(b, newKey);
    count("updates");
  }

  void delete(PgOutput.Delete m) throws SQLException {
    Bound b = bound(m.relation());
    List<String> key = key(b, planned(b, m.oldKey() != null ? m.oldKey() : m.oldRow()));
    add(b.partition().deleteSql(), key, false);
    changed(b, key);
    count("deletes");
    rowCounts.deleted(b.partition().table().key());
  }

  /** Empties the tenant's partition of each truncated table (never another tenant's rows). */
  void truncate(PgOutput.Truncate m) throws SQLException {
    for (int id : m.relations()) {
      Bound b = bound(id);
      add(b.partition().emptySql(), List.of(), false);
      count("truncates");
      rowCounts.truncated(b.partition().table().key());
    }
  }

  /** Sends what is batched and records the changed keys: call before the transaction commits. */
  void flush() throws SQLException {
    flushPending();
    flushKeys();
    rowCounts.flush(target, state, tenantId);
  }

  private void flushKeys() throws SQLException {
    if (changedKeys.isEmpty()) {
      return;
    }
    try (PreparedStatement ps =
        target.prepareStatement(
            "INSERT INTO "
                + state.table("catchup_changed_keys")
                + " (tenant_id, table_name, key) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")) {
      for (List<String> entry : changedKeys) {
        ps.setString(1, tenantId);
        ps.setString(2, entry.get(0));
        ps.setArray(3, target.createArrayOf("text", entry.subList(1, entry.size()).toArray()));
        ps.addBatch();
      }
      ps.executeBatch();
    }
    changedKeys.clear();
  }

  /** Forgets what is batched (the transaction rolled back). */
  void discard() {
    pending = null;
    pendingSql = null;
    pendingCount = 0;
    changedKeys.clear();
    rowCounts.discard();
  }

  void close() {
    for (PreparedStatement ps : statements.values()) {
      try {
        ps.close();
      } catch (SQLException ignored) {
        // Closing with the connection anyway.
      }
    }
    statements.clear();
  }

  private void upsert(Bound b, String[] row) throws SQLException {
    add(b.partition().upsertSql(), Arrays.asList(row), false);
    changed(b, key(b, row));
  }

  private void add(String sql, List<String> values, boolean expectsRows) throws SQLException {
    if (!sql.equals(pendingSql) || pendingCount >= MAX_BATCH) {
      flushPending();
      PreparedStatement ps = statements.get(sql);
      if (ps == null) {
        ps = target.prepareStatement(sql);
        statements.put(sql, ps);
      }
      pending = ps;
      pendingSql = sql;
      pendingExpectsRows = expectsRows;
    }
    for (int i = 0; i < values.size(); i++) {
      if (values.get(i) == null) {
        pending.setNull(i + 1, Types.OTHER);
      } else {
        // Untyped: the server reads the text as the column's type, as COPY would.
        pending.setObject(i + 1, values.get(i), Types.OTHER);
      }
    }
    pending.addBatch();
    pendingCount++;
  }

  private void flushPending() throws SQLException {
    if (pending == null || pendingCount == 0) {
      return;
    }
    int[] updated = pending.executeBatch();
    if (pendingExpectsRows) {
      for (int n : updated) {
        if (n == 0) {
          throw new SQLException(
              "Cannot catch up tenant "
                  + tenantId
                  + ": an update left a TOASTed value unchanged but the target has no row with"
                  + " that key to take it from ("
                  + pendingSql
                  + "); the target differs from the source: run the tenant again");
        }
      }
    }
    pendingCount = 0;
  }

  private Bound bound(int relation) throws SQLException {
    Bound b = relations.get(relation);
    if (b == null) {
      throw new SQLException(
          "Cannot catch up tenant "
              + tenantId
              + ": a change of relation "
              + relation
              + " came before its description");
    }
    return b;
  }

  /** The tuple's values in the planned column order. */
  private static String[] planned(Bound b, Tuple t) {
    String[] out = new String[b.partition().table().columns().size()];
    for (int i = 0; i < b.slot().length && i < t.values().length; i++) {
      out[b.slot()[i]] = t.values()[i];
    }
    return out;
  }

  private static boolean[] unchanged(Bound b, Tuple t) {
    boolean[] out = new boolean[b.partition().table().columns().size()];
    for (int i = 0; i < b.slot().length && i < t.unchanged().length; i++) {
      out[b.slot()[i]] = t.unchanged()[i];
    }
    return out;
  }

  private List<String> key(Bound b, String[] row) throws SQLException {
    PlannedTable table = b.partition().table();
    List<String> key = new ArrayList<>(table.primaryKey().size());
    for (String column : table.primaryKey()) {
      String value = row[table.columns().indexOf(column)];
      if (value == null) {
        throw new SQLException(
            "Cannot catch up tenant "
                + tenantId
                + " table "
                + table.key()
                + ": a change came without its primary key column "
                + column
                + " (the table's replica identity is an index other than the primary key); set"
                + " REPLICA IDENTITY DEFAULT on the source table");
      }
      key.add(value);
    }
    return key;
  }

  private void changed(Bound b, List<String> key) throws SQLException {
    List<String> entry = new ArrayList<>(key.size() + 1);
    entry.add(b.partition().table().key());
    entry.addAll(key);
    changedKeys.add(entry);
    if (changedKeys.size() >= MAX_BATCH) {
      // A large source transaction: written as it goes (same target transaction), not held.
      flushKeys();
    }
  }

  private void count(String kind) {
    counts.merge(kind, 1L, Long::sum);
  }

  private String typeName(int oid, int modifier) throws SQLException {
    String cacheKey = oid + "/" + modifier;
    String cached = typeNames.get(cacheKey);
    if (cached != null) {
      return cached;
    }
    try (PreparedStatement ps = source.prepareStatement("SELECT format_type(?::oid, ?)")) {
      ps.setInt(1, oid);
      ps.setInt(2, modifier);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        typeNames.put(cacheKey, rs.getString(1));
        return rs.getString(1);
      }
    }
  }

  static String describe(Map<String, Long> counts) {
    return counts.entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .map(e -> e.getValue() + " " + e.getKey())
        .collect(Collectors.joining(", "));
  }
}
