package dev.tenantfold.report;

import dev.tenantfold.validate.TableStatus;
import dev.tenantfold.validate.checksum.RowDifference;
import java.io.PrintStream;
import java.util.Comparator;
import java.util.List;

/**
 * What a person reads at the end of every run: the verdict first, then what needs attention (every
 * failed or mismatched table by name, tenant-level failures, with a few differing keys), then what
 * succeeded. A small run (up to {@value #DETAILED_TABLES} tenant tables) also gets the full table
 * of counts; a large one gets one line per tenant that is fine, so 50 tenants x 200 tables stay a
 * screen or two while every problem is still named. The full detail is always in report.json and
 * the report tables.
 */
public final class SummaryPrinter {
  /** Runs with at most this many tenant tables print one line per table. */
  static final int DETAILED_TABLES = 40;

  private static final int KEYS_SHOWN = 5;

  /**
   * Tables whose differing keys are shown under "needs attention"; the others' keys are in the
   * report.
   */
  private static final int TABLES_WITH_KEYS = 5;

  private SummaryPrinter() {}

  public static void print(RunResult run, PrintStream out) {
    boolean audit = "validate".equals(run.command());
    long tables = run.tenants().stream().mapToLong(t -> t.tables().size()).sum();
    out.println();
    out.printf(
        "Tenantfold %s %s: %s (exit code %d)%n",
        run.command(), run.runId(), run.statusLabel(), run.exitCode());
    // A run's verdict counts the tables of the tenants it published, not of those that failed.
    long counted =
        audit
            ? tables
            : run.tenants().stream()
                .filter(TenantResult::published)
                .mapToLong(t -> t.tables().size())
                .sum();
    out.println("Verdict: " + verdict(run, audit, counted));
    run.notes().forEach(n -> out.println("Note: " + n));
    printAttention(run, audit, out);
    if (tables <= DETAILED_TABLES) {
      printTable(run, audit, out);
    } else {
      printSucceeded(run, audit, out);
    }
    String report =
        run.reportPath() == null ? "no report file written" : "report: " + run.reportPath();
    if (audit) {
      long matching = run.tenants().stream().filter(t -> t.status() == TableStatus.OK).count();
      out.printf(
          "%d of %d tenants match their sources; %s%n", matching, run.tenants().size(), report);
      return;
    }
    long publishedTenants = run.tenants().stream().filter(TenantResult::published).count();
    out.printf(
        "%d of %d tenants published, %d rows; %s%n",
        publishedTenants, run.tenants().size(), run.publishedRows(), report);
  }

  /** One sentence: how many tenants are fine, how many need attention and why. */
  static String verdict(RunResult run, boolean audit, long tables) {
    List<TenantResult> tenants = run.tenants();
    long failed = tenants.stream().filter(t -> t.status() == TableStatus.FAILED).count();
    long mismatched = tenants.stream().filter(t -> t.status() == TableStatus.MISMATCH).count();
    long unknown = tenants.stream().filter(TenantResult::outcomeUnknown).count();
    long fine =
        audit
            ? tenants.stream().filter(t -> t.status() == TableStatus.OK).count()
            : tenants.stream().filter(TenantResult::published).count();
    String good =
        audit
            ? fine
                + " of "
                + tenants.size()
                + " tenants match their sources ("
                + tables
                + " tables)"
            : fine
                + " of "
                + tenants.size()
                + " tenants published ("
                + tables
                + " tables, "
                + String.format("%,d", run.publishedRows())
                + " rows)";
    if (failed == 0 && mismatched == 0 && unknown == 0 && fine == tenants.size()) {
      return (audit ? "all match. " : "all published. ") + good;
    }
    StringBuilder why = new StringBuilder();
    if (failed > 0) {
      why.append(failed).append(failed == 1 ? " tenant failed" : " tenants failed");
    }
    if (mismatched > 0) {
      why.append(why.isEmpty() ? "" : ", ")
          .append(mismatched)
          .append(mismatched == 1 ? " tenant" : " tenants")
          .append(audit ? " differ from their sources" : " did not validate");
    }
    if (unknown > 0) {
      why.append(why.isEmpty() ? "" : ", ")
          .append(unknown)
          .append(unknown == 1 ? " tenant's" : " tenants'")
          .append(" publish outcome unknown (tenantfold report ")
          .append(run.runId())
          .append(" settles it once the target answers)");
    }
    long unpublished = tenants.size() - fine - failed - mismatched - unknown;
    if (unpublished > 0 && !audit) {
      why.append(why.isEmpty() ? "" : ", ").append(unpublished).append(" not published");
    }
    return "needs attention: " + why + ". " + good;
  }

  /**
   * Tenants whose verdict is not OK (failed first), each with its failed and mismatched tables by
   * name.
   */
  private static void printAttention(RunResult run, boolean audit, PrintStream out) {
    List<TenantResult> problems =
        run.tenants().stream()
            .filter(t -> t.status() != TableStatus.OK || (!audit && !t.published()))
            .sorted(Comparator.comparing((TenantResult t) -> t.status()).reversed())
            .toList();
    if (problems.isEmpty()) {
      return;
    }
    out.println("Needs attention:");
    int tablesWithKeys = 0;
    for (TenantResult t : problems) {
      String message = nullToEmpty(t.message());
      out.printf(
          "  tenant %s: %s%s%n",
          t.tenantId(),
          t.status(),
          message.isEmpty() ? (audit || t.published() ? "" : ", not published") : ": " + message);
      List<TableResult> bad =
          t.tables().stream()
              .filter(r -> r.status() != TableStatus.OK)
              .sorted(
                  Comparator.comparing((TableResult r) -> r.status())
                      .reversed()
                      .thenComparing(TableResult::tableName))
              .toList();
      for (TableResult r : bad) {
        String tableMessage = nullToEmpty(r.message());
        out.printf(
            "    %-8s %s: %s%n",
            r.status(), r.tableName(), tableMessage.equals(message) ? "(as above)" : tableMessage);
        if (r.checksum() != null
            && !r.checksum().listed().isEmpty()
            && tablesWithKeys < TABLES_WITH_KEYS) {
          tablesWithKeys++;
          printKeys(r, out, "      ");
        }
      }
      long heldBack = t.tables().size() - bad.size();
      if (!bad.isEmpty() && heldBack > 0) {
        out.printf(
            "    %d other tables %s%n",
            heldBack, audit ? "match" : "validated, not published with them");
      }
    }
  }

