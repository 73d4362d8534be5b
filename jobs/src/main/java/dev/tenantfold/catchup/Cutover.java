package dev.tenantfold.catchup;

import static dev.tenantfold.jdbc.Sql.ident;

import dev.tenantfold.catchup.CatchUpState.PlannedTable;
import dev.tenantfold.config.SchemaMap;
import dev.tenantfold.config.TenantConfig;
import dev.tenantfold.jdbc.JdbcEndpoint;
import dev.tenantfold.jdbc.Queries;
import dev.tenantfold.jdbc.Sql;
import dev.tenantfold.load.CompatSchemas;
import dev.tenantfold.load.SequenceMove;
import dev.tenantfold.load.TargetDdl;
import dev.tenantfold.load.TenantPublisher;
import dev.tenantfold.report.ReportStore;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.BooleanSupplier;
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

  /** When this cutover started (the freeze window's start), for the report. */
  private java.time.Instant startedAt;

  /** Whether it froze the application's writers ({@code --freeze}). */
  private boolean frozen;

  /** The drain's pass in {@code catchup_passes}. */
  private OptionalLong drainPass = OptionalLong.empty();

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

  /**
   * How the cutover runs: {@code freeze} locks the application roles out of the source for its
   * duration ({@link Freeze}); past {@code maxFreeze} from the start without a verdict it undoes
   * the freeze and fails, cutting nothing over.
   */
  public record Options(boolean freeze, Optional<Duration> maxFreeze) {
    public static Options none() {
      return new Options(false, Optional.empty());
    }
  }

  public CutoverResult execute() {
    return execute(Options.none());
  }

  public CutoverResult execute(Options options) {
    long start = System.nanoTime();
    startedAt = java.time.Instant.now();
    frozen = options.freeze();
    long deadline = options.maxFreeze().map(d -> start + d.toNanos()).orElse(Long.MAX_VALUE);
    BooleanSupplier expired = () -> System.nanoTime() - deadline > 0;
    List<String> notes = new ArrayList<>();
    CatchUpState state = CatchUpState.of(reportSchema);
    try (Connection claim = target.connect("tenantfold-cutover-claim-" + tenant.id())) {
      state.ensure(claim);
      // One reader per slot: a follower or catch-up of the tenant is taken over (SlotClaim).
      SlotClaim.lock(claim, tenant.id(), true);
      // A cutover killed while frozen left its grants recorded: give them back first.
      notes.addAll(Freeze.restoreRecorded(tenant, claim, state));
      Freeze freeze = null;
      CutoverResult result;
      try {
        if (options.freeze()) {
          freeze = Freeze.apply(tenant, claim, state, expired);
        }
        result = drainAndVerify(start, expired, options, state);
      } catch (SQLException | RuntimeException e) {
        result = failure(e, Optional.empty(), start);
      }
      if (freeze != null) {
        try {
          freeze.close();
        } catch (SQLException | RuntimeException e) {
          notes.add("WARNING: " + e.getMessage());
        }
        notes.add(freeze.describe());
      }
      if (result.verdict() != CutoverResult.Verdict.CUT_OVER) {
        // A cut-over verdict was recorded with the tenant's cut-over mark (verify).
        recordVerdict(claim, state, result);
      }
      return result.withNotes(notes);
    } catch (SQLException | RuntimeException e) {
      return failure(e, Optional.empty(), start).withNotes(notes);
    }
  }

  /**
   * Records a mismatch or failure for the report (best effort: a target that cannot take it is
   * logged; the verdict stands). Nothing is recorded for a tenant without catch-up state.
   */
  private void recordVerdict(Connection conn, CatchUpState state, CutoverResult result) {
    try {
      Optional<CatchUpState.Tenant> recorded = state.read(conn, tenant.id());
      if (recorded.isPresent()) {
        conn.setAutoCommit(true);
        CutoverLog.record(
            conn, state, recorded.get().runId(), startedAt, frozen, drainPass, result);
      }
    } catch (SQLException | RuntimeException e) {
      LOG.warn(
          "Cannot record the cutover verdict of tenant {} in the report tables: {}",
          tenant.id(),
          e.getMessage());
    }
  }

  private CutoverResult failure(Throwable e, Optional<CatchUpResult> drain, long start) {
    String message = e.getMessage() == null ? e.toString() : e.getMessage();
    LOG.error("Cutover of tenant {} failed: {}", tenant.id(), message);
    return CutoverResult.failed(tenant.id(), drain, message, millisSince(start));
  }

  /** The freeze lasted past --max-freeze: nothing is cut over. */
  private static final class FreezeExpired extends SQLException {
    FreezeExpired(String tenantId, Duration max) {
      super(
          "the cutover of tenant "
              + tenantId
              + " did not reach its verdict within --max-freeze "
              + max.toMillis() / 1000.0
              + " s: the freeze is undone and nothing was cut over (slot kept); catch up closer"
              + " first (tenantfold catch-up --until-lag 5s), then cut over again");
    }
  }

  private CutoverResult drainAndVerify(
      long start, BooleanSupplier expired, Options options, CatchUpState state)
      throws SQLException {
    Runnable check =
        () -> {
          if (expired.getAsBoolean()) {
            throw new FreezeExpiredUnchecked(
                new FreezeExpired(tenant.id(), options.maxFreeze().orElseThrow()));
          }
        };
    TenantCatchUp draining =
        new TenantCatchUp(tenant, target, reportSchema, schemas, tenantColumn, rules).claimed();
    CatchUpResult drain = draining.execute(expired);
    drainPass = draining.passId();
    if (!drain.caughtUp()) {
      return CutoverResult.failed(
          tenant.id(), Optional.of(drain), drain.error().orElseThrow(), millisSince(start));
    }
    try {
      check.run();
      return verify(drain, start, state, check);
    } catch (FreezeExpiredUnchecked e) {
      return CutoverResult.failed(
          tenant.id(), Optional.of(drain), e.getCause().getMessage(), millisSince(start));
    } catch (SQLException | RuntimeException e) {
      return failure(e, Optional.of(drain), start);
    }
  }

  private static final class FreezeExpiredUnchecked extends RuntimeException {
    FreezeExpiredUnchecked(FreezeExpired cause) {
      super(cause);
    }
  }

  private CutoverResult verify(CatchUpResult drain, long start, CatchUpState state, Runnable check)
      throws SQLException {
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
        keys += compareChangedKeys(state, source, targetConn, partition, differences, check);
      }
      // Row counts carried from the validated base copy by the applied inserts and deletes: no
      // count(*) on either side, so the freeze does not grow with the tenant's size.
      Map<String, Long> published = new HashMap<>();
      new ReportStore(reportSchema)
          .publishedByTable(targetConn, tenant.id())
          .forEach((t, p) -> published.put(t, p.rows()));
      Map<String, Long> carried = state.carriedRows(targetConn, tenant.id(), published);
      // Tables under rules were counted against what a fresh run publishes, above.
      carried.keySet().removeIf(ruled::covers);
      // A base copy read at a later point than the slot's start (a restored copy, a snapshot
      // export) holds some of the replayed changes already, at a point commit times only
      // approximate: its counts cannot be carried exactly.
      boolean carriedExactly = state.baseAheadOfSlot(targetConn, tenant.id()).isEmpty();
      boolean cursor = CatchUpState.isCursor(recorded);
      if (!carriedExactly || cursor) {
        // Cursor mode tells no insert from an update; its key comparison matched every key instead.
        carried.clear();
      }
      carried.forEach(
          (t, n) -> {
            if (n < 0) {
              differences.add(
                  "table "
                      + t
                      + ": the base copy's rows plus the inserts minus the deletes applied since"
                      + " is "
                      + n
                      + ", below zero: the target's state does not follow the source's");
            }
          });
      if (unlisted > 0) {
        differences.add("... and " + unlisted + " more keys differ");
      }
      List<String> counts =
          List.of(
              cursor
                  ? state.cursorCosts(targetConn, tenant.id())
                  : carriedExactly
                      ? "rows carried from the base copy: "
                          + carried.entrySet().stream()
                              .map(e -> e.getKey() + " " + e.getValue())
                              .collect(Collectors.joining(", "))
                      : "rows not carried: the base copy was read at a later point than the slot's"
                          + " start (a restored copy or a snapshot export); tenantfold validate"
                          + " compares every table's rows and counts");
      if (!differences.isEmpty()) {
        return new CutoverResult(
            tenant.id(),
            CutoverResult.Verdict.MISMATCH,
            Optional.of(drain),
            keys,
            differences,
            List.of(),
            millisSince(start),
            Optional.empty(),
            counts);
      }
      // The last moment --max-freeze can still undo everything: past it, the slot is dropped.
      check.run();
      List<String> sequences =
          moveSequences(source, targetConn, state.tables(targetConn, tenant.id()));
      // The application's writes from now on fire the consolidated tables' triggers again.
      TriggerGuard.enableForTenant(targetConn, reportSchema, schemas, tenant.id());
      if (!cursor) {
        dropSlotAndPublication(source, recorded);
      }
      targetConn.setAutoCommit(false);
      state.markCutOver(targetConn, tenant.id());
      CutoverResult cutOver =
          new CutoverResult(
              tenant.id(),
              CutoverResult.Verdict.CUT_OVER,
              Optional.of(drain),
              keys,
              List.of(),
              sequences,
              millisSince(start),
              Optional.empty(),
              counts);
      // Recorded with the cut-over mark: the report never says less than the target holds.
      CutoverLog.record(targetConn, state, recorded.runId(), startedAt, frozen, drainPass, cutOver);
      targetConn.commit();
      return cutOver;
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
      List<String> differences,
      Runnable check)
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
            check.run();
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

  static String sourceRelation(Connection source, PlannedTable table) throws SQLException {
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

  /**
   * Sets each target sequence of a serial or identity column (the consolidated table's, and the
   * tenant's own in its compatibility schema) past its source sequence's position (not only past
   * the largest id: ids the source handed out and rolled back are not reused), never back ({@link
   * SequenceMove}).
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
        SequenceMove.Position position;
        try (Statement st = source.createStatement();
            ResultSet rs = st.executeQuery("SELECT last_value, is_called FROM " + sourceSequence)) {
          rs.next();
          position = new SequenceMove.Position(rs.getLong(1), rs.getBoolean(2));
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
        // The shared sequence of the consolidated table, and the tenant's own sequence in its
        // compatibility schema: both past the source's position, never back (SequenceMove).
        String targetSequence = TargetDdl.sequence(schemas, table.key(), column);
        if (Queries.bool(targetConn, "SELECT to_regclass(?) IS NOT NULL", targetSequence)) {
          TenantPublisher.moveSequence(
              targetConn, targetSequence, Optional.of(position), OptionalLong.empty());
          moved.add(
              targetSequence
                  + " = "
                  + Queries.string(
                      targetConn,
                      "SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM "
                          + targetSequence));
        }
        CompatSchemas.moveTenantSequence(
                targetConn,
                tenant.id(),
                table.sourceSchema(),
                table.sourceName(),
                column,
                Optional.of(position))
            .ifPresent(moved::add);
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
