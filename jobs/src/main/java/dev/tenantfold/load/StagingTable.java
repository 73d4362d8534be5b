package dev.tenantfold.load;

import static dev.tenantfold.jdbc.Sql.ident;
import static dev.tenantfold.jdbc.Sql.literal;
import static dev.tenantfold.jdbc.Sql.qualified;

import dev.tenantfold.config.SchemaMap;
import dev.tenantfold.conform.TargetTable;
import dev.tenantfold.extract.ColumnSpec;
import dev.tenantfold.jdbc.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * One tenant's rows of one table for one run, loaded before anything is published. Created like the
 * target table (its defaults and CHECK constraints: ATTACH PARTITION wants the parent's CHECKs on
 * the partition, and COPY enforces them on the way in) plus {@code CHECK (tenant = 'id')}, which
 * lets ATTACH PARTITION skip its validation scan; its primary key, built after the load, becomes
 * the partition's index as is.
 */
public record StagingTable(
    long id,
    String schema,
    String name,
    String targetSchema,
    TargetTable table,
    String tenantColumn,
    String tenantId,
    boolean shared) {

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(StagingTable.class);

  /** A registered staging name: see {@link StagingRegistry#register}. */
  public record Name(long id, String schema, String name) {}

  public static StagingTable of(
      Name name, String targetSchema, TargetTable table, String tenantColumn, String tenantId) {
    return new StagingTable(
        name.id(), name.schema(), name.name(), targetSchema, table, tenantColumn, tenantId, false);
  }

  /**
   * The staging of a tenant's rows of a shared reference table: like the shared table plus the
   * tenant column (so it validates like any staging); its rows are merged into the shared table at
   * publish instead of being attached as a partition.
   */
  public static StagingTable ofShared(
      Name name, String targetSchema, TargetTable table, String tenantColumn, String tenantId) {
    return new StagingTable(
        name.id(), name.schema(), name.name(), targetSchema, table, tenantColumn, tenantId, true);
  }

  public String qualifiedName() {
    return qualified(schema, name);
  }

  /**
   * The consolidated table, quoted: {@code targetSchema} is the target schema of its source schema
   * ({@link SchemaMap}).
   */
  public String targetRelation() {
    return qualified(targetSchema, SchemaMap.nameOf(table.name()));
  }

  /**
   * The name the partition would like once published, {@code <table>__<tenant>}; the publisher
   * picks a free variant when another relation holds it.
   */
  public String preferredPartitionName() {
    // Partitions of every target schema share the partition schema: sales.orders becomes
    // sales__orders.
    String name = table.name().replace(".", "__") + "__" + tenantId;
    // (table a__b, tenant c) and (table a, tenant b__c) would share a name: add the pair's hash
    // then.
    if (name.indexOf("__") != name.lastIndexOf("__")) {
      name += "_" + Sql.shortHash(table.name() + "\0" + tenantId);
    }
    return Sql.boundedName(name);
  }

  /** Column list in target order, tenant column first: what COPY writes. */
  public List<String> copyColumns() {
    List<String> cols = new ArrayList<>();
    cols.add(tenantColumn);
    table.columns().stream().filter(ColumnSpec::loaded).map(ColumnSpec::name).forEach(cols::add);
    return cols;
  }

  public String copyInSql() {
    return copyInSql(CopyFormat.TEXT);
  }

  public String copyInSql(CopyFormat format) {
    return "COPY "
        + qualifiedName()
        + " ("
        + Sql.idents(copyColumns())
        + ") FROM STDIN"
        + format.option();
  }

  public void create(Connection conn) throws SQLException {
    try (Statement st = conn.createStatement()) {
      // No DROP IF EXISTS first: the registered name is unique, and an unexpected relation of that
      // name is an error, not ours to drop.
      st.execute(
          "CREATE TABLE "
              + qualifiedName()
              + " ("
              + (shared ? ident(tenantColumn) + " text NOT NULL, " : "")
              + "LIKE "
              + targetRelation()
              + " INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED, CONSTRAINT "
              + ident(name + "_tenant")
              + " CHECK ("
              + ident(tenantColumn)
              + " = "
              + literal(tenantId)
              + "))");
    }
  }

  /**
   * Builds the primary key after the data is in: one sorted build instead of per-row index upkeep.
   */
  public void buildKeys(Connection conn, boolean analyze) throws SQLException {
    try (Statement st = conn.createStatement()) {
      if (!table.primaryKey().isEmpty()) {
        List<String> pk = new ArrayList<>();
        pk.add(tenantColumn);
        pk.addAll(table.primaryKey());
        // Named explicitly: PostgreSQL's default name truncates the table name and could collide.
        // Built as a unique index first (SHARE lock: the target checksum may read the table
        // meanwhile, docs/how-it-works.md), then attached as the key, which only takes the brief
        // exclusive lock of a catalog change.
        st.execute(
            "CREATE UNIQUE INDEX "
                + ident(name + "_pk")
                + " ON "
                + qualifiedName()
                + " ("
                + Sql.idents(pk)
                + ")");
        st.execute(
            "ALTER TABLE "
                + qualifiedName()
                + " ADD CONSTRAINT "
                + ident(name + "_pk")
                + " PRIMARY KEY USING INDEX "
                + ident(name + "_pk"));
      }
      if (analyze) {
        st.execute("ANALYZE " + qualifiedName());
      }
    }
  }

  /**
   * The source's exclusion constraints, on this tenant's partition: PostgreSQL (before 17) refuses
   * them on a partitioned table, and a partition holds one tenant's rows, so the constraint there
   * means exactly what it meant in the tenant's database. Built after the load like the key; rows
   * inserted later through the consolidated table are routed to the partition and checked there.
   */
  /** How an exclusion constraint's comment carries its source name to the publish. */
  public static final String SOURCE_NAME = "tenantfold source name: ";

  /**
   * Builds {@code exclusions} on this staging table; returns the ones the target could not build
   * (skipped, each named with the server's reason), for the run's notes.
   */
  public List<String> buildExclusions(
      Connection conn, List<dev.tenantfold.extract.TableObjects.CheckSpec> exclusions)
      throws SQLException {
    List<String> skipped = new ArrayList<>();
    if (shared) {
      return skipped;
    }
    boolean transaction = !conn.getAutoCommit();
    try (Statement st = conn.createStatement()) {
      for (int i = 0; i < exclusions.size(); i++) {
        if (transaction) {
          st.execute("SAVEPOINT tenantfold_exclusion");
        }
        try {
          // Named by the staging name (unique): the constraint's index moves with the partition
          // into the partition schema.
          String staged = ident(Sql.boundedName(name + "_x" + i));
          st.execute(
              "ALTER TABLE "
                  + qualifiedName()
                  + " ADD CONSTRAINT "
                  + staged
                  + " "
                  + exclusions.get(i).definition());
          // The publish renames it to the source's name in the tenant's partition schema.
          st.execute(
              "COMMENT ON CONSTRAINT "
                  + staged
                  + " ON "
                  + qualifiedName()
                  + " IS "
                  + Sql.literal(SOURCE_NAME + exclusions.get(i).name()));
        } catch (SQLException e) {
          if (transaction) {
            st.execute("ROLLBACK TO SAVEPOINT tenantfold_exclusion");
          }
          // As for other objects the target cannot build (an operator class of an extension it
          // lacks, say btree_gist): skipped, said in the log and the run's notes.
          skipped.add(
              "exclusion constraint "
                  + exclusions.get(i).name()
                  + " of "
                  + table.name()
                  + ": "
                  + e.getMessage().lines().findFirst().orElse(""));
          LOG.warn(
              "Cannot recreate exclusion constraint {} of {} on tenant {}'s partition: {} (skipped;"
                  + " the rows are loaded without it)",
              exclusions.get(i).name(),
              table.name(),
              tenantId,
              e.getMessage().lines().findFirst().orElse(""));
        }
      }
    }
    return skipped;
  }

  /**
   * Builds on the staging table every secondary index the consolidated parent has (indexes users
   * added for their queries), so ATTACH PARTITION finds them and builds nothing inside the publish
   * transaction, where it would hold the tables' locks for the whole build.
   */
  public void buildParentIndexes(Connection conn) throws SQLException {
    if (shared) {
      // Never attached: its rows are merged into the shared table, whose indexes take them.
      return;
    }
    record ParentIndex(String definition, String prefix, String constraintDefinition) {}
    List<ParentIndex> indexes = new ArrayList<>();
    try (PreparedStatement ps =
        conn.prepareStatement(
            """
            SELECT pg_get_indexdef(i.indexrelid),
                   CASE WHEN i.indisunique THEN 'CREATE UNIQUE INDEX ' ELSE 'CREATE INDEX ' END || quote_ident(ic.relname)
                     || ' ON ONLY ' || quote_ident(n.nspname) || '.' || quote_ident(tc.relname) || ' USING ',
                   (SELECT pg_get_constraintdef(con.oid) FROM pg_constraint con WHERE con.conindid = i.indexrelid AND con.conrelid = i.indrelid)
              FROM pg_index i
              JOIN pg_class ic ON ic.oid = i.indexrelid
              JOIN pg_class tc ON tc.oid = i.indrelid
              JOIN pg_namespace n ON n.oid = tc.relnamespace
             WHERE i.indrelid = ?::regclass AND NOT i.indisprimary
             ORDER BY i.indexrelid
            """)) {
      ps.setString(1, targetRelation());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          indexes.add(new ParentIndex(rs.getString(1), rs.getString(2), rs.getString(3)));
        }
      }
    }
    try (Statement st = conn.createStatement()) {
      for (int i = 0; i < indexes.size(); i++) {
        ParentIndex index = indexes.get(i);
        String name = ident(this.name + "_ix" + i);
        if (index.constraintDefinition() != null) {
          // A UNIQUE or EXCLUDE constraint: ATTACH only pairs a constraint's index with a
          // constraint's index.
          st.execute(
              "ALTER TABLE "
                  + qualifiedName()
                  + " ADD CONSTRAINT "
                  + name
                  + " "
                  + index.constraintDefinition());
        } else if (index.definition().startsWith(index.prefix())) {
          String kind =
              index.prefix().startsWith("CREATE UNIQUE") ? "CREATE UNIQUE INDEX " : "CREATE INDEX ";
          st.execute(
              kind
                  + name
                  + " ON "
                  + qualifiedName()
                  + " USING "
                  + index.definition().substring(index.prefix().length()));
        } else {
          throw new SQLException(
              "Cannot copy index of "
                  + targetRelation()
                  + " onto staging: unexpected definition "
                  + index.definition());
        }
      }
    }
  }

  public void drop(Connection conn) throws SQLException {
    try (Statement st = conn.createStatement()) {
      st.execute("DROP TABLE IF EXISTS " + qualifiedName());
    }
  }
}
