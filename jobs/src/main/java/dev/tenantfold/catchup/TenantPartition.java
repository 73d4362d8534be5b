package dev.tenantfold.catchup;

import static dev.tenantfold.jdbc.Sql.ident;
import static dev.tenantfold.jdbc.Sql.literal;

import dev.tenantfold.catchup.CatchUpState.PlannedTable;
import dev.tenantfold.config.SchemaMap;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A tenant's published partition of one consolidated table, and the statements that replay the
 * source's changes into it by key: upsert (an insert, or an update whose values are all there),
 * delete, update of the columns sent (an update leaving a TOASTed value unchanged), empty (a
 * TRUNCATE). Every statement names the partition, never the consolidated table, so no other
 * tenant's row can be touched. {@code absent}: the consolidated table's columns the tenant lacks
 * (not generated): an upsert writes NULL there, as a run loads them.
 */
record TenantPartition(
    PlannedTable table,
    String relation,
    String tenantColumn,
    String tenantId,
    List<String> absent) {

  TenantPartition {
    absent = List.copyOf(absent);
  }

  /** Finds the tenant's partition of {@code table}'s consolidated table in the target. */
  static TenantPartition find(
      Connection target,
      SchemaMap schemas,
      PlannedTable table,
      String tenantColumn,
      String tenantId)
      throws SQLException {
    String parent = schemas.relation(table.key());
    try (PreparedStatement ps =
        target.prepareStatement(
            "SELECT c.oid::regclass::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                + " WHERE i.inhparent = to_regclass(?) AND pg_get_expr(c.relpartbound, c.oid) ="
                + " ?")) {
      ps.setString(1, parent);
      ps.setString(2, "FOR VALUES IN (" + literal(tenantId) + ")");
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw new SQLException(
              "Cannot catch up tenant "
                  + tenantId
                  + " table "
                  + table.key()
                  + ": the target has no partition of "
                  + parent
                  + " for the tenant; publish its base copy first (tenantfold run)");
        }
        String relation = rs.getString(1);
        return new TenantPartition(
            table, relation, tenantColumn, tenantId, absent(target, relation, table, tenantColumn));
      }
    }
  }

  /** The partition's plain (not generated) columns that are neither the tenant's nor planned. */
  private static List<String> absent(
      Connection target, String relation, PlannedTable table, String tenantColumn)
      throws SQLException {
    List<String> out = new ArrayList<>();
    try (PreparedStatement ps =
        target.prepareStatement(
            "SELECT attname FROM pg_attribute WHERE attrelid = ?::regclass AND attnum > 0 AND NOT"
                + " attisdropped AND attgenerated = '' ORDER BY attnum")) {
      ps.setString(1, relation);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String column = rs.getString(1);
          if (!column.equals(tenantColumn) && !table.columns().contains(column)) {
            out.add(column);
          }
        }
      }
    }
    return out;
  }

  List<String> key() {
    return table.primaryKey();
  }

  String upsertSql() {
    List<String> columns = new ArrayList<>(table.columns());
    columns.addAll(absent);
    String nonKey =
        columns.stream()
            .filter(c -> !key().contains(c))
            .map(c -> ident(c) + " = EXCLUDED." + ident(c))
            .collect(Collectors.joining(", "));
    return "INSERT INTO "
        + relation
        + " ("
        + ident(tenantColumn)
        + ", "
        + columns.stream().map(c -> ident(c)).collect(Collectors.joining(", "))
        + ") VALUES ("
        + literal(tenantId)
        + ", "
        + columns.stream()
            .map(c -> absent.contains(c) ? "NULL" : "?")
            .collect(Collectors.joining(", "))
        + ") ON CONFLICT ("
        + ident(tenantColumn)
        + ", "
        + key().stream().map(c -> ident(c)).collect(Collectors.joining(", "))
        + ") DO "
        + (nonKey.isEmpty() ? "NOTHING" : "UPDATE SET " + nonKey);
  }

  String deleteSql() {
    return "DELETE FROM " + relation + " WHERE " + keyPredicate();
  }

  /** Sets {@code columns} of the row whose key is bound after them. */
  String updateSql(List<String> columns) {
    return "UPDATE "
        + relation
        + " SET "
        + columns.stream().map(c -> ident(c) + " = ?").collect(Collectors.joining(", "))
        + " WHERE "
        + keyPredicate();
  }

  String emptySql() {
    return "DELETE FROM " + relation;
  }

  /**
   * The row's key within the partition. The tenant column leads, as it leads the primary key's
   * index: without it every lookup would scan the partition.
   */
  private String keyPredicate() {
    return ident(tenantColumn)
        + " = "
        + literal(tenantId)
        + " AND "
        + key().stream().map(c -> ident(c) + " = ?").collect(Collectors.joining(" AND "));
  }
}
