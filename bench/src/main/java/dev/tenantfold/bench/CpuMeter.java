package dev.tenantfold.bench;

import dev.tenantfold.progress.ProgressTracker;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * CPU time of one tenantfold run, split by who spent it and on what, from counters rather than wall
 * clocks (a loaded machine stretches wall time, hardly CPU time):
 *
 * <ul>
 *   <li>this JVM's CPU ({@code getProcessCpuTime}: the driver and, in local mode, the Spark tasks);
 *   <li>the CPU of Spark executor JVMs of this driver on the same machine ({@code
 *       CoarseGrainedExecutorBackend} processes whose {@code --driver-url} names this driver's
 *       port), from {@code /proc/<pid>/stat};
 *   <li>every backend of the local PostgreSQL server (children of its postmaster), from {@code
 *       /proc/<pid>/stat}, attributed to the source or the target by the database in the backend's
 *       process title, and to an activity by the command the title shows (COPY, SELECT, CREATE
 *       INDEX, ALTER TABLE, ...; a parallel worker counts as its leader's).
 * </ul>
 *
 * A thread samples every {@value #SAMPLE_MILLIS} ms; the CPU a process spent since the previous
 * sample is booked under the tenant stage the {@link ProgressTracker} shows at the sample (shared
 * evenly when several tenants are in different stages; "between" when none is working) and, for a
 * backend, under the command its title shows at the sample (the previous sample's when it is idle
 * now). A backend that exits between two samples loses its last interval (at most 50 ms each).
 * Linux only: elsewhere the server and executor figures are 0.
 */
final class CpuMeter implements AutoCloseable {
  static final long SAMPLE_MILLIS = 50;
  private static final double TICKS_PER_SECOND = 100.0; // USER_HZ on Linux

  /** Who spent the CPU. */
  enum Who {
    JVM,
    EXECUTORS,
    SOURCE_PG,
    TARGET_PG,
    OTHER_PG
  }

  /** CPU seconds by (who, tracker stage, command), summed over the run. */
  record Reading(
      Map<String, Double> seconds, long samples, double wallSeconds, double meterSeconds) {
    double get(Who who, String stage, String command) {
      return seconds.getOrDefault(key(who, stage, command), 0.0);
    }

    /** Sum over every key matching {@code filter} (keys are {@code who/stage/command}). */
    double sum(Predicate<String[]> filter) {
      double total = 0;
      for (Map.Entry<String, Double> e : seconds.entrySet()) {
        if (filter.test(e.getKey().split("/", 3))) {
          total += e.getValue();
        }
      }
      return total;
    }
  }

  private final ProgressTracker tracker;
  private final int postmasterPid;
  private final String targetDatabase;
  private final String driverPort;
  private final Map<String, Double> seconds = new LinkedHashMap<>();
  private final Map<Integer, Long> lastTicks = new HashMap<>();
  private final Map<Integer, String> lastCommand = new HashMap<>();
  private final Thread sampler;
  private final long startNanos = System.nanoTime();
  private long lastJvmNanos;
  private long lastMeterNanos;
  private double meterSeconds;
  private long samples;
  private volatile boolean running = true;

  /**
   * Starts sampling. {@code postmasterPid} is the local server's postmaster (0: none local); {@code
   * targetDatabase} tells target backends from source ones; {@code driverPort} is this driver's
   * {@code spark.driver.port} (null in local mode).
   */
  CpuMeter(ProgressTracker tracker, int postmasterPid, String targetDatabase, String driverPort) {
    this.tracker = tracker;
    this.postmasterPid = postmasterPid;
    this.targetDatabase = targetDatabase;
    this.driverPort = driverPort;
    this.lastJvmNanos = jvmCpuNanos();
    sampleProcesses(false, "between");
    sampler = new Thread(this::run, "tenantfold-bench-cpu");
    sampler.setDaemon(true);
    sampler.start();
  }

  Reading stop() {
    if (running) {
      running = false;
      sampler.interrupt();
      try {
        sampler.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      sample();
    }
    synchronized (seconds) {
      return new Reading(
          Map.copyOf(seconds), samples, (System.nanoTime() - startNanos) / 1e9, meterSeconds);
    }
  }

  @Override
  public void close() {
    stop();
  }

  private void run() {
    while (running) {
      try {
        Thread.sleep(SAMPLE_MILLIS);
      } catch (InterruptedException e) {
        return;
      }
      sample();
    }
  }

  private void sample() {
    synchronized (seconds) {
      samples++;
      String stage = currentStage();
      long jvm = jvmCpuNanos();
      // This sampler's own CPU (reading /proc) is the measurement's, not the run's: left out.
      long meter =
          Thread.currentThread() == sampler
              ? ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime()
              : lastMeterNanos;
      double own = (meter - lastMeterNanos) / 1e9;
      meterSeconds += own;
      add(key(Who.JVM, stage, "-"), (jvm - lastJvmNanos) / 1e9 - own);
      lastJvmNanos = jvm;
      lastMeterNanos = meter;
      sampleProcesses(true, stage);
    }
  }

  /** The stage of the tenants at work: one name, or "a+b" shares when several differ. */
  private String currentStage() {
    List<String> working = new ArrayList<>();
    for (ProgressTracker.TenantView t : tracker.snapshot().tenants()) {
      if (t.stage() == null) {
        // A tenant the tracker lists before its first stage: no work of its own yet.
        continue;
      }
      switch (t.stage()) {
        case PLAN, TRANSFER, VALIDATE, PUBLISH -> working.add(t.stage().label());
        default -> {
          // waiting, done, failed: no work of its own
        }
      }
    }
    if (working.isEmpty()) {
      return "between";
    }
    return working.stream().distinct().count() == 1 ? working.get(0) : String.join("+", working);
  }

  private void sampleProcesses(boolean book, String stage) {
    if (!Files.isDirectory(Path.of("/proc"))) {
      return;
    }
    Map<Integer, String[]> procs = new HashMap<>();
    try (Stream<Path> list = Files.list(Path.of("/proc"))) {
      for (Path p : (Iterable<Path>) list::iterator) {
        String name = p.getFileName().toString();
        if (!name.chars().allMatch(Character::isDigit)) {
          continue;
        }
        int pid = Integer.parseInt(name);
        String[] stat = stat(pid);
        if (stat == null) {
          continue;
        }
        procs.put(pid, stat);
      }
    } catch (IOException | RuntimeException e) {
      return;
    }
    Map<Integer, String> titles = new HashMap<>();
    for (Map.Entry<Integer, String[]> e : procs.entrySet()) {
      int pid = e.getKey();
      String[] stat = e.getValue();
      int ppid = Integer.parseInt(stat[1]);
      boolean backend = postmasterPid > 0 && ppid == postmasterPid;
      boolean executor = false;
      String cmdline = null;
      if (!backend && driverPort != null && stat[0].contains("java")) {
        cmdline = cmdline(pid);
        executor =
            cmdline.contains("CoarseGrainedExecutorBackend")
                && cmdline.contains(":" + driverPort + " ");
      }
      if (!backend && !executor) {
        continue;
      }
      if (backend) {
        titles.put(pid, cmdline == null ? cmdline(pid) : cmdline);
      }
      long ticks = Long.parseLong(stat[12]) + Long.parseLong(stat[13]);
      Long previous = lastTicks.put(pid, ticks);
      if (!book) {
        continue;
      }
      double delta = (ticks - (previous == null ? 0 : previous)) / TICKS_PER_SECOND;
      if (previous == null && !executor) {
        // A backend born since the last sample: all its CPU is from this interval.
        delta = ticks / TICKS_PER_SECOND;
      }
      if (delta <= 0) {
        continue;
      }
      if (executor) {
        add(key(Who.EXECUTORS, stage, "-"), delta);
      } else {
        String[] who = classify(pid, titles);
        add(key(Who.valueOf(who[0]), stage, who[1]), delta);
      }
    }
    lastTicks.keySet().retainAll(procs.keySet());
    lastCommand.keySet().retainAll(procs.keySet());
  }

  /**
   * {@code [who, command]} of a backend from its title {@code postgres: user database host
   * COMMAND}; a parallel worker ({@code postgres: parallel worker for PID n}) is its leader's; an
   * idle backend's command is the one it showed last.
   */
  private String[] classify(int pid, Map<Integer, String> titles) {
    String title = titles.getOrDefault(pid, "");
    int leaderPid = leaderOf(title);
    if (leaderPid > 0) {
      return titles.containsKey(leaderPid)
          ? classify(leaderPid, titles)
          : new String[] {Who.OTHER_PG.name(), "parallel worker"};
    }
    String[] who = classifyTitle(title, targetDatabase);
    if (who[1].startsWith("idle")) {
      who[1] = lastCommand.getOrDefault(pid, who[1]);
    } else if (!who[0].equals(Who.OTHER_PG.name())) {
      lastCommand.put(pid, who[1]);
    }
    return who;
  }

  /** The leader's pid of a parallel worker's title, else 0. */
  static int leaderOf(String title) {
    String leader = "parallel worker for PID ";
    int at = title.indexOf(leader);
    if (at < 0) {
      return 0;
    }
    try {
      return Integer.parseInt(title.substring(at + leader.length()).trim());
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /**
   * {@code [who, command]} from one backend title: the database says target ({@code
   * targetDatabase}), source (a {@code tenantfold_bench_} database) or other; the words after the
   * client address are the command ({@code COPY}, {@code SELECT}, {@code idle in transaction},
   * ...), without a trailing {@code waiting}. Background processes are {@code OTHER_PG}.
   */
  static String[] classifyTitle(String title, String targetDatabase) {
    String[] words = title.replace("postgres:", "").trim().split("\\s+");
    if (words.length < 4) {
      return new String[] {Who.OTHER_PG.name(), String.join(" ", words)};
    }
    String database = words[1];
    Who who =
        database.equals(targetDatabase)
            ? Who.TARGET_PG
            : database.startsWith("tenantfold_bench_") ? Who.SOURCE_PG : Who.OTHER_PG;
    String command = String.join(" ", List.of(words).subList(3, words.length));
    if (command.endsWith(" waiting")) {
      command = command.substring(0, command.length() - " waiting".length());
    }
    return new String[] {who.name(), command};
  }

  private void add(String key, double delta) {
    if (delta > 0) {
      seconds.merge(key, delta, Double::sum);
    }
  }

  static String key(Who who, String stage, String command) {
    return who.name() + "/" + stage + "/" + command;
  }

  /**
   * {@code /proc/<pid>/stat} after the command name: [comm, ppid, ...] so that index 12 and 13 are
   * utime and stime (fields 14 and 15 of proc(5)).
   */
  private static String[] stat(int pid) {
    try {
      String s = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
      int open = s.indexOf('(');
      int close = s.lastIndexOf(')');
      String comm = s.substring(open + 1, close);
      String[] rest = s.substring(close + 2).split(" ");
      // rest[0] is the state, rest[1] the ppid; utime is field 14 = rest[11], stime rest[12].
      String[] out = new String[14];
      out[0] = comm;
      out[1] = rest[1];
      out[12] = rest[11];
      out[13] = rest[12];
      return out;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static String cmdline(int pid) {
    try {
      byte[] bytes = Files.readAllBytes(Path.of("/proc", String.valueOf(pid), "cmdline"));
      return new String(bytes, StandardCharsets.UTF_8).replace('\0', ' ');
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }

  private static long jvmCpuNanos() {
    return ManagementFactory.getOperatingSystemMXBean()
            instanceof com.sun.management.OperatingSystemMXBean os
        ? os.getProcessCpuTime()
        : 0;
  }

  /** The postmaster of the server {@code backendPid} belongs to (its parent), or 0. */
  static int postmasterOf(int backendPid) {
    String[] stat = stat(backendPid);
    return stat == null ? 0 : Integer.parseInt(stat[1]);
  }

  static String format(double value) {
    return String.format(Locale.ROOT, "%.2f", value);
  }
}
