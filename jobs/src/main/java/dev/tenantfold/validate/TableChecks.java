package dev.tenantfold.validate;

import dev.tenantfold.conform.RowAccounting;
import dev.tenantfold.validate.TableVerdict.Finding;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The checks {@link TableVerifier} runs on a copied table's facts ({@link TableFacts}: {@code run},
 * {@code validate}), one per fact a verdict rests on.
 */
final class TableChecks {
  private TableChecks() {}

  /**
   * Row counts: at every hop of a run ({@link RowCountCheck}), or the source's rows against the
   * published ones for {@code validate}. Any difference is a mismatch.
   */
  static List<Finding> rowCounts(TableFacts f) {
    if (f.hops().isPresent()) {
      RowCountCheck hops = f.hops().get();
      return hops.status() == TableStatus.OK
          ? List.of()
          : List.of(new Finding(hops.status(), hops.message()));
    }
    return f.sourceRows() == f.targetRows()
        ? List.of()
        : List.of(
            new Finding(
                TableStatus.MISMATCH,
                "row counts differ: source " + f.sourceRows() + ", published " + f.targetRows()));
  }

  /** Source columns the target cannot hold: data that would be lost (a column added later). */
  static List<Finding> columnDrift(TableFacts f) {
    return f.columnsMissingInTarget().isEmpty()
        ? List.of()
        : List.of(
            new Finding(
                TableStatus.MISMATCH,
                "source columns missing in the target: " + f.columnsMissingInTarget()));
  }

  /** The checksum comparison, with the differing keys it drilled into. */
  static List<Finding> checksum(TableFacts f) {
    ChecksumCheck c = f.checksum();
    return c.status() == TableStatus.OK ? List.of() : List.of(new Finding(c.status(), c.message()));
  }

  /** A table the tenant's source lacks: its side is empty by design, said so. */
  static List<Finding> absentInSource(TableFacts f) {
    return f.absentInSource()
        ? List.of(Finding.note("table absent in this tenant's source"))
        : List.of();
  }

  /**
   * Under rules that drop or reject rows: source rows = loaded + duplicates removed + rejected must
   * hold, and the rejects must stay within the rule's threshold; what was removed is noted.
   */
  static List<Finding> accounting(TableFacts f) {
    if (f.accounting().isEmpty()) {
      return List.of();
    }
    TableFacts.Accounting a = f.accounting().get();
    RowAccounting rows = a.rows();
    Optional<String> unaccounted = rows.unaccountedFor(a.expectedRows());
    if (unaccounted.isPresent()) {
      return List.of(new Finding(TableStatus.FAILED, unaccounted.get()));
    }
    List<String> notes = new ArrayList<>();
    if (rows.duplicatesRemoved() > 0) {
      notes.add(rows.duplicatesRemoved() + " duplicate rows removed");
    }
    if (rows.rejectedRows() > a.maxRejectedRows()) {
      RowAccounting.Reject first = rows.rejects().get(0);
      notes.add(
          rows.rejectedRows()
              + " rows rejected, more than "
              + a.rulePath()
              + ".max-rejected-rows = "
              + a.maxRejectedRows()
              + " (first: key "
              + first.keyJson()
              + ", column "
              + first.column()
              + ": "
              + first.reason()
              + "; all listed in "
              + a.rejectsTable()
              + ")");
      return List.of(new Finding(TableStatus.FAILED, String.join("; ", notes)));
    }
    if (rows.rejectedRows() > 0) {
      notes.add(rows.rejectedRows() + " rows rejected (listed in " + a.rejectsTable() + ")");
    }
    return notes.isEmpty() ? List.of() : List.of(Finding.note(String.join("; ", notes)));
  }
}
