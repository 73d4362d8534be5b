package dev.tenantfold.validate.checksum;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Classification of drill-down rows, without a database. */
class RowComparisonTest {
  private static final ChecksumSpec SPEC =
      new ChecksumSpec(
          List.of(
              new dev.tenantfold.extract.ColumnSpec("id", "bigint", true, null, false),
              new dev.tenantfold.extract.ColumnSpec("name", "text", false, null, false),
              new dev.tenantfold.extract.ColumnSpec("note", "text", false, null, false)),
          List.of("id"),
          1);

  private static DrillDownRow row(String id, String name, String note) {
    List<String> values = Arrays.asList(id, name, note);
    String digest = CanonicalRow.hash(CanonicalRow.encode(values), null, 1).hex();
    return new DrillDownRow(0, CanonicalRow.encode(List.of(id)), digest, values);
  }

  @Test
  void classifiesEveryKindAndNamesChangedColumns() {
    List<DrillDownRow> source =
        List.of(row("1", "a", null), row("2", "b", "x"), row("3", "c", "y"), row("5", "e", "z"));
    List<DrillDownRow> target =
        List.of(
            row("1", "a", ""),
            row("3", "c", "y"),
            row("4", "d", "w"),
            row("5", "e", "z"),
            row("5", "e", "z"));

    RowComparison result = RowComparison.classify(SPEC, source, target, 10);

    assertThat(result.listed())
        .as("differences")
        .containsExactly(
            new RowDifference("{\"id\": 1}", RowDifference.Kind.CHANGED, 1, 1, List.of("note")),
            new RowDifference("{\"id\": 2}", RowDifference.Kind.MISSING_IN_TARGET, 1, 0, List.of()),
            new RowDifference("{\"id\": 4}", RowDifference.Kind.EXTRA_IN_TARGET, 0, 1, List.of()),
            new RowDifference(
                "{\"id\": 5}", RowDifference.Kind.DUPLICATED_IN_TARGET, 1, 2, List.of()));
    assertThat(result.totalDifferences()).as("total").isEqualTo(4);
  }

  @Test
  void capLimitsTheListingNotTheCounts() {
    List<DrillDownRow> source =
        List.of(row("1", "a", null), row("2", "b", null), row("3", "c", null));
    RowComparison result = RowComparison.classify(SPEC, source, List.of(), 1);
    assertThat(result.count(RowDifference.Kind.MISSING_IN_TARGET))
        .as("missing counted")
        .isEqualTo(3);
    assertThat(result.listed()).as("listed").hasSize(1);
  }
}
