package dev.tenantfold.catchup;

import static dev.tenantfold.jdbc.Sql.ident;

import dev.tenantfold.catchup.CatchUpState.PlannedTable;
import dev.tenantfold.config.SchemaMap;
import dev.tenantfold.config.TenantConfig;
import dev.tenantfold.jdbc.JdbcEndpoint;
import dev.tenantfold.jdbc.Sql;
import dev.tenantfold.load.TargetDdl;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Switches one tenant over once its application stopped writing: drains the slot to the source's
 * current position ({@link TenantCatchUp}), checks every key changed since the base copy (source
 * row against target row) and every table's row count, moves the target's sequences past the source
 * sequences' positions, drops the slot (and the publication, when Tenantfold created it), and
 * records the tenant as cut over. A difference keeps the slot and records nothing.
 */
public final class Cutover {
  private static final Logger LOG = LoggerFactory.getLogger(Cutover.class);
  private static final int KEYS_PER_QUERY = 1000;
  private static final int LISTED = 20;

  private final TenantConfig tenant;
  private final JdbcEndpoint target;
  private final String reportSchema;
  private final SchemaMap schemas;
  private final String tenantColumn;
  private final CatchUpRules rules;

  /** Differing keys past the first {@link #LISTED}: counted, not held. */
  private long unlisted;

  public Cutover(
      TenantConfig tenant,
      JdbcEndpoint target,
      String reportSchema,
      SchemaMap schemas,
      String tenantColumn) {
    this(tenant, target, reportSchema, schemas, tenantColumn, CatchUpRules.none());
  }

  /** {@code rules}: what the drain applies the last changes with ({@link TenantCatchUp}). */
  public Cutover(
      TenantConfig tenant,
      JdbcEndpoint target,
      String reportSchema,
      SchemaMap schemas,
      String tenantColumn,
      CatchUpRules rules) {
    this.rules = rules;
    this.tenant = tenant;
    this.target = target;
    this.reportSchema = reportSchema;
    this.schemas = schemas;
    this.tenantColumn = tenantColumn;
  }

  public CutoverResult execute() {
    long start = System.nanoTime();
    CatchUpResult drain =
        new TenantCatchUp(tenant, target, reportSchema, schemas, tenantColumn, rules).execute();
    if (!drain.caughtUp()) {
      return CutoverResult.failed(
          tenant.id(), Optional.of(drain), drain.error().orElseThrow(), millisSince(start));
    }
    try {
      return verify(drain, start);
    } catch (SQLException | RuntimeException e) {
      String message = e.getMessage() == null ? e.toString() : e.getMessage();
      LOG.error("Cutover of tenant {} failed: {}", tenant.id(), message);
      return CutoverResult.failed(tenant.id(), Optional.of(drain), message, millisSince(start));
    }
  }

  private CutoverResult verify(CatchUpResult drain, long start) throws SQLException {
    CatchUpState state = CatchUpState.of(reportSchema);
    try (Connection targetConn = target.connect("tenantfold-cutover-" + tenant.id());
        Connection source = tenant.jdbc().connect("tenantfold-cutover-" + tenant.id())) {
      CatchUpState.Tenant recorded = state.read(targetConn, tenant.id()).orElseThrow();
      List<String> differences = new ArrayList<>();
      long keys = 0;
      RuledComparison ruled =
          RuledComparison.open(
              tenant,
              recorded.runId(),
              rules,
              schemas,
              reportSchema,
              tenantColumn,
              targetConn,
              source);
      for (PlannedTable table : state.tables(targetConn, tenant.id())) {
        if (ruled.covers(table.key())) {
          // Under rules: against what a fresh run publishes (docs/catch-up.md).
          keys += ruled.compareTable(table.key(), reportSchema, tenant.id(), differences, LISTED);
          continue;
        }
        TenantPartition partition =
            TenantPartition.find(targetConn, schemas, table, tenantColumn, tenant.id());
        keys += compareChangedKeys(state, source, targetConn, partition, differences);
        long sourceRows = count(source, sourceRelation(source, table));
        long targetRows = count(targetConn, partition.relation());
        if (sourceRows != targetRows) {
          differences.add(
              "table "
                  + table.key()
                  + ": "
                  + sourceRows
                  + " rows in the source, "
                  + targetRows
                  + " in the target");
        }
      }
      if (unlisted > 0) {
        differences.add("... and " + unlisted + " more keys differ");
      }
      if (!differences.isEmpty()) {
        return new CutoverResult(
            tenant.id(),
            CutoverResult.Verdict.MISMATCH,
            Optional.of(drain),
            keys,
            differences,
            List.of(),
            millisSince(start),
            Optional.empty());
      }
      List<String> sequences =
          moveSequences(source, targetConn, state.tables(targetConn, tenant.id()));
      // The application's writes from now on fire the consolidated tables' triggers again.
      TriggerGuard.enableForTenant(targetConn, reportSchema, schemas, tenant.id());
      dropSlotAndPublication(source, recorded);
      targetConn.setAutoCommit(false);
      state.markCutOver(targetConn, tenant.id());
      targetConn.commit();
      return new CutoverResult(
          tenant.id(),
          CutoverResult.Verdict.CUT_OVER,
          Optional.of(drain),
          keys,
          List.of(),
          sequences,
          millisSince(start),
          Optional.empty());
    }
  }

