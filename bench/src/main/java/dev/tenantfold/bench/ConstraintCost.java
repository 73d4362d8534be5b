package dev.tenantfold.bench;

import dev.tenantfold.report.RunResult;
import dev.tenantfold.report.TenantResult;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.ToLongFunction;

/**
 * What the application's constraints cost tenantfold ({@code bench/run --constraints}): the same
 * rows run with primary keys only and with foreign keys, unique and CHECK constraints and an index,
 * trial by trial, compared stage by stage. A stage's figure for one trial is its per-tenant time
 * summed over the tenants (the work the stage did, whatever ran in parallel); the figure kept is
 * the median over trials, with the range beside it, so one trial slowed by other work on the
 * machine does not decide it. Computed from the runs, nothing kept on the side.
 */
record ConstraintCost(
    List<RunResult> keysOnly,
    List<RunResult> constrained,
    Measurement keysOnlyWall,
    Measurement constrainedWall) {
  /** The pseudo-stage for a tenant's whole time ({@link TenantResult#millis()}). */
  static final String TOTAL = "tenant total";

  ConstraintCost {
    keysOnly = keysOnly.stream().filter(r -> r != null).toList();
    constrained = constrained.stream().filter(r -> r != null).toList();
  }

  /** One stage's figures in both variants, in seconds. */
  record StageCost(String stage, Figure keysOnly, Figure constrained) {
    double addedSeconds() {
      return constrained.median() - keysOnly.median();
    }

    double addedPercent() {
      return keysOnly.median() <= 0 ? Double.NaN : 100.0 * addedSeconds() / keysOnly.median();
    }
  }

  /** A median over trials, with the smallest and largest trial. */
  record Figure(double median, double min, double max) {
    static Figure of(List<Double> trials) {
      if (trials.isEmpty()) {
        return new Figure(Double.NaN, Double.NaN, Double.NaN);
      }
      List<Double> sorted = trials.stream().sorted().toList();
      return new Figure(
          sorted.get((sorted.size() - 1) / 2), sorted.get(0), sorted.get(sorted.size() - 1));
    }
  }

  /**
   * Every stage either variant reported, in the order the runs reported them, then the tenants'
   * totals.
   */
  List<StageCost> stages() {
    Set<String> names = new LinkedHashSet<>();
    for (List<RunResult> runs : List.of(keysOnly, constrained)) {
      runs.forEach(r -> r.tenants().forEach(t -> names.addAll(t.stageMillis().keySet())));
    }
    List<StageCost> out = new ArrayList<>();
    for (String stage : names) {
      out.add(
          new StageCost(
              stage,
              figure(keysOnly, t -> t.stageMillis().getOrDefault(stage, 0L)),
              figure(constrained, t -> t.stageMillis().getOrDefault(stage, 0L))));
    }
    out.add(
        new StageCost(
            TOTAL,
            figure(keysOnly, TenantResult::millis),
            figure(constrained, TenantResult::millis)));
    return out;
  }

  StageCost stage(String name) {
    return stages().stream()
        .filter(s -> s.stage().equals(name))
        .findFirst()
        .orElse(new StageCost(name, Figure.of(List.of()), Figure.of(List.of())));
  }

  private static Figure figure(List<RunResult> runs, ToLongFunction<TenantResult> millis) {
    return Figure.of(
        runs.stream().map(r -> r.tenants().stream().mapToLong(millis).sum() / 1000.0).toList());
  }

  /** The markdown section: the sentence first, then the table stage by stage. */
  void appendTo(StringBuilder md) {
    StageCost keys = stage("keys");
    StageCost publish = stage("publish");
    md.append(
        String.format(
            Locale.ROOT,
            "**What constraints + FKs add:** %+.1f s (%+.0f%%) at keys and %+.1f s (%+.0f%%) at"
                + " publish (per-tenant seconds summed over the tenants, median of %d trial(s));"
                + " wall time %.1f s against %.1f s (%+.0f%%).%n%n",
            keys.addedSeconds(),
            keys.addedPercent(),
            publish.addedSeconds(),
            publish.addedPercent(),
            Math.min(keysOnly.size(), constrained.size()),
            constrainedWall.seconds(),
            keysOnlyWall.seconds(),
            100.0 * (constrainedWall.seconds() / keysOnlyWall.seconds() - 1)));
    md.append(
        "| Stage (s, summed over tenants) | Keys only | Constraints + FKs | Added | Added % |\n"
            + "|---|---:|---:|---:|---:|\n");
    for (StageCost s : stages()) {
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %s | %+.1f | %s |%n",
              s.stage(),
              cell(s.keysOnly()),
              cell(s.constrained()),
              s.addedSeconds(),
              Double.isNaN(s.addedPercent())
                  ? "-"
                  : String.format(Locale.ROOT, "%+.0f%%", s.addedPercent())));
    }
    md.append(
        String.format(
            Locale.ROOT,
            "| wall time (whole run) | %.1f | %.1f | %+.1f | %+.0f%% |%n",
            keysOnlyWall.seconds(),
            constrainedWall.seconds(),
            constrainedWall.seconds() - keysOnlyWall.seconds(),
            100.0 * (constrainedWall.seconds() / keysOnlyWall.seconds() - 1)));
  }

  private static String cell(Figure f) {
    return f.min() == f.max()
        ? String.format(Locale.ROOT, "%.1f", f.median())
        : String.format(Locale.ROOT, "%.1f (%.1f-%.1f)", f.median(), f.min(), f.max());
  }
}
