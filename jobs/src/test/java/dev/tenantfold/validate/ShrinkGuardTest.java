package dev.tenantfold.validate;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The shrink guard's decisions, without a database. */
class ShrinkGuardTest {
  private static final Map<String, ShrinkGuard.Published> PUBLISHED =
      Map.of(
          "orders", new ShrinkGuard.Published("orders", "run-1", 984),
          "empty", new ShrinkGuard.Published("empty", "run-1", 0));

  @Test
  void aTableLosingMoreThanMaxShrinkIsRefusedWithBothCounts() {
    ShrinkGuard guard = new ShrinkGuard("a", PUBLISHED, false, 0.5);
    assertThat(guard.refuseEmptied("orders", 4))
        .hasValueSatisfying(
            m ->
                assertThat(m)
                    .contains("tenant a: it published 984 rows of \"orders\" in run run-1")
                    .contains("its source now returns 4 (99.6% fewer, more than")
                    .contains("publish.max-shrink = 50%)")
                    .contains("--allow-shrink a"));
    assertThat(guard.refuseEmptied("orders", 0))
        .hasValueSatisfying(m -> assertThat(m).contains("now returns 0 rows"));
    assertThat(guard.refuseEmptied("orders", 492)).as("exactly half: allowed").isEmpty();
    assertThat(guard.refuseEmptied("orders", 491)).as("just over half").isPresent();
    assertThat(guard.refuseEmptied("orders", 2000)).as("growing").isEmpty();
    assertThat(guard.refuseEmptied("empty", 0)).as("nothing published").isEmpty();
    assertThat(guard.refuseEmptied("new", 0)).as("never published").isEmpty();
    assertThat(new ShrinkGuard("a", PUBLISHED, false, 1.0).refuseEmptied("orders", 1))
        .as("max-shrink 100%: only emptying is refused")
        .isEmpty();
    assertThat(new ShrinkGuard("a", PUBLISHED, false, 1.0).refuseEmptied("orders", 0)).isPresent();
    assertThat(new ShrinkGuard("a", PUBLISHED, false, 0.0).refuseEmptied("orders", 983))
        .as("max-shrink 0%: any loss is refused")
        .isPresent();
    assertThat(new ShrinkGuard("a", PUBLISHED, true, 0.5).refuseEmptied("orders", 0))
        .as("allowed")
        .isEmpty();
  }

  @Test
  void vanishedTablesAreRefusedUnlessAllowed() {
    ShrinkGuard guard = new ShrinkGuard("a", PUBLISHED, false, 0.5);
    assertThat(guard.refuseVanished(List.of("empty"), List.of("public")))
        .hasValueSatisfying(m -> assertThat(m).contains("published 984 rows of \"orders\""));
    assertThat(guard.refuseVanished(List.of("orders"), List.of("public")))
        .as("only a table without rows vanished")
        .isEmpty();
    assertThat(new ShrinkGuard("a", PUBLISHED, true, 0.5).refuseVanished(List.of(), List.of()))
        .isEmpty();
  }

  @Test
  void allowingOneTenantAllowsThatTenantOnly() {
    assertThat(ShrinkGuard.allows("a", List.of(), Set.of("a"))).isTrue();
    assertThat(ShrinkGuard.allows("b", List.of(), Set.of("a"))).isFalse();
    assertThat(ShrinkGuard.allows("a", List.of("a"), Set.of())).as("publish.allow-shrink").isTrue();
    assertThat(ShrinkGuard.allows("b", List.of("a"), Set.of())).isFalse();
    assertThat(ShrinkGuard.allows("b", List.of("*"), Set.of())).isTrue();
    assertThat(ShrinkGuard.allows("b", List.of(), Set.of("*"))).isTrue();
    assertThat(ShrinkGuard.allows("b", List.of(), Set.of())).isFalse();
  }

  @Test
  void onlyTablesWithRowsBlockAndVanishedTablesAreListed() {
    ShrinkGuard guard = new ShrinkGuard("a", PUBLISHED, false, 0.5);
    assertThat(guard.vanishedTables(List.of("orders"))).containsExactly("empty");
    assertThat(guard.vanishedTables(List.of("orders", "empty"))).isEmpty();
    assertThat(guard.published("orders"))
        .hasValueSatisfying(p -> assertThat(p.rows()).isEqualTo(984));
    assertThat(guard.refuseVanished(List.of(), List.of("public")))
        .hasValueSatisfying(
            m ->
                assertThat(m)
                    .contains("no tables at all in schemas [public]")
                    .contains("984 rows of \"orders\"")
                    .doesNotContain("\"empty\""));
    ShrinkGuard oneRow =
        new ShrinkGuard("a", Map.of("t", new ShrinkGuard.Published("t", "r", 1)), false, 0.5);
    assertThat(oneRow.refuseVanished(List.of(), List.of("public"))).isPresent();
    ShrinkGuard two =
        new ShrinkGuard(
            "a",
            Map.of(
                "t", new ShrinkGuard.Published("t", "r", 1),
                "u", new ShrinkGuard.Published("u", "r", 2)),
            false,
            0.5);
    assertThat(two.refuseVanished(List.of("v"), List.of("public")))
        .hasValueSatisfying(m -> assertThat(m).contains("no such tables in schemas [public]"));
    assertThat(oneRow.refuseVanished(List.of("v"), List.of("public")))
        .hasValueSatisfying(m -> assertThat(m).contains("no such table in schemas [public]"));
  }
}
