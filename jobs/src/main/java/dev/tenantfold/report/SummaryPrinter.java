package dev.tenantfold.report;

import java.io.PrintStream;

/** The table printed at the end of every run: one line per tenant table, then the verdict. */
public final class SummaryPrinter {
  private SummaryPrinter() {}

  public static void print(RunResult run, PrintStream out) {
    String format = "%-16s %-24s %12s %12s %12s %10s %-9s %s%n";
    out.println();
    out.printf("Tenantfold run %s: %s (exit code %d)%n", run.runId(), run.statusLabel(), run.exitCode());
    out.printf(format, "TENANT", "TABLE", "SOURCE", "EXTRACTED", "LOADED", "STATUS", "PUBLISHED", "MESSAGE");
    for (TenantResult t : run.tenants()) {
      if (t.tables().isEmpty()) {
        out.printf(format, t.tenantId(), "-", "-", "-", "-", t.status(), "no", nullToEmpty(t.message()));
      }
      for (TableResult r : t.tables()) {
        out.printf(format, r.tenantId(), r.tableName(), r.sourceRows(), r.extractedRows(), r.loadedRows(), r.status(), r.published() ? "yes" : "no",
            nullToEmpty(r.message()));
      }
      if (!t.tables().isEmpty() && t.message() != null && !t.message().isEmpty()) {
        out.printf("  tenant %s: %s%n", t.tenantId(), t.message());
      }
    }
    long publishedTenants = run.tenants().stream().filter(TenantResult::published).count();
    out.printf("%d of %d tenants published, %d rows; %s%n", publishedTenants, run.tenants().size(), run.publishedRows(),
        run.reportPath() == null ? "no report file written" : "report: " + run.reportPath());
  }

  private static String nullToEmpty(String s) {
    return s == null ? "" : s;
  }
}
