package dev.tenantfold.report;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A run as CSV: one row per tenant table (and one per tenant that failed before any table), with
 * the columns an analyst filters on. RFC 4180 quoting, CRLF line ends, UTF-8; text cells a
 * spreadsheet would run as a formula ({@code = + - @}) get a leading apostrophe. Hand-written: the
 * quoting is six lines, not worth a library on the cluster classpath.
 */
public final class CsvReport {
  static final List<String> HEADER =
      List.of(
          "run_id",
          "command",
          "tenant_id",
          "table_name",
          "status",
          "published",
          "source_rows",
          "extracted_rows",
          "duplicates_removed",
          "rejected_rows",
          "loaded_rows",
          "previous_rows",
          "checksum",
          "mismatched_buckets",
          "buckets_compared",
          "differing_keys",
          "listed_keys",
          "changed_columns",
          "message",
          "source_kind",
          "source_point_in_time",
          // Catch-up after the base copy (docs/report-schema.md version 3): empty without it.
          "catch_up_inserts",
          "catch_up_updates",
          "catch_up_deletes",
          "catch_up_truncates",
          "catch_up_skipped",
          "cutover_verdict");
  private static final int KEYS_IN_CELL = 20;

  private CsvReport() {}

  public static String render(RunResult run) {
    return render(run, CatchUpReport.none());
  }

  /** The run, each tenant table with the changes catch-up applied to it and the cutover verdict. */
  public static String render(RunResult run, CatchUpReport catchUp) {
    StringBuilder out = new StringBuilder();
    line(out, HEADER);
    for (TenantResult t : run.tenants()) {
      String kind = t.source().map(SourceInfo::kind).orElse("");
      String at = t.source().flatMap(SourceInfo::pointInTime).map(Object::toString).orElse("");
      if (t.tables().isEmpty()) {
        line(
            out,
            List.of(
                run.runId(),
                run.command(),
                t.tenantId(),
                "",
                t.status().name(),
                Boolean.toString(t.published()),
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                text(t.message()),
                kind,
                at,
                "",
                "",
                "",
                "",
                "",
                verdict(catchUp, t.tenantId())));
      }
      for (TableResult r : t.tables()) {
        List<String> cells =
            new ArrayList<>(
                List.of(
                    run.runId(),
                    run.command(),
                    t.tenantId(),
                    text(r.tableName()),
                    r.status().name(),
                    Boolean.toString(r.published()),
                    Long.toString(r.counts().sourceRows()),
                    Long.toString(r.counts().extractedRows()),
                    Long.toString(r.counts().duplicatesRemoved()),
                    Long.toString(r.counts().rejectedRows()),
                    Long.toString(r.counts().targetRows()),
                    r.publication().previousRows().isPresent()
                        ? Long.toString(r.publication().previousRows().getAsLong())
                        : ""));
        if (r.checksum() == null) {
          cells.addAll(List.of("", "", "", "", "", ""));
        } else {
          var c = r.checksum();
          long differing = c.differenceCounts().values().stream().mapToLong(Long::longValue).sum();
          cells.add(c.mismatchedBuckets() == 0 ? "match" : "differs");
          cells.add(Integer.toString(c.mismatchedBuckets()));
          cells.add(Integer.toString(c.buckets()));
          cells.add(Long.toString(differing));
          cells.add(
              text(
                  c.listed().stream()
                          .limit(KEYS_IN_CELL)
                          .map(d -> d.kind() + " " + d.key())
                          .collect(Collectors.joining("; "))
                      + (c.listed().size() > KEYS_IN_CELL ? "; ..." : "")));
          cells.add(
              text(
                  c.listed().stream()
                      .flatMap(d -> d.changedColumns().stream())
                      .distinct()
                      .sorted()
                      .collect(Collectors.joining(" "))));
        }
        cells.addAll(List.of(text(r.message()), kind, at));
        java.util.Optional<CatchUpReport.Tenant> c = catchUp.tenant(t.tenantId());
        java.util.Optional<CatchUpReport.Applied> applied =
            c.flatMap(x -> x.applied(r.tableName()));
        if (c.isPresent()) {
          CatchUpReport.Applied a =
              applied.orElse(new CatchUpReport.Applied(r.tableName(), 0, 0, 0, 0, 0));
          for (long n :
              new long[] {a.inserts(), a.updates(), a.deletes(), a.truncates(), a.skipped()}) {
            cells.add(Long.toString(n));
          }
        } else {
          cells.addAll(List.of("", "", "", "", ""));
        }
        cells.add(verdict(catchUp, t.tenantId()));
        line(out, cells);
      }
    }
    return out.toString();
  }

  /** The tenant's latest cutover verdict ({@code CUT_OVER}, ...), empty when none. */
  private static String verdict(CatchUpReport catchUp, String tenantId) {
    return catchUp
        .tenant(tenantId)
        .flatMap(CatchUpReport.Tenant::lastCutover)
        .map(CatchUpReport.Cutover::verdict)
        .orElse("");
  }

  /** A text cell that a spreadsheet must show, not evaluate. */
  private static String text(String value) {
    if (value == null || value.isEmpty()) {
      return "";
    }
    char first = value.charAt(0);
    return first == '=' || first == '+' || first == '-' || first == '@' ? "'" + value : value;
  }

  private static void line(StringBuilder out, List<String> cells) {
    for (int i = 0; i < cells.size(); i++) {
      if (i > 0) {
        out.append(',');
      }
      String cell = cells.get(i);
      if (cell.indexOf(',') >= 0
          || cell.indexOf('"') >= 0
          || cell.indexOf('\n') >= 0
          || cell.indexOf('\r') >= 0) {
        out.append('"').append(cell.replace("\"", "\"\"")).append('"');
      } else {
        out.append(cell);
      }
    }
    out.append("\r\n");
  }
}
