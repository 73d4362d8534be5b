package dev.tenantfold.catchup;

import dev.tenantfold.extract.TableSpec;
import dev.tenantfold.jdbc.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The publication a tenant's changes are decoded through: its SQL, whether it exists, which tables
 * it lacks. Partitioned tables are published through their root ({@code
 * publish_via_partition_root}), so changes name the table the plan knows.
 */
final class PublicationSql {
  /** Marks a publication Tenantfold created, so cutover drops only its own. */
  static final String COMMENT_PREFIX = "created by tenantfold for tenant ";

  private PublicationSql() {}

  static String create(String publication, List<TableSpec> tables) {
    return "CREATE PUBLICATION "
        + Sql.ident(publication)
        + " FOR TABLE "
        + String.join(", ", SourcePrerequisites.names(tables))
        + " WITH (publish_via_partition_root = true)";
  }

  static boolean exists(Connection conn, String publication) throws SQLException {
    try (PreparedStatement ps =
        conn.prepareStatement("SELECT 1 FROM pg_publication WHERE pubname = ?")) {
      ps.setString(1, publication);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  /** Whether the publication was created by Tenantfold (its comment says so). */
  static boolean ours(Connection conn, String publication) throws SQLException {
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT obj_description(oid, 'pg_publication') FROM pg_publication WHERE pubname ="
                + " ?")) {
      ps.setString(1, publication);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && rs.getString(1) != null && rs.getString(1).startsWith(COMMENT_PREFIX);
      }
    }
  }

  /** The tables (quoted, qualified) the publication does not publish. */
  static Set<String> uncovered(Connection conn, String publication, List<TableSpec> tables)
      throws SQLException {
    Set<String> missing = new LinkedHashSet<>();
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT p.puballtables OR EXISTS (SELECT 1 FROM pg_publication_tables t WHERE"
                + " t.pubname = p.pubname AND t.schemaname = ? AND t.tablename = ?) FROM"
                + " pg_publication p WHERE p.pubname = ?")) {
      for (TableSpec table : tables) {
        ps.setString(1, table.schema());
        ps.setString(2, table.name());
        ps.setString(3, publication);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next() || !rs.getBoolean(1)) {
            missing.add(Sql.qualified(table.schema(), table.name()));
          }
        }
      }
    }
    return missing;
  }
}
