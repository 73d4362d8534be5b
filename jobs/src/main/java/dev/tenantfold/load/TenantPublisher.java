package dev.tenantfold.load;

import static dev.tenantfold.jdbc.Sql.ident;
import static dev.tenantfold.jdbc.Sql.literal;
import static dev.tenantfold.jdbc.Sql.qualified;

import dev.tenantfold.config.SchemaMap;
import dev.tenantfold.conform.TargetTable;
import dev.tenantfold.extract.CodeObjects;
import dev.tenantfold.jdbc.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Makes a tenant's staged tables visible together, in one transaction: for each table, detach and
 * drop the tenant's previous partition (if any), attach the staging table as the new partition and
 * move it into the target schema. Readers see either the old tenant or the new one, never a mix;
 * other tenants' partitions are not touched. Tables are locked in name order, so concurrent
 * publishes cannot deadlock; the lock timeout bounds the wait behind long-running readers.
 */
public final class TenantPublisher {
  private TenantPublisher() {}

  /**
   * Longest single wait for the tables' locks; readers queue behind a waiting publish, so keep it
   * short.
   */
  private static final long ATTEMPT_LOCK_WAIT_MILLIS = 2_000;

  /**
   * Runs the swap; {@code inTransaction} runs last, before COMMIT (the report rows). All parent
   * tables are locked up front, in name order, each attempt waiting at most a couple of seconds so
   * readers of every tenant are not stuck behind a waiting publish; attempts repeat with backoff
   * until {@code lockTimeout} has passed, then the publish fails and nothing changes.
   */
  public static void publish(
      Connection conn, Publication publication, Duration lockTimeout, TransactionWork inTransaction)
      throws SQLException {
    long deadline = System.nanoTime() + lockTimeout.toNanos();
    for (int attempt = 1; ; attempt++) {
      long remaining = (deadline - System.nanoTime()) / 1_000_000;
      try {
        swap(
            conn,
            publication,
            Math.max(1, Math.min(ATTEMPT_LOCK_WAIT_MILLIS, remaining)),
            inTransaction);
        return;
      } catch (SQLException e) {
        boolean lockBusy = "55P03".equals(e.getSQLState());
        if (!lockBusy || System.nanoTime() >= deadline) {
          throw lockBusy
              ? new SQLException(
                  "could not lock the target tables within "
                      + lockTimeout.toSeconds()
                      + " s ("
                      + attempt
                      + " attempts): long-running queries hold them",
                  e.getSQLState(),
                  e)
              : e;
        }
        Attempts.sleep(Math.min(200L * attempt, 2_000));
      }
    }
  }

  /**
   * What one tenant's publish changes: the staged tables become its partitions (in {@code
   * partitionSchema}), and its partitions of {@code retiredTables} (tables its source no longer
   * has, when the run allows the tenant to shrink) are dropped.
   */
  public record Publication(
      String tenantId,
      List<StagingTable> staged,
      List<String> retiredTables,
      SchemaMap schemas,
      String partitionSchema,
      Map<String, List<String>> overruledSharedKeys,
      List<String> order,
      Optional<String> tenantSetting,
      List<String> alsoLocked,
      List<CodeObjects.SequenceSpec> sourceSequences) {
    public Publication {
      sourceSequences = List.copyOf(sourceSequences);
      alsoLocked = List.copyOf(alsoLocked);
      staged = List.copyOf(staged);
      retiredTables = List.copyOf(retiredTables);
      overruledSharedKeys = Map.copyOf(overruledSharedKeys);
      order = List.copyOf(order);
    }

    public Publication(
        String tenantId,
        List<StagingTable> staged,
        List<String> retiredTables,
        String targetSchema,
        String partitionSchema) {
      this(
          tenantId,
          staged,
          retiredTables,
          SchemaMap.of(targetSchema),
          partitionSchema,
          Map.of(),
          List.of(),
          Optional.empty(),
          List.of(),
          List.of());
    }

    /**
     * Tables in attach order: referenced tables before the tables referencing them ({@code order}),
     * the rest by name.
     */
    Comparator<String> attachOrder() {
      return Comparator.<String>comparingInt(
              t -> order.contains(t) ? order.indexOf(t) : order.size())
          .thenComparing(Comparator.naturalOrder());
    }
  }

