package dev.tenantfold.validate;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The row-count verdict on its own: checksums cannot see every lost row (a COPY that reports fewer
 * rows than it sent, a source count taken outside the snapshot), so any one hop disagreeing must be
 * a mismatch by itself, reported with all four numbers.
 */
class RowCountCheckTest {

  @Test
  void equalCountsAtEveryHopAreOkWithNoMessage() {
    RowCountCheck check = new RowCountCheck(1204, 1204, 1204, 1204);
    assertThat(check.status()).as("verdict when every hop counted 1204").isEqualTo(TableStatus.OK);
    assertThat(check.message()).as("message of a matching table").isEmpty();
    assertThat(new RowCountCheck(0, 0, 0, 0).status())
        .as("an empty table")
        .isEqualTo(TableStatus.OK);
  }

  static Stream<Arguments> oneHopDisagrees() {
    return Stream.of(
        Arguments.of("source snapshot count", new RowCountCheck(1001, 1000, 1000, 1000)),
        Arguments.of("rows the source COPY sent", new RowCountCheck(1000, 999, 1000, 1000)),
        Arguments.of("rows the target COPY accepted", new RowCountCheck(1000, 1000, 999, 1000)),
        Arguments.of("staged count", new RowCountCheck(1000, 1000, 1000, 1001)),
        Arguments.of(
            "source and staged agree, the middle hops do not",
            new RowCountCheck(1000, 1001, 999, 1000)),
        Arguments.of("an empty side", new RowCountCheck(1000, 1000, 1000, 0)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("oneHopDisagrees")
  void anyHopDisagreeingIsAMismatchNamingAllFourCounts(String hop, RowCountCheck check) {
    assertThat(check.status())
        .as("verdict when the %s differs: %s", hop, check)
        .isEqualTo(TableStatus.MISMATCH);
    assertThat(check.message())
        .as("message when the %s differs", hop)
        .isEqualTo(
            "row counts differ: source snapshot "
                + check.sourceRows()
                + ", extracted "
                + check.extractedRows()
                + ", copied into staging "
                + check.copiedRows()
                + ", staged "
                + check.stagedRows());
  }

  @Test
  void theCountVerdictOutranksAMatchingChecksum() {
    // What a run does with the two verdicts: the worse one wins, so a count mismatch alone blocks
    // the publish.
    TableStatus counts = new RowCountCheck(10, 10, 9, 10).status();
    assertThat(counts.worst(TableStatus.OK))
        .as("count mismatch with matching checksums")
        .isEqualTo(TableStatus.MISMATCH);
    assertThat(TableStatus.OK.worst(counts)).as("either order").isEqualTo(TableStatus.MISMATCH);
    assertThat(counts.worst(TableStatus.FAILED))
        .as("a failure still outranks a mismatch")
        .isEqualTo(TableStatus.FAILED);
  }
}
