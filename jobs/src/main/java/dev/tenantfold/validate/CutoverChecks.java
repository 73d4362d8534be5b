package dev.tenantfold.validate;

import dev.tenantfold.validate.CutoverFacts.Carried;
import dev.tenantfold.validate.CutoverFacts.DifferingKey;
import dev.tenantfold.validate.CutoverFacts.FreshRun;
import dev.tenantfold.validate.CutoverFacts.NotCounted;
import dev.tenantfold.validate.CutoverFacts.Why;
import dev.tenantfold.validate.TableVerdict.Finding;
import java.util.ArrayList;
import java.util.List;

/**
 * The checks {@link TableVerifier} runs on a table's facts at cutover ({@link CutoverFacts}), one
 * per fact the cutover's verdict rests on (docs/catch-up.md, "Cutover"). Each difference is one
 * finding: the cutover lists them one per line.
 */
final class CutoverChecks {
  private CutoverChecks() {}

  /**
   * The keys changed since the base copy: each listed key whose target row differs from the source
   * row (or from what a fresh run publishes, under rules) is a mismatch, and so are the ones past
   * the listing, counted in one finding.
   */
  static List<Finding> changedKeys(CutoverFacts f) {
    List<Finding> out = new ArrayList<>();
    for (DifferingKey d : f.listed()) {
      out.add(new Finding(TableStatus.MISMATCH, d.describe(f.table(), f.comparedWith())));
    }
    if (f.unlisted() > 0) {
      out.add(
          new Finding(
              TableStatus.MISMATCH,
              "... and " + f.unlisted() + " more keys of table " + f.table() + " differ"));
    }
    return out;
  }

  /**
   * A row count carried from the base copy below zero: more deletes applied than rows the target
   * held, so the target's state does not follow the source's.
   */
  static List<Finding> carriedRows(CutoverFacts f) {
    if (!(f.rowCount() instanceof Carried carried) || carried.rows() >= 0) {
      return List.of();
    }
    return List.of(
        new Finding(
            TableStatus.MISMATCH,
            "table "
                + f.table()
                + ": the base copy's rows plus the inserts minus the deletes applied since is "
                + carried.rows()
                + ", below zero: the target's state does not follow the source's"));
  }

  /**
   * Under rules: the rows a fresh run publishes against the target's; a count the source cannot
   * give is a mismatch too (the cutover cannot vouch for the table: validate can).
   */
  static List<Finding> freshRunRows(CutoverFacts f) {
    if (f.rowCount() instanceof FreshRun run && run.publishes() != run.target()) {
      return List.of(
          new Finding(
              TableStatus.MISMATCH,
              "table "
                  + f.table()
                  + ": a fresh run publishes "
                  + run.publishes()
                  + " rows, the target holds "
                  + run.target()));
    }
    if (f.rowCount() instanceof NotCounted n && n.why() == Why.FRESH_RUN_UNCOUNTABLE) {
      return List.of(
          new Finding(
              TableStatus.MISMATCH,
              "table "
                  + f.table()
                  + ": the rows a fresh run publishes cannot be counted on this source (a cast"
                  + " needs PostgreSQL 16 there); the row count is unknown: run validate after"
                  + " cutover"));
    }
    return List.of();
  }
}
