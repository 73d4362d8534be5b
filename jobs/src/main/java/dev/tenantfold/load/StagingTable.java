package dev.tenantfold.load;

import static dev.tenantfold.jdbc.Sql.ident;
import static dev.tenantfold.jdbc.Sql.literal;
import static dev.tenantfold.jdbc.Sql.qualified;

import dev.tenantfold.conform.TargetTable;
import dev.tenantfold.jdbc.Sql;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * One tenant's rows of one table for one run, loaded before anything is published. Created like
 * the target table plus {@code CHECK (tenant = 'id')}, which lets ATTACH PARTITION skip its
 * validation scan; its primary key, built after the load, becomes the partition's index as is.
 */
public record StagingTable(String schema, String name, String targetSchema, TargetTable table, String tenantColumn, String tenantId) {

  public static StagingTable of(String stagingSchema, String runId, String targetSchema, TargetTable table, String tenantColumn, String tenantId) {
    // The hash of the exact triple keeps (table a__b, tenant c) and (table a, tenant b__c) apart.
    String name = Sql.boundedName(table.name() + "__" + tenantId + "__" + runId.replace("-", "_").toLowerCase() + "_"
        + Sql.shortHash(table.name() + "\0" + tenantId + "\0" + runId));
    return new StagingTable(stagingSchema, name, targetSchema, table, tenantColumn, tenantId);
  }

  public String qualifiedName() {
    return qualified(schema, name);
  }

  /** The partition's name once published: {@code <table>__<tenant>} in the target schema. */
  public String partitionName() {
    return Sql.boundedName(table.name() + "__" + tenantId);
  }

  /** Column list in target order, tenant column first: what COPY writes. */
  public List<String> copyColumns() {
    List<String> cols = new ArrayList<>();
    cols.add(tenantColumn);
    cols.addAll(table.columnNames());
    return cols;
  }

  public String copyInSql() {
    return "COPY " + qualifiedName() + " (" + Sql.idents(copyColumns()) + ") FROM STDIN";
  }

  public void create(Connection conn) throws SQLException {
    try (Statement st = conn.createStatement()) {
      st.execute("DROP TABLE IF EXISTS " + qualifiedName());
      st.execute("CREATE TABLE " + qualifiedName() + " (LIKE " + qualified(targetSchema, table.name()) + " INCLUDING DEFAULTS)");
      st.execute("ALTER TABLE " + qualifiedName() + " ADD CONSTRAINT " + ident(Sql.boundedName("tenant_" + name))
          + " CHECK (" + ident(tenantColumn) + " = " + literal(tenantId) + ")");
    }
  }

  /** Builds the primary key after the data is in: one sorted build instead of per-row index upkeep. */
  public void buildKeys(Connection conn, boolean analyze) throws SQLException {
    try (Statement st = conn.createStatement()) {
      if (!table.primaryKey().isEmpty()) {
        List<String> pk = new ArrayList<>();
        pk.add(tenantColumn);
        pk.addAll(table.primaryKey());
        // Named explicitly: PostgreSQL's default name truncates the table name and could collide.
        st.execute("ALTER TABLE " + qualifiedName() + " ADD CONSTRAINT " + ident(Sql.boundedName(name + "_pk")) + " PRIMARY KEY ("
            + Sql.idents(pk) + ")");
      }
      if (analyze) {
        st.execute("ANALYZE " + qualifiedName());
      }
    }
  }

  /**
   * Builds on the staging table every secondary index the consolidated parent has (indexes users
   * added for their queries), so ATTACH PARTITION finds them and builds nothing inside the publish
   * transaction, where it would hold the tables' locks for the whole build.
   */
  public void buildParentIndexes(Connection conn) throws SQLException {
    List<String> definitions = new ArrayList<>();
    try (java.sql.PreparedStatement ps = conn.prepareStatement(
        "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i WHERE i.indrelid = ?::regclass AND NOT i.indisprimary ORDER BY i.indexrelid")) {
      ps.setString(1, qualified(targetSchema, table.name()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          definitions.add(rs.getString(1));
        }
      }
    }
    try (Statement st = conn.createStatement()) {
      for (int i = 0; i < definitions.size(); i++) {
        String def = definitions.get(i);
        // "CREATE [UNIQUE] INDEX name ON ONLY schema.table USING method (...)": keep the kind and the tail.
        int using = def.indexOf(" USING ");
        if (using < 0) {
          throw new SQLException("Cannot copy index definition for staging table " + qualifiedName() + ": " + def);
        }
        String kind = def.startsWith("CREATE UNIQUE INDEX") ? "CREATE UNIQUE INDEX " : "CREATE INDEX ";
        st.execute(kind + ident(Sql.boundedName(name + "_ix" + i)) + " ON " + qualifiedName() + def.substring(using));
      }
    }
  }

  public long countRows(Connection conn) throws SQLException {
    try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM " + qualifiedName())) {
      rs.next();
      return rs.getLong(1);
    }
  }

  public void drop(Connection conn) throws SQLException {
    try (Statement st = conn.createStatement()) {
      st.execute("DROP TABLE IF EXISTS " + qualifiedName());
    }
  }
}
