package dev.tenantfold.extract;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.extract.PartitionPlanner.KeyBounds;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class PartitionPlannerTest {
  private static TableSpec table(
      List<ColumnSpec> columns, List<String> pk, long rows, long pages, boolean partitioned) {
    return new TableSpec("public", "t", columns, pk, List.of(), rows, pages, partitioned);
  }

  private static final ColumnSpec ID = new ColumnSpec("id", "bigint", true, null, false);
  private static final ColumnSpec CODE = new ColumnSpec("code", "text", true, null, false);

  @Test
  void smallTableIsOneRead() {
    assertThat(
            PartitionPlanner.plan(
                table(List.of(ID), List.of("id"), 999, 10, false),
                Optional.of(new KeyBounds(1, 999)),
                160000,
                1000,
                8))
        .containsExactly(new ReadPartition(0, 1, ""));
  }

  @Test
  void integerKeyRangesCoverEveryValueExactlyOnce() {
    List<ReadPartition> parts =
        PartitionPlanner.plan(
            table(List.of(ID), List.of("id"), 10_000, 100, false),
            Optional.of(new KeyBounds(-37, 9_963)),
            160000,
            1000,
            8);
    assertThat(parts).hasSize(8);
    for (long v = -100; v < 10_100; v++) {
      long value = v;
      assertThat(parts.stream().filter(p -> matchesRange(p.predicate(), value)).count())
          .as("partitions holding id %d", v)
          .isEqualTo(1);
    }
  }

  @Test
  void extremeBigintBoundsDoNotOverflow() {
    List<ReadPartition> parts =
        PartitionPlanner.integerRanges("\"id\"", new KeyBounds(Long.MIN_VALUE, Long.MAX_VALUE), 4);
    assertThat(parts).hasSize(4);
    assertThat(parts.get(0).predicate()).isEqualTo("\"id\" < -4611686018427387904");
    assertThat(parts.get(3).predicate()).isEqualTo("\"id\" >= 4611686018427387904");
  }

  @Test
  void fewerKeyValuesThanPartitionsGiveFewerPartitions() {
    assertThat(PartitionPlanner.integerRanges("\"id\"", new KeyBounds(5, 7), 8)).hasSize(3);
  }

  @Test
  void tableWithoutIntegerKeyUsesPageRangesOnPostgres14AndLater() {
    List<ReadPartition> parts =
        PartitionPlanner.plan(
            table(List.of(CODE), List.of(), 5_000, 100, false), Optional.empty(), 140000, 1000, 8);
    assertThat(parts)
        .extracting(ReadPartition::predicate)
        .containsExactly(
            "ctid < '(20,0)'::tid",
            "ctid >= '(20,0)'::tid AND ctid < '(40,0)'::tid",
            "ctid >= '(40,0)'::tid AND ctid < '(60,0)'::tid",
            "ctid >= '(60,0)'::tid AND ctid < '(80,0)'::tid",
            "ctid >= '(80,0)'::tid");
  }

  @Test
  void olderServersAndPartitionedTablesHashTheKey() {
    List<ReadPartition> parts =
        PartitionPlanner.plan(
            table(List.of(CODE), List.of("code"), 3_000, 100, false),
            Optional.empty(),
            130000,
            1000,
            8);
    assertThat(parts).hasSize(3);
    assertThat(parts.get(2).predicate())
        .isEqualTo("mod(hashtext(ROW(\"code\"::text)::text)::bigint + 2147483648, 3) = 2");
    assertThat(
            PartitionPlanner.plan(
                table(List.of(CODE), List.of("code"), 3_000, 0, true),
                Optional.empty(),
                160000,
                1000,
                8))
        .hasSize(3);
  }

  @Test
  void tableWithNoKeyOnAnOldServerIsOneRead() {
    assertThat(
            PartitionPlanner.plan(
                table(List.of(CODE), List.of(), 3_000, 100, false),
                Optional.empty(),
                130000,
                1000,
                8))
        .hasSize(1);
  }

  private static final Pattern BOUND = Pattern.compile("\"id\" (<|>=) (-?\\d+)");

  private static boolean matchesRange(String predicate, long value) {
    Matcher m = BOUND.matcher(predicate);
    boolean all = true;
    while (m.find()) {
      long bound = Long.parseLong(m.group(2));
      all &= m.group(1).equals("<") ? value < bound : value >= bound;
    }
    return all;
  }
}
