package dev.tenantfold.catchup;

import dev.tenantfold.catchup.CatchUpState.PlannedTable;
import dev.tenantfold.catchup.PgOutput.Column;
import dev.tenantfold.catchup.PgOutput.Relation;
import dev.tenantfold.catchup.PgOutput.Tuple;
import dev.tenantfold.jdbc.Sql;
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

  /** The batch's changes per table, for the report ({@link PassLog}). */
  private final PassLog.Counts applied = new PassLog.Counts();

  /** The pass the changes are recorded under; null: not recorded. */
  private PassLog pass;

  /** The table of the pending batch ({@link #add}). */
  private String pendingTable;

  /**
   * The base copy is at a later point than the slot's start (a restored copy, a snapshot export):
   * the stream replays changes the target may hold already ({@link #replayingOverlap}).
   */
  private boolean overlap;

  /** With {@link #overlap}: the base copy's point; transactions committed up to it are in it. */
  private java.time.Instant overlapUntil;

  /**
   * The source transaction being applied committed at or before {@link #overlapUntil}: a change of
   * it that conflicts with a key or reference of the copy's later state is skipped.
   */
  private boolean inOverlapTransaction;

  /** With {@link #inOverlapTransaction}: each batched row's values, to retry one by one. */
  private final List<List<String>> pendingValues = new ArrayList<>();

  /** With {@link #overlap}: per batched row update, the row it is meant for. */
  private final List<RowUpdate> pendingRowUpdates = new ArrayList<>();

  // Row counts are carried only for transactions after the base copy's point: a restored copy
  // already holds the effects of those committed before it (replayed inserts find their rows).

  /** The pending batch is of deletes by key: rows it finds absent are counted, not an error. */
  private boolean pendingDeletes;

  private final Map<String, Long> skipped = new HashMap<>();

  /** A row update by key sent as part of a batch: the table, and the row's key after it. */
  private record RowUpdate(Bound bound, List<String> newKey) {}

  /**
   * A relation of the stream bound to its partition: {@code slot[i]} is the planned index; {@code
   * ruled} applies the table's rules (null: none); {@code partition} null: a table the rules
   * exclude, whose changes are not applied.
   */
  private record Bound(TenantPartition partition, int[] slot, RuledTable ruled) {}

  /** Tables under rules, by key ({@link PlannedTable#key}). */
  private final Map<String, RuledTable> ruled;

  /** Whether the rules exclude the source table {@code schema.name} (never published). */
  private final java.util.function.BiPredicate<String, String> excluded;

  private final CatchUpRules rules;
  private final String runId;

  /** The ruled table holding gathered changes: applied before a change of another table. */
  private RuledTable active;

  /** Per table losing rows in this catch-up: its rows before the first loss, and a bound on it. */
  private final Map<String, long[]> shrinking = new java.util.LinkedHashMap<>();

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
    this(
        tenantId,
        target,
        source,
        partitions,
        state,
        Map.of(),
        (schema, name) -> false,
        CatchUpRules.none(),
        "");
  }

  /**
   * @param ruled the tables under rules, by key: their changes are applied as a run would publish
   *     them ({@link RuledTable})
   * @param excluded whether the rules exclude a source table (schema, name): its changes are
   *     skipped
   * @param runId the run whose published data catch-up carries on (its rejects and duplicates)
   */
  ChangeApplier(
      String tenantId,
      Connection target,
      Connection source,
      Map<String, TenantPartition> partitions,
      CatchUpState state,
      Map<String, RuledTable> ruled,
      java.util.function.BiPredicate<String, String> excluded,
      CatchUpRules rules,
      String runId) {
    this.tenantId = tenantId;
    this.target = target;
    this.source = source;
    this.partitions = partitions;
    this.state = state;
    this.ruled = Map.copyOf(ruled);
    this.excluded = excluded;
    this.rules = rules;
    this.runId = runId;
  }

  /** Records the changes applied per table under {@code pass}, with each batch. */
  void recordingTo(PassLog pass) {
    this.pass = pass;
  }

  /** Inserts, updates, deletes and truncates applied so far (committed or not). */
  Map<String, Long> counts() {
    return Map.copyOf(counts);
  }

  void relation(Relation r) throws SQLException {
    TenantPartition partition = partitions.get(r.namespace() + "." + r.name());
    if (partition == null && excluded.test(r.namespace(), r.name())) {
      // A table the rules exclude (a DBA's publication may cover it): never published, not applied.
      relations.put(r.id(), new Bound(null, new int[0], null));
      return;
    }
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
    relations.put(r.id(), new Bound(partition, slot, ruled.get(planned.key())));
  }

  void insert(PgOutput.Insert m) throws SQLException {
    Bound b = bound(m.relation());
    if (skipped(b)) {
      return;
    }
    if (b.ruled() != null) {
      String[] row = planned(b, m.row());
      List<String> key = key(b, row);
      use(b.ruled()).upsert(row, unchanged(b, m.row()), key, key);
      changed(b, key);
      count(b, "inserts", PassLog.Counts.INSERTS);
      return;
    }
    upsert(b, planned(b, m.row()));
    count(b, "inserts", PassLog.Counts.INSERTS);
    if (!inOverlapTransaction) {
      rowCounts.inserted(b.partition().table().key());
    }
  }

  void update(PgOutput.Update m) throws SQLException {
    Bound b = bound(m.relation());
    if (skipped(b)) {
      return;
    }
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
    if (b.ruled() != null) {
      use(b.ruled()).upsert(row, unchanged, oldKey, newKey);
      changed(b, oldKey);
      changed(b, newKey);
      count(b, "updates", PassLog.Counts.UPDATES);
      return;
    }
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
      addRowUpdate(b, b.partition().updateSql(set), values, newKey);
    } else {
      if (!oldKey.equals(newKey)) {
        addDelete(b, b.partition().deleteSql(), oldKey);
      }
      upsert(b, row);
    }
    changed(b, oldKey);
    changed(b, newKey);
    count(b, "updates", PassLog.Counts.UPDATES);
  }

  void delete(PgOutput.Delete m) throws SQLException {
    Bound b = bound(m.relation());
    if (skipped(b)) {
      return;
    }
    List<String> key = key(b, planned(b, m.oldKey() != null ? m.oldKey() : m.oldRow()));
    if (b.ruled() != null) {
      if (!b.ruled().shared()) {
        losing(b);
      }
      use(b.ruled()).delete(key);
    } else {
      losing(b);
      addDelete(b, b.partition().deleteSql(), key);
      shrinking.get(b.partition().table().key())[1]++;
    }
    changed(b, key);
    count(b, "deletes", PassLog.Counts.DELETES);
    if (!inOverlapTransaction && b.ruled() == null) {
      // Row counts are carried for tables without rules; under rules the cutover counts what a
      // fresh run would publish (RuledComparison).
      rowCounts.deleted(b.partition().table().key());
    }
  }

  /**
   * Empties the tenant's partition of each truncated table (never another tenant's rows; never a
   * shared table: listed instead).
   */
  void truncate(PgOutput.Truncate m) throws SQLException {
    for (int id : m.relations()) {
      Bound b = bound(id);
      if (skipped(b)) {
        continue;
      }
      if (b.ruled() == null || !b.ruled().shared()) {
        losing(b);
        // At most every row the table held goes.
        shrinking.get(b.partition().table().key())[1] = Long.MAX_VALUE / 2;
      }
      if (b.ruled() != null) {
        use(b.ruled()).truncate();
      } else {
        add(b.partition().table().key(), b.partition().emptySql(), List.of(), false);
      }
      count(b, "truncates", PassLog.Counts.TRUNCATES);
      if (!inOverlapTransaction && b.ruled() == null) {
        rowCounts.truncated(b.partition().table().key());
      }
    }
  }

  /**
   * Sends what is batched and records the changed keys, then refuses a table that lost more rows
   * through catch-up than the shrink guard allows: call before the transaction commits.
   */
  void flush() throws SQLException {
    flushRuled();
    flushPending();
    flushKeys();
    rowCounts.flush(target, state, tenantId);
    applied.flush(target, pass);
    checkShrink();
  }

  private boolean skipped(Bound b) {
    if (b.partition() == null) {
      count("skipped (table excluded by rules)");
      return true;
    }
    return false;
  }

  /** {@code r}, after what another table gathered or batched was applied (commit order kept). */
  private RuledTable use(RuledTable r) throws SQLException {
    if (active != r) {
      flushRuled();
      flushPending();
      active = r;
    } else if (r.full()) {
      flushRuled();
      active = r;
    }
    return r;
  }

  private void flushRuled() throws SQLException {
    if (active != null) {
      RuledTable r = active;
      active = null;
      long lost = r.flush();
      long[] tracked = shrinking.get(r.key());
      if (tracked != null && lost > 0) {
        tracked[1] += lost;
      }
    }
  }

  /**
   * A delete or truncate on {@code b}'s table: the first in this catch-up counts the table's rows
   * before it (what was gathered applied first), for the shrink guard.
   */
  private void losing(Bound b) throws SQLException {
    String key = b.partition().table().key();
    if (shrinking.containsKey(key)) {
      return;
    }
    flushRuled();
    flushPending();
    shrinking.put(key, new long[] {count(b.partition()), 0});
  }

  private long count(TenantPartition p) throws SQLException {
    try (java.sql.Statement st = target.createStatement();
        ResultSet rs = st.executeQuery("SELECT count(*) FROM " + p.relation())) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /**
   * The shrink guard of a run ({@link dev.tenantfold.validate.ShrinkGuard}, {@code
   * publish.max-shrink}, {@code publish.allow-shrink}, {@code --allow-shrink}) over the rows a
   * table held before its first delete or truncate of this catch-up and the rows it holds now. The
   * rows are counted again only when the deletes could have lost more than the guard allows.
   */
  private void checkShrink() throws SQLException {
    if (rules.allowShrink()) {
      return;
    }
    for (Map.Entry<String, long[]> e : shrinking.entrySet()) {
      long before = e.getValue()[0];
      long bound = e.getValue()[1];
      if (before == 0 || bound <= before * rules.maxShrink()) {
        continue;
      }
      TenantPartition p = partitionOf(e.getKey());
      long after = count(p);
      var guard =
          new dev.tenantfold.validate.ShrinkGuard(
              tenantId,
              Map.of(
                  e.getKey(),
                  new dev.tenantfold.validate.ShrinkGuard.Published(e.getKey(), runId, before)),
              false,
              rules.maxShrink());
      var refused = guard.refuseEmptied(e.getKey(), after);
      if (refused.isPresent()) {
        throw new SQLException(
            "Cannot catch up tenant "
                + tenantId
                + ": its changes would take table "
                + e.getKey()
                + " from "
                + before
                + " rows to "
                + after
                + " ("
                + String.format(java.util.Locale.ROOT, "%.1f", (before - after) * 100.0 / before)
                + "% fewer, more than publish.max-shrink = "
                + String.format(java.util.Locale.ROOT, "%.0f", rules.maxShrink() * 100)
                + "%); nothing of this batch was applied. If the source really lost those rows,"
                + " allow it: publish.allow-shrink = ["
                + tenantId
                + "] (or --allow-shrink "
                + tenantId
                + "), then catch up again");
      }
    }
  }

  private TenantPartition partitionOf(String key) {
    return partitions.values().stream()
        .filter(p -> p.table().key().equals(key))
        .findFirst()
        .orElseThrow();
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
    pendingDeletes = false;
    pendingRowUpdates.clear();
    pendingValues.clear();
    changedKeys.clear();
    rowCounts.discard();
    applied.discard();
    active = null;
    ruled.values().forEach(RuledTable::discard);
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
    add(b.partition().table().key(), b.partition().upsertSql(), Arrays.asList(row), false);
    changed(b, key(b, row));
  }

  private void add(String table, String sql, List<String> values, boolean expectsRows)
      throws SQLException {
    // What a ruled table gathered is applied first: commit order across tables is kept.
    flushRuled();
    if (!sql.equals(pendingSql) || pendingCount >= MAX_BATCH) {
      flushPending();
      PreparedStatement ps = statements.get(sql);
      if (ps == null) {
        ps = target.prepareStatement(sql);
        statements.put(sql, ps);
      }
      pending = ps;
      pendingSql = sql;
      pendingTable = table;
      pendingExpectsRows = expectsRows;
      pendingDeletes = false;
      pendingRowUpdates.clear();
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
    if (inOverlapTransaction) {
      pendingValues.add(new ArrayList<>(values));
    }
  }

  private void flushPending() throws SQLException {
    if (pending == null || pendingCount == 0) {
      return;
    }
    int[] updated = inOverlapTransaction ? executeOverlap() : pending.executeBatch();
    pendingValues.clear();
    if (overlap && pendingExpectsRows) {
      List<RowUpdate> rows = List.copyOf(pendingRowUpdates);
      pendingRowUpdates.clear();
      pendingCount = 0;
      for (int i = 0; i < updated.length; i++) {
        if (updated[i] == 0) {
          fetchFromSource(rows.get(i));
        }
      }
      return;
    }
    if (pendingDeletes) {
      for (int n : updated) {
        if (n == 0) {
          skip(pendingTable, "deletes of rows the target does not hold");
        }
      }
    }
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
    pendingRowUpdates.clear();
  }

  /**
   * Replays changes the target may hold already: the base copy is at a later point than the slot's
   * start (a restored copy, a snapshot export). A delete or key update of a row the target does not
   * hold is skipped and counted (a later change explains it: the copy holds the row's later state);
   * an update leaving a TOASTed value unchanged of a row the target does not hold takes the row
   * from the source by key, and is skipped when the source no longer holds it either (a later
   * delete or key update follows in the stream). Without this, such an update stops the tenant.
   */
  void replayingOverlap(java.time.Instant basePoint) {
    overlap = true;
    overlapUntil = basePoint;
  }

  /**
   * A source transaction committed at {@code commitTime} starts. With {@link #replayingOverlap}, a
   * transaction committed at or before the base copy's point is one the copy holds: the copy holds
   * the later state of the rows it touched, so a change of it that breaks a unique key or a foreign
   * key against that later state (a row holding the value now, a parent deleted since) is skipped
   * and counted; the row's later change in the stream sets it (docs/catch-up.md).
   */
  void begin(java.time.Instant commitTime) throws SQLException {
    boolean in = overlap && !commitTime.isAfter(overlapUntil);
    if (in != inOverlapTransaction) {
      flushPending();
      inOverlapTransaction = in;
    }
  }

  /** Changes that found nothing to change, by kind (see {@link #replayingOverlap}). */
  Map<String, Long> skipped() {
    return Map.copyOf(skipped);
  }

  private void addDelete(Bound b, String sql, List<String> key) throws SQLException {
    add(b.partition().table().key(), sql, key, false);
    pendingDeletes = true;
  }

  private void addRowUpdate(Bound b, String sql, List<String> values, List<String> newKey)
      throws SQLException {
    add(b.partition().table().key(), sql, values, true);
    pendingRowUpdates.add(new RowUpdate(b, newKey));
  }

  /**
   * An update leaving a TOASTed value unchanged found no row in the target (replaying an overlap):
   * the row as the source holds it now, upserted; later changes in the stream bring it to each
   * later state. Skipped when the source no longer holds the key.
   */
  private void fetchFromSource(RowUpdate row) throws SQLException {
    PlannedTable table = row.bound().partition().table();
    List<String> columns = table.columns();
    String sql =
        "SELECT "
            + columns.stream().map(c -> Sql.ident(c) + "::text").collect(Collectors.joining(", "))
            + " FROM "
            + Sql.qualified(table.sourceSchema(), table.sourceName())
            + " WHERE "
            + table.primaryKey().stream()
                .map(c -> Sql.ident(c) + " = ?")
                .collect(Collectors.joining(" AND "));
    String[] values = null;
    try (PreparedStatement ps = source.prepareStatement(sql)) {
      for (int i = 0; i < row.newKey().size(); i++) {
        ps.setObject(i + 1, row.newKey().get(i), Types.OTHER);
      }
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          values = new String[columns.size()];
          for (int i = 0; i < values.length; i++) {
            values[i] = rs.getString(i + 1);
          }
        }
      }
    }
    if (values == null) {
      skip(table.key(), "updates of rows neither the target nor the source holds");
      return;
    }
    try (PreparedStatement ps = target.prepareStatement(row.bound().partition().upsertSql())) {
      for (int i = 0; i < values.length; i++) {
        if (values[i] == null) {
          ps.setNull(i + 1, Types.OTHER);
        } else {
          ps.setObject(i + 1, values[i], Types.OTHER);
        }
      }
      if (executeOrSkip(ps, table.key()) == SKIPPED) {
        return;
      }
    }
    skip(table.key(), "updates of rows the target does not hold, taken from the source");
  }

  /** A row a change skipped in the overlap (it conflicted with the copy's later state). */
  private static final int SKIPPED = -3;

  /**
   * The pending batch of an overlap transaction: as one batch under a savepoint; when a row breaks
   * a unique or foreign key, back to the savepoint and row by row, each under its own savepoint,
   * skipping the rows that break one ({@link #SKIPPED}).
   */
  private int[] executeOverlap() throws SQLException {
    java.sql.Savepoint batch = target.setSavepoint();
    try {
      int[] updated = pending.executeBatch();
      target.releaseSavepoint(batch);
      return updated;
    } catch (SQLException e) {
      if (!conflict(e)) {
        throw e;
      }
      target.rollback(batch);
      pending.clearBatch();
    }
    int[] updated = new int[pendingValues.size()];
    for (int r = 0; r < updated.length; r++) {
      List<String> values = pendingValues.get(r);
      for (int i = 0; i < values.size(); i++) {
        if (values.get(i) == null) {
          pending.setNull(i + 1, Types.OTHER);
        } else {
          pending.setObject(i + 1, values.get(i), Types.OTHER);
        }
      }
      updated[r] = executeOrSkip(pending, pendingTable);
    }
    return updated;
  }

  /**
   * Runs {@code ps} once; in an overlap transaction under a savepoint, and a unique or foreign key
   * it breaks skips it ({@link #SKIPPED}, counted) instead of failing.
   */
  private int executeOrSkip(PreparedStatement ps, String table) throws SQLException {
    if (!inOverlapTransaction) {
      return ps.executeUpdate();
    }
    java.sql.Savepoint row = target.setSavepoint();
    try {
      int n = ps.executeUpdate();
      target.releaseSavepoint(row);
      return n;
    } catch (SQLException e) {
      if (!conflict(e)) {
        throw e;
      }
      target.rollback(row);
      skip(
          table,
          "changes the copy's later state conflicts with (a unique or foreign key), skipped");
      return SKIPPED;
    }
  }

  /** A unique, exclusion or foreign key violation, as the server reports it. */
  private static boolean conflict(SQLException e) {
    for (SQLException x = e; x != null; x = x.getNextException()) {
      String state = x.getSQLState();
      if ("23505".equals(state) || "23503".equals(state) || "23P01".equals(state)) {
        return true;
      }
    }
    return false;
  }

  private void skip(String table, String kind) {
    skipped.merge(kind, 1L, Long::sum);
    applied.add(table, PassLog.Counts.SKIPPED);
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

  /** A change of {@code b}'s table of {@code kind} ({@code index}: {@link PassLog.Counts}). */
  private void count(Bound b, String kind, int index) {
    count(kind);
    applied.add(b.partition().table().key(), index);
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
