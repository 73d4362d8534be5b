package dev.tenantfold.report;

import static dev.tenantfold.jdbc.Sql.qualified;

import dev.tenantfold.conform.RowAccounting;
import dev.tenantfold.jdbc.SessionName;
import dev.tenantfold.validate.ChecksumCheck;
import dev.tenantfold.validate.TableStatus;
import dev.tenantfold.validate.checksum.RowDifference;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The reconciliation tables in the target's report schema (docs/report-schema.md, versioned by
 * {@link ReportSchema}): {@code runs}, {@code tenant_results}, {@code table_results}, {@code
 * mismatches}, ... and the {@code load_ledger} that makes partition loads exactly-once. A published
 * tenant's rows are written in its publish transaction, so the report never disagrees with the
 * data.
 */
public final class ReportStore {
  private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
      new com.fasterxml.jackson.databind.ObjectMapper();
  private final String schema;

  public ReportStore(String schema) {
    this.schema = schema;
  }

  public String ledgerTable() {
    return dev.tenantfold.load.LoadLedger.tableIn(schema);
  }

  /**
   * Creates the report schema or migrates it forward to {@link ReportSchema#CURRENT}
   * (docs/report-schema.md), then the load ledger.
   */
  /**
   * For readers ({@code tenantfold report}): migrates only when the schema is older than this
   * release, so a role with SELECT alone can read a current schema.
   */
  public void ensureReadable(Connection conn) throws SQLException {
    ensureCurrent(conn);
  }

  /**
   * Brings the schema to {@link ReportSchema#CURRENT} only when it is older (read first, without a
   * lock): what a catch-up pass does at its start, cheaply.
   */
  public void ensureCurrent(Connection conn) throws SQLException {
    if (!new ReportSchema(schema).current(conn)) {
      ensureTables(conn);
    }
  }

  public void ensureTables(Connection conn) throws SQLException {
    new ReportSchema(schema).migrate(conn);
    dev.tenantfold.load.LoadLedger.createTable(conn, ledgerTable());
  }

  /**
   * The liveness rule, one owner: a run recorded {@code running} is dead only when its advisory
   * lock is free (its driver's lock connection is gone) <em>and</em> none of its sessions is
   * connected (a driver that lost its lock connection still has its tenants' sessions, and takes
   * the lock again on a fresh one).
   */
  public static boolean dead(boolean lockFree, boolean sessionsConnected) {
    return lockFree && !sessionsConnected;
  }

  /**
   * Runs recorded {@code running} that are dead by {@link #dead}: checked, nothing changed (each
   * lock taken to test it is released at once).
   */
  public List<String> deadRuns(Connection conn) throws SQLException {
    List<String> out = new ArrayList<>();
    for (String runId : runningRuns(conn)) {
      boolean lockFree = tryLock(conn, runId);
      if (lockFree) {
        unlock(conn, runId);
      }
      if (dead(lockFree, lockFree && hasSessions(conn, runId))) {
        out.add(runId);
      }
    }
    return out;
  }

