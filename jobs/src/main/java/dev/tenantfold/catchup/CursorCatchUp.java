package dev.tenantfold.catchup;

import static dev.tenantfold.jdbc.Sql.ident;

import dev.tenantfold.catchup.CatchUpState.CursorState;
import dev.tenantfold.catchup.CatchUpState.PlannedTable;
import dev.tenantfold.config.CatchUpConfig;
import dev.tenantfold.config.SchemaMap;
import dev.tenantfold.config.TenantConfig;
import dev.tenantfold.extract.SourceSnapshot;
import dev.tenantfold.jdbc.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyOut;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Catches a {@code catch-up.mode = cursor} tenant up (docs/catch-up.md, "cursor"), through the same
 * {@link ChangeApplier} as logical mode (rules, shrink guard, changed keys, triggers off), in one
 * target transaction with every table's new watermark, all read in one source snapshot:
 *
 * <ol>
 *   <li>each table's rows whose cursor is at or past its watermark minus the overlap are upserted
 *       by key, parents before children (foreign keys);
 *   <li>the source's keys are streamed by COPY into a temporary table of the target session, and
 *       the tenant's keys the source no longer holds are deleted (children first); the source's
 *       keys the target lacks (rows the cursor missed) are read from the source and upserted;
 *   <li>each table's watermark becomes the largest cursor value of that snapshot.
 * </ol>
 *
 * Memory stays bounded on the driver: rows and keys stream in batches; the key comparison is an
 * anti-join in the target over the temporary table (PostgreSQL spills a hash or sorts to disk past
 * {@code work_mem}), so neither key set is held in the JVM and no collation has to agree between
 * the two servers (equality on the target's own types, not an order).
 */
final class CursorCatchUp {
  private static final Logger LOG = LoggerFactory.getLogger(CursorCatchUp.class);

  /** Rows fetched from a cursor at a time. */
  static final int FETCH = 1000;

  /** Test hook: runs after everything is applied, before the target transaction commits. */
  static volatile Runnable beforeCommit = () -> {};

  private final TenantConfig tenant;
  private final SchemaMap schemas;
  private final String tenantColumn;
  private final CatchUpRules rules;

  CursorCatchUp(TenantConfig tenant, SchemaMap schemas, String tenantColumn, CatchUpRules rules) {
    this.tenant = tenant;
    this.schemas = schemas;
    this.tenantColumn = tenantColumn;
    this.rules = rules;
  }

  /** Per table: what was applied and what the key comparison cost. */
  private static final class TableWork {
    final PlannedTable table;
    final TenantPartition partition;
    final CursorState cursor;
    final int relation;
    final String sourceRelation;
    Optional<String> watermark;
    String keys;
    long upserts;
    long deletes;
    long missed;
    long sourceKeys = -1;
    long compareNanos;

    TableWork(TenantPartition partition, CursorState cursor, int relation, String sourceRelation) {
      this.table = partition.table();
      this.partition = partition;
      this.cursor = cursor;
      this.relation = relation;
      this.sourceRelation = sourceRelation;
      this.watermark = cursor.watermark();
    }
  }

  /**
   * Applies the changes, on {@code targetConn} (autocommit, the tenant's claim held) and a new
   * snapshot of the source; {@code stop} abandons the catch-up before it commits (nothing applied).
   */
  CatchUpResult apply(
      Connection targetConn,
      CatchUpState state,
      CatchUpState.Tenant recorded,
      Map<String, TenantPartition> partitions,
      Map<String, RuledTable> ruled,
      BooleanSupplier stop,
      long start,
      PassLog pass)
      throws SQLException {
    Map<String, CursorState> cursors = state.cursors(targetConn, tenant.id());
    try (SourceSnapshot snapshot = SourceSnapshot.export(tenant.jdbc(), tenant.id());
        Connection reader = tenant.jdbc().connect("tenantfold-catchup-read-" + tenant.id())) {
      SourceSnapshot.importInto(reader, snapshot.id());
      Connection source = snapshot.connection();
      targetConn.setAutoCommit(false);
      ChangeApplier applier =
          new ChangeApplier(
              tenant.id(),
              targetConn,
              source,
              partitions,
              state,
              ruled,
              RuledTables.excluded(rules),
              rules,
              recorded.runId());
      // The pass's changes per table reach the report with this one transaction.
      applier.recordingTo(pass);
      try {
        List<TableWork> work = new ArrayList<>();
        int relation = 0;
        for (TenantPartition p : partitions.values()) {
          PlannedTable table = p.table();
          CursorState cursor = cursors.get(table.key());
          if (cursor == null) {
            throw new SQLException(
                "Cannot catch up tenant "
                    + tenant.id()
                    + " table "
                    + table.key()
                    + ": its base copy recorded no cursor watermark for it; run the tenant again"
                    + " (tenantfold run, with catch-up.mode = cursor), then catch up");
          }
          relation++;
          // The source's shape as it is now: a column added, dropped or retyped since the base
          // copy stops the tenant (the applier compares, as for a relation message).
          applier.relation(relationNow(source, table, relation));
          work.add(new TableWork(p, cursor, relation, Cutover.sourceRelation(source, table)));
        }
        List<TableWork> ordered = parentsFirst(source, work);
        for (TableWork w : ordered) {
          readChangedRows(reader, applier, w);
          if (stop.getAsBoolean()) {
            return abandoned(targetConn, applier, start);
          }
        }
        // Every upsert is in before keys are compared: a key the cursor brought is not "missed".
        applier.flush();
        List<TableWork> childrenFirst = new ArrayList<>(ordered);
        java.util.Collections.reverse(childrenFirst);
        for (TableWork w : childrenFirst) {
          if (!comparesKeys(w)) {
            continue;
          }
          long t0 = System.nanoTime();
          w.keys = loadSourceKeys(reader, targetConn, w);
          deleteGone(targetConn, applier, w);
          w.compareNanos += System.nanoTime() - t0;
          if (stop.getAsBoolean()) {
            return abandoned(targetConn, applier, start);
          }
        }
        applier.flush();
        for (TableWork w : ordered) {
          if (comparesKeys(w) && ruled.get(w.table.key()) == null) {
            long t0 = System.nanoTime();
            upsertMissed(source, targetConn, applier, w);
            w.compareNanos += System.nanoTime() - t0;
          }
        }
        applier.flush();
        long changes = 0;
        for (TableWork w : ordered) {
          state.advanceCursor(
              targetConn,
              tenant.id(),
              w.table.key(),
              w.watermark,
              Math.max(w.sourceKeys, 0),
              w.compareNanos / 1_000_000);
          changes += w.upserts + w.deletes + w.missed;
        }
        state.advance(targetConn, tenant.id(), recorded.appliedLsn(), changes);
        pass.batch(targetConn, recorded.appliedLsn(), changes > 0 ? 1 : 0, changes);
        beforeCommit.run();
        targetConn.commit();
        snapshot.connection().commit();
        Map<String, Long> counts = new TreeMap<>();
        long upserts = ordered.stream().mapToLong(w -> w.upserts).sum();
        long deletes = ordered.stream().mapToLong(w -> w.deletes).sum();
        long missed = ordered.stream().mapToLong(w -> w.missed).sum();
        if (upserts > 0) {
          counts.put("upserts (cursor)", upserts);
        }
        if (deletes > 0) {
          counts.put("deletes (key comparison)", deletes);
        }
        if (missed > 0) {
          counts.put("inserts the cursor missed (key comparison)", missed);
        }
        String compared =
            ordered.stream()
                .filter(w -> w.sourceKeys >= 0)
                .map(
                    w ->
                        String.format(
                            java.util.Locale.ROOT,
                            "%s %d keys %.1f s",
                            w.table.key(),
                            w.sourceKeys,
                            w.compareNanos / 1e9))
                .collect(Collectors.joining(", "));
        LOG.info(
            "Tenant {}: caught up by cursor ({} changes); key comparison: {}",
            tenant.id(),
            changes,
            compared);
        return new CatchUpResult(
            tenant.id(),
            CatchUpResult.CURSOR_FROM,
            "watermarks " + watermarks(ordered) + "; keys compared: " + compared,
            changes > 0 ? 1 : 0,
            counts,
            System.nanoTime() / 1_000_000 - start / 1_000_000,
            Optional.empty());
      } catch (SQLException | RuntimeException e) {
        applier.discard();
        try {
          targetConn.rollback();
        } catch (SQLException ignored) {
          // The connection may be gone; nothing committed.
        }
        throw e;
      } finally {
        applier.close();
      }
    }
  }

  private CatchUpResult abandoned(Connection targetConn, ChangeApplier applier, long start)
      throws SQLException {
    applier.discard();
    targetConn.rollback();
    return new CatchUpResult(
        tenant.id(),
        CatchUpResult.CURSOR_FROM,
        "(stopped before it committed: nothing applied)",
        0,
        Map.of(),
        System.nanoTime() / 1_000_000 - start / 1_000_000,
        Optional.empty());
  }

  private static String watermarks(List<TableWork> work) {
    return work.stream()
        .map(w -> w.table.key() + " " + w.watermark.orElse("(none)"))
        .collect(Collectors.joining(", "));
  }

  /**
   * Keys are compared for every table but a shared one: its rows are every tenant's (a key the
   * tenant's source lacks may be another tenant's), and deletes are never applied there.
   */
  private boolean comparesKeys(TableWork w) {
    return rules.rules().forTable(w.table.key()).shared().isEmpty();
  }

  /** A relation message as pgoutput would send it, from the source's catalog as it is now. */
  private static PgOutput.Relation relationNow(Connection source, PlannedTable table, int id)
      throws SQLException {
    List<PgOutput.Column> columns = new ArrayList<>();
    try (PreparedStatement ps =
        source.prepareStatement(
            "SELECT attname, atttypid::int8, atttypmod FROM pg_attribute WHERE attrelid ="
                + " ?::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = '' ORDER BY"
                + " attnum")) {
      ps.setString(1, Sql.qualified(table.sourceSchema(), table.sourceName()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          columns.add(
              new PgOutput.Column(
                  table.primaryKey().contains(rs.getString(1)),
                  rs.getString(1),
                  (int) rs.getLong(2),
                  rs.getInt(3)));
        }
      }
    }
    return new PgOutput.Relation(id, table.sourceSchema(), table.sourceName(), 'd', columns);
  }

  /**
   * Tables referenced by a foreign key before the tables referencing them (upserts; deletes go the
   * other way), else in name order; tables in a cycle keep name order.
   */
  private static List<TableWork> parentsFirst(Connection source, List<TableWork> work)
      throws SQLException {
    Map<String, TableWork> byName = new LinkedHashMap<>();
    for (TableWork w : work) {
      byName.put(w.table.sourceSchema() + "." + w.table.sourceName(), w);
    }
    Map<String, java.util.Set<String>> parents = new HashMap<>();
    try (Statement st = source.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT cn.nspname || '.' || c.relname, pn.nspname || '.' || p.relname FROM"
                    + " pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace"
                    + " cn ON cn.oid = c.relnamespace JOIN pg_class p ON p.oid = k.confrelid JOIN"
                    + " pg_namespace pn ON pn.oid = p.relnamespace WHERE k.contype = 'f' AND"
                    + " k.conrelid <> k.confrelid")) {
      while (rs.next()) {
        if (byName.containsKey(rs.getString(1)) && byName.containsKey(rs.getString(2))) {
          parents
              .computeIfAbsent(rs.getString(1), x -> new java.util.HashSet<>())
              .add(rs.getString(2));
        }
      }
    }
    List<TableWork> out = new ArrayList<>();
    java.util.Set<String> placed = new java.util.HashSet<>();
    while (placed.size() < byName.size()) {
      boolean progress = false;
      for (Map.Entry<String, TableWork> e : byName.entrySet()) {
        if (placed.contains(e.getKey())) {
          continue;
        }
        if (placed.containsAll(parents.getOrDefault(e.getKey(), java.util.Set.of()))) {
          placed.add(e.getKey());
          out.add(e.getValue());
          progress = true;
        }
      }
      if (!progress) {
        // A cycle: the rest in name order.
        for (Map.Entry<String, TableWork> e : byName.entrySet()) {
          if (placed.add(e.getKey())) {
            out.add(e.getValue());
          }
        }
      }
    }
    return out;
  }

  /**
   * Upserts the rows whose cursor is at or past the watermark minus the overlap (every row when the
   * table had none), in cursor order; reads the new watermark in the same snapshot.
   */
  private void readChangedRows(Connection reader, ChangeApplier applier, TableWork w)
      throws SQLException {
    PlannedTable table = w.table;
    String cursor = ident(w.cursor.column());
    CatchUpConfig.CursorOverlap overlap = tenant.catchUp().cursorOverlap();
    boolean time = w.cursor.type().contains("timestamp");
    Optional<String> newMark;
    try (PreparedStatement ps =
            reader.prepareStatement("SELECT max(" + cursor + ")::text FROM " + w.sourceRelation);
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      newMark = Optional.ofNullable(rs.getString(1));
    }
    String columns =
        table.columns().stream().map(c -> ident(c) + "::text").collect(Collectors.joining(", "));
    String sql =
        "SELECT "
            + columns
            + " FROM "
            + w.sourceRelation
            + (w.watermark.isEmpty()
                ? ""
                : " WHERE "
                    + cursor
                    + " >= CAST(? AS "
                    + w.cursor.type()
                    + ") - CAST(? AS "
                    + (time ? "interval" : "numeric")
                    + ")")
            + " ORDER BY "
            + cursor;
    try (PreparedStatement ps = reader.prepareStatement(sql)) {
      ps.setFetchSize(FETCH);
      if (w.watermark.isPresent()) {
        ps.setString(1, w.watermark.get());
        ps.setString(2, time ? overlap.forTime().toString() : overlap.forNumber().toPlainString());
      }
      int n = table.columns().size();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String[] values = new String[n];
          for (int i = 0; i < n; i++) {
            values[i] = rs.getString(i + 1);
          }
          applier.update(new PgOutput.Update(w.relation, null, null, tuple(values)));
          w.upserts++;
        }
      }
    }
    if (newMark.isPresent()) {
      w.watermark = newMark;
    }
  }

  private static PgOutput.Tuple tuple(String[] values) {
    return new PgOutput.Tuple(values, new boolean[values.length]);
  }

  /** The name of {@code w}'s temporary key table in the target session. */
  private static String keyTable(TableWork w) {
    return "tenantfold_cursor_keys_" + w.relation;
  }

  /**
   * Streams the source's keys of {@code w}'s table into a temporary table of the target session
   * (typed as the partition's key columns, dropped at commit), COPY to COPY: no key is held in the
   * JVM. Returns the key columns' list.
   */
  private String loadSourceKeys(Connection reader, Connection targetConn, TableWork w)
      throws SQLException {
    String keys = w.table.primaryKey().stream().map(Sql::ident).collect(Collectors.joining(", "));
    String relation = w.partition.relation();
    try (Statement st = targetConn.createStatement()) {
      st.execute(
          "CREATE TEMP TABLE "
              + keyTable(w)
              + " ON COMMIT DROP AS SELECT "
              + keys
              + " FROM "
              + relation
              + " WITH NO DATA");
    }
    CopyOut out =
        reader
            .unwrap(PGConnection.class)
            .getCopyAPI()
            .copyOut("COPY (SELECT " + keys + " FROM " + w.sourceRelation + ") TO STDOUT");
    CopyIn in = null;
    try {
      in =
          targetConn
              .unwrap(PGConnection.class)
              .getCopyAPI()
              .copyIn("COPY " + keyTable(w) + " FROM STDIN");
      byte[] chunk;
      while ((chunk = out.readFromCopy()) != null) {
        in.writeToCopy(chunk, 0, chunk.length);
      }
      w.sourceKeys = in.endCopy();
    } finally {
      if (out.isActive()) {
        out.cancelCopy();
      }
      if (in != null && in.isActive()) {
        in.cancelCopy();
      }
    }
    try (Statement st = targetConn.createStatement()) {
      // Row estimates for the anti-joins below (a temporary table is never auto-analyzed).
      st.execute("ANALYZE " + keyTable(w));
    }
    return keys;
  }

  /**
   * The keys (as text) of the table alias {@code from} that alias {@code notIn} lacks, where {@code
   * p} is the tenant's partition (its rows only) and {@code k} the source's keys ({@link
   * #keyTable}): an anti-join in the target.
   */
  private String keysMissing(TableWork w, String from, String notIn) {
    List<String> pk = w.table.primaryKey();
    String join =
        pk.stream()
            .map(c -> from + "." + ident(c) + " = " + notIn + "." + ident(c))
            .collect(Collectors.joining(" AND "));
    return "SELECT "
        + pk.stream().map(c -> from + "." + ident(c) + "::text").collect(Collectors.joining(", "))
        + " FROM "
        + relation(w, from)
        + " "
        + from
        + " WHERE "
        + (from.equals("p") ? tenantRows() + " AND " : "")
        + "NOT EXISTS (SELECT 1 FROM "
        + relation(w, notIn)
        + " "
        + notIn
        + " WHERE "
        + (notIn.equals("p") ? tenantRows() + " AND " : "")
        + join
        + ")";
  }

  private String relation(TableWork w, String alias) {
    return alias.equals("p") ? w.partition.relation() : keyTable(w);
  }

  private String tenantRows() {
    return "p." + ident(tenantColumn) + " = " + Sql.literal(tenant.id());
  }

  /** Deletes, through the applier (shrink guard, rules, changed keys), the keys the source lost. */
  private void deleteGone(Connection targetConn, ChangeApplier applier, TableWork w)
      throws SQLException {
    List<String> pk = w.table.primaryKey();
    String select = keysMissing(w, "p", "k");
    forEachFetched(
        targetConn,
        select,
        pk.size(),
        key -> {
          String[] values = new String[w.table.columns().size()];
          for (int i = 0; i < pk.size(); i++) {
            values[w.table.columns().indexOf(pk.get(i))] = key[i];
          }
          applier.delete(new PgOutput.Delete(w.relation, tuple(values), null));
          w.deletes++;
        });
  }

  /**
   * Upserts the rows of the source's keys the target lacks (inserted with a cursor value below the
   * watermark minus the overlap, or a NULL one): read by key from the source, in the snapshot.
   */
  private void upsertMissed(
      Connection source, Connection targetConn, ChangeApplier applier, TableWork w)
      throws SQLException {
    List<String> pk = w.table.primaryKey();
    String select = keysMissing(w, "k", "p");
    List<String[]> batch = new ArrayList<>();
    forEachFetched(
        targetConn,
        select,
        pk.size(),
        key -> {
          batch.add(key);
          if (batch.size() == FETCH) {
            upsertFromSource(source, applier, w, batch);
            batch.clear();
          }
        });
    upsertFromSource(source, applier, w, batch);
  }

  private void upsertFromSource(
      Connection source, ChangeApplier applier, TableWork w, List<String[]> keys)
      throws SQLException {
    if (keys.isEmpty()) {
      return;
    }
    PlannedTable table = w.table;
    List<String> pk = table.primaryKey();
    String sql =
        "SELECT "
            + table.columns().stream()
                .map(c -> "r." + ident(c) + "::text")
                .collect(Collectors.joining(", "))
            + " FROM "
            + w.sourceRelation
            + " r JOIN unnest("
            + pk.stream().map(c -> "?::text[]").collect(Collectors.joining(", "))
            + ") k("
            + java.util.stream.IntStream.range(0, pk.size())
                .mapToObj(i -> "k" + i)
                .collect(Collectors.joining(", "))
            + ") ON "
            + java.util.stream.IntStream.range(0, pk.size())
                .mapToObj(
                    i -> "r." + ident(pk.get(i)) + " = k.k" + i + "::" + table.type(pk.get(i)))
                .collect(Collectors.joining(" AND "));
    try (PreparedStatement ps = source.prepareStatement(sql)) {
      for (int i = 0; i < pk.size(); i++) {
        String[] column = new String[keys.size()];
        for (int r = 0; r < keys.size(); r++) {
          column[r] = keys.get(r)[i];
        }
        ps.setArray(i + 1, source.createArrayOf("text", column));
      }
      int n = table.columns().size();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String[] values = new String[n];
          for (int i = 0; i < n; i++) {
            values[i] = rs.getString(i + 1);
          }
          applier.update(new PgOutput.Update(w.relation, null, null, tuple(values)));
          w.missed++;
        }
      }
    }
  }

  /** What to do with one fetched row's first {@code width} columns, as text. */
  private interface RowAction {
    void accept(String[] values) throws SQLException;
  }

  /**
   * Runs {@code select} as a server-side cursor of the target session's transaction and hands each
   * row to {@code action}, {@link #FETCH} rows at a time. The cursor reads the transaction's state
   * when it was declared: what {@code action} changes meanwhile does not feed back into it.
   */
  private static void forEachFetched(
      Connection targetConn, String select, int width, RowAction action) throws SQLException {
    try (Statement st = targetConn.createStatement()) {
      st.execute("DECLARE tenantfold_cursor_keys NO SCROLL CURSOR FOR " + select);
    }
    try (Statement st = targetConn.createStatement()) {
      while (true) {
        List<String[]> rows = new ArrayList<>();
        try (ResultSet rs = st.executeQuery("FETCH " + FETCH + " FROM tenantfold_cursor_keys")) {
          while (rs.next()) {
            String[] values = new String[width];
            for (int i = 0; i < width; i++) {
              values[i] = rs.getString(i + 1);
            }
            rows.add(values);
          }
        }
        for (String[] row : rows) {
          action.accept(row);
        }
        if (rows.size() < FETCH) {
          break;
        }
      }
      st.execute("CLOSE tenantfold_cursor_keys");
    }
  }
}
