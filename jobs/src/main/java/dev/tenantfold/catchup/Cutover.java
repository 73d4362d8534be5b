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
import dev.tenantfold.validate.CutoverFacts;
import dev.tenantfold.validate.CutoverFacts.Carried;
import dev.tenantfold.validate.CutoverFacts.NotCounted;
import dev.tenantfold.validate.CutoverFacts.RowCount;
import dev.tenantfold.validate.CutoverFacts.Why;
import dev.tenantfold.validate.TableStatus;
import dev.tenantfold.validate.TableVerdict;
import dev.tenantfold.validate.TableVerifier;
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
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Switches one tenant over once its application stopped writing: drains the slot to the source's
 * current position ({@link TenantCatchUp}), checks every key changed since the base copy (source
 * row against target row) and every table's row count ({@link TableVerifier} judges each table's
 * {@link CutoverFacts}), moves the target's sequences past the source sequences' positions, drops
 * the slot (and the publication, when Tenantfold created it), and records the tenant as cut over. A
 * difference keeps the slot and records nothing.
 */
public final class Cutover {
  private static final Logger LOG = LoggerFactory.getLogger(Cutover.class);

  /** Differing keys listed per tenant; the rest are counted. */
  private static final int LISTED = 20;

  private final TenantConfig tenant;
  private final JdbcEndpoint target;
  private final String reportSchema;
  private final SchemaMap schemas;
  private final String tenantColumn;
  private final CatchUpRules rules;

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

  /**
   * The verdict on the drained tenant: each table's facts ({@link #tableFacts}) judged by {@link
   * TableVerifier}; any difference is a mismatch that cuts nothing over.
   */
  private CutoverResult verify(CatchUpResult drain, long start, CatchUpState state, Runnable check)
      throws SQLException {
    try (Connection targetConn = target.connect("tenantfold-cutover-" + tenant.id());
        Connection source = tenant.jdbc().connect("tenantfold-cutover-" + tenant.id())) {
      CatchUpState.Tenant recorded = state.read(targetConn, tenant.id()).orElseThrow();
      Optional<Why> notCarried = notCarried(state, recorded, targetConn);
      List<CutoverFacts> facts = tableFacts(state, recorded, notCarried, source, targetConn, check);
      List<TableVerdict> verdicts = facts.stream().map(TableVerifier::verdict).toList();
      long keys = facts.stream().mapToLong(CutoverFacts::keysCompared).sum();
      List<String> counts = List.of(countsNote(state, targetConn, notCarried, facts));
      TableStatus status =
          verdicts.stream().map(TableVerdict::status).reduce(TableStatus.OK, TableStatus::worst);
      if (status != TableStatus.OK) {
        return new CutoverResult(
            tenant.id(),
            CutoverResult.Verdict.MISMATCH,
            Optional.of(drain),
            keys,
            differences(verdicts),
            List.of(),
            millisSince(start),
            Optional.empty(),
            counts);
      }
      // The last moment --max-freeze can still undo everything: past it, the slot is dropped.
      check.run();
      return cutOver(drain, start, state, recorded, source, targetConn, keys, counts);
    }
  }

  /**
   * Why the row counts are not carried from the base copy, if they are not: cursor mode tells no
   * insert from an update (its key comparison matched every key instead), and a base copy read at a
   * later point than the slot's start (a restored copy, a snapshot export) holds some of the
   * replayed changes already, at a point commit times only approximate.
   */
  private Optional<Why> notCarried(
      CatchUpState state, CatchUpState.Tenant recorded, Connection targetConn) throws SQLException {
    if (CatchUpState.isCursor(recorded)) {
      return Optional.of(Why.CURSOR_MODE);
    }
    return state.baseAheadOfSlot(targetConn, tenant.id()).isPresent()
        ? Optional.of(Why.BASE_AFTER_SLOT_START)
        : Optional.empty();
  }

