package dev.tenantfold.catchup;

import dev.tenantfold.catchup.CatchUpState.PlannedTable;
import dev.tenantfold.config.SchemaMap;
import dev.tenantfold.config.TenantConfig;
import dev.tenantfold.jdbc.JdbcEndpoint;
import dev.tenantfold.report.ReportStore;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.postgresql.PGConnection;
import org.postgresql.replication.LogSequenceNumber;
import org.postgresql.replication.PGReplicationStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Catches one tenant up: streams its slot's changes ({@code pgoutput}, protocol 1, its publication)
 * from the position last applied up to the source's position when it started, and applies them into
 * the tenant's partitions ({@link ChangeApplier}), a batch of source transactions per target
 * transaction, in commit order. The applied position is written in the same target transaction as
 * the rows; the slot's confirmed position moves only after the target committed. A transaction
 * whose commit lies before the applied position was applied already and is skipped, so a catch-up
 * killed at any point and run again applies every change exactly once.
 */
public final class TenantCatchUp {
  private static final Logger LOG = LoggerFactory.getLogger(TenantCatchUp.class);

  /** Changes per target transaction (rounded up to whole source transactions). */
  static final int BATCH_CHANGES = 5000;

  /** A batch is committed once the stream has been idle this long. */
  private static final long IDLE_COMMIT_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

  private static final long PARK_NANOS = TimeUnit.MICROSECONDS.toNanos(200);

  private final TenantConfig tenant;
  private final JdbcEndpoint target;
  private final String reportSchema;
  private final SchemaMap schemas;
  private final String tenantColumn;
  private final CatchUpRules rules;

  /** A follower's pass: leaves a tenant held by another command instead of taking it over. */
  private boolean yielding;

  /** The caller holds the tenant's claim already (a cutover): do not take it again. */
  private boolean claimed;

  /** The pass the last {@link #execute} recorded ({@code catchup_passes}), once it started one. */
  private PassLog pass;

  /** The lag the last {@link #execute} left, as recorded with its pass; empty when not read. */
  private java.util.Optional<Lag> lastLag = java.util.Optional.empty();

  /** A tenant without rules ({@link CatchUpRules#none}). */
  public TenantCatchUp(
      TenantConfig tenant,
      JdbcEndpoint target,
      String reportSchema,
      SchemaMap schemas,
      String tenantColumn) {
    this(tenant, target, reportSchema, schemas, tenantColumn, CatchUpRules.none());
  }

  /** {@code rules}: what the changes are applied with, as a run would publish them. */
  public TenantCatchUp(
      TenantConfig tenant,
      JdbcEndpoint target,
      String reportSchema,
      SchemaMap schemas,
      String tenantColumn,
      CatchUpRules rules) {
    this.tenant = tenant;
    this.target = target;
    this.reportSchema = reportSchema;
    this.schemas = schemas;
    this.tenantColumn = tenantColumn;
    this.rules = rules;
  }

  /**
   * As a {@code catch-up --follow} pass: when another catch-up or cutover holds the tenant, the
   * pass yields ({@link CatchUpResult#yielded}) instead of taking over, and a tenant found cut over
   * ends as {@link CatchUpResult#cutOver}.
   */
  public TenantCatchUp yielding() {
    this.yielding = true;
    return this;
  }

  /** Inside a cutover, which holds the tenant's claim ({@link SlotClaim}) itself. */
  TenantCatchUp claimed() {
    this.claimed = true;
    return this;
  }

  /** The tenant was cut over: nothing more to catch up. */
  static final class CutOverAlready extends SQLException {
    CutOverAlready(String message) {
      super(message);
    }
  }

  /** Applies every change committed on the source before now; the result says how it ended. */
  public CatchUpResult execute() {
    return execute(() -> false);
  }

