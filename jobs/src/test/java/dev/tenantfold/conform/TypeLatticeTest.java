package dev.tenantfold.conform;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The widening lattice of docs/reconcile.md, pair by pair, both orders. */
class TypeLatticeTest {

  @ParameterizedTest(name = "{0} + {1} -> {2}")
  @CsvSource(
      delimiter = ';',
      value = {
        "smallint; integer; integer",
        "integer; bigint; bigint",
        "smallint; bigint; bigint",
        "integer; numeric(12,4); numeric(14,4)",
        "bigint; numeric(10,2); numeric(21,2)",
        "smallint; numeric(3,1); numeric(6,1)",
        "integer; numeric; numeric",
        "numeric(10,2); numeric(12,4); numeric(12,4)",
        "numeric(10,4); numeric(12,1); numeric(15,4)",
        "numeric(10,2); numeric; numeric",
        "real; double precision; double precision",
        "character varying(50); character varying(80); character varying(80)",
        "character varying(50); character varying; character varying",
        "character varying(50); text; text",
        "character(3); character(5); text",
        "character(3); character varying(10); text",
        "character(3); character(3); character(3)",
        "timestamp(3) without time zone; timestamp without time zone; timestamp without time zone",
        "timestamp(3) without time zone; timestamp(1) without time zone; timestamp(3) without time"
            + " zone",
        "timestamp(0) with time zone; timestamp with time zone; timestamp with time zone",
        "time(2) without time zone; time(4) without time zone; time(4) without time zone",
        "integer[]; bigint[]; bigint[]",
        "character varying(5)[]; text[]; text[]",
        "jsonb; jsonb; jsonb"
      })
  void widensToTheNarrowestTypeHoldingBoth(String a, String b, String widened) {
    assertThat(TypeLattice.widen(a, b)).as("%s + %s", a, b).contains(widened);
    assertThat(TypeLattice.widen(b, a)).as("%s + %s", b, a).contains(widened);
    assertThat(TypeLattice.holds(widened, a)).as("%s holds %s", widened, a).isTrue();
    assertThat(TypeLattice.holds(widened, b)).as("%s holds %s", widened, b).isTrue();
  }

  @ParameterizedTest(name = "{0} + {1} do not widen")
  @CsvSource(
      delimiter = ';',
      value = {
        "text; integer",
        "timestamp without time zone; timestamp with time zone",
        "json; jsonb",
        "real; numeric(10,2)",
        "integer; integer[]",
        "date; timestamp without time zone",
        "uuid; text",
        "boolean; smallint"
      })
  void refusesTypesThatDoNotWidenSafely(String a, String b) {
    assertThat(TypeLattice.widen(a, b)).as("%s + %s", a, b).isEqualTo(Optional.empty());
    assertThat(TypeLattice.widen(b, a)).as("%s + %s", b, a).isEqualTo(Optional.empty());
  }

  @ParameterizedTest(name = "{0} does not hold {1}")
  @CsvSource(
      delimiter = ';',
      value = {
        "integer; bigint",
        "numeric(10,2); numeric(12,4)",
        "character varying(10); text",
        "timestamp(3) without time zone; timestamp without time zone"
      })
  void neverNarrows(String narrower, String wider) {
    assertThat(TypeLattice.holds(narrower, wider)).isFalse();
    assertThat(TypeLattice.holds(wider, narrower)).isTrue();
  }
}