  /**
   * Each planned table's facts for the verdict: its changed keys compared with the source rows, or
   * under rules with what a fresh run publishes (docs/catch-up.md); at most {@link #LISTED}
   * differing keys listed in all; the row count carried from the base copy, or why not.
   */
  private List<CutoverFacts> tableFacts(
      CatchUpState state,
      CatchUpState.Tenant recorded,
      Optional<Why> notCarried,
      Connection source,
      Connection targetConn,
      Runnable check)
      throws SQLException {
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
    SourceRowComparison rows =
        new SourceRowComparison(
            tenant.id(), target, tenantColumn, state, source, targetConn, check);
    Map<String, Long> carried = notCarried.isPresent() ? Map.of() : carriedRows(state, targetConn);
    List<CutoverFacts> facts = new ArrayList<>();
    int listed = 0;
    for (PlannedTable table : state.tables(targetConn, tenant.id())) {
      CutoverFacts f;
      if (ruled.covers(table.key())) {
        // Its row count too is a fresh run's, not carried.
        f = ruled.compareTable(table.key(), reportSchema, tenant.id(), LISTED - listed);
      } else {
        RowCount count =
            notCarried
                .<RowCount>map(NotCounted::new)
                .orElseGet(() -> new Carried(carried.get(table.key())));
        TenantPartition partition =
            TenantPartition.find(targetConn, schemas, table, tenantColumn, tenant.id());
        f = rows.compare(partition, LISTED - listed, count);
      }
      listed += f.listed().size();
      facts.add(f);
    }
    return facts;
  }

  /**
   * Row counts carried from the validated base copy by the applied inserts and deletes: no count(*)
   * on either side, so the freeze does not grow with the tenant's size.
   */
  private Map<String, Long> carriedRows(CatchUpState state, Connection targetConn)
      throws SQLException {
    Map<String, Long> published = new HashMap<>();
    new ReportStore(reportSchema)
        .publishedByTable(targetConn, tenant.id())
        .forEach((t, p) -> published.put(t, p.rows()));
    return state.carriedRows(targetConn, tenant.id(), published);
  }

  /** What the cutover says of the row counts: carried, not carried and why, or cursor mode's. */
  private String countsNote(
      CatchUpState state, Connection targetConn, Optional<Why> notCarried, List<CutoverFacts> facts)
      throws SQLException {
    if (notCarried.isEmpty()) {
      return "rows carried from the base copy: "
          + facts.stream()
              .filter(f -> f.rowCount() instanceof Carried)
              .map(f -> f.table() + " " + ((Carried) f.rowCount()).rows())
              .collect(Collectors.joining(", "));
    }
    return notCarried.get() == Why.CURSOR_MODE
        ? state.cursorCosts(targetConn, tenant.id())
        : "rows not carried: the base copy was read at a later point than the slot's start (a"
            + " restored copy or a snapshot export); tenantfold validate compares every table's"
            + " rows and counts";
  }

  /** What differs: every table's findings that are not notes, in table order. */
  private static List<String> differences(List<TableVerdict> verdicts) {
    return verdicts.stream()
        .flatMap(v -> v.findings().stream())
        .filter(f -> f.status() != TableStatus.OK)
        .map(TableVerdict.Finding::message)
        .toList();
  }

  /**
   * Cuts the tenant over: moves the sequences, enables the partitions' triggers, drops the slot and
   * publication (logical mode), and marks the tenant cut over with its verdict in one transaction.
   */
  private CutoverResult cutOver(
      CatchUpResult drain,
      long start,
      CatchUpState state,
      CatchUpState.Tenant recorded,
      Connection source,
      Connection targetConn,
      long keys,
      List<String> counts)
      throws SQLException {
    List<String> sequences =
        moveSequences(source, targetConn, state.tables(targetConn, tenant.id()));
    // The application's writes from now on fire the consolidated tables' triggers again.
    TriggerGuard.enableForTenant(targetConn, reportSchema, schemas, tenant.id());
    if (!CatchUpState.isCursor(recorded)) {
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
        SequenceMove.Position position = sourcePosition(source, sourceSequence, table);
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

  /** The source sequence's position; a role that cannot read it is told the grant it needs. */
  private SequenceMove.Position sourcePosition(
      Connection source, String sourceSequence, PlannedTable table) throws SQLException {
    try (Statement st = source.createStatement();
        ResultSet rs = st.executeQuery("SELECT last_value, is_called FROM " + sourceSequence)) {
      rs.next();
      return new SequenceMove.Position(rs.getLong(1), rs.getBoolean(2));
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
  }

  private void dropSlotAndPublication(Connection source, CatchUpState.Tenant recorded)
      throws SQLException {
    SourceSlot.drop(source, tenant.id(), recorded.slot(), recorded.publication());
  }

  private static long millisSince(long start) {
    return (System.nanoTime() - start) / 1_000_000;
  }
}