  /**
   * As {@link #execute()}, but ends early, at a committed batch, once {@code stop} says so (SIGTERM
   * during {@code catch-up --follow}).
   */
  public CatchUpResult execute(BooleanSupplier stop) {
    long start = System.nanoTime();
    pass = null;
    lastLag = java.util.Optional.empty();
    try {
      return run(start, stop);
    } catch (SlotClaim.Busy e) {
      return CatchUpResult.yielded(tenant.id(), e.getMessage(), millisSince(start));
    } catch (CutOverAlready e) {
      if (yielding) {
        return CatchUpResult.cutOverMeanwhile(
            tenant.id(), "cut over; this follower stops following it", millisSince(start));
      }
      LOG.error("Catch-up of tenant {} stopped: {}", tenant.id(), e.getMessage());
      return CatchUpResult.failed(tenant.id(), e.getMessage(), millisSince(start));
    } catch (SQLException e) {
      finishFailed(e);
      if (yielding && takenOver(e)) {
        LOG.info("Catch-up of tenant {} taken over by another command", tenant.id());
        return CatchUpResult.yielded(
            tenant.id(),
            "taken over by another catch-up or cutover (it ended this follower's sessions; what"
                + " this pass applied past its last committed batch is rolled back and is applied"
                + " by that command); this follower yields",
            millisSince(start));
      }
      String message = e.getMessage() == null ? e.toString() : e.getMessage();
      LOG.error("Catch-up of tenant {} stopped: {}", tenant.id(), message);
      return CatchUpResult.failed(tenant.id(), message, millisSince(start));
    } catch (RuntimeException e) {
      finishFailed(e);
      if (yielding && takenOver(e)) {
        // The replication stream's reader fails with an unchecked error when its session ends.
        LOG.info("Catch-up of tenant {} taken over by another command", tenant.id());
        return CatchUpResult.yielded(
            tenant.id(),
            "taken over by another catch-up or cutover (it ended this follower's sessions);"
                + " this follower yields",
            millisSince(start));
      }
      String message = e.getMessage() == null ? e.toString() : e.getMessage();
      LOG.error("Catch-up of tenant {} stopped: {}", tenant.id(), message);
      return CatchUpResult.failed(tenant.id(), message, millisSince(start));
    }
  }

  /**
   * Records how the pass ended that stopped with {@code e}, on a fresh target session (the pass's
   * own may be gone: another command took the tenant over). When that fails too, the pass stays
   * {@code running} until the tenant's next pass marks it {@code interrupted}.
   */
  private void finishFailed(Exception e) {
    if (pass == null) {
      return;
    }
    String message = e.getMessage() == null ? e.toString() : e.getMessage();
    try (Connection conn = target.connect("tenantfold-catchup-" + tenant.id())) {
      pass.finish(
          conn,
          yielding && takenOver(e) ? PassLog.YIELDED : PassLog.FAILED,
          message,
          java.util.Optional.empty());
    } catch (SQLException | RuntimeException ignored) {
      LOG.debug("Tenant {}: pass {} not recorded as ended", tenant.id(), pass.id());
    }
  }

  /** The pass the last {@link #execute} recorded in {@code catchup_passes}, if it got that far. */
  java.util.OptionalLong passId() {
    return pass == null ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(pass.id());
  }

  /**
   * The lag the last {@link #execute} left, read once at its end and recorded with its pass; empty
   * when it was not read (a follower's idle pass, an error) or could not be.
   */
  public java.util.Optional<Lag> lastLag() {
    return lastLag;
  }

  /** The command a pass belongs to, as {@code catchup_passes.command} names it. */
  private String command() {
    return claimed ? "cutover" : yielding ? "catch-up --follow" : "catch-up";
  }

  /** The lag a pass left, for the report; empty when it cannot be read (the pass still counts). */
  private java.util.Optional<Lag> lagAfterPass() {
    try {
      return java.util.Optional.of(lagNow());
    } catch (SQLException | RuntimeException e) {
      LOG.warn("Tenant {}: cannot read the lag after the pass: {}", tenant.id(), e.getMessage());
      return java.util.Optional.empty();
    }
  }

