package dev.tenantfold.validate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.conform.RowAccounting;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** One owner of a table's verdict: each fact's finding, and the order a message reads in. */
class TableVerifierTest {
  private static final ChecksumCheck SAME =
      new ChecksumCheck("a", "a", 64, 0, 0, Map.of(), List.of());
  private static final ChecksumCheck DIFFERENT =
      new ChecksumCheck("a", "b", 64, 2, 2, Map.of(), List.of());

  private static TableFacts run(RowCountCheck hops, ChecksumCheck checksum) {
    return new TableFacts(
        Optional.of(hops),
        hops.sourceRows(),
        hops.stagedRows(),
        checksum,
        List.of(),
        false,
        Optional.empty());
  }

  private static TableFacts audit(long source, long published, List<String> drift) {
    return new TableFacts(
        Optional.empty(), source, published, SAME, drift, false, Optional.empty());
  }

  @Test
  void equalCountsAndChecksumsAreOkWithNothingToSay() {
    TableVerdict v = TableVerifier.verdict(run(new RowCountCheck(5, 5, 5, 5), SAME));
    assertThat(v.status()).isEqualTo(TableStatus.OK);
    assertThat(v.message()).isEmpty();
    assertThat(TableVerifier.verdict(audit(5, 5, List.of())).status()).isEqualTo(TableStatus.OK);
  }

  @Test
  void anyHopThatLostARowIsAMismatchEvenWhenTheChecksumsAgree() {
    TableVerdict v = TableVerifier.verdict(run(new RowCountCheck(5, 5, 4, 5), SAME));
    assertThat(v.status()).isEqualTo(TableStatus.MISMATCH);
    assertThat(v.message())
        .isEqualTo(
            "row counts differ: source snapshot 5, extracted 5, copied into staging 4, staged 5");
  }

  @Test
  void validateComparesTheSourceWithThePublishedRowsAndSeesColumnsTheTargetLacks() {
    TableVerdict counts = TableVerifier.verdict(audit(5, 4, List.of()));
    assertThat(counts.status()).isEqualTo(TableStatus.MISMATCH);
    assertThat(counts.message()).isEqualTo("row counts differ: source 5, published 4");

    TableVerdict drift = TableVerifier.verdict(audit(5, 5, List.of("vat_id")));
    assertThat(drift.status()).isEqualTo(TableStatus.MISMATCH);
    assertThat(drift.message()).isEqualTo("source columns missing in the target: [vat_id]");
  }

  @Test
  void findingsReadInOneOrderWhicheverCommandWroteThem() {
    TableFacts facts =
        new TableFacts(
            Optional.empty(), 5, 4, DIFFERENT, List.of("vat_id"), true, Optional.empty());
    TableVerdict v = TableVerifier.verdict(facts);
    assertThat(v.status()).isEqualTo(TableStatus.MISMATCH);
    assertThat(v.message())
        .startsWith(
            "row counts differ: source 5, published 4; source columns missing in the target:"
                + " [vat_id]; checksums differ in 2 of 64 buckets")
        .endsWith("; table absent in this tenant's source");
  }

  @Test
  void aTableAbsentInTheSourceIsANoteNotAProblem() {
    TableFacts facts =
        new TableFacts(Optional.empty(), 0, 0, SAME, List.of(), true, Optional.empty());
    TableVerdict v = TableVerifier.verdict(facts);
    assertThat(v.status()).isEqualTo(TableStatus.OK);
    assertThat(v.message()).isEqualTo("table absent in this tenant's source");
  }

  private static TableFacts underRules(RowAccounting rows, long expected, long maxRejected) {
    return new TableFacts(
        Optional.of(new RowCountCheck(expected, expected, expected, expected)),
        expected,
        expected,
        SAME,
        List.of(),
        false,
        Optional.of(
            new TableFacts.Accounting(
                rows, expected, "tenantfold.rules.customers", maxRejected, "tenantfold.rejects")));
  }

  @Test
  void rulesThatRemovedNothingLeaveNothingToSay() {
    TableVerdict v = TableVerifier.verdict(underRules(new RowAccounting(7, 0, 0, List.of()), 7, 0));
    assertThat(v.status()).isEqualTo(TableStatus.OK);
    assertThat(v.message()).isEmpty();
  }

  @Test
  void rowsThatWentNowhereFailTheTable() {
    RowAccounting rows = new RowAccounting(10, 2, 1, List.of());
    assertThat(TableVerifier.verdict(underRules(rows, 7, 5)).status()).isEqualTo(TableStatus.OK);
    TableVerdict lost = TableVerifier.verdict(underRules(rows, 6, 5));
    assertThat(lost.status()).isEqualTo(TableStatus.FAILED);
    assertThat(lost.message()).startsWith("rows unaccounted for: source 10");
  }