  private static void swap(
      Connection conn, Publication publication, long lockWaitMillis, TransactionWork inTransaction)
      throws SQLException {
    String tenantId = publication.tenantId();
    boolean autoCommit = conn.getAutoCommit();
    conn.setAutoCommit(false);
    List<StagingTable> ordered =
        publication.staged().stream().sorted(Comparator.comparing(t -> t.table().name())).toList();
    List<String> parents = new ArrayList<>();
    ordered.forEach(s -> parents.add(s.table().name()));
    parents.addAll(publication.retiredTables());
    // Tables the transaction also reads (every consolidated table, for compatibility schemas):
    // locked with the others, in the
    // one order every publish uses, or two tenants holding different tables would each wait for the
    // other's.
    publication.alsoLocked().stream().filter(t -> !parents.contains(t)).forEach(parents::add);
    Collections.sort(parents);
    try (Statement st = conn.createStatement()) {
      st.execute("SET LOCAL lock_timeout = " + literal(lockWaitMillis + "ms"));
      if (!parents.isEmpty()) {
        st.execute(
            "LOCK TABLE "
                + String.join(
                    ", ", parents.stream().map(p -> publication.schemas().relation(p)).toList())
                + " IN ACCESS EXCLUSIVE MODE");
      }
      if (publication.tenantSetting().isPresent()) {
        // Under row-level security the attach's foreign-key checks must read the referenced tables
        // as this tenant.
        RowLevelSecurity.actAsTenantInTransaction(
            conn, publication.tenantSetting().get(), tenantId);
      }
      // Partition names are chosen under this lock, so two publishes cannot pick the same free
      // name.
      st.execute("SELECT pg_advisory_xact_lock(hashtextextended('tenantfold partition names', 0))");
      // Old partitions leave first, referencing tables before the tables they reference (a foreign
      // key refuses the other order);
      // new ones arrive referenced tables first, so each attach finds the rows its keys point to.
      Comparator<String> attachOrder = publication.attachOrder();
      List<String> leaving = new ArrayList<>(publication.retiredTables());
      ordered.stream().filter(s -> !s.shared()).forEach(s -> leaving.add(s.table().name()));
      leaving.sort(attachOrder.reversed());
      for (String table : leaving) {
        String parent = publication.schemas().relation(table);
        String previous = existingPartition(conn, parent, tenantId);
        if (previous != null) {
          st.execute("ALTER TABLE " + parent + " DETACH PARTITION " + previous);
          // Dropped at once: a detached partition keeps its foreign keys, which would hold on to
          // the rows it referenced.
          st.execute("DROP TABLE " + previous);
        }
      }
      List<StagingTable> arriving = new ArrayList<>(ordered);
      arriving.sort(Comparator.comparing(s -> s.table().name(), attachOrder));
      for (StagingTable s : arriving) {
        String parent = s.targetRelation();
        advanceSequences(conn, s, publication.sourceSequences());
        if (s.shared()) {
          mergeShared(
              conn,
              st,
              s,
              publication.overruledSharedKeys().getOrDefault(s.table().name(), List.of()));
          continue;
        }
        st.execute(
            "ALTER TABLE "
                + parent
                + " ATTACH PARTITION "
                + s.qualifiedName()
                + " FOR VALUES IN ("
                + literal(tenantId)
                + ")");
        // Each tenant's partitions in a schema of their own: their indexes can carry the source's
        // names (index names are unique per schema), which errors name.
        String partitionSchema = partitionSchemaOf(publication.partitionSchema(), tenantId);
        st.execute("CREATE SCHEMA IF NOT EXISTS " + ident(partitionSchema));
        String name =
            freeName(conn, List.of(partitionSchema, s.schema()), s.preferredPartitionName());
        // Renamed while still in staging (its registered name is unique there), then moved: the
        // move cannot collide.
        st.execute("ALTER TABLE " + s.qualifiedName() + " RENAME TO " + ident(name));
        st.execute(
            "ALTER TABLE " + qualified(s.schema(), name) + " SET SCHEMA " + ident(partitionSchema));
        adoptIndexNames(conn, st, partitionSchema, qualified(partitionSchema, name));
        adoptExclusionNames(conn, st, partitionSchema, qualified(partitionSchema, name));
        RowLevelSecurity.protectPartition(conn, parent, qualified(partitionSchema, name));
      }
      inTransaction.run(conn);
      conn.commit();
    } catch (SQLException | RuntimeException e) {
      try {
        conn.rollback();
      } catch (SQLException rollbackFailure) {
        e.addSuppressed(rollbackFailure);
      }
      throw e;
    } finally {
      try {
        conn.setAutoCommit(autoCommit);
      } catch (SQLException ignored) {
        // The connection is gone; the caller reports the original failure.
      }
    }
  }