  /** Tenants that are fine, one line each: tables, rows, checksums, where they were read from. */
  private static void printSucceeded(RunResult run, boolean audit, PrintStream out) {
    List<TenantResult> fine =
        run.tenants().stream()
            .filter(t -> t.status() == TableStatus.OK && (audit || t.published()))
            .toList();
    if (fine.isEmpty()) {
      return;
    }
    out.println(audit ? "Match their sources:" : "Published:");
    int width = fine.stream().mapToInt(t -> t.tenantId().length()).max().orElse(8);
    for (TenantResult t : fine) {
      long rows = t.tables().stream().mapToLong(r -> r.counts().targetRows()).sum();
      long checked = t.tables().stream().filter(r -> r.checksum() != null).count();
      long removed =
          t.tables().stream()
              .mapToLong(r -> r.counts().duplicatesRemoved() + r.counts().rejectedRows())
              .sum();
      out.printf(
          "  %-" + width + "s %5d tables %,15d rows  checksums match%s%s%s%n",
          t.tenantId(),
          t.tables().size(),
          rows,
          checked == t.tables().size() ? "" : " (" + checked + " checked)",
          removed == 0 ? "" : "; " + removed + " rows removed or rejected by rules",
          t.source()
              .map(
                  src ->
                      "  ["
                          + src.description()
                          + src.pointInTime().map(at -> " as of " + at).orElse("")
                          + "]")
              .orElse(""));
    }
  }

  /** The full table: one line per tenant table with its counts at every hop (small runs). */
  private static void printTable(RunResult run, boolean audit, PrintStream out) {
    // Rules that remove or reject rows add two columns: source = loaded + duplicates + rejected,
    // visibly.
    boolean accounted =
        run.tenants().stream()
            .flatMap(t -> t.tables().stream())
            .map(TableResult::counts)
            .anyMatch(c -> c.duplicatesRemoved() > 0 || c.rejectedRows() > 0);
    String format =
        "%-16s %-24s %12s %12s %12s " + (accounted ? "%10s %9s " : "%s%s") + "%-14s %10s %-9s %s%n";
    out.printf(
        format,
        "TENANT",
        "TABLE",
        "SOURCE",
        "EXTRACTED",
        audit ? "PUBLISHED" : "LOADED",
        accounted ? "DUPLICATES" : "",
        accounted ? "REJECTED" : "",
        "CHECKSUM",
        "STATUS",
        audit ? "" : "PUBLISHED",
        "MESSAGE");
    for (TenantResult t : run.tenants()) {
      if (t.tables().isEmpty()) {
        out.printf(
            format,
            t.tenantId(),
            "-",
            "-",
            "-",
            "-",
            accounted ? "-" : "",
            accounted ? "-" : "",
            "-",
            t.status(),
            "no",
            nullToEmpty(t.message()));
      }
      for (TableResult r : t.tables()) {
        out.printf(
            format,
            r.tenantId(),
            r.tableName(),
            r.counts().sourceRows(),
            audit ? "-" : r.counts().extractedRows(),
            r.counts().targetRows(),
            accounted ? r.counts().duplicatesRemoved() : "",
            accounted ? r.counts().rejectedRows() : "",
            checksum(r),
            r.status(),
            audit ? "-" : r.published() ? "yes" : "no",
            nullToEmpty(r.message()));
        if (r.checksum() != null) {
          printKeys(r, out, "    ");
        }
      }
      t.source()
          .ifPresent(
              src ->
                  out.printf(
                      "  tenant %s read from %s%s%n",
                      t.tenantId(),
                      src.description(),
                      src.pointInTime().map(at -> " as of " + at).orElse("")));
      if (!t.tables().isEmpty() && t.message() != null && !t.message().isEmpty()) {
        out.printf("  tenant %s: %s%n", t.tenantId(), t.message());
      }
    }
  }

  private static void printKeys(TableResult r, PrintStream out, String indent) {
    List<RowDifference> listed = r.checksum().listed();
    listed.stream()
        .limit(KEYS_SHOWN)
        .forEach(
            d ->
                out.printf(
                    "%s%-20s key %s%s%n",
                    indent,
                    d.kind(),
                    d.key(),
                    d.changedColumns().isEmpty() ? "" : " columns " + d.changedColumns()));
    if (listed.size() > KEYS_SHOWN) {
      out.printf("%s... %d more listed in the report%n", indent, listed.size() - KEYS_SHOWN);
    }
  }

  /** "match" when every bucket agrees, else how many of how many buckets differ. */
  private static String checksum(TableResult r) {
    if (r.checksum() == null) {
      return "-";
    }
    return r.checksum().mismatchedBuckets() == 0
        ? "match"
        : r.checksum().mismatchedBuckets() + "/" + r.checksum().buckets() + " differ";
  }

  private static String nullToEmpty(String s) {
    return s == null ? "" : s;
  }
}