  @Test
  void rejectsWithinTheThresholdAreNotedAndBeyondItFailTheTable() {
    RowAccounting.Reject reject =
        new RowAccounting.Reject("{\"id\": 2}", "code", "invalid input", "{}");
    RowAccounting rows = new RowAccounting(10, 1, 2, List.of(reject, reject));

    TableVerdict within = TableVerifier.verdict(underRules(rows, 7, 2));
    assertThat(within.status()).isEqualTo(TableStatus.OK);
    assertThat(within.message())
        .isEqualTo("1 duplicate rows removed; 2 rows rejected (listed in tenantfold.rejects)");

    TableVerdict beyond = TableVerifier.verdict(underRules(rows, 7, 1));
    assertThat(beyond.status()).isEqualTo(TableStatus.FAILED);
    assertThat(beyond.message())
        .contains("2 rows rejected, more than tenantfold.rules.customers.max-rejected-rows = 1")
        .contains("(first: key {\"id\": 2}, column code: invalid input; all listed in");
  }

  private static CutoverFacts cutover(
      CutoverFacts.ComparedWith with,
      List<CutoverFacts.DifferingKey> listed,
      long unlisted,
      CutoverFacts.RowCount count) {
    return new CutoverFacts("orders", with, 40, listed, unlisted, count);
  }

  private static final CutoverFacts.ComparedWith SOURCE = CutoverFacts.ComparedWith.SOURCE_ROW;

  @Test
  void aCutoverWhoseChangedKeysMatchAndWhoseCarriedCountHoldsIsOkWithNothingToSay() {
    TableVerdict v =
        TableVerifier.verdict(cutover(SOURCE, List.of(), 0, new CutoverFacts.Carried(0)));
    assertThat(v.status()).isEqualTo(TableStatus.OK);
    assertThat(v.findings()).as("the checks of a copied table say nothing of a cutover").isEmpty();
  }

  @Test
  void eachDifferingChangedKeyIsAMismatchLineAndTheUnlistedOnesAreCounted() {
    List<CutoverFacts.DifferingKey> listed =
        List.of(
            new CutoverFacts.DifferingKey("[\"7\"]", Optional.of("(7,a)"), Optional.of("(7,b)")),
            new CutoverFacts.DifferingKey("[\"9\"]", Optional.of("(9,c)"), Optional.empty()));
    TableVerdict v = TableVerifier.verdict(cutover(SOURCE, listed, 3, new CutoverFacts.Carried(5)));
    assertThat(v.status()).isEqualTo(TableStatus.MISMATCH);
    assertThat(v.findings())
        .extracting(TableVerdict.Finding::message)
        .containsExactly(
            "table orders key [\"7\"]: source (7,a), target (7,b)",
            "table orders key [\"9\"]: source (9,c), target has no row",
            "... and 3 more keys of table orders differ");

    TableVerdict unlistedOnly =
        TableVerifier.verdict(cutover(SOURCE, List.of(), 1, new CutoverFacts.Carried(5)));
    assertThat(unlistedOnly.status())
        .as("keys past the listing differ too")
        .isEqualTo(TableStatus.MISMATCH);
  }

  @Test
  void underRulesAKeyIsComparedWithWhatAFreshRunPublishes() {
    CutoverFacts.DifferingKey gone =
        new CutoverFacts.DifferingKey("[\"2\"]", Optional.empty(), Optional.of("(2,x)"));
    TableVerdict v =
        TableVerifier.verdict(
            cutover(
                CutoverFacts.ComparedWith.FRESH_RUN,
                List.of(gone),
                0,
                new CutoverFacts.FreshRun(4, 4)));
    assertThat(v.status()).isEqualTo(TableStatus.MISMATCH);
    assertThat(v.message())
        .isEqualTo("table orders key [\"2\"]: a fresh run publishes no row, target (2,x)");
  }

  @Test
  void aCarriedCountBelowZeroIsAMismatch() {
    TableVerdict v =
        TableVerifier.verdict(cutover(SOURCE, List.of(), 0, new CutoverFacts.Carried(-1)));
    assertThat(v.status()).isEqualTo(TableStatus.MISMATCH);
    assertThat(v.message())
        .isEqualTo(
            "table orders: the base copy's rows plus the inserts minus the deletes applied since is"
                + " -1, below zero: the target's state does not follow the source's");
  }

  @Test
  void underRulesTheRowCountIsAFreshRunsAndOneTheSourceCannotGiveIsAMismatch() {
    TableVerdict differ =
        TableVerifier.verdict(cutover(SOURCE, List.of(), 0, new CutoverFacts.FreshRun(5, 4)));
    assertThat(differ.status()).isEqualTo(TableStatus.MISMATCH);
    assertThat(differ.message())
        .isEqualTo("table orders: a fresh run publishes 5 rows, the target holds 4");

    TableVerdict unknown =
        TableVerifier.verdict(
            cutover(
                SOURCE,
                List.of(),
                0,
                new CutoverFacts.NotCounted(CutoverFacts.Why.FRESH_RUN_UNCOUNTABLE)));
    assertThat(unknown.status()).isEqualTo(TableStatus.MISMATCH);
    assertThat(unknown.message()).contains("cannot be counted on this source");
  }

  @Test
  void aRowCountNotCountedByDesignSaysNothing() {
    for (CutoverFacts.Why why :
        List.of(
            CutoverFacts.Why.CURSOR_MODE,
            CutoverFacts.Why.BASE_AFTER_SLOT_START,
            CutoverFacts.Why.SHARED_TABLE)) {
      TableVerdict v =
          TableVerifier.verdict(cutover(SOURCE, List.of(), 0, new CutoverFacts.NotCounted(why)));
      assertThat(v.findings()).as("%s", why).isEmpty();
    }
  }
}