  /**
   * The staging tables of {@code runId} in {@code stagingSchema} by name (every staging table's
   * name carries its run id), registered or not: what {@link #sweepAbandoned} drops for a dead run.
   */
  public List<String> stagingTablesOf(Connection conn, String stagingSchema, String runId)
      throws SQLException {
    List<String> tables = new ArrayList<>();
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT schemaname, tablename FROM pg_tables"
                + " WHERE schemaname = ? AND strpos(tablename, ?) > 0 ORDER BY 2")) {
      ps.setString(1, stagingSchema);
      ps.setString(2, "__" + runId.replace("-", "_").toLowerCase());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          tables.add(qualified(rs.getString(1), rs.getString(2)));
        }
      }
    }
    return tables;
  }

  /**
   * Marks runs whose driver died ({@code running}, dead by {@link #dead}) as {@code abandoned} and
   * drops their staging tables ({@link #stagingTablesOf}). Returns the run ids swept.
   */
  public List<String> sweepAbandoned(Connection conn, String stagingSchema) throws SQLException {
    List<String> swept = new ArrayList<>();
    for (String runId : runningRuns(conn)) {
      boolean lockFree = tryLock(conn, runId);
      if (!lockFree) {
        continue;
      }
      if (!dead(lockFree, hasSessions(conn, runId))) {
        // Its driver lost the lock's connection but is still working (it takes the lock again on a
        // fresh one).
        unlock(conn, runId);
        continue;
      }
      try {
        try (Statement st = conn.createStatement()) {
          for (String table : stagingTablesOf(conn, stagingSchema, runId)) {
            st.execute("DROP TABLE IF EXISTS " + table);
          }
        }
        // finishRun releases the lock.
        finishRun(conn, runId, Instant.now(), "abandoned");
        swept.add(runId);
      } catch (SQLException | RuntimeException e) {
        unlock(conn, runId);
        throw e;
      }
    }
    return swept;
  }

  /**
   * Whether any session of the run is connected (application names carry the run id: {@link
   * SessionName}).
   */
  private static boolean hasSessions(Connection conn, String runId) throws SQLException {
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name LIKE ?"
                + " AND pid <> pg_backend_pid())")) {
      ps.setString(1, SessionName.likePattern(runId));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getBoolean(1);
      }
    }
  }

  /** Runs recorded as {@code running}: after {@link #sweepAbandoned}, the live ones. */
  public List<String> runningRuns(Connection conn) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Statement st = conn.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT run_id FROM " + qualified(schema, "runs") + " WHERE status = 'running'")) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }

  /** Takes the run's advisory lock again on a fresh connection after the one holding it died. */
  public boolean relock(Connection conn, String runId) throws SQLException {
    return tryLock(conn, runId);
  }

  /** What a tenant has published, per table: the latest publishing run and the rows it loaded. */
  public record PublishedTable(String tableName, String runId, long rows) {}

  /**
   * The latest published row count of each table of the tenant, from the runs that published it.
   */
  public Map<String, PublishedTable> publishedByTable(Connection conn, String tenantId)
      throws SQLException {
    Map<String, PublishedTable> out = new LinkedHashMap<>();
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT DISTINCT ON (t.table_name) t.table_name, t.run_id, t.loaded_rows FROM "
                + qualified(schema, "table_results")
                + " t JOIN "
                + qualified(schema, "runs")
                + " r USING (run_id) WHERE t.tenant_id = ? AND t.published AND t.table_name <> '*'"
                + " ORDER BY t.table_name, r.started_at DESC")) {
      ps.setString(1, tenantId);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.put(
              rs.getString(1), new PublishedTable(rs.getString(1), rs.getString(2), rs.getLong(3)));
        }
      }
    }
    return out;
  }

  /** A past run, for {@code --resume}: its command and the tenants it published. */
  public record PastRun(
      String runId, String command, String status, List<String> publishedTenants) {}

  /**
   * The run {@code runId}, or the latest {@code run} command when empty; empty when there is none.
   */
  public Optional<PastRun> pastRun(Connection conn, Optional<String> runId) throws SQLException {
    String sql =
        "SELECT run_id, command, status FROM "
            + qualified(schema, "runs")
            + (runId.isPresent()
                ? " WHERE run_id = ?"
                : " WHERE command = 'run' ORDER BY started_at DESC LIMIT 1");
    String id;
    String command;
    String status;
    try (PreparedStatement ps = conn.prepareStatement(sql)) {
      if (runId.isPresent()) {
        ps.setString(1, runId.get());
      }
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        id = rs.getString(1);
        command = rs.getString(2);
        status = rs.getString(3);
      }
    }
    List<String> published = new ArrayList<>();
    // A resumed run skipped what its predecessors published: follow the chain of resumed runs.
    try (PreparedStatement ps =
        conn.prepareStatement(
            "WITH RECURSIVE chain(run_id) AS (SELECT ?::text UNION SELECT r.resumed_from FROM "
                + qualified(schema, "runs")
                + " r JOIN chain c ON r.run_id = c.run_id WHERE r.resumed_from IS NOT NULL)"
                + " SELECT DISTINCT tenant_id FROM "
                + qualified(schema, "table_results")
                + " WHERE run_id IN (SELECT run_id FROM chain) AND published ORDER BY tenant_id")) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          published.add(rs.getString(1));
        }
      }
    }
    return Optional.of(new PastRun(id, command, status, published));
  }

  public void recordResumedFrom(Connection conn, String runId, String resumedFrom)
      throws SQLException {
    try (PreparedStatement ps =
        conn.prepareStatement(
            "UPDATE " + qualified(schema, "runs") + " SET resumed_from = ? WHERE run_id = ?")) {
      ps.setString(1, resumedFrom);
      ps.setString(2, runId);
      ps.executeUpdate();
    }
  }

  private static boolean tryLock(Connection conn, String runId) throws SQLException {
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT pg_try_advisory_lock(hashtextextended('tenantfold run ' || ?, 0))")) {
      ps.setString(1, runId);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getBoolean(1);
      }
    }
  }

  private static void unlock(Connection conn, String runId) throws SQLException {
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT pg_advisory_unlock(hashtextextended('tenantfold run ' || ?, 0))")) {
      ps.setString(1, runId);
      ps.execute();
    }
  }

  /**
   * Records the run as {@code running} and takes its advisory lock on {@code conn}, held until
   * {@link #finishRun} or until the driver's connection ends: how a later run tells a live run from
   * one whose driver died.
   */
  public void startRun(Connection conn, String runId, Instant startedAt, String command)
      throws SQLException {
    if (!tryLock(conn, runId)) {
      throw new SQLException("Cannot start run " + runId + ": its lock is held");
    }
    try (PreparedStatement ps =
        conn.prepareStatement(
            "INSERT INTO "
                + qualified(schema, "runs")
                + " (run_id, started_at, status, command) VALUES (?, ?, 'running', ?)")) {
      ps.setString(1, runId);
      ps.setTimestamp(2, Timestamp.from(startedAt));
      ps.setString(3, command);
      ps.executeUpdate();
    }
  }

  /**
   * Writes down what {@link ReportReader} settled of a run recorded as {@code outcome_unknown}:
   * each tenant and table still recorded {@code UNKNOWN} gets its settled status, and the run its
   * settled status, so the report tables say what the target's record proves. Rows a committed
   * publish wrote are never touched (only rows still {@code UNKNOWN} are). Returns the run as now
   * stored.
   */
  public ReportReader.StoredRun settle(Connection conn, ReportReader.StoredRun stored)
      throws SQLException {
    RunResult run = stored.run();
    if (!"outcome_unknown".equals(stored.status()) || run.status() == TableStatus.UNKNOWN) {
      return stored;
    }
    dev.tenantfold.jdbc.Transaction.in(
        conn,
        () -> {
          try (PreparedStatement tenant =
                  conn.prepareStatement(
                      "UPDATE "
                          + qualified(schema, "tenant_results")
                          + " SET status = ?, published = ?, message = ? WHERE run_id = ? AND"
                          + " tenant_id = ? AND status = 'UNKNOWN'");
              PreparedStatement table =
                  conn.prepareStatement(
                      "UPDATE "
                          + qualified(schema, "table_results")
                          + " SET status = ?, message = ? WHERE run_id = ? AND tenant_id = ? AND"
                          + " table_name = ? AND status = 'UNKNOWN'");
              PreparedStatement runs =
                  conn.prepareStatement(
                      "UPDATE "
                          + qualified(schema, "runs")
                          + " SET status = ? WHERE run_id = ? AND status = 'outcome_unknown'")) {
            for (TenantResult t : run.tenants()) {
              tenant.setString(1, t.status().name());
              tenant.setBoolean(2, t.published());
              tenant.setString(3, t.message());
              tenant.setString(4, run.runId());
              tenant.setString(5, t.tenantId());
              tenant.addBatch();
              for (TableResult r : t.tables()) {
                table.setString(1, r.status().name());
                table.setString(2, r.message());
                table.setString(3, run.runId());
                table.setString(4, t.tenantId());
                table.setString(5, r.tableName());
                table.addBatch();
              }
            }
            tenant.executeBatch();
            table.executeBatch();
            runs.setString(1, run.statusLabel());
            runs.setString(2, run.runId());
            runs.executeUpdate();
          }
          return null;
        });
    return new ReportReader.StoredRun(run, run.statusLabel());
  }

  public void finishRun(Connection conn, String runId, Instant finishedAt, String status)
      throws SQLException {
    try (PreparedStatement ps =
        conn.prepareStatement(
            "UPDATE "
                + qualified(schema, "runs")
                + " SET finished_at = ?, status = ? WHERE run_id = ?")) {
      ps.setTimestamp(1, Timestamp.from(finishedAt));
      ps.setString(2, status);
      ps.setString(3, runId);
      ps.executeUpdate();
    }
    unlock(conn, runId);
  }

  /**
   * How many tables of the tenant this run recorded as published: non-zero once its publish
   * committed.
   */
  public long publishedTables(Connection conn, String runId, String tenantId) throws SQLException {
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT count(*) FROM "
                + qualified(schema, "table_results")
                + " WHERE run_id = ? AND tenant_id = ? AND published")) {
      ps.setString(1, runId);
      ps.setString(2, tenantId);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  /**
   * A tenant that failed before any of its tables got a verdict is recorded as one row, table
   * {@code *}.
   */
  /**
   * The rows of one tenant table that a cast rule rejected (the first of them, at most the
   * threshold plus one).
   */
  public void recordRejects(
      Connection conn,
      String runId,
      String tenantId,
      String table,
      List<RowAccounting.Reject> rejects)
      throws SQLException {
    try (PreparedStatement ps =
        conn.prepareStatement(
            "INSERT INTO "
                + qualified(schema, "rejects")
                + " (run_id, tenant_id, table_name, key, column_name, reason, row_data) VALUES (?,"
                + " ?, ?, ?::jsonb, ?, ?, ?::jsonb)")) {
      for (RowAccounting.Reject r : rejects) {
        ps.setString(1, runId);
        ps.setString(2, tenantId);
        ps.setString(3, table);
        ps.setString(4, r.keyJson());
        ps.setString(5, r.column());
        ps.setString(6, r.reason());
        ps.setString(7, r.rowJson());
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  /** One tenant's row of a shared-table key the tenants disagreed on, and what became of it. */
  public record SharedConflict(
      String table, String keyJson, String tenantId, String rowJson, String outcome) {}

  public void recordSharedConflicts(Connection conn, String runId, List<SharedConflict> conflicts)
      throws SQLException {
    if (conflicts.isEmpty()) {
      return;
    }
    try (PreparedStatement ps =
        conn.prepareStatement(
            "INSERT INTO "
                + qualified(schema, "shared_conflicts")
                + " (run_id, table_name, key, tenant_id, row_data, outcome) VALUES (?, ?, ?::jsonb,"
                + " ?, ?::jsonb, ?)")) {
      for (SharedConflict c : conflicts) {
        ps.setString(1, runId);
        ps.setString(2, c.table());
        ps.setString(3, c.keyJson());
        ps.setString(4, c.tenantId());
        ps.setString(5, c.rowJson());
        ps.setString(6, c.outcome());
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  /** The plan a run followed (plan.json), so a reviewer can compare it with the one approved. */
  public void recordPlan(Connection conn, String runId, String planJson) throws SQLException {
    try (PreparedStatement ps =
        conn.prepareStatement(
            "INSERT INTO "
                + qualified(schema, "plans")
                + " (run_id, plan) VALUES (?, ?::jsonb)"
                + " ON CONFLICT (run_id) DO UPDATE SET plan = EXCLUDED.plan")) {
      ps.setString(1, runId);
      ps.setString(2, planJson);
      ps.executeUpdate();
    }
  }

  public void recordTenantFailure(Connection conn, String runId, TenantResult tenant)
      throws SQLException {
    if (tenant.tables().isEmpty() && !tenant.message().isEmpty()) {
      recordTables(
          conn, runId, List.of(TableResult.failed(tenant.tenantId(), "*", tenant.message())));
    }
  }

  public void recordTables(Connection conn, String runId, List<TableResult> tables)
      throws SQLException {
    try (PreparedStatement ps =
        conn.prepareStatement(
            "INSERT INTO "
                + qualified(schema, "table_results")
                + " AS existing (run_id, tenant_id, table_name, source_rows, extracted_rows,"
                + " duplicates_removed, rejected_rows, loaded_rows, status, published, message,"
                + " source_checksum, target_checksum, buckets_compared, mismatched_buckets,"
                + " previous_rows, partitions, drilled_buckets, differences) VALUES (?, ?, ?, ?, ?,"
                + " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb) ON CONFLICT (run_id,"
                + " tenant_id, table_name) DO UPDATE SET source_rows = EXCLUDED.source_rows,"
                + " extracted_rows = EXCLUDED.extracted_rows, duplicates_removed ="
                + " EXCLUDED.duplicates_removed, rejected_rows = EXCLUDED.rejected_rows,"
                + " loaded_rows = EXCLUDED.loaded_rows, status = EXCLUDED.status, published ="
                + " EXCLUDED.published, message = EXCLUDED.message, source_checksum ="
                + " EXCLUDED.source_checksum, target_checksum = EXCLUDED.target_checksum,"
                + " buckets_compared = EXCLUDED.buckets_compared, mismatched_buckets ="
                + " EXCLUDED.mismatched_buckets, previous_rows = EXCLUDED.previous_rows, partitions"
                + " = EXCLUDED.partitions, drilled_buckets = EXCLUDED.drilled_buckets, differences"
                + " = EXCLUDED.differences"
                // A row a committed publish wrote is the target's truth: never overwritten.
                + " WHERE NOT existing.published")) {
      for (TableResult t : tables) {
        ps.setString(1, runId);
        ps.setString(2, t.tenantId());
        ps.setString(3, t.tableName());
        TableCounts counts = t.counts();
        ps.setLong(4, counts.sourceRows());
        ps.setLong(5, counts.extractedRows());
        ps.setLong(6, counts.duplicatesRemoved());
        ps.setLong(7, counts.rejectedRows());
        ps.setLong(8, counts.targetRows());
        ps.setString(9, t.status().name());
        ps.setBoolean(10, t.published());
        ps.setString(11, t.message());
        ChecksumCheck c = t.checksum();
        ps.setString(12, c == null ? null : c.sourceDigest());
        ps.setString(13, c == null ? null : c.targetDigest());
        ps.setObject(14, c == null ? null : c.buckets(), java.sql.Types.INTEGER);
        ps.setObject(15, c == null ? null : c.mismatchedBuckets(), java.sql.Types.INTEGER);
        OptionalLong previous = t.publication().previousRows();
        ps.setObject(16, previous.isPresent() ? previous.getAsLong() : null, java.sql.Types.BIGINT);
        ps.setInt(17, counts.partitions());
        ps.setObject(18, c == null ? null : c.drilledBuckets(), java.sql.Types.INTEGER);
        ps.setString(19, c == null ? null : differencesJson(c));
        ps.addBatch();
      }
      ps.executeBatch();
    }
    recordMismatches(conn, runId, tables);
  }

  private void recordMismatches(Connection conn, String runId, List<TableResult> tables)
      throws SQLException {
    // Recording a table again replaces its keys: recordTables is idempotent.
    try (PreparedStatement ps =
        conn.prepareStatement(
            "DELETE FROM "
                + qualified(schema, "mismatches")
                + " WHERE run_id = ? AND tenant_id = ? AND table_name = ?")) {
      for (TableResult t : tables) {
        ps.setString(1, runId);
        ps.setString(2, t.tenantId());
        ps.setString(3, t.tableName());
        ps.addBatch();
      }
      if (!tables.isEmpty()) {
        ps.executeBatch();
      }
    }
    try (PreparedStatement ps =
        conn.prepareStatement(
            "INSERT INTO "
                + qualified(schema, "mismatches")
                + " (run_id, tenant_id, table_name, key, kind, columns, source_rows, target_rows)"
                + " VALUES (?, ?, ?, ?::jsonb, ?, ?, ?, ?)")) {
      int batched = 0;
      for (TableResult t : tables) {
        if (t.checksum() == null) {
          continue;
        }
        for (RowDifference d : t.checksum().listed()) {
          ps.setString(1, runId);
          ps.setString(2, t.tenantId());
          ps.setString(3, t.tableName());
          ps.setString(4, d.key());
          ps.setString(5, d.kind().name());
          ps.setArray(6, conn.createArrayOf("text", d.changedColumns().toArray()));
          ps.setInt(7, d.sourceRows());
          ps.setInt(8, d.targetRows());
          ps.addBatch();
          batched++;
        }
      }
      if (batched > 0) {
        ps.executeBatch();
      }
    }
  }

  /** Counts of differing keys per kind, as a JSON object ({@code {"CHANGED": 1}}). */
  private static String differencesJson(ChecksumCheck c) {
    Map<String, Long> counts = new LinkedHashMap<>();
    c.differenceCounts().forEach((kind, n) -> counts.put(kind.name(), n));
    return json(counts);
  }

  private static String json(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("Cannot render " + value + " as JSON", e);
    }
  }

  /**
   * What the table rows do not hold: each tenant's outcome, source and stage timings, and the run's
   * notes. Written once the run has finished; recording a run again replaces its rows.
   */
  public void recordOutcome(Connection conn, RunResult run) throws SQLException {
    try (PreparedStatement del =
            conn.prepareStatement(
                "DELETE FROM " + qualified(schema, "tenant_results") + " WHERE run_id = ?");
        PreparedStatement delStages =
            conn.prepareStatement(
                "DELETE FROM " + qualified(schema, "stage_timings") + " WHERE run_id = ?")) {
      del.setString(1, run.runId());
      del.executeUpdate();
      delStages.setString(1, run.runId());
      delStages.executeUpdate();
    }
    try (PreparedStatement ps =
            conn.prepareStatement(
                "INSERT INTO "
                    + qualified(schema, "tenant_results")
                    + " (run_id, tenant_id, status, published, message, millis, source_kind,"
                    + " source_description, source_point_in_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?,"
                    + " ?)");
        PreparedStatement stages =
            conn.prepareStatement(
                "INSERT INTO "
                    + qualified(schema, "stage_timings")
                    + " (run_id, tenant_id, stage, position, millis) VALUES (?, ?, ?, ?, ?)")) {
      for (TenantResult t : run.tenants()) {
        ps.setString(1, run.runId());
        ps.setString(2, t.tenantId());
        ps.setString(3, t.status().name());
        ps.setBoolean(4, t.published());
        ps.setString(5, t.message());
        ps.setLong(6, t.millis());
        ps.setString(7, t.source().map(SourceInfo::kind).orElse(null));
        ps.setString(8, t.source().map(SourceInfo::description).orElse(null));
        ps.setTimestamp(
            9, t.source().flatMap(SourceInfo::pointInTime).map(Timestamp::from).orElse(null));
        ps.addBatch();
        int position = 0;
        for (Map.Entry<String, Long> stage : t.stageMillis().entrySet()) {
          stages.setString(1, run.runId());
          stages.setString(2, t.tenantId());
          stages.setString(3, stage.getKey());
          stages.setInt(4, position++);
          stages.setLong(5, stage.getValue());
          stages.addBatch();
        }
      }
      ps.executeBatch();
      stages.executeBatch();
    }
    try (PreparedStatement ps =
        conn.prepareStatement(
            "UPDATE " + qualified(schema, "runs") + " SET notes = ?::jsonb WHERE run_id = ?")) {
      // A note with a full list under it is stored as {"note": ..., "items": [...]}, others as
      // their text (as before version 4 of the schema's notes).
      List<Object> notes = new ArrayList<>();
      for (String note : run.notes()) {
        List<String> items = run.noteItems(note);
        notes.add(items.isEmpty() ? note : Map.of("note", note, "items", items));
      }
      ps.setString(1, json(notes));
      ps.setString(2, run.runId());
      ps.executeUpdate();
    }
  }
}
