package dev.tenantfold.report;

import static dev.tenantfold.jdbc.Sql.qualified;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tenantfold.validate.ChecksumCheck;
import dev.tenantfold.validate.TableStatus;
import dev.tenantfold.validate.checksum.RowDifference;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Reads a past run back from the report tables as the {@link RunResult} it was, for {@code
 * tenantfold report} and for comparing a run with the previous one. Runs recorded before schema
 * version 2 have no tenant rows: their tenants are rebuilt from their tables (no stage timings, no
 * source).
 */
public final class ReportReader {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final String schema;

  public ReportReader(String schema) {
    this.schema = schema;
  }

  /**
   * A run as stored: the result, and the status the runs table holds (running and abandoned runs
   * included).
   */
  public record StoredRun(RunResult run, String status) {}

  private String t(String table) {
    return qualified(schema, table);
  }

  /** The id of the latest run of any command, if any. */
  public Optional<String> latestRunId(Connection conn) throws SQLException {
    try (PreparedStatement ps =
            conn.prepareStatement(
                "SELECT run_id FROM "
                    + t("runs")
                    + " ORDER BY started_at DESC, run_id DESC LIMIT 1");
        ResultSet rs = ps.executeQuery()) {
      return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
    }
  }

  /** The run {@code runId} as stored; empty when there is no such run. */
  public Optional<StoredRun> load(Connection conn, String runId) throws SQLException {
    String command;
    String status;
    Instant started;
    Instant finished;
    List<String> notes = List.of();
    Map<String, List<String>> noteItems = new LinkedHashMap<>();
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT command, status, started_at, finished_at, notes::text FROM "
                + t("runs")
                + " WHERE run_id = ?")) {
      ps.setString(1, runId);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        command = rs.getString(1);
        status = rs.getString(2);
        started = rs.getTimestamp(3).toInstant();
        Timestamp end = rs.getTimestamp(4);
        finished = end == null ? started : end.toInstant();
        if (rs.getString(5) != null) {
          List<String> texts = new ArrayList<>();
          for (com.fasterxml.jackson.databind.JsonNode n :
              readJson(
                  rs.getString(5),
                  new TypeReference<List<com.fasterxml.jackson.databind.JsonNode>>() {})) {
            if (n.isObject()) {
              String text = n.path("note").asText();
              texts.add(text);
              List<String> items = new ArrayList<>();
              n.path("items").forEach(i -> items.add(i.asText()));
              noteItems.put(text, items);
            } else {
              texts.add(n.asText());
            }
          }
          notes = texts;
        }
      }
    }
    Map<String, List<RowDifference>> keys = mismatches(conn, runId);
    Map<String, List<TableResult>> tables = new LinkedHashMap<>();
    Map<String, String> tenantMessages = new LinkedHashMap<>();
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT tenant_id, table_name, source_rows, extracted_rows, duplicates_removed,"
                + " rejected_rows, loaded_rows, partitions, status, published, message,"
                + " source_checksum, target_checksum, buckets_compared, mismatched_buckets,"
                + " drilled_buckets, differences::text, previous_rows FROM "
                + t("table_results")
                + " WHERE run_id = ? ORDER BY tenant_id, table_name")) {
      ps.setString(1, runId);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String tenant = rs.getString(1);
          String table = rs.getString(2);
          tables.computeIfAbsent(tenant, k -> new ArrayList<>());
          if (table.equals("*")) {
            tenantMessages.put(tenant, rs.getString(11));
            continue;
          }
          ChecksumCheck checksum = null;
          if (rs.getObject(14) != null) {
            int mismatched = rs.getInt(15);
            Integer drilled = (Integer) rs.getObject(16);
            Map<RowDifference.Kind, Long> counts = new EnumMap<>(RowDifference.Kind.class);
            if (rs.getString(17) != null) {
              readJson(rs.getString(17), new TypeReference<Map<String, Long>>() {})
                  .forEach((k, n) -> counts.put(RowDifference.Kind.valueOf(k), n));
            }
            checksum =
                new ChecksumCheck(
                    rs.getString(12),
                    rs.getString(13),
                    rs.getInt(14),
                    mismatched,
                    drilled == null ? mismatched : drilled,
                    counts,
                    keys.getOrDefault(tenant + "\u0000" + table, List.of()));
          }
          Long previous = (Long) rs.getObject(18);
          tables
              .get(tenant)
              .add(
                  TableResult.recorded(
                      tenant,
                      table,
                      counts(command, rs),
                      TableStatus.valueOf(rs.getString(9)),
                      nullToEmpty(rs.getString(11)),
                      checksum,
                      rs.getBoolean(10),
                      previous == null ? OptionalLong.empty() : OptionalLong.of(previous)));
        }
      }
    }
    Map<String, TenantResult> tenants = tenants(conn, runId, tables, tenantMessages);
    RunResult run =
        new RunResult(
            runId,
            command,
            started,
            finished,
            List.copyOf(tenants.values()),
            null,
            notes,
            noteItems);
    return Optional.of(new StoredRun(run, status));
  }

  /**
   * A recorded table's counts, as the command that recorded them took them: {@code loaded_rows} is
   * what a run staged, and what {@code validate} found published.
   */
  private static TableCounts counts(String command, ResultSet rs) throws SQLException {
    if ("validate".equals(command)) {
      return new TableCounts.Audited(rs.getLong(3), rs.getLong(7));
    }
    return new TableCounts.Loaded(
        rs.getLong(3), rs.getLong(4), rs.getLong(5), rs.getLong(6), rs.getLong(7), rs.getInt(8));
  }

  /**
   * The latest run before {@code run} of the same command that covered any of its tenants: what
   * "compared with the previous run" compares with.
   */
  public Optional<StoredRun> previous(Connection conn, RunResult run) throws SQLException {
    List<String> tenants = run.tenants().stream().map(TenantResult::tenantId).toList();
    if (tenants.isEmpty()) {
      return Optional.empty();
    }
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT r.run_id FROM "
                + t("runs")
                + " r WHERE r.command = ? AND r.started_at < ?"
                + " AND r.run_id <> ? AND EXISTS (SELECT 1 FROM "
                + t("table_results")
                + " x WHERE x.run_id = r.run_id AND x.tenant_id = ANY (?))"
                + " ORDER BY r.started_at DESC LIMIT 1")) {
      ps.setString(1, run.command());
      ps.setTimestamp(2, Timestamp.from(run.startedAt()));
      ps.setString(3, run.runId());
      Array ids = conn.createArrayOf("text", tenants.toArray());
      ps.setArray(4, ids);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        return load(conn, rs.getString(1));
      }
    }
  }

  private Map<String, TenantResult> tenants(
      Connection conn,
      String runId,
      Map<String, List<TableResult>> tables,
      Map<String, String> messages)
      throws SQLException {
    Map<String, Map<String, Long>> stages = new LinkedHashMap<>();
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT tenant_id, stage, millis FROM "
                + t("stage_timings")
                + " WHERE run_id = ? ORDER BY tenant_id, position")) {
      ps.setString(1, runId);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          stages
              .computeIfAbsent(rs.getString(1), k -> new LinkedHashMap<>())
              .put(rs.getString(2), rs.getLong(3));
        }
      }
    }
    Map<String, TenantResult> out = new LinkedHashMap<>();
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT tenant_id, published, message, millis, source_kind, source_description,"
                + " source_point_in_time, status FROM "
                + t("tenant_results")
                + " WHERE run_id = ? ORDER BY tenant_id")) {
      ps.setString(1, runId);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String tenant = rs.getString(1);
          TenantResult r =
              new TenantResult(
                  tenant,
                  rs.getBoolean(2),
                  nullToEmpty(rs.getString(3)),
                  tables.getOrDefault(tenant, List.of()),
                  rs.getLong(4),
                  stages.getOrDefault(tenant, Map.of()));
          if (rs.getString(5) != null) {
            Timestamp at = rs.getTimestamp(7);
            r =
                r.withSource(
                    new SourceInfo(
                        rs.getString(5),
                        nullToEmpty(rs.getString(6)),
                        Optional.ofNullable(at).map(Timestamp::toInstant)));
          }
          if (TableStatus.UNKNOWN.name().equals(rs.getString(8))) {
            r = settled(conn, runId, r);
          }
          out.put(tenant, r);
        }
      }
    }
    // Tenants of runs recorded before version 2 (or whose outcome was never written): rebuilt from
    // their tables.
    for (Map.Entry<String, List<TableResult>> e : tables.entrySet()) {
      if (!out.containsKey(e.getKey())) {
        boolean published =
            !e.getValue().isEmpty() && e.getValue().stream().allMatch(TableResult::published);
        out.put(
            e.getKey(),
            new TenantResult(
                e.getKey(), published, messages.getOrDefault(e.getKey(), ""), e.getValue(), 0));
      }
    }
    return out;
  }

  /**
   * A tenant whose publish outcome the run could not read, settled from the target's own record:
   * published when the publish's rows in table_results (written in its transaction) say so; not
   * published when there are none and no session of the run is left that could still commit; else
   * still unknown.
   */
  private TenantResult settled(Connection conn, String runId, TenantResult unknown)
      throws SQLException {
    List<TableResult> tables = unknown.tables();
    if (!tables.isEmpty() && tables.stream().allMatch(TableResult::published)) {
      return new TenantResult(
              unknown.tenantId(), true, "", tables, unknown.millis(), unknown.stageMillis())
          .withSourceOf(unknown);
    }
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE ?")) {
      ps.setString(1, dev.tenantfold.jdbc.SessionName.likePattern(runId));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        if (rs.getLong(1) > 0) {
          return unknown;
        }
      }
    }
    String notPublished =
        "not published: the publish of run "
            + runId
            + " did not commit (settled from the target's record, "
            + t("table_results")
            + "); run again";
    return new TenantResult(
            unknown.tenantId(),
            false,
            notPublished,
            tables.stream()
                .map(r -> r.status() == TableStatus.UNKNOWN ? r.refused(notPublished) : r)
                .toList(),
            unknown.millis(),
            unknown.stageMillis())
        .withSourceOf(unknown);
  }

  /** Listed keys per tenant and table, as stored (the key's jsonb text). */
  private Map<String, List<RowDifference>> mismatches(Connection conn, String runId)
      throws SQLException {
    Map<String, List<RowDifference>> out = new LinkedHashMap<>();
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT tenant_id, table_name, key::text, kind, columns, source_rows, target_rows FROM "
                + t("mismatches")
                + " WHERE run_id = ? ORDER BY tenant_id, table_name, key")) {
      ps.setString(1, runId);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          Array columns = rs.getArray(5);
          out.computeIfAbsent(rs.getString(1) + "\u0000" + rs.getString(2), k -> new ArrayList<>())
              .add(
                  new RowDifference(
                      rs.getString(3),
                      RowDifference.Kind.valueOf(rs.getString(4)),
                      rs.getInt(6),
                      rs.getInt(7),
                      Arrays.asList((String[]) columns.getArray())));
        }
      }
    }
    return out;
  }

  private static <T> T readJson(String text, TypeReference<T> type) {
    try {
      return JSON.readValue(text, type);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(
          "Cannot read report JSON " + text + ": " + e.getOriginalMessage(), e);
    }
  }

  private static String nullToEmpty(String s) {
    return s == null ? "" : s;
  }
}
