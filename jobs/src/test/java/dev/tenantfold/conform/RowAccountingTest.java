package dev.tenantfold.conform;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** source = loaded + duplicates removed + rejected, or the table is refused. */
class RowAccountingTest {
  @Test
  void everyRowAccountedForPasses() {
    RowAccounting rows = RowAccounting.counted(10, 8, 1, List.of());
    assertThat(rows.duplicatesRemoved()).isEqualTo(2);
    assertThat(rows.expectedRows()).isEqualTo(7);
    assertThat(rows.unaccountedFor(7)).isEmpty();
  }

  @Test
  void aRowLostOrGainedOnTheWayIsNamedWithTheSum() {
    RowAccounting rows = RowAccounting.counted(10, 8, 1, List.of());
    assertThat(rows.unaccountedFor(6))
        .hasValue(
            "rows unaccounted for: source 10 - duplicates removed 2 - rejected 1 = 7, but the"
                + " source snapshot holds 6 rows to load; run again");
    assertThat(rows.unaccountedFor(8)).isPresent();
    assertThat(new RowAccounting(5, 0, 0, List.of()).unaccountedFor(0)).isPresent();
  }
}