  /**
   * Moves the sequences of identity and serial columns past the largest value this tenant brings
   * and past its source sequence's position ({@link SequenceMove}), so an application's next insert
   * (any tenant) neither collides nor reuses an id the tenant handed out before. Sequences only
   * move forward.
   */
  private static void advanceSequences(
      Connection conn, StagingTable s, List<CodeObjects.SequenceSpec> sourceSequences)
      throws SQLException {
    for (var c : s.table().columns()) {
      if (!c.generatedBySequence()) {
        continue;
      }
      String sequence =
          qualified(
              s.targetSchema(),
              TargetDdl.sequenceName(SchemaMap.nameOf(s.table().name()), c.name()));
      OptionalLong largest;
      try (Statement st = conn.createStatement();
          ResultSet rs =
              st.executeQuery(
                  "SELECT max(" + ident(c.name()) + ")::bigint FROM " + s.qualifiedName())) {
        rs.next();
        long m = rs.getLong(1);
        largest = rs.wasNull() ? OptionalLong.empty() : OptionalLong.of(m);
      }
      Optional<SequenceMove.Position> source =
          CodeObjects.SequenceSpec.of(sourceSequences, s.table().name(), c.name())
              .flatMap(q -> SequenceMove.Position.ofLastValue(q.lastValue()));
      moveSequence(conn, sequence, source, largest);
    }
  }

  /**
   * Moves {@code sequence} (a quoted name) where {@link SequenceMove#next} says; returns the value
   * it hands out next when it moved.
   */
  public static OptionalLong moveSequence(
      Connection conn,
      String sequence,
      Optional<SequenceMove.Position> source,
      OptionalLong largest)
      throws SQLException {
    SequenceMove.Position current;
    try (Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery("SELECT last_value, is_called FROM " + sequence)) {
      rs.next();
      current = new SequenceMove.Position(rs.getLong(1), rs.getBoolean(2));
    }
    OptionalLong next = SequenceMove.next(current, source, largest);
    if (next.isPresent()) {
      try (PreparedStatement ps = conn.prepareStatement("SELECT setval(?::regclass, ?, false)")) {
        ps.setString(1, sequence);
        ps.setLong(2, next.getAsLong());
        ps.execute();
      }
    }
    return next;
  }

  /**
   * The schema holding {@code tenantId}'s partitions: {@code target.partition-schema}, an
   * underscore and the tenant ({@code tenantfold_partitions_acme}). One per tenant, so each
   * tenant's partition indexes carry the names the consolidated table's indexes have (the source's
   * constraint and index names): a duplicate key names the source's constraint, never a staging
   * name.
   */
  public static String partitionSchemaOf(String partitionSchema, String tenantId) {
    return Sql.boundedName(partitionSchema + "_" + tenantId);
  }

