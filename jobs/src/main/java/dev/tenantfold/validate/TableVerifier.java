package dev.tenantfold.validate;

import java.util.ArrayList;
import java.util.List;

/**
 * The one owner of a table's verdict: {@code run} and {@code validate} gather a table's facts
 * ({@link TableFacts}) and ask this class what they mean. Each check ({@link TableCheck}) looks at
 * one fact; the verdict lists their findings in the order below, so a message reads the same
 * whichever command wrote it.
 */
public final class TableVerifier {
  /** Every check, in the order its finding appears in a message. */
  static final List<TableCheck> CHECKS =
      List.of(
          TableChecks::rowCounts,
          TableChecks::columnDrift,
          TableChecks::checksum,
          TableChecks::absentInSource,
          TableChecks::accounting);

  private TableVerifier() {}

  public static TableVerdict verdict(TableFacts facts) {
    List<TableVerdict.Finding> findings = new ArrayList<>();
    for (TableCheck check : CHECKS) {
      check.check(facts).ifPresent(findings::add);
    }
    return new TableVerdict(findings);
  }
}
