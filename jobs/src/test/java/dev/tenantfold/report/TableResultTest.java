package dev.tenantfold.report;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.conform.RowAccounting;
import dev.tenantfold.validate.RowCountCheck;
import dev.tenantfold.validate.TableStatus;
import dev.tenantfold.validate.TableVerdict;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/**
 * A table's result is its counts, its verdict and its publication: each says only what it knows,
 * and the publication overrules the verdict only where a table was not published for a reason of
 * its own.
 */
class TableResultTest {
  private static final TableVerdict MATCHES = TableVerdict.of(TableStatus.OK, "");

  private static TableResult staged() {
    return TableResult.checked(
        "acme", "orders", new TableCounts.Loaded(10, 10, 0, 0, 10, 2), MATCHES, null);
  }

  @Test
  void validateCountsPublishedRowsAndLoadsNothing() {
    TableResult audited =
        TableResult.audited("acme", "orders", 10, 9, TableVerdict.of(TableStatus.OK, ""), null);

    assertThat(audited.counts())
        .as("validate's counts are the source's and the published rows")
        .isEqualTo(new TableCounts.Audited(10, 9));
    assertThat(audited.counts().loadedRows())
        .as("validate loads nothing: its published rows are not loaded rows")
        .isZero();
    assertThat(
            List.of(
                audited.counts().extractedRows(),
                audited.counts().duplicatesRemoved(),
                audited.counts().rejectedRows(),
                (long) audited.counts().partitions()))
        .as("nothing extracted, removed, rejected or read in partitions")
        .containsOnly(0L);
    assertThat(audited.counts().targetRows())
        .as("the report's loaded_rows: published rows for validate (docs/report-schema.md)")
        .isEqualTo(9);
    assertThat(audited.published()).as("validate publishes nothing").isFalse();
  }

  @Test
  void aRunCountsEveryHopAndWhereTheSourceRowsWent() {
    TableCounts.Loaded loaded = TableCounts.Loaded.of(new RowCountCheck(10, 9, 8, 7), 3);
    assertThat(loaded)
        .as("loaded rows are the staged table's count(*)")
        .isEqualTo(new TableCounts.Loaded(10, 9, 0, 0, 7, 3));
    assertThat(loaded.targetRows()).isEqualTo(loaded.loadedRows());

    assertThat(loaded.withAccounting(new RowAccounting(12, 2, 1, List.of())))
        .as("the source rows before rules, and where the others went")
        .isEqualTo(new TableCounts.Loaded(12, 9, 2, 1, 7, 3));
  }

  @Test
  void aFailedTableHasNoCounts() {
    TableResult failed = TableResult.failed("acme", "orders", "Cannot transfer: boom");

    assertThat(failed.counts()).isEqualTo(new TableCounts.Uncounted());
    assertThat(List.of(failed.counts().sourceRows(), failed.counts().targetRows()))
        .containsOnly(0L);
    assertThat(failed.status()).isEqualTo(TableStatus.FAILED);
    assertThat(failed.message()).isEqualTo("Cannot transfer: boom");
  }

  @Test
  void thePublicationOverrulesTheVerdictOnlyWhereItSaysWhy() {
    TableResult noted =
        TableResult.checked(
                "acme",
                "orders",
                new TableCounts.Loaded(10, 10, 0, 0, 10, 2),
                TableVerdict.of(TableStatus.OK, "2 duplicate rows removed"),
                null)
            .withPreviousRows(OptionalLong.of(8));

    assertThat(List.of(noted.status(), noted.message(), noted.published()))
        .as("not published yet: the verdict speaks")
        .containsExactly(TableStatus.OK, "2 duplicate rows removed", false);
    TableResult published = noted.asPublished();
    assertThat(List.of(published.status(), published.message(), published.published()))
        .as("published: still the verdict's words")
        .containsExactly(TableStatus.OK, "2 duplicate rows removed", true);
    TableResult heldBack = noted.heldBack("not published: another table failed");
    assertThat(List.of(heldBack.status(), heldBack.message(), heldBack.published()))
        .as("held back: the verdict's status, the reason instead of its words")
        .containsExactly(TableStatus.OK, "not published: another table failed", false);
    TableResult refused = noted.refused("Cannot publish: it would empty the table");
    assertThat(List.of(refused.status(), refused.message(), refused.published()))
        .as("refused: failed, with the guard's reason")
        .containsExactly(TableStatus.FAILED, "Cannot publish: it would empty the table", false);
    TableResult unknown = noted.outcomeUnknown("UNKNOWN: ask the target");
    assertThat(List.of(unknown.status(), unknown.message(), unknown.published()))
        .containsExactly(TableStatus.UNKNOWN, "UNKNOWN: ask the target", false);

    assertThat(
            List.of(published, heldBack, refused, unknown).stream()
                .map(r -> r.publication().previousRows()))
        .as("the rows published before survive every outcome")
        .containsOnly(OptionalLong.of(8));
    assertThat(refused.verdict()).as("the verdict itself is untouched").isEqualTo(noted.verdict());
  }

  @Test
  void aNoteFollowsTheVerdictsWords() {
    assertThat(staged().withNote("3 rows overruled").message())
        .as("an empty verdict adds no separator")
        .isEqualTo("3 rows overruled");
    TableResult mismatched =
        TableResult.checked(
                "acme",
                "orders",
                new TableCounts.Loaded(10, 10, 0, 0, 10, 2),
                TableVerdict.of(TableStatus.MISMATCH, "checksums differ"),
                null)
            .withNote("3 rows overruled");
    assertThat(List.of(mismatched.status(), mismatched.message()))
        .as("a note never changes the status")
        .containsExactly(TableStatus.MISMATCH, "checksums differ; 3 rows overruled");
  }

  @Test
  void aRecordedTableReadsBackWithTheStatusItWasRecordedWith() {
    TableCounts counts = new TableCounts.Loaded(10, 10, 0, 0, 10, 1);
    TableResult unknown =
        TableResult.recorded(
            "acme",
            "orders",
            counts,
            TableStatus.UNKNOWN,
            "UNKNOWN: ask the target",
            null,
            false,
            OptionalLong.empty());
    assertThat(List.of(unknown.status(), unknown.message(), unknown.published()))
        .containsExactly(TableStatus.UNKNOWN, "UNKNOWN: ask the target", false);
    assertThat(unknown.publication().outcome())
        .as("an unknown outcome is the publication's, not a verdict")
        .isEqualTo(TablePublication.Outcome.OUTCOME_UNKNOWN);

    TableResult published =
        TableResult.recorded(
            "acme", "orders", counts, TableStatus.OK, "a note", null, true, OptionalLong.of(7));
    assertThat(List.of(published.status(), published.message(), published.published()))
        .containsExactly(TableStatus.OK, "a note", true);
    assertThat(published.publication().previousRows()).hasValue(7);
    assertThat(published)
        .as("as the run that published it held it")
        .isEqualTo(
            TableResult.checked(
                    "acme",
                    "orders",
                    (TableCounts.Loaded) counts,
                    TableVerdict.of(TableStatus.OK, "a note"),
                    null)
                .withPreviousRows(OptionalLong.of(7))
                .asPublished());
  }
}