  /**
   * An error from a session another command ended ({@code pg_terminate_backend}: SQLSTATE 57P01) or
   * from a connection closed under it.
   */
  private static boolean takenOver(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      // A batch reports its statement's error as its next exception, not as its cause.
      for (SQLException s = t instanceof SQLException q ? q : null;
          s != null;
          s = s.getNextException()) {
        if (s.getSQLState() != null
            && (s.getSQLState().equals("57P01") || s.getSQLState().startsWith("08"))) {
          return true;
        }
      }
    }
    return false;
  }

  private CatchUpResult run(long start, BooleanSupplier stop) throws SQLException {
    CatchUpState state = CatchUpState.of(reportSchema);
    try (Connection targetConn = target.connect("tenantfold-catchup-" + tenant.id());
        Connection source = tenant.jdbc().connect("tenantfold-catchup-" + tenant.id())) {
      if (!claimed) {
        // One reader per slot: the claim lives as long as this target session (SlotClaim).
        SlotClaim.lock(targetConn, tenant.id(), !yielding);
      }
      state.ensure(targetConn);
      CatchUpState.Tenant recorded = recorded(state, targetConn);
      pass =
          PassLog.start(
              targetConn, state, tenant.id(), recorded.runId(), command(), recorded.appliedLsn());
      Map<String, TenantPartition> partitions = new LinkedHashMap<>();
      for (PlannedTable table : state.tables(targetConn, tenant.id())) {
        partitions.put(
            table.sourceSchema() + "." + table.sourceName(),
            RuledTables.partition(targetConn, schemas, table, tenantColumn, tenant.id(), rules));
      }
      if (tenant.catchUp().cursor()) {
        // No slot: changes are found by the cursor column and key comparison (CursorCatchUp),
        // applied through the same ChangeApplier.
        Map<String, RuledTable> ruled = ruled(recorded, partitions, targetConn, source);
        CatchUpResult result =
            new CursorCatchUp(tenant, schemas, tenantColumn, rules)
                .apply(targetConn, state, recorded, partitions, ruled, stop, start, pass);
        if (!result.caughtUp()) {
          pass.finish(targetConn, PassLog.FAILED, result.describe(), java.util.Optional.empty());
        } else {
          // A cursor pass reads every change up to its snapshot: no lag is measured.
          endPass(targetConn, result, stop, java.util.Optional::empty);
        }
        return result;
      }
      requireSlot(source, targetConn, state, recorded);
      Map<String, RuledTable> ruled = ruled(recorded, partitions, targetConn, source);
      LogSequenceNumber goal = currentLsn(source);
      targetConn.setAutoCommit(false);
      ChangeApplier applier =
          new ChangeApplier(
              tenant.id(),
              targetConn,
              source,
              partitions,
              state,
              ruled,
              RuledTables.excluded(rules),
              rules,
              recorded.runId());
      applier.recordingTo(pass);
      java.util.Optional<Instant> basePoint = state.baseAheadOfSlot(targetConn, tenant.id());
      if (basePoint.isPresent()) {
        applier.replayingOverlap(basePoint.get());
      }
      CatchUpResult result;
      try (Connection replication =
              tenant.jdbc().connectForReplication("tenantfold-catchup-stream-" + tenant.id());
          PGReplicationStream stream =
              replication
                  .unwrap(PGConnection.class)
                  .getReplicationAPI()
                  .replicationStream()
                  .logical()
                  .withSlotName(recorded.slot())
                  .withStartPosition(recorded.appliedLsn())
                  .withSlotOption("proto_version", "1")
                  .withSlotOption("publication_names", recorded.publication())
                  .withStatusInterval(10, TimeUnit.SECONDS)
                  .withAutomaticFlush(false)
                  .start()) {
        Stream loop =
            new Stream(stream, applier, state, pass, targetConn, recorded.appliedLsn(), goal, stop);
        loop.run();
        LOG.info(
            "Tenant {}: caught up to {} ({} transactions, {} changes)",
            tenant.id(),
            loop.applied.asString(),
            loop.transactions,
            applier.counts().values().stream().mapToLong(Long::longValue).sum());
        if (!applier.skipped().isEmpty()) {
          LOG.info(
              "Tenant {}: changes the base copy held already, skipped: {}",
              tenant.id(),
              ChangeApplier.describe(applier.skipped()));
        }
        result =
            new CatchUpResult(
                tenant.id(),
                recorded.appliedLsn().asString(),
                loop.applied.asString(),
                loop.transactions,
                applier.counts(),
                millisSince(start),
                java.util.Optional.empty());
      } catch (SQLException | RuntimeException e) {
        applier.discard();
        try {
          targetConn.rollback();
        } catch (SQLException ignored) {
          // The connection may be gone; nothing of the batch committed.
        }
        throw e;
      } finally {
        applier.close();
      }
      // The stream is closed: the slot can be peeked at for the lag the pass left.
      endPass(
          targetConn,
          result,
          stop,
          () -> {
            lastLag = lagAfterPass();
            return lastLag;
          });
      return result;
    }
  }

  /** The tenant's catch-up state, refused when there is nothing (valid) to catch up. */
  CatchUpState.Tenant recorded(CatchUpState state, Connection targetConn) throws SQLException {
    CatchUpState.Tenant recorded =
        state
            .read(targetConn, tenant.id())
            .orElseThrow(
                () ->
                    new SQLException(
                        tenant.catchUp().cursor()
                            ? "Cannot catch up tenant "
                                + tenant.id()
                                + ": no base copy recorded its cursor watermarks; run it"
                                + " (tenantfold run) with catch-up.mode = cursor first"
                            : "Cannot catch up tenant "
                                + tenant.id()
                                + ": no base copy was tied to a replication slot; set its"
                                + " catch-up.mode = logical and run it (tenantfold run) first"));
    if (recorded.cutOver()) {
      throw new CutOverAlready(
          "Cannot catch up tenant "
              + tenant.id()
              + ": it was cut over"
              + (CatchUpState.isCursor(recorded) ? "" : "; its slot and publication are gone"));
    }
    if (tenant.catchUp().cursor() != CatchUpState.isCursor(recorded)) {
      String was = CatchUpState.isCursor(recorded) ? "cursor" : "logical";
      throw new SQLException(
          "Cannot catch up tenant "
              + tenant.id()
              + ": its base copy (run "
              + recorded.runId()
              + ") was taken with catch-up.mode = "
              + was
              + ", but the tenant is configured with mode = "
              + (tenant.catchUp().cursor() ? "cursor" : "logical")
              + "; run the tenant again (tenantfold run) so its base copy records what this mode"
              + " needs, or set mode = "
              + was);
    }
    if (recorded.slotDropped()) {
      throw new SQLException(
          "Cannot catch up tenant "
              + tenant.id()
              + ": its replication slot was dropped (PostgreSQL invalidated it, or it held more"
              + " WAL than catch-up.max-retained-wal); the tenant must be run again (tenantfold"
              + " run, a full reload with catch-up.mode = logical), then caught up");
    }
    Map<String, ReportStore.PublishedTable> published =
        new ReportStore(reportSchema).publishedByTable(targetConn, tenant.id());
    if (published.isEmpty()
        || published.values().stream().anyMatch(p -> !p.runId().equals(recorded.runId()))) {
      throw new SQLException(
          "Cannot catch up tenant "
              + tenant.id()
              + (CatchUpState.isCursor(recorded)
                  ? ": its cursor watermarks were recorded by run "
                  : ": its replication slot was created by run ")
              + recorded.runId()
              + ", which did not publish the tenant's data in the target now"
              + (published.isEmpty()
                  ? ""
                  : " (published by "
                      + published.values().stream()
                          .map(ReportStore.PublishedTable::runId)
                          .distinct()
                          .toList()
                      + ")")
              + "; run the tenant again with catch-up.mode = "
              + (CatchUpState.isCursor(recorded) ? "cursor" : "logical"));
    }
    return recorded;
  }

  /**
   * Refuses a slot that is gone, in use, invalidated by PostgreSQL ({@code wal_status = lost}) or
   * holding more WAL on the source than {@code catch-up.max-retained-wal}. The last two drop the
   * slot and the publication Tenantfold created (never resume from a lost slot; free the source's
   * disk) and record that the tenant needs a new base copy.
   */
  private void requireSlot(
      Connection source, Connection targetConn, CatchUpState state, CatchUpState.Tenant recorded)
      throws SQLException {
    String slot = recorded.slot();
    boolean active;
    String walStatus;
    Long retained;
    try (PreparedStatement ps =
        source.prepareStatement(
            "SELECT active, wal_status, (pg_current_wal_lsn() - restart_lsn)::bigint FROM"
                + " pg_replication_slots WHERE slot_name = ?")) {
      ps.setString(1, slot);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw new SQLException(
              "Cannot catch up tenant "
                  + tenant.id()
                  + ": replication slot "
                  + slot
                  + " is gone from the source (someone dropped it); the changes since the last"
                  + " catch-up cannot be read any more: run the tenant again (tenantfold run, a"
                  + " full reload with catch-up.mode = logical), then catch up");
        }
        active = rs.getBoolean(1);
        walStatus = rs.getString(2);
        retained = rs.getObject(3) == null ? null : rs.getLong(3);
      }
    }
    long limit = tenant.catchUp().maxRetainedWal();
    String reason = null;
    if ("lost".equals(walStatus)) {
      reason =
          "PostgreSQL invalidated replication slot "
              + slot
              + " (wal_status = lost: the WAL it needed was removed, see max_slot_wal_keep_size)";
    } else if (retained != null && retained > limit) {
      reason =
          "replication slot "
              + slot
              + " holds "
              + retained
              + " bytes of WAL on the source, more than catch-up.max-retained-wal ("
              + limit
              + " bytes)";
    }
    if (active) {
      // Another reader (one whose target session is gone, or not Tenantfold's): take over from it,
      // or, as a follower's pass, yield.
      SlotClaim.freeSlot(source, tenant.id(), slot, !yielding);
    }
    if (reason != null) {
      SourceSlot.drop(source, tenant.id(), slot, recorded.publication());
      targetConn.setAutoCommit(true);
      state.markSlotDropped(targetConn, tenant.id());
      throw new SQLException(
          "Cannot catch up tenant "
              + tenant.id()
              + ": "
              + reason
              + "; the slot and the publication Tenantfold created were dropped to protect the"
              + " source: the tenant must be run again (tenantfold run, a full reload with"
              + " catch-up.mode = logical), then caught up");
    }
  }

  /**
   * The tenant's lag: now minus the commit time of the oldest transaction its slot still holds past
   * the confirmed position, or zero when none is pending. Peeks at the slot (it must not be
   * streaming), decoding at most that one transaction; consumes nothing.
   */
  public Duration lag() throws SQLException {
    return lagNow().time();
  }

  /** The rule tables of the tenant's partitions, prepared for this pass ({@link RuledTables}). */
  private Map<String, RuledTable> ruled(
      CatchUpState.Tenant recorded,
      Map<String, TenantPartition> partitions,
      Connection targetConn,
      Connection source)
      throws SQLException {
    return RuledTables.prepare(
        tenant,
        recorded.runId(),
        partitions,
        rules,
        schemas,
        reportSchema,
        tenantColumn,
        targetConn,
        source);
  }

  /**
   * Ends a pass that caught up in the report: an idle follower pass is forgotten (not part of the
   * lag series), any other is finished with the lag {@code lag} reads.
   */
  private void endPass(
      Connection targetConn,
      CatchUpResult result,
      BooleanSupplier stop,
      java.util.function.Supplier<java.util.Optional<Lag>> lag)
      throws SQLException {
    if (yielding && result.transactions() == 0) {
      pass.forget(targetConn);
    } else {
      pass.finish(
          targetConn, stop.getAsBoolean() ? PassLog.STOPPED : PassLog.CAUGHT_UP, "", lag.get());
    }
  }

  /**
   * A tenant's lag in bytes (the source's WAL position minus the slot's confirmed position: WAL the
   * slot still holds to decode) and in time (see {@link #lag}).
   */
  public record Lag(long bytes, Duration time) {
    /** {@code lag 1234 bytes, 0.4 s}. */
    public String describe() {
      return String.format("lag %d bytes, %.1f s", bytes, time.toMillis() / 1000.0);
    }
  }

  /** The tenant's lag now, in bytes and in time ({@link Lag}). */
  public Lag lagNow() throws SQLException {
    if (tenant.catchUp().cursor()) {
      throw new SQLException(
          "tenant "
              + tenant.id()
              + " has catch-up.mode = cursor, whose lag is not measured (it has no replication"
              + " slot); use catch-up without --until-lag");
    }
    try (Connection targetConn = target.connect("tenantfold-catchup-lag-" + tenant.id());
        Connection source = tenant.jdbc().connect("tenantfold-catchup-lag-" + tenant.id())) {
      CatchUpState.Tenant recorded =
          CatchUpState.of(reportSchema).read(targetConn, tenant.id()).orElseThrow();
      long bytes;
      try (PreparedStatement ps =
          source.prepareStatement(
              "SELECT greatest(pg_current_wal_lsn() - confirmed_flush_lsn, 0)::bigint FROM"
                  + " pg_replication_slots WHERE slot_name = ?")) {
        ps.setString(1, recorded.slot());
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            throw new SQLException("replication slot " + recorded.slot() + " is gone");
          }
          bytes = rs.getLong(1);
        }
      }
      return new Lag(bytes, timeLag(source, recorded));
    }
  }

  private static Duration timeLag(Connection source, CatchUpState.Tenant recorded)
      throws SQLException {
    source.setAutoCommit(false);
    try (PreparedStatement ps =
        source.prepareStatement(
            "SELECT data FROM pg_logical_slot_peek_binary_changes(?, NULL, 1, 'proto_version',"
                + " '1', 'publication_names', ?)")) {
      ps.setFetchSize(1);
      ps.setString(1, recorded.slot());
      ps.setString(2, recorded.publication());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          PgOutput.Message message = PgOutput.decode(ByteBuffer.wrap(rs.getBytes(1)));
          if (message instanceof PgOutput.Begin begin) {
            Instant committed =
                POSTGRES_EPOCH.plus(begin.commitMicros(), java.time.temporal.ChronoUnit.MICROS);
            Duration lag = Duration.between(committed, Instant.now());
            return lag.isNegative() ? Duration.ZERO : lag;
          }
        }
      }
    } finally {
      source.rollback();
      source.setAutoCommit(true);
    }
    return Duration.ZERO;
  }

  /** PostgreSQL's timestamps count from 2000-01-01 UTC. */
  private static final Instant POSTGRES_EPOCH = Instant.parse("2000-01-01T00:00:00Z");

  /**
   * The end of the WAL inserted so far: past the commit record of every transaction committed
   * before now. Not {@code pg_current_wal_lsn()}, the position written out, which lags behind
   * commits made with {@code synchronous_commit = off}.
   */
  static LogSequenceNumber currentLsn(Connection source) throws SQLException {
    try (Statement st = source.createStatement();
        ResultSet rs = st.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
      rs.next();
      return LogSequenceNumber.valueOf(rs.getString(1));
    }
  }

  private static long millisSince(long start) {
    return (System.nanoTime() - start) / 1_000_000;
  }

  /** The read-apply loop over one replication stream. */
  private final class Stream {
    private final PGReplicationStream stream;
    private final ChangeApplier applier;
    private final CatchUpState state;
    private final PassLog pass;
    private final Connection targetConn;
    private final LogSequenceNumber goal;
    private final BooleanSupplier stop;

    /** The end of the last transaction applied (or known to hold nothing for the tenant). */
    LogSequenceNumber applied;

    long transactions;
    private boolean inTransaction;
    private boolean skipping;
    private long batchChanges;
    private long batchTransactions;
    private LogSequenceNumber batchEnd;
    private long idleSince = System.nanoTime();

    Stream(
        PGReplicationStream stream,
        ChangeApplier applier,
        CatchUpState state,
        PassLog pass,
        Connection targetConn,
        LogSequenceNumber applied,
        LogSequenceNumber goal,
        BooleanSupplier stop) {
      this.stream = stream;
      this.applier = applier;
      this.state = state;
      this.pass = pass;
      this.targetConn = targetConn;
      this.applied = applied;
      this.batchEnd = applied;
      this.goal = goal;
      this.stop = stop;
    }

    void run() throws SQLException {
      while (true) {
        ByteBuffer buffer = stream.readPending();
        if (buffer == null) {
          if (!inTransaction) {
            LogSequenceNumber received = stream.getLastReceiveLSN();
            if (applied.compareTo(goal) >= 0 || received.compareTo(goal) >= 0) {
              commitBatch();
              // Every transaction committed before the server's position was sent before it.
              if (received.compareTo(applied) > 0) {
                advanceTo(received);
              }
              return;
            }
            if (stop.getAsBoolean()) {
              // Asked to stop (SIGTERM): keep what arrived, end at a transaction boundary.
              commitBatch();
              return;
            }
            if (System.nanoTime() - idleSince > IDLE_COMMIT_NANOS) {
              // The source is slower than the apply: commit what arrived.
              commitBatch();
            }
          }
          if (Thread.interrupted()) {
            throw new SQLException("Catch-up of tenant " + tenant.id() + " interrupted");
          }
          // Messages arrive a few at a time; a short park keeps up with them without spinning.
          LockSupport.parkNanos(PARK_NANOS);
          continue;
        }
        idleSince = System.nanoTime();
        PgOutput.Message message = PgOutput.decode(buffer);
        if (message instanceof PgOutput.Begin begin) {
          inTransaction = true;
          applier.begin(POSTGRES_EPOCH.plus(begin.commitMicros(), ChronoUnit.MICROS));
          // Its commit lies before the applied position: a target transaction holds it already.
          skipping = begin.finalLsn().compareTo(applied) < 0;
        } else if (message instanceof PgOutput.Relation relation) {
          applier.relation(relation);
        } else if (message instanceof PgOutput.Commit commit) {
          inTransaction = false;
          if (!skipping) {
            batchTransactions++;
            transactions++;
            batchEnd = commit.endLsn();
          }
          skipping = false;
          if (commit.endLsn().compareTo(goal) >= 0) {
            // Everything committed before the catch-up started is in.
            commitBatch();
            return;
          }
          if (batchChanges >= BATCH_CHANGES || stop.getAsBoolean()) {
            commitBatch();
          }
          if (stop.getAsBoolean()) {
            return;
          }
        } else if (!skipping) {
          if (message instanceof PgOutput.Insert insert) {
            applier.insert(insert);
          } else if (message instanceof PgOutput.Update update) {
            applier.update(update);
          } else if (message instanceof PgOutput.Delete delete) {
            applier.delete(delete);
          } else if (message instanceof PgOutput.Truncate truncate) {
            applier.truncate(truncate);
          } else {
            continue; // origin and type messages: nothing to apply
          }
          batchChanges++;
        }
      }
    }

    /** Commits the batch with its end position, then confirms that position to the slot. */
    private void commitBatch() throws SQLException {
      if (batchTransactions == 0) {
        return;
      }
      applier.flush();
      state.advance(targetConn, tenant.id(), batchEnd, batchChanges);
      pass.batch(targetConn, batchEnd, batchTransactions, batchChanges);
      targetConn.commit();
      applied = batchEnd;
      batchTransactions = 0;
      batchChanges = 0;
      confirm(applied);
    }

    /** Records a position past which nothing of the tenant's was committed. */
    private void advanceTo(LogSequenceNumber lsn) throws SQLException {
      state.advance(targetConn, tenant.id(), lsn, 0);
      pass.batch(targetConn, lsn, 0, 0);
      targetConn.commit();
      applied = lsn;
      batchEnd = lsn;
      confirm(lsn);
    }

    private void confirm(LogSequenceNumber lsn) throws SQLException {
      stream.setFlushedLSN(lsn);
      stream.setAppliedLSN(lsn);
      stream.forceUpdateStatus();
    }
  }
}
