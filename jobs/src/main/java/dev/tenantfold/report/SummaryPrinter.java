package dev.tenantfold.report;

import java.io.PrintStream;
import dev.tenantfold.validate.TableStatus;

/** The table printed at the end of every run: one line per tenant table, then the verdict. */
public final class SummaryPrinter {
  private static final int KEYS_SHOWN = 5;

  private SummaryPrinter() {}

  public static void print(RunResult run, PrintStream out) {
    boolean audit = "validate".equals(run.command());
    // Rules that remove or reject rows add two columns: source = loaded + duplicates + rejected, visibly.
    boolean accounted = run.tenants().stream().flatMap(t -> t.tables().stream()).anyMatch(r -> r.duplicatesRemoved() > 0 || r.rejectedRows() > 0);
    String format = "%-16s %-24s %12s %12s %12s " + (accounted ? "%10s %9s " : "%s%s") + "%-14s %10s %-9s %s%n";
    out.println();
    out.printf("Tenantfold %s %s: %s (exit code %d)%n", run.command(), run.runId(), run.statusLabel(), run.exitCode());
    run.notes().forEach(n -> out.println("Note: " + n));
    out.printf(format, "TENANT", "TABLE", "SOURCE", "EXTRACTED", audit ? "PUBLISHED" : "LOADED", accounted ? "DUPLICATES" : "",
        accounted ? "REJECTED" : "", "CHECKSUM", "STATUS", audit ? "" : "PUBLISHED", "MESSAGE");
    for (TenantResult t : run.tenants()) {
      if (t.tables().isEmpty()) {
        out.printf(format, t.tenantId(), "-", "-", "-", "-", accounted ? "-" : "", accounted ? "-" : "", "-", t.status(), "no",
            nullToEmpty(t.message()));
      }
      for (TableResult r : t.tables()) {
        out.printf(format, r.tenantId(), r.tableName(), r.sourceRows(), audit ? "-" : r.extractedRows(), r.loadedRows(),
            accounted ? r.duplicatesRemoved() : "", accounted ? r.rejectedRows() : "", checksum(r), r.status(),
            audit ? "-" : r.published() ? "yes" : "no", nullToEmpty(r.message()));
        if (r.checksum() != null) {
          r.checksum().listed().stream().limit(KEYS_SHOWN).forEach(d -> out.printf("    %-20s key %s%s%n", d.kind(), d.key(),
              d.changedColumns().isEmpty() ? "" : " columns " + d.changedColumns()));
          if (r.checksum().listed().size() > KEYS_SHOWN) {
            out.printf("    ... %d more listed in the report%n", r.checksum().listed().size() - KEYS_SHOWN);
          }
        }
      }
      t.source().ifPresent(src -> out.printf("  tenant %s read from %s%s%n", t.tenantId(), src.description(),
          src.pointInTime().map(at -> " as of " + at).orElse("")));
      if (!t.tables().isEmpty() && t.message() != null && !t.message().isEmpty()) {
        out.printf("  tenant %s: %s%n", t.tenantId(), t.message());
      }
    }
    String report = run.reportPath() == null ? "no report file written" : "report: " + run.reportPath();
    if (audit) {
      long matching = run.tenants().stream().filter(t -> t.status() == TableStatus.OK).count();
      out.printf("%d of %d tenants match their sources; %s%n", matching, run.tenants().size(), report);
      return;
    }
    long publishedTenants = run.tenants().stream().filter(TenantResult::published).count();
    out.printf("%d of %d tenants published, %d rows; %s%n", publishedTenants, run.tenants().size(), run.publishedRows(), report);
  }

  /** "match" when every bucket agrees, else how many of how many buckets differ. */
  private static String checksum(TableResult r) {
    if (r.checksum() == null) {
      return "-";
    }
    return r.checksum().mismatchedBuckets() == 0 ? "match" : r.checksum().mismatchedBuckets() + "/" + r.checksum().buckets() + " differ";
  }

  private static String nullToEmpty(String s) {
    return s == null ? "" : s;
  }
}
