package dev.tenantfold.conform;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.config.RulesConfig;
import dev.tenantfold.extract.ColumnSpec;
import dev.tenantfold.extract.ForeignKeySpec;
import dev.tenantfold.extract.TableObjects;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The order a publish attaches tables in and the foreign keys the target enforces: every table
 * after the tables it references; tables in reference cycles (or referencing one) last, without
 * their keys; a self-reference never enforced.
 */
class PublishOrderTest {
  private static final List<ColumnSpec> COLUMNS =
      List.of(
          new ColumnSpec("id", "bigint", true, null, false),
          new ColumnSpec("ref", "bigint", false, null, false));

  /** {@code tables} with a key on id; each name's references, as foreign keys on ref. */
  private static TargetSchema schema(Map<String, List<String>> references) {
    TreeMap<String, TargetTable> tables = new TreeMap<>();
    Map<String, TableObjects> objects = new TreeMap<>();
    references.forEach(
        (name, referenced) -> {
          tables.put(name, new TargetTable(name, COLUMNS, List.of("id")));
          List<ForeignKeySpec> keys = new ArrayList<>();
          for (String r : referenced) {
            keys.add(new ForeignKeySpec(name + "_" + r + "_fk", List.of("ref"), r, List.of("id")));
          }
          objects.put(name, new TableObjects(List.of(), List.of(), keys, List.of()));
        });
    return new TargetSchema(tables, Map.of(), RulesConfig.none(), List.of(), List.of(), objects);
  }

  @Test
  void aLongChainAgainstNameOrderIsOrderedAndCyclesAreSetApart() {
    Map<String, List<String>> references = new TreeMap<>();
    int n = 300;
    for (int i = 1; i <= n; i++) {
      // t_0001 references t_0002, ..., each table one later in name order.
      references.put(
          String.format("t_%04d", i), i < n ? List.of(String.format("t_%04d", i + 1)) : List.of());
    }
    references.put("c1", List.of("c2"));
    references.put("c2", List.of("c1"));
    references.put("d", List.of("c1"));
    references.put("s", List.of("s"));
    TargetSchema schema = schema(references);

    List<String> order = schema.publishOrder();
    assertThat(order).hasSize(n + 1).doesNotContain("c1", "c2", "d").contains("s");
    for (int i = 1; i < n; i++) {
      assertThat(order.indexOf(String.format("t_%04d", i)))
          .as("t_%04d after the table it references", i)
          .isGreaterThan(order.indexOf(String.format("t_%04d", i + 1)));
    }
    assertThat(schema.inReferenceCycles()).containsExactly("c1", "c2", "d");
    for (int i = 1; i < n; i++) {
      assertThat(schema.foreignKeys(String.format("t_%04d", i))).hasSize(1);
    }
    assertThat(schema.foreignKeys(String.format("t_%04d", n))).isEmpty();
    assertThat(schema.foreignKeys("c1")).as("in a cycle").isEmpty();
    assertThat(schema.foreignKeys("d")).as("referencing a cycle").isEmpty();
    assertThat(schema.foreignKeys("s")).as("a self-reference").isEmpty();
  }
}