  /**
   * Renames each unique index of {@code partition} (a key, a unique constraint or index: what a
   * duplicate-key error names) that is attached to an index of the consolidated table to that
   * index's name, the source's, unless a relation of the tenant's partition schema already has that
   * name (a table of another source schema with an index of the same name): that one keeps its
   * staging name.
   */
  private static void adoptIndexNames(
      Connection conn, Statement st, String partitionSchema, String partition) throws SQLException {
    List<String[]> renames = new ArrayList<>();
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT format('%I.%I', n.nspname, ci.relname), pi.relname FROM pg_index i JOIN"
                + " pg_class ci ON ci.oid = i.indexrelid JOIN pg_namespace n ON n.oid ="
                + " ci.relnamespace JOIN pg_inherits h ON h.inhrelid = i.indexrelid JOIN pg_class"
                + " pi ON pi.oid = h.inhparent WHERE i.indrelid = ?::regclass AND i.indisunique"
                + " AND ci.relname <> pi.relname ORDER BY 2")) {
      ps.setString(1, partition);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          renames.add(new String[] {rs.getString(1), rs.getString(2)});
        }
      }
    }
    for (String[] rename : renames) {
      if (!nameTaken(conn, partitionSchema, rename[1])) {
        // A key's or unique constraint's index: the constraint is renamed with it.
        st.execute("ALTER INDEX " + rename[0] + " RENAME TO " + ident(rename[1]));
      }
    }
  }

  /** Whether a relation (a table, an index) of {@code schema} is named {@code name}. */
  private static boolean nameTaken(Connection conn, String schema, String name)
      throws SQLException {
    return dev.tenantfold.jdbc.Queries.exists(
        conn,
        "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname"
            + " = ? AND c.relname = ?",
        schema,
        name);
  }

  /**
   * Renames each exclusion constraint of {@code partition} (built on staging under a staging name,
   * its source name in its comment: {@link StagingTable#buildExclusions}) to the source's name,
   * which an exclusion violation names, unless a relation of the tenant's partition schema already
   * has that name (its index would collide): that one keeps its staging name.
   */
  private static void adoptExclusionNames(
      Connection conn, Statement st, String partitionSchema, String partition) throws SQLException {
    List<String[]> renames = new ArrayList<>();
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT c.conname, substr(d.description, length(?) + 1) FROM pg_constraint c JOIN"
                + " pg_description d ON d.objoid = c.oid AND d.classoid ="
                + " 'pg_constraint'::regclass WHERE c.conrelid = ?::regclass AND c.contype = 'x'"
                + " AND starts_with(d.description, ?) ORDER BY 2")) {
      ps.setString(1, StagingTable.SOURCE_NAME);
      ps.setString(2, partition);
      ps.setString(3, StagingTable.SOURCE_NAME);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          renames.add(new String[] {rs.getString(1), rs.getString(2)});
        }
      }
    }
    for (String[] rename : renames) {
      if (rename[0].equals(rename[1]) || nameTaken(conn, partitionSchema, rename[1])) {
        continue;
      }
      // The constraint's index is renamed with it.
      st.execute(
          "ALTER TABLE "
              + partition
              + " RENAME CONSTRAINT "
              + ident(rename[0])
              + " TO "
              + ident(rename[1]));
    }
  }

  /**
   * Merges a tenant's rows of a shared table into it: rows another tenant's row overruled (by the
   * table's on-conflict rule) are dropped from the staging first; the rest are upserted by key;
   * then every remaining staged row must be in the shared table exactly, or the publish rolls back.
   */
  private static void mergeShared(
      Connection conn, Statement st, StagingTable s, List<String> overruledKeys)
      throws SQLException {
    TargetTable table = s.table();
    String parent = s.targetRelation();
    String keyJson = Sql.keyJson(table.primaryKey(), "");
    if (!overruledKeys.isEmpty()) {
      try (PreparedStatement ps =
          conn.prepareStatement(
              "DELETE FROM " + s.qualifiedName() + " WHERE " + keyJson + " = ANY (?::jsonb[])")) {
        ps.setArray(1, conn.createArrayOf("text", overruledKeys.toArray()));
        ps.executeUpdate();
      }
    }
    String columns = Sql.idents(table.columnNames());
    List<String> others =
        table.columnNames().stream().filter(c -> !table.primaryKey().contains(c)).toList();
    String onConflict =
        others.isEmpty()
            ? "DO NOTHING"
            : "DO UPDATE SET "
                + String.join(
                    ", ", others.stream().map(c -> ident(c) + " = EXCLUDED." + ident(c)).toList());
    st.execute(
        "INSERT INTO "
            + parent
            + " ("
            + columns
            + ") SELECT "
            + columns
            + " FROM "
            + s.qualifiedName()
            + " ON CONFLICT ("
            + Sql.idents(table.primaryKey())
            + ") "
            + onConflict);
    String keyMatch =
        String.join(
            " AND ",
            table.primaryKey().stream().map(k -> "t." + ident(k) + " = s." + ident(k)).toList());
    String sameValues =
        others.stream()
            .map(c -> " AND t." + ident(c) + "::text IS NOT DISTINCT FROM s." + ident(c) + "::text")
            .reduce("", String::concat);
    try (ResultSet rs =
        st.executeQuery(
            "SELECT count(*) FROM "
                + s.qualifiedName()
                + " s WHERE NOT EXISTS (SELECT 1 FROM "
                + parent
                + " t WHERE "
                + keyMatch
                + sameValues
                + ")")) {
      rs.next();
      if (rs.getLong(1) > 0) {
        throw new SQLException(
            "Cannot merge tenant "
                + s.tenantId()
                + " into shared table "
                + parent
                + ": "
                + rs.getLong(1)
                + " of its rows are not in it after the merge; nothing was published");
      }
    }
    st.execute("DROP TABLE " + s.qualifiedName());
  }

  /**
   * {@code preferred}, or {@code preferred_2}, {@code _3}, ... : the first name no relation holds
   * in any of {@code schemas} (the partition schema, and the staging schema where the rename
   * happens).
   */
  static String freeName(Connection conn, List<String> schemas, String preferred)
      throws SQLException {
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE n.nspname = ANY (?) AND c.relname = ?)")) {
      for (int i = 1; ; i++) {
        String candidate = i == 1 ? preferred : Sql.boundedName(preferred + "_" + i);
        ps.setArray(1, conn.createArrayOf("text", schemas.toArray()));
        ps.setString(2, candidate);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          if (!rs.getBoolean(1)) {
            return candidate;
          }
        }
      }
    }
  }

  /**
   * The partition of {@code parent} holding {@code tenantId}, as a quoted qualified name, or null.
   */
  static String existingPartition(Connection conn, String parent, String tenantId)
      throws SQLException {
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_inherits i JOIN pg_class c ON"
                + " c.oid = i.inhrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE"
                + " i.inhparent = ?::regclass AND pg_get_expr(c.relpartbound, c.oid) = ?")) {
      ps.setString(1, parent);
      ps.setString(2, "FOR VALUES IN (" + literal(tenantId) + ")");
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }

  /** Work that must commit atomically with the swap. */
  @FunctionalInterface
  public interface TransactionWork {
    void run(Connection conn) throws SQLException;
  }
}
