package dev.tenantfold.catchup;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The row counts a batch of applied changes carries forward, per table: inserts minus deletes, and
 * whether a TRUNCATE emptied the table first. Written with the batch ({@link #flush}), in the same
 * target transaction as the rows and the applied position, so each change counts exactly once
 * across kills (a resent transaction before the applied position is skipped, never counted).
 */
final class RowCounts {
  private static final class Delta {
    boolean reset;
    long rows;
  }

  private final Map<String, Delta> tables = new LinkedHashMap<>();

  void inserted(String table) {
    delta(table).rows++;
  }

  void deleted(String table) {
    delta(table).rows--;
  }

  /** A TRUNCATE: the table's count restarts from zero. */
  void truncated(String table) {
    Delta d = delta(table);
    d.reset = true;
    d.rows = 0;
  }

  private Delta delta(String table) {
    return tables.computeIfAbsent(table, t -> new Delta());
  }

  /** Writes the batch's deltas; call inside the transaction that applied the changes. */
  void flush(Connection target, CatchUpState state, String tenantId) throws SQLException {
    for (Map.Entry<String, Delta> e : tables.entrySet()) {
      state.carryRows(target, tenantId, e.getKey(), e.getValue().reset, e.getValue().rows);
    }
    tables.clear();
  }

  /** Forgets the batch (its transaction rolled back). */
  void discard() {
    tables.clear();
  }
}
