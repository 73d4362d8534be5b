package dev.tenantfold.validate;

import java.util.ArrayList;
import java.util.List;

/**
 * The one owner of a table's verdict: {@code run} and {@code validate} gather a copied table's
 * facts ({@link TableFacts}), {@code cutover} the facts of the keys changed since the base copy
 * ({@link CutoverFacts}), and each asks this class what they mean. Each check ({@link TableCheck})
 * looks at one fact; the verdict lists their findings in the order below, so a message reads the
 * same whichever command wrote it.
 */
public final class TableVerifier {
  /** Every check, in the order its finding appears in a message. */
  static final List<TableCheck> CHECKS =
      List.of(
          TableCheck.on(TableFacts.class, TableChecks::rowCounts),
          TableCheck.on(TableFacts.class, TableChecks::columnDrift),
          TableCheck.on(TableFacts.class, TableChecks::checksum),
          TableCheck.on(TableFacts.class, TableChecks::absentInSource),
          TableCheck.on(TableFacts.class, TableChecks::accounting),
          TableCheck.on(CutoverFacts.class, CutoverChecks::changedKeys),
          TableCheck.on(CutoverFacts.class, CutoverChecks::carriedRows),
          TableCheck.on(CutoverFacts.class, CutoverChecks::freshRunRows));

  private TableVerifier() {}

  public static TableVerdict verdict(VerdictFacts facts) {
    List<TableVerdict.Finding> findings = new ArrayList<>();
    for (TableCheck check : CHECKS) {
      findings.addAll(check.check(facts));
    }
    return new TableVerdict(findings);
  }
}
