package dev.tenantfold.progress;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * What one command has done so far, fed by the stages and read by {@link ProgressReporter}: per
 * tenant the stage it is in, its tables, the rows its tables' estimates promise, the rows committed
 * and in flight (from {@link CopyProgressProbe}, the target's own counts), and the tables
 * validated. Thread-safe and cheap: a stage calls it a few times per tenant and per table, never
 * per row, so the COPY path is untouched.
 */
public final class ProgressTracker {
  /** A tenant's stages, in order; {@code DONE} and {@code FAILED} end it. */
  public enum Stage {
    WAITING,
    PLAN,
    TRANSFER,
    VALIDATE,
    PUBLISH,
    DONE,
    FAILED;

    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }

    boolean ended() {
      return this == DONE || this == FAILED;
    }
  }

  /** A nanoTime reading not taken yet (nanoTime may be any long, 0 included). */
  private static final long UNSET = Long.MIN_VALUE;

  private final String command;
  private final LongSupplier nanoTime;
  private final long startNanos;
  private volatile String runId = "";
  private final List<String> order = new CopyOnWriteArrayList<>();
  private final Map<String, Tenant> tenants = new ConcurrentHashMap<>();
  private volatile CopyProgressProbe probe;

  private static final class Tenant {
    volatile Stage stage = Stage.WAITING;
    volatile int tables;
    volatile long estimatedRows;
    volatile long copiedRows;
    volatile long committedPartitions;
    volatile long transferStart = UNSET;
    volatile long transferEnd = UNSET;
    volatile long validateStart = UNSET;
    final AtomicInteger tablesValidated = new AtomicInteger();
    final AtomicLong rowsValidated = new AtomicLong();
  }

  public ProgressTracker(String command) {
    this(command, System::nanoTime);
  }

  ProgressTracker(String command, LongSupplier nanoTime) {
    this.command = command;
    this.nanoTime = nanoTime;
    this.startNanos = nanoTime.getAsLong();
  }

  /** A tracker nothing reads: what a job gets when nobody watches. */
  public static ProgressTracker none() {
    return new ProgressTracker("none");
  }

  public String command() {
    return command;
  }

  public void runStarted(String id) {
    runId = id;
  }

  /** The tenants the command covers, in order; others are added when first named. */
  public void tenants(List<String> ids) {
    ids.forEach(this::tenant);
  }

  /**
   * Where committed and in-flight COPY rows are read from (the run's load ledger and {@code
   * pg_stat_progress_copy}).
   */
  public void countCopiesWith(CopyProgressProbe copies) {
    this.probe = copies;
  }

  public void stage(String tenantId, Stage stage) {
    Tenant t = tenant(tenantId);
    long now = nanoTime.getAsLong();
    if (stage == Stage.TRANSFER && t.transferStart == UNSET) {
      t.transferStart = now;
    }
    if (t.stage == Stage.TRANSFER && stage != Stage.TRANSFER) {
      t.transferEnd = now;
    }
    if (stage == Stage.VALIDATE && t.validateStart == UNSET) {
      t.validateStart = now;
    }
    t.stage = stage;
  }

  /**
   * The tenant's tables and the rows their catalog estimates promise ({@code reltuples}; negative:
   * unknown, counted as 0).
   */
  public void tablesPlanned(String tenantId, int tables, long estimatedRows) {
    Tenant t = tenant(tenantId);
    t.tables = tables;
    t.estimatedRows = Math.max(0, estimatedRows);
  }

  /** One table of the tenant validated, with the rows it checked. */
  public void tableValidated(String tenantId, long rows) {
    Tenant t = tenant(tenantId);
    t.tablesValidated.incrementAndGet();
    t.rowsValidated.addAndGet(Math.max(0, rows));
  }

  public void finished(String tenantId, boolean ok) {
    stage(tenantId, ok ? Stage.DONE : Stage.FAILED);
  }

  /**
   * Rows the target has for the tenant so far (committed partitions plus COPYs in flight); never
   * goes back.
   */
  public void copied(String tenantId, long rows, long committedPartitions) {
    Tenant t = tenant(tenantId);
    t.copiedRows = Math.max(t.copiedRows, rows);
    t.committedPartitions = Math.max(t.committedPartitions, committedPartitions);
  }

  /** Asks the probe, if any, for the target's counts; called by the reporter's thread only. */
  void refresh() {
    CopyProgressProbe p = probe;
    if (p == null) {
      return;
    }
    p.poll()
        .forEach(
            (tenantId, c) -> {
              if (tenants.containsKey(tenantId)) {
                copied(tenantId, c.committedRows() + c.inFlightRows(), c.committedPartitions());
              }
            });
  }

  void closeProbe() {
    CopyProgressProbe p = probe;
    if (p != null) {
      p.close();
    }
  }

  private Tenant tenant(String id) {
    return tenants.computeIfAbsent(
        id,
        k -> {
          order.add(k);
          return new Tenant();
        });
  }

  /** An immutable view for rendering. */
  public Snapshot snapshot() {
    long now = nanoTime.getAsLong();
    List<TenantView> views = new ArrayList<>();
    long firstStart = Long.MAX_VALUE;
    long lastEnd = Long.MIN_VALUE;
    for (String id : order) {
      Tenant t = tenants.get(id);
      if (t.transferStart != UNSET) {
        firstStart = Math.min(firstStart, t.transferStart - startNanos);
        lastEnd = Math.max(lastEnd, (t.transferEnd == UNSET ? now : t.transferEnd) - startNanos);
      }
      long transferNanos =
          t.transferStart == UNSET
              ? 0
              : (t.transferEnd == UNSET ? now : t.transferEnd) - t.transferStart;
      views.add(
          new TenantView(
              id,
              t.stage,
              t.tables,
              t.estimatedRows,
              t.copiedRows,
              t.committedPartitions,
              transferNanos,
              t.tablesValidated.get(),
              t.rowsValidated.get(),
              t.validateStart == UNSET ? 0 : now - t.validateStart));
    }
    return new Snapshot(
        command,
        runId,
        now - startNanos,
        firstStart == Long.MAX_VALUE ? 0 : lastEnd - firstStart,
        views);
  }

  /** One tenant as of a snapshot. */
  public record TenantView(
      String tenantId,
      Stage stage,
      int tables,
      long estimatedRows,
      long copiedRows,
      long committedPartitions,
      long transferNanos,
      int tablesValidated,
      long rowsValidated,
      long validateNanos) {
    /** Whether the tenant has nothing left to do in {@code s} (passed it, or ended). */
    boolean past(Stage s) {
      return stage.ended() || stage.ordinal() > s.ordinal();
    }

    boolean in(Stage s) {
      return stage == s;
    }
  }

  /**
   * All tenants as of one instant; {@code transferNanos} is the wall time from the first tenant's
   * transfer start to the last one's end (or now), the window the rows moved in.
   */
  public record Snapshot(
      String command,
      String runId,
      long elapsedNanos,
      long transferNanos,
      List<TenantView> tenants) {
    public Snapshot {
      tenants = List.copyOf(tenants);
    }

    public Optional<TenantView> tenant(String id) {
      return tenants.stream().filter(t -> t.tenantId().equals(id)).findFirst();
    }
  }
}
