package dev.tenantfold.extract;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The secondary objects of a source table that the consolidated table recreates tenant-aware:
 * unique constraints and indexes (other than the primary key), CHECK constraints and exclusion
 * constraints, read from the tenant's catalog.
 */
public record TableObjects(
    List<IndexSpec> indexes,
    List<CheckSpec> checks,
    List<ForeignKeySpec> foreignKeys,
    List<CheckSpec> exclusions) {
  public TableObjects {
    indexes = List.copyOf(indexes);
    checks = List.copyOf(checks);
    foreignKeys = List.copyOf(foreignKeys);
    exclusions = List.copyOf(exclusions);
  }

  public TableObjects(
      List<IndexSpec> indexes, List<CheckSpec> checks, List<ForeignKeySpec> foreignKeys) {
    this(indexes, checks, foreignKeys, List.of());
  }

  public TableObjects(List<IndexSpec> indexes, List<CheckSpec> checks) {
    this(indexes, checks, List.of(), List.of());
  }

  public static TableObjects none() {
    return new TableObjects(List.of(), List.of());
  }

  /** The same objects with {@code keys} (the source table's foreign keys). */
  public TableObjects withForeignKeys(List<ForeignKeySpec> keys) {
    return new TableObjects(indexes, checks, keys, exclusions);
  }

  /**
   * A unique constraint or an index: {@code keys} are the key columns or expressions as {@code
   * pg_get_indexdef} prints them, {@code include} the INCLUDE columns, {@code predicate} the
   * partial index's WHERE (null for a full index).
   */
  public record IndexSpec(
      String name,
      boolean unique,
      boolean constraint,
      String method,
      List<String> keys,
      List<String> include,
      String predicate) {
    public IndexSpec {
      keys = List.copyOf(keys);
      include = List.copyOf(include);
    }
  }

  /**
   * A CHECK constraint: its name and {@code pg_get_constraintdef} text ({@code CHECK (...)}); also
   * an exclusion constraint ({@code EXCLUDE USING gist (room WITH =, during WITH &&)}).
   */
  public record CheckSpec(String name, String definition) {}

  private static final String INDEXES_SQL =
      """
      SELECT ic.relname, i.indisunique, con.oid IS NOT NULL AS is_constraint, am.amname, i.indnkeyatts, i.indnatts,
             ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true) FROM generate_series(1, i.indnatts) k ORDER BY k),
             pg_get_expr(i.indpred, i.indrelid, true)
        FROM pg_index i
        JOIN pg_class ic ON ic.oid = i.indexrelid
        JOIN pg_am am ON am.oid = ic.relam
        LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid AND con.contype = 'u'
       WHERE i.indrelid = ?::regclass AND NOT i.indisprimary AND NOT EXISTS (
             SELECT 1 FROM pg_constraint x WHERE x.conindid = i.indexrelid AND x.contype = 'x')
       ORDER BY ic.relname
      """;
  private static final String CHECKS_SQL =
      """
      SELECT conname, pg_get_constraintdef(oid, true) FROM pg_constraint
       WHERE conrelid = ?::regclass AND contype = 'c' AND NOT connoinherit
       ORDER BY conname
      """;
  private static final String EXCLUSIONS_SQL =
      """
      SELECT conname, pg_get_constraintdef(oid, true) FROM pg_constraint
       WHERE conrelid = ?::regclass AND contype = 'x'
       ORDER BY conname
      """;

  /** Reads the objects of {@code table} (a quoted, qualified name). */
  public static TableObjects read(Connection conn, String table) throws SQLException {
    List<IndexSpec> indexes = new ArrayList<>();
    try (PreparedStatement ps = conn.prepareStatement(INDEXES_SQL)) {
      ps.setString(1, table);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          List<String> all = Arrays.asList((String[]) rs.getArray(7).getArray());
          int keys = rs.getInt(5);
          indexes.add(
              new IndexSpec(
                  rs.getString(1),
                  rs.getBoolean(2),
                  rs.getBoolean(3),
                  rs.getString(4),
                  all.subList(0, keys),
                  all.subList(keys, all.size()),
                  rs.getString(8)));
        }
      }
    }
    return new TableObjects(
        indexes,
        constraints(conn, CHECKS_SQL, table),
        List.of(),
        constraints(conn, EXCLUSIONS_SQL, table));
  }

  /** The constraints {@code sql} selects of {@code table}, as name and definition. */
  private static List<CheckSpec> constraints(Connection conn, String sql, String table)
      throws SQLException {
    List<CheckSpec> out = new ArrayList<>();
    try (PreparedStatement ps = conn.prepareStatement(sql)) {
      ps.setString(1, table);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new CheckSpec(rs.getString(1), rs.getString(2)));
        }
      }
    }
    return out;
  }
}