  /**
   * Compares source and target rows of every key of {@code partition}'s table changed since the
   * base copy, a thousand keys per query; returns how many keys it compared.
   */
  private long compareChangedKeys(
      CatchUpState state,
      Connection source,
      Connection targetConn,
      TenantPartition partition,
      List<String> differences)
      throws SQLException {
    PlannedTable table = partition.table();
    long compared = 0;
    List<String> batch = new ArrayList<>();
    try (PreparedStatement ps =
        targetConn.prepareStatement(
            "SELECT to_jsonb(key)::text FROM "
                + state.table("catchup_changed_keys")
                + " WHERE tenant_id = ? AND table_name = ? ORDER BY key")) {
      ps.setString(1, tenant.id());
      ps.setString(2, table.key());
      ps.setFetchSize(KEYS_PER_QUERY);
      // A cursor: the keys stream in, never all held.
      boolean auto = targetConn.getAutoCommit();
      targetConn.setAutoCommit(false);
      try (Connection reader = target.connect("tenantfold-cutover-rows-" + tenant.id());
          ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          batch.add(rs.getString(1));
          if (batch.size() == KEYS_PER_QUERY) {
            compared += compareBatch(source, reader, partition, batch, differences);
            batch.clear();
          }
        }
        compared += compareBatch(source, reader, partition, batch, differences);
      } finally {
        targetConn.commit();
        targetConn.setAutoCommit(auto);
      }
    }
    return compared;
  }

  private int compareBatch(
      Connection source,
      Connection targetConn,
      TenantPartition partition,
      List<String> keys,
      List<String> differences)
      throws SQLException {
    if (keys.isEmpty()) {
      return 0;
    }
    PlannedTable table = partition.table();
    String json = "[" + String.join(",", keys) + "]";
    Map<String, String> sourceRows =
        rowsByKey(source, sourceRelation(source, table), table, json, "");
    Map<String, String> targetRows =
        rowsByKey(
            targetConn,
            partition.relation(),
            table,
            json,
            "r." + ident(tenantColumn) + " = " + Sql.literal(tenant.id()));
    for (String key : keys) {
      String s = sourceRows.get(key);
      String t = targetRows.get(key);
      if (!Objects.equals(s, t) && differences.size() < LISTED) {
        differences.add(
            "table "
                + table.key()
                + " key "
                + key
                + ": source "
                + (s == null ? "has no row" : s)
                + ", target "
                + (t == null ? "has no row" : t));
      } else if (!Objects.equals(s, t)) {
        unlisted++;
      }
    }
    return keys.size();
  }

  /**
   * Each key's row as text ({@code ROW(planned columns)::text}), keyed by the key's JSON text;
   * {@code tenantPredicate} ({@code r.tenant_id = 'acme'}) leads the join on the target, whose key
   * index starts with the tenant column.
   */
  private static Map<String, String> rowsByKey(
      Connection conn, String relation, PlannedTable table, String keysJson, String tenantPredicate)
      throws SQLException {
    List<String> pk = table.primaryKey();
    List<String> predicates = new ArrayList<>();
    if (!tenantPredicate.isEmpty()) {
      predicates.add(tenantPredicate);
    }
    for (int i = 0; i < pk.size(); i++) {
      predicates.add("r." + ident(pk.get(i)) + " = (k.key->>" + i + ")::" + table.type(pk.get(i)));
    }
    String join = String.join(" AND ", predicates);
    String columns =
        table.columns().stream().map(c -> "r." + ident(c)).collect(Collectors.joining(", "));
    Map<String, String> out = new HashMap<>();
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT k.key::text, ROW("
                + columns
                + ")::text FROM jsonb_array_elements(?::jsonb) k(key) JOIN "
                + relation
                + " r ON "
                + join)) {
      ps.setString(1, keysJson);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          // jsonb prints the key as the target's to_jsonb did: the same text on both sides.
          out.put(rs.getString(1), rs.getString(2));
        }
      }
    }
    return out;
  }

  private static String sourceRelation(Connection source, PlannedTable table) throws SQLException {
    String relation = Sql.qualified(table.sourceSchema(), table.sourceName());
    try (PreparedStatement ps =
        source.prepareStatement("SELECT relkind::text FROM pg_class WHERE oid = ?::regclass")) {
      ps.setString(1, relation);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return "p".equals(rs.getString(1)) ? relation : "ONLY " + relation;
      }
    }
  }

  private static long count(Connection conn, String relation) throws SQLException {
    try (Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery("SELECT count(*) FROM " + relation)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /**
   * Sets each target sequence of a serial or identity column past its source sequence's position
   * (not only past the largest id: ids the source handed out and rolled back are not reused).
   */
  private List<String> moveSequences(
      Connection source, Connection targetConn, List<PlannedTable> tables) throws SQLException {
    List<String> moved = new ArrayList<>();
    for (PlannedTable table : tables) {
      for (String column : table.columns()) {
        String sourceSequence;
        try (PreparedStatement ps =
            source.prepareStatement("SELECT pg_get_serial_sequence(?, ?)")) {
          ps.setString(1, Sql.qualified(table.sourceSchema(), table.sourceName()));
          ps.setString(2, column);
          try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            sourceSequence = rs.getString(1);
          }
        }
        if (sourceSequence == null) {
          continue;
        }
        long position;
        try (Statement st = source.createStatement();
            ResultSet rs = st.executeQuery("SELECT last_value, is_called FROM " + sourceSequence)) {
          rs.next();
          position = rs.getBoolean(2) ? rs.getLong(1) : rs.getLong(1) - 1;
        } catch (SQLException e) {
          throw new SQLException(
              "Cannot read source sequence "
                  + sourceSequence
                  + " of tenant "
                  + tenant.id()
                  + " (table "
                  + table.key()
                  + "): "
                  + e.getMessage()
                  + "; the source role needs SELECT on the tenant's sequences: GRANT SELECT ON ALL"
                  + " SEQUENCES IN SCHEMA "
                  + ident(table.sourceSchema())
                  + " TO <role>",
              e.getSQLState(),
              e);
        }
        String targetSequence = TargetDdl.sequence(schemas, table.key(), column);
        try (PreparedStatement ps =
            targetConn.prepareStatement(
                "SELECT setval(s.oid, greatest(?, (SELECT CASE WHEN is_called THEN last_value ELSE"
                    + " last_value - 1 END FROM "
                    + targetSequence
                    + ")), true) FROM (SELECT to_regclass(?) AS oid) s WHERE s.oid IS NOT NULL")) {
          ps.setLong(1, Math.max(position, 1));
          ps.setString(2, targetSequence);
          try (ResultSet rs = ps.executeQuery()) {
            if (rs.next()) {
              moved.add(targetSequence + " = " + rs.getLong(1));
            }
          }
        }
      }
    }
    return moved;
  }

  private void dropSlotAndPublication(Connection source, CatchUpState.Tenant recorded)
      throws SQLException {
    SourceSlot.drop(source, tenant.id(), recorded.slot(), recorded.publication());
  }

  private static long millisSince(long start) {
    return (System.nanoTime() - start) / 1_000_000;
  }
}
