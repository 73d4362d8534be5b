package dev.tenantfold.bench;

import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;

/**
 * The scale model's stage costs from a {@link CpuMeter.Reading}: CPU seconds, microseconds per row
 * and the rows/s and MB/s one fully busy core would give, per stage of the pipeline. The stages are
 * cut from who spent the CPU, the tenant stage tenantfold's progress tracker showed, and the
 * command a PostgreSQL backend's title showed:
 *
 * <ul>
 *   <li>extract: source backends running COPY (the rows read and sent);
 *   <li>conform: the Spark JVMs (driver in local mode, executors on a cluster) while tenants are in
 *       transfer: decoding, conforming, encoding COPY text, the ledger;
 *   <li>load: target backends running COPY into staging (with its WAL);
 *   <li>keys: target backends in the validate stage on anything but SELECT (ALTER TABLE ... ADD
 *       PRIMARY KEY, CREATE INDEX, ANALYZE);
 *   <li>checksums: source and target backends running SELECT outside publish (the checksum queries;
 *       the catalog reads of plan are a small part);
 *   <li>publish: everything in the publish stage;
 *   <li>server background: WAL writer, checkpointer, autovacuum and other server processes;
 *   <li>rest: the JVMs outside transfer, and what fits no other line.
 * </ul>
 */
final class StageCpu {
  private StageCpu() {}

  private record Line(String stage, Predicate<String[]> filter, String note) {}

  private static boolean in(String stage, String name) {
    return List.of(stage.split("\\+")).contains(name);
  }

  private static boolean jvm(String who) {
    return who.equals("JVM") || who.equals("EXECUTORS");
  }

  private static boolean pg(String who) {
    return who.equals("SOURCE_PG") || who.equals("TARGET_PG");
  }

  private static final List<Line> LINES =
      List.of(
          new Line(
              "extract",
              k -> k[0].equals("SOURCE_PG") && k[2].startsWith("COPY"),
              "source backends in COPY TO"),
          new Line(
              "conform",
              k -> jvm(k[0]) && in(k[1], "transfer"),
              "Spark JVMs while tenants transfer"),
          new Line(
              "load",
              k -> k[0].equals("TARGET_PG") && k[2].startsWith("COPY") && !in(k[1], "publish"),
              "target backends in COPY FROM"),
          new Line(
              "keys",
              k ->
                  k[0].equals("TARGET_PG")
                      && in(k[1], "validate")
                      && !k[2].startsWith("SELECT")
                      && !k[2].startsWith("COPY"),
              "target backends building keys, indexes, ANALYZE"),
          new Line(
              "checksums",
              k -> pg(k[0]) && k[2].startsWith("SELECT") && !in(k[1], "publish"),
              "source and target backends in SELECT (checksum queries)"),
          new Line(
              "publish",
              k -> in(k[1], "publish") && !k[0].equals("OTHER_PG"),
              "every process in the publish stage"),
          new Line(
              "server background",
              k -> k[0].equals("OTHER_PG"),
              "WAL writer, checkpointer, autovacuum, ..."));

  static void appendTo(StringBuilder md, CpuMeter.Reading cpu, long rows, long bytes) {
    double total = cpu.sum(k -> true);
    md.append(
        String.format(
            Locale.ROOT,
            "CPU of the kept tenantfold trial by stage (%s; sampled every %d ms over %.1f s;"
                + " %,d rows, %.1f MiB of source tables). CPU seconds are what the stage costs"
                + " whatever the machine's load; rows/s and MB/s per core are rows and bytes over"
                + " those CPU seconds, what one busy core would move:%n%n",
            "JVM CPU from getProcessCpuTime, executor JVMs and PostgreSQL backends from"
                + " /proc/<pid>/stat",
            CpuMeter.SAMPLE_MILLIS,
            cpu.wallSeconds(),
            rows,
            bytes / (1024.0 * 1024.0)));
    md.append(
        "| Stage | CPU seconds | µs per row | rows/s per core | MB/s per core | What it counts"
            + " |\n");
    md.append("|---|---:|---:|---:|---:|---|\n");
    double counted = 0;
    for (Line line : LINES) {
      double s = cpu.sum(line.filter());
      counted += s;
      row(md, line.stage(), s, rows, bytes, line.note());
      if (line.stage().equals("checksums")) {
        // Two sides of one line: on a cluster each runs on its own server.
        for (String side : List.of("SOURCE_PG", "TARGET_PG")) {
          row(
              md,
              "- checksums, " + (side.equals("SOURCE_PG") ? "source" : "target") + " side",
              cpu.sum(k -> line.filter().test(k) && k[0].equals(side)),
              rows,
              bytes,
              "part of the line above");
        }
      }
    }
    row(
        md,
        "rest",
        Math.max(0, total - counted),
        rows,
        bytes,
        "plan, driver outside transfer, other");
    row(md, "total", total, rows, bytes, "every process above");
    md.append(
        String.format(
            Locale.ROOT,
            "%nBy process: JVM %.1f s, executors %.1f s, source backends %.1f s, target backends"
                + " %.1f s, server background %.1f s (the meter's own %.1f CPU-seconds left"
                + " out).%n",
            cpu.sum(k -> k[0].equals("JVM")),
            cpu.sum(k -> k[0].equals("EXECUTORS")),
            cpu.sum(k -> k[0].equals("SOURCE_PG")),
            cpu.sum(k -> k[0].equals("TARGET_PG")),
            cpu.sum(k -> k[0].equals("OTHER_PG")),
            cpu.meterSeconds()));
  }

  private static void row(
      StringBuilder md, String stage, double seconds, long rows, long bytes, String note) {
    md.append(
        String.format(
            Locale.ROOT,
            "| %s | %.2f | %.2f | %s | %s | %s |%n",
            stage,
            seconds,
            rows == 0 ? 0 : seconds * 1e6 / rows,
            seconds <= 0 ? "-" : String.format(Locale.ROOT, "%,.0f", rows / seconds),
            seconds <= 0 || bytes == 0
                ? "-"
                : String.format(Locale.ROOT, "%.1f", bytes / 1e6 / seconds),
            note));
  }
}
