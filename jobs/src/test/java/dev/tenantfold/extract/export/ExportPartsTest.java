package dev.tenantfold.extract.export;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.extract.export.ExportParts.Part;
import dev.tenantfold.extract.export.ExportParts.RecordedPart;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** The export's parts against what its metadata records, without files: each rule alone. */
class ExportPartsTest {
  private static final Part A = new Part("1/part-00001.parquet", 1000, 500, null);
  private static final Part B = new Part("2/part-00004.parquet", 1200, 700, null);

  @Test
  void partsThatAgreeWithTheMetadataPass() {
    assertThat(
            ExportParts.problems(
                "public.orders",
                OptionalLong.of(1200),
                List.of(
                    new RecordedPart(A.file(), OptionalLong.of(500)),
                    new RecordedPart(B.file(), OptionalLong.empty())),
                List.of(A, B)))
        .isEmpty();
    assertThat(ExportParts.problems("public.orders", OptionalLong.empty(), null, List.of(A, B)))
        .as("nothing recorded: nothing to disagree with")
        .isEmpty();
  }

  @Test
  void aDeletedPartFailsByTheTableRowCountAndByThePartList() {
    assertThat(ExportParts.problems("public.orders", OptionalLong.of(1200), null, List.of(A)))
        .singleElement()
        .asString()
        .contains("table public.orders")
        .contains("the export metadata counts 1200 rows, its 1 Parquet files hold 500")
        .contains("a part is missing")
        .contains(A.file());
    assertThat(
            ExportParts.problems(
                "public.orders",
                OptionalLong.empty(),
                List.of(
                    new RecordedPart(A.file(), OptionalLong.empty()),
                    new RecordedPart(B.file(), OptionalLong.empty())),
                List.of(A)))
        .singleElement()
        .asString()
        .contains("table public.orders file " + B.file())
        .contains("listed in the export metadata but missing");
  }

  @Test
  void anAddedOrReplacedPartFails() {
    Part added = new Part("1/part-09999.parquet", 900, 300, null);
    assertThat(
            ExportParts.problems(
                "public.events",
                OptionalLong.of(1200),
                List.of(
                    new RecordedPart(A.file(), OptionalLong.of(500)),
                    new RecordedPart(B.file(), OptionalLong.of(700))),
                List.of(A, B, added)))
        .hasSize(2)
        .anySatisfy(
            p ->
                assertThat(p)
                    .contains("file " + added.file())
                    .contains("not listed in the export metadata"))
        .anySatisfy(p -> assertThat(p).contains("hold 1500").contains("a part was added"));
    Part shorter = new Part(B.file(), 800, 650, null);
    assertThat(
            ExportParts.problems(
                "public.events",
                OptionalLong.empty(),
                List.of(
                    new RecordedPart(A.file(), OptionalLong.of(500)),
                    new RecordedPart(B.file(), OptionalLong.of(700))),
                List.of(A, shorter)))
        .singleElement()
        .asString()
        .contains("file " + B.file() + ": the metadata records 700 rows, the file holds 650");
  }

  @Test
  void aByteIdenticalCopyFailsEvenWithNothingRecorded() {
    Part a = new Part("1/part-00001.parquet", 1000, 300, "abc");
    Part copy = new Part("1/part-09999.parquet", 1000, 300, "abc");
    Part sameLengthOtherBytes = new Part("2/part-00002.parquet", 1000, 300, "def");
    assertThat(
            ExportParts.problems(
                "public.events", OptionalLong.empty(), null, List.of(a, sameLengthOtherBytes)))
        .isEmpty();
    assertThat(ExportParts.problems("public.events", OptionalLong.empty(), null, List.of(a, copy)))
        .singleElement()
        .asString()
        .contains("table public.events file " + copy.file() + ": identical to " + a.file())
        .contains("300 rows would load twice");
    assertThat(ExportParts.problems("public.events", OptionalLong.of(600), null, List.of(a, copy)))
        .as("a recorded count the footers match: identical parts of repeated rows are genuine")
        .isEmpty();
  }

  @Test
  void onlyPartsSharingALengthAreDigested() {
    Map<String, Long> lengths = new LinkedHashMap<>();
    lengths.put("a", 10L);
    lengths.put("b", 11L);
    lengths.put("c", 10L);
    assertThat(ExportParts.needDigest(lengths)).containsExactly("a", "c");
  }

  @Test
  void theSourceEstimateWarnsBeyondItsMargin() {
    assertThat(ExportParts.estimateWarning("a", "public.orders", 2000, 1500, 0.1, 100))
        .contains("tenant a table public.orders: the export holds 1500 rows")
        .contains("estimate 2000 (more than 10% apart)");
    assertThat(ExportParts.estimateWarning("a", "public.orders", 2000, 1850, 0.1, 100))
        .as("within 10%")
        .isNull();
    assertThat(ExportParts.estimateWarning("a", "public.orders", 2000, 1801, 0.1, 100))
        .as("199 apart of 2000: within 10%")
        .isNull();
    assertThat(ExportParts.estimateWarning("a", "public.orders", 2000, 1800, 0.1, 100))
        .as("200 apart of 2000: exactly 10%, within")
        .isNull();
    assertThat(ExportParts.estimateWarning("a", "public.t", 10, 110, 0.1, 100))
        .as("exactly 100 rows apart: within the minimum")
        .isNull();
    assertThat(ExportParts.estimateWarning("a", "public.orders", 2000, 1799, 0.1, 100))
        .as("201 apart of 2000: beyond 10%")
        .isNotNull();
    assertThat(ExportParts.estimateWarning("a", "public.t", 10, 60, 0.1, 100))
        .as("50 rows apart: below the minimum")
        .isNull();
    assertThat(ExportParts.estimateWarning("a", "public.t", 10, 111, 0.1, 100))
        .as("101 rows apart")
        .isNotNull();
    assertThat(ExportParts.estimateWarning("a", "public.t", 0, 500, 0.1, 100))
        .as("analyzed and empty at the source, 500 rows in the export")
        .isNotNull();
    assertThat(ExportParts.estimateWarning("a", "public.t", -1, 5000, 0.1, 100))
        .as("never analyzed: no estimate")
        .isNull();
    assertThat(ExportParts.estimateWarning("a", "public.t", 5000, 300, 0.1, 100))
        .as("the export far below")
        .isNotNull();
  }
}
