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
}
