package dev.tenantfold.catchup;

import static dev.tenantfold.jdbc.Sql.ident;
import static dev.tenantfold.jdbc.Sql.literal;

import dev.tenantfold.catchup.CatchUpState.PlannedTable;
import dev.tenantfold.config.RulesConfig.Dedup;
import dev.tenantfold.config.RulesConfig.TableRule;
import dev.tenantfold.config.SchemaMap;
import dev.tenantfold.conform.ConformedSource;
import dev.tenantfold.conform.TargetTable;
import dev.tenantfold.extract.ColumnSpec;
import dev.tenantfold.extract.TableSpec;
import dev.tenantfold.jdbc.Sql;
import dev.tenantfold.load.LandingTable;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Applies a tenant's changes to one table under rules (casts, defaults, excluded columns, dedup,
 * shared) exactly as a run would publish the rows: the changed rows are landed in a temporary table
 * of the target session, typed as the tenant's columns ({@link LandingTable#createTemporary}), and
 * conformed by the run's own SQL ({@link ConformedSource}: casts with their rejects, defaults, NULL
 * for columns the tenant lacks, excluded and generated columns left out, dedup's kept row and its
 * duplicates), the one owner of those rules.
 *
 * <p>Changes are gathered by key (the last state of each key wins: every change sets a key's row or
 * removes it) and applied together at {@link #flush}: the target rows of every touched key are
 * deleted from the tenant's partition, and the conformed rows inserted; the rejects of those keys
 * are replaced by the ones the cast finds now. Under dedup, the rows of every dedup key a change
 * touches (before or after it) are read again from the source and the kept row recomputed from all
 * of them; the duplicates quarantine is rebuilt for those dedup keys. A shared table takes the
 * tenant's rows by key (as a run merges them), except keys another tenant's row overruled in the
 * run that published the tenant, and never a delete: another tenant may hold the row. Deletes and
 * truncates not applied there are listed in {@code catchup_shared_deletes}.
 */
final class RuledTable {
  /** Rows gathered before they are applied: bounded memory. */
  static final int MAX_PENDING = 1000;

  private static final String SHARED_DELETES = "catchup_shared_deletes";

  /** A key listed by an earlier base copy's catch-up is listed again under this one's run. */
  private static final String SHARED_DELETE_CONFLICT =
      "ON CONFLICT (tenant_id, table_name, kind, key) DO UPDATE SET run_id = EXCLUDED.run_id";

  private final String tenantId;
  private final String runId;
  private final PlannedTable planned;
  private final TableRule rule;
  private final TargetTable table;
  private final TableSpec source;
  private final String relation;
  private final String tenantColumn;
  private final String reportSchema;
  private final LandingTable rows;
  private final String keys;
  private final String dedupKeys;
  private final ConformedSource conformed;
  private final Connection target;
  private final Connection sourceConn;

  /** Each touched key's last state: its row (planned column order), or null once deleted. */
  private final Map<List<String>, String[]> pending = new LinkedHashMap<>();

  /** Keys whose target rows are replaced at the next flush (old keys of key updates too). */
  private final Set<List<String>> touched = new LinkedHashSet<>();

  private boolean truncatePending;

  /**
   * @param index a number unique within the session, for the temporary tables' names
   * @param source the tenant's table as its catalog describes it now
   * @param table the consolidated table (tenant column left out), or the shared table
   */
  RuledTable(
      int index,
      String tenantId,
      String runId,
      PlannedTable planned,
      TableRule rule,
      TableSpec source,
      TargetTable table,
      String relation,
      String tenantColumn,
      String reportSchema,
      SchemaMap targetSchema,
      Connection target,
      Connection sourceConn)
      throws SQLException {
    this.tenantId = tenantId;
    this.runId = runId;
    this.planned = planned;
    this.rule = rule;
    this.table = table;
    this.relation = relation;
    this.tenantColumn = tenantColumn;
    this.reportSchema = reportSchema;
    this.target = target;
    this.sourceConn = sourceConn;
    // The columns the stream sends: the tenant's, generated ones left out (pgoutput does not send
    // them; the target computes its own).
    List<ColumnSpec> replicated =
        source.columns().stream().filter(c -> planned.columns().contains(c.name())).toList();
    for (ColumnSpec c : table.columns()) {
      if (c.loaded() && source.column(c.name()).filter(s -> !s.loaded()).isPresent()) {
        throw new SQLException(
            "Cannot catch up tenant "
                + tenantId
                + " table "
                + planned.key()
                + ": column "
                + c.name()
                + " is generated in the tenant's table but loaded in the consolidated table; its"
                + " changes do not carry the value: leave the tenant's catch-up off");
      }
    }
    this.source =
        new TableSpec(
            "pg_temp",
            "tenantfold_cu_rows_" + index,
            replicated,
            source.primaryKey(),
            List.of(),
            0,
            0,
            false);
    this.rows =
        new LandingTable(0, "pg_temp", this.source.name(), this.source, table, targetSchema);
    this.keys = "tenantfold_cu_keys_" + index;
    this.dedupKeys = "tenantfold_cu_dedup_" + index;
    this.conformed = new ConformedSource(table, this.source, rule);
    this.sourceRelation = source.readRelation();
    this.onSource = new ConformedSource(table, source, rule);
  }

  private final String sourceRelation;

  /** The run's SQL over the tenant's own table: what it publishes, evaluated on the source. */
  private final ConformedSource onSource;

  Connection targetConnection() {
    return target;
  }

  boolean shared() {
    return rule.shared().isPresent();
  }

  String key() {
    return planned.key();
  }

  String relation() {
    return relation;
  }

  /** Creates the session's temporary tables; outside any transaction that may roll back. */
  void prepare() throws SQLException {
    rows.createTemporary(target);
    try (Statement st = target.createStatement()) {
      st.execute(
          "CREATE TEMP TABLE IF NOT EXISTS "
              + ident(keys)
              + " ("
              + columnsOf(source.primaryKey())
              + ")");
      if (rule.dedup().isPresent() && !rule.dedup().get().exact()) {
        st.execute(
            "CREATE TEMP TABLE IF NOT EXISTS "
                + ident(dedupKeys)
                + " ("
                + columnsOf(rule.dedup().get().key())
                + ")");
      }
    }
  }

  private String columnsOf(List<String> names) {
    List<String> out = new ArrayList<>();
    for (String n : names) {
      out.add(ident(n) + " " + planned.type(n));
    }
    return String.join(", ", out);
  }

  /**
   * An insert or an update: {@code row} in planned column order, {@code unchanged} marks values
   * pgoutput left out (unchanged TOASTed values), {@code oldKey} the row's key before the change.
   */
  void upsert(String[] row, boolean[] unchanged, List<String> oldKey, List<String> newKey)
      throws SQLException {
    String[] full = complete(row, unchanged, oldKey, newKey);
    touched.add(oldKey);
    touched.add(newKey);
    if (!oldKey.equals(newKey)) {
      pending.put(oldKey, null);
    }
    // Null when the source no longer holds the row: a later delete of it follows in the stream.
    pending.put(newKey, full);
  }

  void delete(List<String> key) {
    touched.add(key);
    pending.put(key, null);
  }

  /** A TRUNCATE: the tenant's rows of the table go (never a shared table's: listed instead). */
  void truncate() throws SQLException {
    flush();
    if (shared()) {
      try (PreparedStatement ps =
          target.prepareStatement(
              "INSERT INTO "
                  + Sql.qualified(reportSchema, SHARED_DELETES)
                  + " (tenant_id, table_name, kind, key, run_id) VALUES (?, ?, 'truncate', '{}',"
                  + " ?) "
                  + SHARED_DELETE_CONFLICT)) {
        ps.setString(1, tenantId);
        ps.setString(2, table.name());
        ps.setString(3, runId);
        ps.executeUpdate();
      }
      return;
    }
    try (PreparedStatement ps =
            target.prepareStatement(
                "DELETE FROM "
                    + relation
                    + " WHERE "
                    + ident(tenantColumn)
                    + " = "
                    + literal(tenantId));
        PreparedStatement rejects =
            target.prepareStatement(
                "DELETE FROM "
                    + Sql.qualified(reportSchema, "rejects")
                    + " WHERE run_id = ? AND tenant_id = ? AND table_name = ?");
        PreparedStatement duplicates =
            target.prepareStatement(
                "DELETE FROM "
                    + Sql.qualified(reportSchema, "duplicates")
                    + " WHERE run_id = ? AND tenant_id = ? AND table_name = ?")) {
      ps.executeUpdate();
      for (PreparedStatement p : List.of(rejects, duplicates)) {
        p.setString(1, runId);
        p.setString(2, tenantId);
        p.setString(3, table.name());
        p.executeUpdate();
      }
    }
    truncatePending = true;
  }

  boolean hasPending() {
    return !touched.isEmpty();
  }

  boolean full() {
    return touched.size() >= MAX_PENDING;
  }

  /**
   * Applies what was gathered; returns the rows the table lost by it (deleted minus inserted: the
   * tenant's rows of a shared table never go).
   */
  long flush() throws SQLException {
    if (touched.isEmpty()) {
      return 0;
    }
    try {
      fillTemporary();
      if (shared()) {
        applyShared();
        return 0;
      }
      if (rule.dedup().isPresent()) {
        regatherDedupKeys();
      }
      long deleted;
      try (Statement st = target.createStatement()) {
        deleted =
            st.executeLargeUpdate(
                "DELETE FROM "
                    + relation
                    + " p USING "
                    + ident(keys)
                    + " k WHERE p."
                    + ident(tenantColumn)
                    + " = "
                    + literal(tenantId)
                    + " AND "
                    + keyMatch("p", "k"));
      }
      List<String> columns = new ArrayList<>();
      columns.add(tenantColumn);
      table.columns().stream()
          .filter(ColumnSpec::loaded)
          .map(ColumnSpec::name)
          .forEach(columns::add);
      long inserted = rows.conformInto(target, relation, columns, tenantId, conformed, "");
      replaceRejects();
      replaceDuplicates();
      return deleted - inserted;
    } finally {
      pending.clear();
      touched.clear();
    }
  }

  /** Forgets what was gathered (the target transaction rolled back). */
  void discard() {
    pending.clear();
    touched.clear();
    truncatePending = false;
  }

  /** Whether a truncate was applied since the last call. */
  boolean truncated() {
    boolean t = truncatePending;
    truncatePending = false;
    return t;
  }

  private void fillTemporary() throws SQLException {
    try (Statement st = target.createStatement()) {
      st.execute("DELETE FROM " + ident(keys) + "; DELETE FROM " + rows.qualifiedName());
      if (rule.dedup().isPresent() && !rule.dedup().get().exact()) {
        st.execute("DELETE FROM " + ident(dedupKeys));
      }
    }
    List<String> pk = source.primaryKey();
    try (PreparedStatement ps =
        target.prepareStatement(
            "INSERT INTO "
                + ident(keys)
                + " ("
                + Sql.idents(pk)
                + ") VALUES ("
                + String.join(", ", pk.stream().map(c -> "?").toList())
                + ")")) {
      for (List<String> key : touched) {
        bind(ps, key);
        ps.addBatch();
      }
      ps.executeBatch();
    }
    List<String> columns = planned.columns();
    try (PreparedStatement ps =
        target.prepareStatement(
            "INSERT INTO "
                + rows.qualifiedName()
                + " ("
                + Sql.idents(columns)
                + ") VALUES ("
                + String.join(", ", columns.stream().map(c -> "?").toList())
                + ")")) {
      int n = 0;
      for (String[] row : pending.values()) {
        if (row != null) {
          bind(ps, Arrays.asList(row));
          ps.addBatch();
          n++;
        }
      }
      if (n > 0) {
        ps.executeBatch();
      }
    }
  }

  /**
   * Dedup: replaces the landed rows by every source row of each dedup key the changes touch (the
   * changed rows' new dedup keys, and the old ones: of the kept row the target holds under a
   * touched key, and of a quarantined duplicate), so the run's dedup picks the kept row among all
   * of them. The source is read as it is now; a later change of those rows follows in the stream.
   */
  private void regatherDedupKeys() throws SQLException {
    Dedup dedup = rule.dedup().get();
    if (dedup.exact()) {
      // Exact dedup collapses rows identical in every column: under a primary key there are none.
      return;
    }
    List<String> dk = dedup.key();
    try (Statement st = target.createStatement()) {
      st.execute(
          "INSERT INTO "
              + ident(dedupKeys)
              + " SELECT DISTINCT "
              + Sql.idents(dk)
              + " FROM "
              + rows.qualifiedName());
      st.execute(
          "INSERT INTO "
              + ident(dedupKeys)
              + " SELECT "
              + String.join(", ", dk.stream().map(c -> "p." + ident(c)).toList())
              + " FROM "
              + relation
              + " p JOIN "
              + ident(keys)
              + " k ON p."
              + ident(tenantColumn)
              + " = "
              + literal(tenantId)
              + " AND "
              + keyMatch("p", "k"));
      if (rule.quarantineDuplicates()) {
        st.execute(
            "INSERT INTO "
                + ident(dedupKeys)
                + " SELECT "
                + String.join(
                    ", ",
                    dk.stream()
                        .map(c -> "(d.key->>" + literal(c) + ")::" + planned.type(c))
                        .toList())
                + " FROM "
                + Sql.qualified(reportSchema, "duplicates")
                + " d JOIN "
                + ident(keys)
                + " k ON d.row_data @> "
                + Sql.keyJson(source.primaryKey(), "k")
                + " WHERE d.run_id = "
                + literal(runId)
                + " AND d.tenant_id = "
                + literal(tenantId)
                + " AND d.table_name = "
                + literal(table.name()));
      }
      st.execute("DELETE FROM " + rows.qualifiedName());
    }
    String keysJson;
    try (Statement st = target.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT coalesce(jsonb_agg(DISTINCT jsonb_build_array("
                    + String.join(", ", dk.stream().map(c -> ident(c) + "::text").toList())
                    + ")), '[]')::text FROM "
                    + ident(dedupKeys))) {
      rs.next();
      keysJson = rs.getString(1);
    }
    // Keys with a NULL match by IS NOT DISTINCT FROM (no index serves it): apart, and rare.
    String withNull;
    String withoutNull;
    try (PreparedStatement ps =
        target.prepareStatement(
            "SELECT coalesce(jsonb_agg(e) FILTER (WHERE n), '[]')::text, coalesce(jsonb_agg(e)"
                + " FILTER (WHERE NOT n), '[]')::text FROM (SELECT e, EXISTS (SELECT 1 FROM"
                + " jsonb_array_elements(e) x WHERE x = 'null'::jsonb) n FROM"
                + " jsonb_array_elements(?::jsonb) e) k")) {
      ps.setString(1, keysJson);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        withNull = rs.getString(1);
        withoutNull = rs.getString(2);
      }
    }
    landFromSource(dk, false, withoutNull);
    if (!"[]".equals(withNull)) {
      landFromSource(dk, true, withNull);
    }
    try (Statement st = target.createStatement()) {
      // Every row of those dedup keys is replaced in the partition (the kept one may change).
      st.execute(
          "INSERT INTO "
              + ident(keys)
              + " SELECT "
              + Sql.idents(source.primaryKey())
              + " FROM "
              + rows.qualifiedName());
    }
  }

  /**
   * Lands the source rows (as they are now) whose {@code columns} match one of {@code keysJson} (a
   * JSON array of arrays of the values as text) by {@code operator}, streamed.
   */
  private void landFromSource(List<String> columns, boolean nullSafe, String keysJson)
      throws SQLException {
    if ("[]".equals(keysJson)) {
      return;
    }
    StringBuilder match = new StringBuilder();
    for (int i = 0; i < columns.size(); i++) {
      String v = "(k.key->>" + i + ")::" + planned.type(columns.get(i));
      match
          .append(i == 0 ? "" : " AND ")
          .append("s.")
          .append(ident(columns.get(i)))
          .append(nullSafe ? " IS NOT DISTINCT FROM " : " = ")
          .append(v);
    }
    List<String> all = planned.columns();
    try (PreparedStatement read =
            sourceConn.prepareStatement(
                "SELECT "
                    + String.join(", ", all.stream().map(c -> "s." + ident(c) + "::text").toList())
                    + " FROM jsonb_array_elements(?::jsonb) k(key) JOIN "
                    + sourceRelation
                    + " s ON "
                    + match);
        PreparedStatement land =
            target.prepareStatement(
                "INSERT INTO "
                    + rows.qualifiedName()
                    + " ("
                    + Sql.idents(all)
                    + ") VALUES ("
                    + String.join(", ", all.stream().map(c -> "?").toList())
                    + ")")) {
      read.setString(1, keysJson);
      int n = 0;
      try (ResultSet rs = read.executeQuery()) {
        while (rs.next()) {
          List<String> values = new ArrayList<>(all.size());
          for (int i = 0; i < all.size(); i++) {
            values.add(rs.getString(i + 1));
          }
          bind(land, values);
          land.addBatch();
          if (++n % MAX_PENDING == 0) {
            land.executeBatch();
          }
        }
      }
      land.executeBatch();
    }
  }

  /** The rejects of the touched keys: those the cast finds in the landed rows now. */
  private void replaceRejects() throws SQLException {
    String rejects = Sql.qualified(reportSchema, "rejects");
    try (Statement st = target.createStatement()) {
      st.execute(
          "DELETE FROM "
              + rejects
              + " r USING "
              + ident(keys)
              + " k WHERE r.run_id = "
              + literal(runId)
              + " AND r.tenant_id = "
              + literal(tenantId)
              + " AND r.table_name = "
              + literal(table.name())
              + " AND r.key = "
              + Sql.keyJson(source.primaryKey(), "k"));
      var select = conformed.rejectsSql(Long.MAX_VALUE);
      if (select.isEmpty()) {
        return;
      }
      st.execute(
          "INSERT INTO "
              + rejects
              + " (run_id, tenant_id, table_name, key, column_name, reason, row_data) SELECT "
              + literal(runId)
              + ", "
              + literal(tenantId)
              + ", "
              + literal(table.name())
              + ", x.key, x.column_name, x.reason, x.row_data FROM ("
              + select.get()
              + ") x");
      try (ResultSet rs =
          st.executeQuery(
              "SELECT count(*) FROM "
                  + rejects
                  + " WHERE run_id = "
                  + literal(runId)
                  + " AND tenant_id = "
                  + literal(tenantId)
                  + " AND table_name = "
                  + literal(table.name()))) {
        rs.next();
        long now = rs.getLong(1);
        if (now > rule.maxRejectedRows()) {
          throw new SQLException(
              "Cannot catch up tenant "
                  + tenantId
                  + " table "
                  + planned.key()
                  + ": "
                  + now
                  + " of its rows are now rejected by a cast, more than "
                  + rule.path()
                  + ".max-rejected-rows = "
                  + rule.maxRejectedRows()
                  + " (a run would fail the tenant); see the report's rejects, fix the rows or"
                  + " the rule, and run the tenant again");
        }
      }
    }
  }

  /** Dedup's quarantine of the recomputed dedup keys: the rows not kept among the landed rows. */
  private void replaceDuplicates() throws SQLException {
    if (!rule.quarantineDuplicates() || rule.dedup().isEmpty() || rule.dedup().get().exact()) {
      return;
    }
    String duplicates = Sql.qualified(reportSchema, "duplicates");
    try (Statement st = target.createStatement()) {
      st.execute(
          "DELETE FROM "
              + duplicates
              + " d WHERE d.run_id = "
              + literal(runId)
              + " AND d.tenant_id = "
              + literal(tenantId)
              + " AND d.table_name = "
              + literal(table.name())
              + " AND d.key IN (SELECT "
              + Sql.keyJson(rule.dedup().get().key(), "x")
              + " FROM "
              + ident(dedupKeys)
              + " x)");
      st.execute(
          "INSERT INTO "
              + duplicates
              + " (run_id, tenant_id, table_name, key, row_data) "
              + conformed.duplicatesSelect(runId, tenantId).orElseThrow());
    }
  }

  /**
   * A shared table takes the tenant's conformed rows by key, as a run's publish merges them (the
   * keys another tenant's row overruled in the publishing run stay that tenant's); deleted keys are
   * listed, never applied.
   */
  private void applyShared() throws SQLException {
    List<String> pk = table.primaryKey();
    List<String> columns =
        table.columns().stream().filter(ColumnSpec::loaded).map(ColumnSpec::name).toList();
    List<String> others = columns.stream().filter(c -> !pk.contains(c)).toList();
    String overruled =
        "SELECT key FROM "
            + Sql.qualified(reportSchema, "shared_conflicts")
            + " WHERE run_id = "
            + literal(runId)
            + " AND tenant_id = "
            + literal(tenantId)
            + " AND table_name = "
            + literal(table.name())
            + " AND starts_with(outcome, 'overruled by tenant ')";
    String suffix =
        " WHERE "
            + Sql.keyJson(pk, "conformed")
            + " NOT IN ("
            + overruled
            + ") ON CONFLICT ("
            + Sql.idents(pk)
            + ") "
            + (others.isEmpty()
                ? "DO NOTHING"
                : "DO UPDATE SET "
                    + String.join(
                        ", ",
                        others.stream().map(c -> ident(c) + " = EXCLUDED." + ident(c)).toList()));
    rows.conformInto(target, relation, columns, tenantId, conformed, suffix);
    replaceRejects();
    List<List<String>> deleted =
        pending.entrySet().stream()
            .filter(e -> e.getValue() == null)
            .map(Map.Entry::getKey)
            .toList();
    if (deleted.isEmpty()) {
      return;
    }
    try (Statement st = target.createStatement()) {
      st.execute("DELETE FROM " + ident(keys));
    }
    try (PreparedStatement ps =
        target.prepareStatement(
            "INSERT INTO "
                + ident(keys)
                + " VALUES ("
                + String.join(", ", pk.stream().map(c -> "?").toList())
                + ")")) {
      for (List<String> key : deleted) {
        bind(ps, key);
        ps.addBatch();
      }
      ps.executeBatch();
    }
    try (Statement st = target.createStatement()) {
      st.execute(
          "INSERT INTO "
              + Sql.qualified(reportSchema, SHARED_DELETES)
              + " (tenant_id, table_name, kind, key, run_id) SELECT "
              + literal(tenantId)
              + ", "
              + literal(table.name())
              + ", 'delete', "
              + Sql.keyJson(source.primaryKey(), "k")
              + ", "
              + literal(runId)
              + " FROM "
              + ident(keys)
              + " k "
              + SHARED_DELETE_CONFLICT);
    }
  }

  /**
   * The row with every value: unchanged TOASTed values from the row gathered for the same key, else
   * read by key from the source as it is now (null when the source no longer holds the row: its
   * delete follows in the stream).
   */
  private String[] complete(
      String[] row, boolean[] unchanged, List<String> oldKey, List<String> newKey)
      throws SQLException {
    boolean any = false;
    for (boolean u : unchanged) {
      any |= u;
    }
    if (!any) {
      return row;
    }
    String[] earlier = pending.get(oldKey);
    if (earlier != null) {
      String[] out = row.clone();
      for (int i = 0; i < out.length; i++) {
        if (unchanged[i]) {
          out[i] = earlier[i];
        }
      }
      return out;
    }
    List<String> columns = planned.columns();
    List<String> pk = planned.primaryKey();
    StringBuilder where = new StringBuilder();
    for (int i = 0; i < pk.size(); i++) {
      where
          .append(i == 0 ? "" : " AND ")
          .append(ident(pk.get(i)))
          .append(" = ?::")
          .append(planned.type(pk.get(i)));
    }
    try (PreparedStatement ps =
        sourceConn.prepareStatement(
            "SELECT "
                + String.join(", ", columns.stream().map(c -> ident(c) + "::text").toList())
                + " FROM "
                + sourceRelation
                + " WHERE "
                + where)) {
      for (int i = 0; i < newKey.size(); i++) {
        ps.setString(i + 1, newKey.get(i));
      }
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return null;
        }
        String[] out = row.clone();
        for (int i = 0; i < out.length; i++) {
          if (unchanged[i]) {
            out[i] = rs.getString(i + 1);
          }
        }
        return out;
      }
    }
  }

  /**
   * What a fresh run from the source as it is now publishes for the source keys {@code wanted}
   * (each key's values as text): the row's text ({@code ROW(loaded columns)::text}) by the key's
   * text ({@link #keyText}); a key it publishes no row for (gone, rejected, not kept by dedup) is
   * absent. Conformed in the target by the run's SQL, as catch-up applies the rows.
   */
  Map<String, String> expected(List<List<String>> wanted) throws SQLException {
    discard();
    touched.addAll(wanted);
    try {
      fillTemporary();
      landFromSource(source.primaryKey(), false, keysJson());
      if (rule.dedup().isPresent()) {
        regatherDedupKeys();
      }
      List<String> loaded =
          table.columns().stream().filter(ColumnSpec::loaded).map(ColumnSpec::name).toList();
      List<String> selected = new ArrayList<>();
      selected.add("tenantfold_tenant_id");
      selected.addAll(loaded);
      return rowsByKey(
          "SELECT "
              + keyText("c")
              + ", ROW("
              + String.join(", ", loaded.stream().map(c -> "c." + ident(c)).toList())
              + ")::text FROM ("
              + conformed.select(tenantId, "")
              + ") c ("
              + Sql.idents(selected)
              + ") WHERE EXISTS (SELECT 1 FROM "
              + ident(keys)
              + " k WHERE "
              + keyMatch("c", "k")
              + ")");
    } finally {
      discard();
    }
  }

  /** The target's rows of the source keys {@code wanted}, as {@link #expected} gives them. */
  Map<String, String> actual(List<List<String>> wanted) throws SQLException {
    discard();
    touched.addAll(wanted);
    try {
      fillTemporary();
      List<String> loaded =
          table.columns().stream().filter(ColumnSpec::loaded).map(ColumnSpec::name).toList();
      return rowsByKey(
          "SELECT "
              + keyText("p")
              + ", ROW("
              + String.join(", ", loaded.stream().map(c -> "p." + ident(c)).toList())
              + ")::text FROM "
              + relation
              + " p JOIN "
              + ident(keys)
              + " k ON "
              + (shared() ? "" : "p." + ident(tenantColumn) + " = " + literal(tenantId) + " AND ")
              + keyMatch("p", "k"));
    } finally {
      discard();
    }
  }

  /**
   * The keys (as {@link #keyText}) of a shared table the target keeps on purpose for this tenant:
   * overruled by another tenant's row in the publishing run. Empty for other tables.
   */
  java.util.Set<String> overruled() throws SQLException {
    java.util.Set<String> out = new java.util.HashSet<>();
    if (!shared()) {
      return out;
    }
    List<String> pk = table.primaryKey();
    try (Statement st = target.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT jsonb_build_array("
                    + String.join(", ", pk.stream().map(c -> "key->>" + literal(c)).toList())
                    + ")::text FROM "
                    + Sql.qualified(reportSchema, "shared_conflicts")
                    + " WHERE run_id = "
                    + literal(runId)
                    + " AND tenant_id = "
                    + literal(tenantId)
                    + " AND table_name = "
                    + literal(table.name())
                    + " AND starts_with(outcome, 'overruled by tenant ')")) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }

  /**
   * How many rows a fresh run publishes for the tenant in this table, counted on the source by the
   * run's SQL; empty when it cannot be known there (a cast needs {@code pg_input_is_valid},
   * PostgreSQL 16, on the source) or means nothing (a shared table holds every tenant's rows).
   */
  java.util.Optional<Long> expectedRows() throws SQLException {
    if (shared()) {
      return java.util.Optional.empty();
    }
    if (onSource.needsInputValidation()
        && sourceConn.unwrap(org.postgresql.PGConnection.class) != null
        && dev.tenantfold.extract.CatalogReader.serverVersion(sourceConn)
            < ConformedSource.INPUT_VALIDATION_VERSION) {
      return java.util.Optional.empty();
    }
    try (Statement st = sourceConn.createStatement();
        ResultSet rs =
            st.executeQuery("SELECT count(*) FROM (" + onSource.select(tenantId, "") + ") x")) {
      rs.next();
      return java.util.Optional.of(rs.getLong(1));
    }
  }

  /** The tenant's rows of the table in the target now. */
  long actualRows() throws SQLException {
    try (Statement st = target.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT count(*) FROM "
                    + relation
                    + " WHERE "
                    + ident(tenantColumn)
                    + " = "
                    + literal(tenantId))) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private Map<String, String> rowsByKey(String sql) throws SQLException {
    Map<String, String> out = new java.util.TreeMap<>();
    try (Statement st = target.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) {
        out.put(rs.getString(1), rs.getString(2));
      }
    }
    return out;
  }

  /** The key's values as text, a JSON array: {@code ["7"]}; the same text on both sides. */
  private String keyText(String alias) {
    return "jsonb_build_array("
        + String.join(
            ", ", source.primaryKey().stream().map(c -> alias + "." + ident(c) + "::text").toList())
        + ")::text";
  }

  /** The gathered keys as a JSON array of arrays of their values as text. */
  private String keysJson() throws SQLException {
    try (Statement st = target.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT coalesce(jsonb_agg(DISTINCT jsonb_build_array("
                    + String.join(
                        ", ", source.primaryKey().stream().map(c -> ident(c) + "::text").toList())
                    + ")), '[]')::text FROM "
                    + ident(keys))) {
      rs.next();
      return rs.getString(1);
    }
  }

  /** {@code a.pk = b.pk} over the source key. */
  private String keyMatch(String a, String b) {
    return String.join(
        " AND ",
        source.primaryKey().stream()
            .map(c -> a + "." + ident(c) + " = " + b + "." + ident(c))
            .toList());
  }

  private static void bind(PreparedStatement ps, List<String> values) throws SQLException {
    for (int i = 0; i < values.size(); i++) {
      if (values.get(i) == null) {
        ps.setNull(i + 1, Types.OTHER);
      } else {
        // Untyped: the server reads the text as the column's type, as COPY would.
        ps.setObject(i + 1, values.get(i), Types.OTHER);
      }
    }
  }
}
