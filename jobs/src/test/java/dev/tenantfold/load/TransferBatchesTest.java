package dev.tenantfold.load;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.jdbc.JdbcEndpoint;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Small tables share tasks; large partitions keep theirs; never fewer tasks than cores. */
class TransferBatchesTest {
  private static final JdbcEndpoint DB = new JdbcEndpoint("jdbc:postgresql://h/d", "u", "p");

  private static TransferUnit unit(String table, int part, int parts) {
    return new TransferUnit(
        "r", "acme", table, part, parts, DB, "snap", "COPY", DB, "COPY", CopyFormat.TEXT, "l", 1);
  }

  private static List<TransferUnit> smallTables(int n) {
    List<TransferUnit> units = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      units.add(unit(String.format("t_%04d", i), 0, 1));
    }
    return units;
  }

  @Test
  void manySmallTablesShareAsManyTasksAsThereAreCores() {
    List<TransferUnit> units = smallTables(200);
    List<List<TransferUnit>> tasks = TransferBatches.pack(units, u -> 2_500, 2, 2_000_000);
    assertThat(tasks).hasSize(2).allSatisfy(t -> assertThat(t).hasSize(100));
    assertThat(tasks.stream().flatMap(List::stream).toList())
        .as("every unit once")
        .containsExactlyInAnyOrderElementsOf(units);
    assertThat(tasks.get(0))
        .as("a task's units in their given order")
        .isSortedAccordingTo((a, b) -> a.table().compareTo(b.table()));
  }

  @Test
  void aLargeTablesPartitionsKeepATaskEachAndSmallTablesFillAnother() {
    List<TransferUnit> units = new ArrayList<>();
    for (int p = 0; p < 4; p++) {
      units.add(unit("big", p, 4));
    }
    units.addAll(smallTables(10));
    Map<String, Long> rows = Map.of("big", 2_000_000L);
    List<List<TransferUnit>> tasks =
        TransferBatches.pack(units, u -> rows.getOrDefault(u.table(), 1_000L), 2, 2_000_000);
    assertThat(tasks).hasSize(5);
    assertThat(tasks)
        .filteredOn(t -> t.stream().anyMatch(u -> u.table().equals("big")))
        .hasSize(4)
        .allSatisfy(t -> assertThat(t).hasSize(1));
  }

  @Test
  void fewerUnitsThanCoresKeepATaskEachAndUnknownSizesAreSpread() {
    assertThat(TransferBatches.pack(smallTables(3), u -> 10, 8, 2_000_000)).hasSize(3);
    assertThat(TransferBatches.pack(smallTables(10), u -> 0, 4, 2_000_000))
        .extracting(List::size)
        .containsExactlyInAnyOrder(3, 3, 2, 2);
    assertThat(TransferBatches.pack(List.of(), u -> 0, 4, 2_000_000)).isEmpty();
  }
}
