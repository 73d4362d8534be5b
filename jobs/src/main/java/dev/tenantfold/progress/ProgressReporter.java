package dev.tenantfold.progress;

import dev.tenantfold.config.ProgressConfig;
import dev.tenantfold.progress.ProgressTracker.Snapshot;
import dev.tenantfold.progress.ProgressTracker.Stage;
import dev.tenantfold.progress.ProgressTracker.TenantView;
import java.io.PrintStream;
import java.time.Duration;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shows a {@link ProgressTracker} while a command runs, on a scheduler thread of its own: on a
 * terminal it redraws one block in place (ANSI cursor up and erase line) every second; otherwise it
 * writes one plain line every {@code interval}, which reads well in EMR step logs and CI. Per
 * stage: tenants and tables done out of total, rows moved, rows/s and the time left. Closing it
 * stops the thread and writes the final state once.
 */
public final class ProgressReporter implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ProgressReporter.class);
  private static final DateTimeFormatter CLOCK =
      DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneOffset.UTC);

  /** Tenants under way listed in the terminal block, at most. */
  private static final int TENANT_LINES = 8;

  private final ProgressTracker tracker;
  private final PrintStream out;
  private final ProgressConfig.Mode mode;
  private final ScheduledExecutorService scheduler;
  private int drawnLines;
  private long lastRows = -1;
  private long lastNanos;
  private double recentRate = -1;

  private ProgressReporter(
      ProgressTracker tracker, PrintStream out, ProgressConfig.Mode mode, Duration interval) {
    this.tracker = tracker;
    this.out = out;
    this.mode = mode;
    if (mode == ProgressConfig.Mode.OFF) {
      scheduler = null;
      return;
    }
    scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "tenantfold-progress");
              t.setDaemon(true);
              return t;
            });
    long period =
        mode == ProgressConfig.Mode.TERMINAL
            ? Math.min(1000, interval.toMillis())
            : interval.toMillis();
    scheduler.scheduleAtFixedRate(this::tick, period, period, TimeUnit.MILLISECONDS);
  }

  /**
   * Starts showing {@code tracker} on {@code out} as {@code config} says ({@code auto}: terminal
   * only when {@code out} is stdout on a terminal).
   */
  public static ProgressReporter start(
      ProgressTracker tracker, PrintStream out, ProgressConfig config) {
    return new ProgressReporter(
        tracker, out, config.resolved(out == System.out), config.interval());
  }

  private void tick() {
    try {
      tracker.refresh();
      draw(tracker.snapshot(), false);
    } catch (RuntimeException e) {
      // Progress never stops a run.
      LOG.debug("Cannot show progress: {}", e.toString());
    }
  }

  private synchronized void draw(Snapshot s, boolean last) {
    if (mode == ProgressConfig.Mode.TERMINAL) {
      List<String> lines = block(s, rate(s));
      StringBuilder text = new StringBuilder();
      if (drawnLines > 0) {
        text.append("\u001b[").append(drawnLines).append('A');
      }
      for (String line : lines) {
        text.append("\r\u001b[2K").append(line).append('\n');
      }
      for (int i = lines.size(); i < drawnLines; i++) {
        text.append("\r\u001b[2K\n");
      }
      if (drawnLines > lines.size()) {
        text.append("\u001b[").append(drawnLines - lines.size()).append('A');
      }
      out.print(text);
      out.flush();
      drawnLines = last ? 0 : lines.size();
    } else if (mode == ProgressConfig.Mode.LOG) {
      out.println(line(s, rate(s), LocalTime.now(ZoneOffset.UTC)));
      out.flush();
    }
  }

  /** Rows per second over the last tick (the transfer's average before there is one). */
  private double rate(Snapshot s) {
    long rows = s.tenants().stream().mapToLong(TenantView::copiedRows).sum();
    long now = s.elapsedNanos();
    if (lastRows >= 0 && now > lastNanos) {
      recentRate = (rows - lastRows) * 1e9 / (now - lastNanos);
    }
    lastRows = rows;
    lastNanos = now;
    return recentRate;
  }

  @Override
  public void close() {
    if (scheduler == null) {
      return;
    }
    scheduler.shutdownNow();
    try {
      scheduler.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      tracker.refresh();
      // The final line: the transfer's average rate, not the last tick's.
      synchronized (this) {
        lastRows = -1;
        recentRate = -1;
      }
      draw(tracker.snapshot(), true);
    } catch (RuntimeException e) {
      LOG.debug("Cannot show the final progress: {}", e.toString());
    } finally {
      tracker.closeProbe();
    }
  }

  /**
   * One plain line: {@code [progress 15:04:05] run 2026...: 2m10s; transfer 3/10 tenants, 120/2000
   * tables, 1,234 rows ...}.
   */
  static String line(Snapshot s, double recentRate, LocalTime at) {
    List<String> parts = new ArrayList<>();
    for (Stat st : stats(s, recentRate)) {
      parts.add(st.text(", "));
    }
    return "[progress "
        + CLOCK.format(at)
        + "] "
        + s.command()
        + " "
        + s.runId()
        + " "
        + duration(s.elapsedNanos())
        + ": "
        + ended(s)
        + "; "
        + String.join("; ", parts);
  }

  /** The terminal block: a header, one line per stage, the tenants under way. */
  static List<String> block(Snapshot s, double recentRate) {
    List<String> lines = new ArrayList<>();
    lines.add(
        "tenantfold "
            + s.command()
            + " "
            + s.runId()
            + "  "
            + duration(s.elapsedNanos())
            + "  "
            + ended(s));
    for (Stat st : stats(s, recentRate)) {
      lines.add("  " + st.text("  "));
    }
    List<TenantView> active =
        s.tenants().stream()
            .filter(t -> !t.past(Stage.PUBLISH) && t.stage() != Stage.WAITING)
            .toList();
    for (TenantView t : active.subList(0, Math.min(TENANT_LINES, active.size()))) {
      String rows =
          t.in(Stage.TRANSFER)
              ? String.format(
                  Locale.ROOT,
                  "%,d rows%s",
                  t.copiedRows(),
                  t.estimatedRows() > 0
                      ? String.format(
                          Locale.ROOT,
                          " (~%d%%)",
                          Math.min(100, t.copiedRows() * 100 / t.estimatedRows()))
                      : "")
              : t.in(Stage.VALIDATE) ? t.tablesValidated() + "/" + t.tables() + " tables" : "";
      lines.add(
          String.format(Locale.ROOT, "    %-16s %-9s %s", t.tenantId(), t.stage().label(), rows));
    }
    if (active.size() > TENANT_LINES) {
      lines.add("    ... " + (active.size() - TENANT_LINES) + " more tenants under way");
    }
    return lines;
  }

  private static String ended(Snapshot s) {
    long done = s.tenants().stream().filter(t -> t.stage() == Stage.DONE).count();
    long failed = s.tenants().stream().filter(t -> t.stage() == Stage.FAILED).count();
    return done
        + "/"
        + s.tenants().size()
        + " tenants "
        + ("validate".equals(s.command()) ? "checked" : "published")
        + (failed > 0 ? ", " + failed + " failed" : "");
  }

  /** One stage's figures. */
  private record Stat(
      String stage, long tenantsDone, int tenants, long tablesDone, long tables, String extra) {
    String text(String sep) {
      return String.format(
          Locale.ROOT,
          "%-8s %d/%d tenants%s%s",
          stage,
          tenantsDone,
          tenants,
          tables > 0
              ? sep.equals(", ")
                  ? ", " + tablesDone + "/" + tables + " tables"
                  : String.format(Locale.ROOT, "  %5d/%d tables", tablesDone, tables)
              : "",
          extra.isEmpty() ? "" : sep + extra);
    }
  }

  private static List<Stat> stats(Snapshot s, double recentRate) {
    List<TenantView> all = s.tenants();
    int n = all.size();
    long tables = all.stream().mapToLong(TenantView::tables).sum();
    List<Stat> out = new ArrayList<>();
    boolean audit = "validate".equals(s.command());
    if (!audit) {
      out.add(new Stat("plan", all.stream().filter(t -> t.past(Stage.PLAN)).count(), n, 0, 0, ""));
      long copied = all.stream().mapToLong(TenantView::copiedRows).sum();
      long estimate =
          all.stream().mapToLong(t -> Math.max(t.estimatedRows(), t.copiedRows())).sum();
      long transferNanos = s.transferNanos();
      double average = transferNanos > 0 ? copied * 1e9 / transferNanos : 0;
      double rate = recentRate >= 0 ? recentRate : average;
      String rows =
          String.format(
              Locale.ROOT,
              "%,d rows%s, %,.0f rows/s",
              copied,
              estimate > copied ? String.format(Locale.ROOT, " of ~%,d", estimate) : "",
              rate);
      long left = estimate - copied;
      boolean transferring = all.stream().anyMatch(t -> t.in(Stage.TRANSFER));
      if (transferring && left > 0 && average > 0) {
        rows += ", ~" + duration((long) (left / average * 1e9)) + " left";
      }
      out.add(
          new Stat(
              "transfer",
              all.stream().filter(t -> t.past(Stage.TRANSFER)).count(),
              n,
              all.stream().filter(t -> t.past(Stage.TRANSFER)).mapToLong(TenantView::tables).sum(),
              tables,
              rows));
    }
    long validated =
        all.stream()
            .mapToLong(t -> t.past(Stage.VALIDATE) ? t.tables() : t.tablesValidated())
            .sum();
    long validatedRows = all.stream().mapToLong(TenantView::rowsValidated).sum();
    long validateNanos = all.stream().mapToLong(TenantView::validateNanos).max().orElse(0);
    String extra = audit ? String.format(Locale.ROOT, "%,d rows checked", validatedRows) : "";
    boolean validating = all.stream().anyMatch(t -> t.in(Stage.VALIDATE));
    long checkedTables = all.stream().mapToLong(TenantView::tablesValidated).sum();
    if (validating && validateNanos > 0 && checkedTables > 0 && tables > validated) {
      double perTable = validateNanos / (double) checkedTables;
      extra +=
          (extra.isEmpty() ? "" : ", ")
              + "~"
              + duration((long) ((tables - validated) * perTable))
              + " left";
    }
    out.add(
        new Stat(
            "validate",
            all.stream().filter(t -> t.past(Stage.VALIDATE)).count(),
            n,
            validated,
            tables,
            extra));
    if (!audit) {
      out.add(
          new Stat(
              "publish", all.stream().filter(t -> t.past(Stage.PUBLISH)).count(), n, 0, 0, ""));
    }
    return out;
  }

  static String duration(long nanos) {
    long seconds = Math.max(0, nanos / 1_000_000_000L);
    if (seconds < 60) {
      return seconds + "s";
    }
    if (seconds < 3600) {
      return seconds / 60 + "m" + String.format(Locale.ROOT, "%02d", seconds % 60) + "s";
    }
    return seconds / 3600 + "h" + String.format(Locale.ROOT, "%02d", seconds % 3600 / 60) + "m";
  }
}
