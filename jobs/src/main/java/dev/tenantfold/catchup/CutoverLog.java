package dev.tenantfold.catchup;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.List;
import java.util.OptionalLong;

/**
 * One cutover as the report schema records it ({@code cutovers}, docs/report-schema.md version 3):
 * the freeze window (from the command's start to its verdict), whether writers were frozen, the
 * drain's pass, the verdict, the keys checked, what differed and the sequences moved. A cut-over
 * verdict is written in the transaction that marks the tenant cut over.
 */
final class CutoverLog {
  private static final ObjectMapper JSON = new ObjectMapper();

  private CutoverLog() {}

  /** Writes {@code result} of the cutover started at {@code startedAt} (in the caller's tx). */
  static void record(
      Connection conn,
      CatchUpState state,
      String runId,
      Instant startedAt,
      boolean frozen,
      OptionalLong drainPass,
      CutoverResult result)
      throws SQLException {
    try (PreparedStatement ps =
        conn.prepareStatement(
            "INSERT INTO "
                + state.table("cutovers")
                + " (tenant_id, run_id, started_at, verdict_at, freeze_millis, frozen, verdict,"
                + " drain_pass_id, keys_checked, differences, sequences, message) VALUES (?, ?, ?,"
                + " ?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?)")) {
      ps.setString(1, result.tenantId());
      ps.setString(2, runId);
      ps.setTimestamp(3, Timestamp.from(startedAt));
      ps.setTimestamp(4, Timestamp.from(startedAt.plusMillis(result.freezeMillis())));
      ps.setLong(5, result.freezeMillis());
      ps.setBoolean(6, frozen);
      ps.setString(7, result.verdict().name());
      ps.setObject(8, drainPass.isPresent() ? drainPass.getAsLong() : null, Types.BIGINT);
      ps.setLong(9, result.keysChecked());
      ps.setString(10, json(result.differences()));
      ps.setString(11, json(result.sequences()));
      ps.setString(12, result.error().orElse(null));
      ps.executeUpdate();
    }
  }

  private static String json(List<String> values) {
    try {
      return JSON.writeValueAsString(values);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("Cannot render " + values + " as JSON", e);
    }
  }
}
