package dev.tenantfold.conform;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.extract.ColumnSpec;
import dev.tenantfold.extract.EnumSpec;
import dev.tenantfold.extract.TableSpec;
import dev.tenantfold.extract.TenantCatalog;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What an export catalog without export.catalog borrows: partition parents, exact types, keys; and
 * what it must not.
 */
class BorrowedKeysTest {
  private static final TenantCatalog NO_TARGET =
      new TenantCatalog("target", 0, List.of(), Map.of());

  private static ColumnSpec col(String name, String type) {
    return new ColumnSpec(name, type, false, null, type.endsWith("[]") || type.equals("ARRAY"));
  }

  private static TableSpec table(String name, List<String> key, ColumnSpec... columns) {
    return new TableSpec("public", name, List.of(columns), key, List.of(), 0, 0, false);
  }

  private static TenantCatalog catalog(
      String tenant, Map<String, EnumSpec> enums, TableSpec... tables) {
    return new TenantCatalog(tenant, 160000, List.of(tables), enums);
  }

  @Test
  void leavesAnotherTenantNamesFoldIntoTheParentWithItsExactTypesKeyAndEnum() {
    ColumnSpec mood = new ColumnSpec("mood", "mood", false, "mood", false);
    TableSpec payment =
        new TableSpec(
            "public",
            "payment",
            List.of(
                col("id", "bigint"),
                col("amount", "numeric(10,2)"),
                col("tags", "text[]"),
                mood,
                col("note", "character varying(40)")),
            List.of("id"),
            List.of(),
            0,
            0,
            true,
            List.of("public.payment_p1", "public.payment_p2"));
    TenantCatalog acme =
        catalog("acme", Map.of("mood", new EnumSpec("mood", List.of("calm", "busy"))), payment);
    ColumnSpec[] exported = {
      col("id", "bigint"),
      col("amount", "numeric"),
      col("tags", "ARRAY"),
      col("mood", "USER-DEFINED"),
      col("note", "character varying")
    };
    TenantCatalog export =
        catalog(
            "globex",
            Map.of(),
            table("payment_p1", List.of(), exported),
            table("payment_p2", List.of(), exported),
            table("things", List.of(), col("id", "integer")));

    TenantCatalog filled = BorrowedKeys.fill(export, List.of(acme), NO_TARGET, "tenant_id");

    assertThat(filled.tables())
        .extracting(TableSpec::name)
        .containsExactlyInAnyOrder("payment", "things");
    TableSpec folded = filled.table("payment").orElseThrow();
    assertThat(folded.partitioned()).isTrue();
    assertThat(folded.leafPartitions()).containsExactly("public.payment_p1", "public.payment_p2");
    assertThat(folded.columns())
        .extracting(ColumnSpec::type)
        .containsExactly("bigint", "numeric(10,2)", "text[]", "mood", "character varying(40)");
    assertThat(folded.column("mood").orElseThrow().enumType()).isEqualTo("mood");
    assertThat(folded.primaryKey()).containsExactly("id");
    assertThat(filled.enums()).containsKey("mood");
    assertThat(BorrowedKeys.planned(export))
        .as("the run's source finds what planning made of it")
        .contains(filled);
  }

  @Test
  void theTargetLendsFirstAndOnlyCompatibleTypesAreTaken() {
    TenantCatalog target =
        catalog(
            "target",
            Map.of(),
            table(
                "t",
                List.of("tenant_id", "id"),
                col("tenant_id", "text"),
                col("id", "integer"),
                col("v", "character varying(9)")));
    TenantCatalog other =
        catalog(
            "acme",
            Map.of(),
            table("t", List.of("id"), col("id", "integer"), col("v", "character varying(5)")));
    TenantCatalog export =
        catalog(
            "globex",
            Map.of(),
            table("t", List.of(), col("id", "integer"), col("v", "character varying")));

    TableSpec t =
        BorrowedKeys.fill(export, List.of(other), target, "tenant_id").table("t").orElseThrow();

    assertThat(t.column("v").orElseThrow().type()).isEqualTo("character varying(9)");
    assertThat(t.primaryKey()).containsExactly("id");
    assertThat(BorrowedKeys.compatible(col("a", "ARRAY"), col("a", "text")))
        .as("ARRAY needs an array")
        .isFalse();
    assertThat(BorrowedKeys.compatible(col("a", "USER-DEFINED"), col("a", "integer")))
        .as("a built-in type is no user-defined one")
        .isFalse();
    assertThat(BorrowedKeys.compatible(col("a", "USER-DEFINED"), col("a", "public.citext")))
        .isTrue();
    assertThat(BorrowedKeys.compatible(col("a", "numeric"), col("a", "integer"))).isFalse();
    assertThat(BorrowedKeys.compatible(col("a", "integer"), col("a", "bigint")))
        .as("a known type is never replaced")
        .isFalse();
    assertThat(
            BorrowedKeys.compatible(
                col("a", "timestamp with time zone"), col("a", "timestamp(3) with time zone")))
        .as("the export's time type is precision 6 already")
        .isFalse();
    assertThat(BorrowedKeys.compatible(col("a", "numeric(8,2)"), col("a", "numeric(10,2)")))
        .as("a modifier the export has is kept")
        .isFalse();
  }

  @Test
  void aTableWithATypeNobodyKnowsIsLeftOutOfPlanningAndLeavesNobodyNamesStayTables() {
    TenantCatalog other =
        catalog(
            "acme", Map.of(), table("g", List.of("id"), col("id", "integer"), col("r", "text")));
    TenantCatalog export =
        catalog(
            "globex",
            Map.of(),
            table("g", List.of(), col("id", "integer"), col("r", "ARRAY")),
            table("visit_2024", List.of(), col("id", "integer")));

    TenantCatalog filled = BorrowedKeys.fill(export, List.of(other), NO_TARGET, "tenant_id");

    assertThat(filled.tables()).extracting(TableSpec::name).containsExactly("visit_2024");
    assertThat(filled.table("visit_2024").orElseThrow().partitioned()).isFalse();
  }
}
