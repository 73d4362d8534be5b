package dev.tenantfold.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tenantfold.validate.TableStatus;
import dev.tenantfold.validate.checksum.RowDifference;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * report.html: one self-contained file per run (inline CSS, JS and SVG; nothing fetched), readable
 * by someone who did not run it. Verdict first (what needs attention, then what succeeded), then
 * the tenant-by-table grid, rows per tenant and stage timeline as drawn charts, the differing keys
 * with their changed columns, and what changed since the previous run of the same tenants.
 *
 * <p>Plain Java text, every value escaped ({@link #esc}). What a reader needs at once (verdict,
 * problems, keys, charts) is rendered here; the grid and the list of every table are drawn in the
 * browser from embedded JSON, so 50 tenants x 200 tables stay a small file with filtering.
 */
public final class HtmlReport {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final DateTimeFormatter WHEN =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'", Locale.ROOT)
          .withZone(ZoneOffset.UTC);

  /**
   * Problems listed in the header before "and N more": the grid and the table list show all of
   * them.
   */
  static final int ATTENTION_SHOWN = 50;

  /** Problem tables whose keys are shown in full; the rest are in the table list. */
  static final int DIFFERENCES_SHOWN = 100;

  /** Tables with changed row counts listed in the comparison; totals cover all. */
  static final int CHANGES_SHOWN = 100;

  private static final String[] STAGE_COLOURS = {
    "#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#ff9da7", "#9c755f",
    "#bab0ac", "#e15759"
  };

  private HtmlReport() {}

  /**
   * @param status the run's status as recorded ({@code succeeded}, {@code failed}, {@code running},
   *     ...)
   * @param previous the previous run of the same command covering any of these tenants, for the
   *     comparison
   */
  public static String render(RunResult run, String status, Optional<RunResult> previous) {
    return render(run, status, previous, CatchUpReport.none());
  }

  /**
   * As {@link #render(RunResult, String, Optional)}, with a section on the catch-up and cutovers
   * that followed the run's base copy, when there were any.
   */
  public static String render(
      RunResult run, String status, Optional<RunResult> previous, CatchUpReport catchUp) {
    StringBuilder h = new StringBuilder(64 * 1024);
    h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
        .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
        .append("<link rel=\"icon\" href=\"data:,\">")
        .append("<title>Tenantfold ")
        .append(esc(run.command()))
        .append(' ')
        .append(esc(run.runId()))
        .append(": ")
        .append(esc(status))
        .append("</title>")
        .append("<style>")
        .append(CSS)
        .append("</style></head><body>\n");
    header(h, run, status);
    grid(h, run);
    rowsChart(h, run);
    timeline(h, run);
    differences(h, run);
    catchUp(h, catchUp);
    comparison(h, run, previous);
    tableList(h);
    h.append(
            "<footer>Tenantfold report, schema of the report tables: docs/report-schema.md."
                + " Generated ")
        .append(esc(WHEN.format(run.finishedAt())))
        .append(".</footer>\n");
    h.append("<script type=\"application/json\" id=\"data\">")
        .append(scriptSafe(data(run)))
        .append("</script>\n");
    h.append("<script>").append(JS).append("</script>\n</body></html>\n");
    return h.toString();
  }

  // ---- header: verdict, attention, success, when ----

  private static void header(StringBuilder h, RunResult run, String status) {
    List<TenantResult> attention =
        run.tenants().stream()
            .filter(t -> t.status() != TableStatus.OK || (!audit(run) && !t.published()))
            .toList();
    List<TenantResult> fine = run.tenants().stream().filter(t -> !attention.contains(t)).toList();
    String cls =
        switch (run.status()) {
          case OK -> attention.isEmpty() ? "ok" : "failed";
          case MISMATCH -> "mismatch";
          case UNKNOWN, FAILED -> "failed";
        };
    h.append("<header class=\"verdict ")
        .append(cls)
        .append("\" id=\"verdict\"><h1>")
        .append(esc(headline(run, status, attention.size())))
        .append("</h1>\n<p class=\"meta\">tenantfold ")
        .append(esc(run.command()))
        .append(" <code>")
        .append(esc(run.runId()))
        .append("</code> &middot; started ")
        .append(esc(WHEN.format(run.startedAt())))
        .append(" &middot; took ")
        .append(esc(duration(Duration.between(run.startedAt(), run.finishedAt()))))
        .append(" &middot; exit code ")
        .append(run.exitCode())
        .append(" &middot; status ")
        .append(esc(status))
        .append("</p>\n");
    long tables = run.tenants().stream().mapToLong(t -> t.tables().size()).sum();
    long problemTables =
        run.tenants().stream()
            .flatMap(t -> t.tables().stream())
            .filter(t -> t.status() != TableStatus.OK)
            .count();
    h.append("<ul class=\"counts\" id=\"counts\">")
        .append(count("tenants", run.tenants().size()))
        .append(
            count(
                audit(run) ? "matching" : "published",
                audit(run)
                    ? run.tenants().stream().filter(t -> t.status() == TableStatus.OK).count()
                    : run.tenants().stream().filter(TenantResult::published).count()))
        .append(count("tables", tables))
        .append(
            count(
                problemTables == 1 ? "table needs attention" : "tables need attention",
                problemTables))
        .append(
            count(
                audit(run) ? "rows audited" : "rows published",
                audit(run)
                    ? run.tenants().stream()
                        .flatMap(t -> t.tables().stream())
                        .mapToLong(r -> r.counts().targetRows())
                        .sum()
                    : run.publishedRows()))
        .append("</ul>\n");
    h.append("<section id=\"attention\"><h2>Needs attention</h2>");
    if (attention.isEmpty()) {
      h.append("<p class=\"none\">Nothing: every tenant ")
          .append(audit(run) ? "matches its source" : "was published and validated")
          .append(".</p>");
    } else {
      h.append("<ul class=\"problems\">");
      int shown = 0;
      for (TenantResult t : attention) {
        for (String line : problems(run, t)) {
          if (shown++ < ATTENTION_SHOWN) {
            h.append("<li>").append(line).append("</li>");
          }
        }
      }
      if (shown > ATTENTION_SHOWN) {
        h.append("<li class=\"more\">... and ")
            .append(shown - ATTENTION_SHOWN)
            .append(" more: see the grid and the list of every table below</li>");
      }
      h.append("</ul>");
    }
    h.append("</section>\n<section id=\"succeeded\"><h2>Succeeded</h2>");
    if (fine.isEmpty()) {
      h.append("<p class=\"none\">No tenant succeeded.</p>");
    } else {
      long rows =
          fine.stream()
              .flatMap(t -> t.tables().stream())
              .mapToLong(r -> r.counts().targetRows())
              .sum();
      h.append("<p>")
          .append(fine.size())
          .append(fine.size() == 1 ? " tenant " : " tenants ")
          .append(audit(run) ? "match their sources" : "published")
          .append(" (")
          .append(
              String.format(
                  Locale.ROOT, "%,d", fine.stream().mapToLong(t -> t.tables().size()).sum()))
          .append(" tables, ")
          .append(String.format(Locale.ROOT, "%,d", rows))
          .append(" rows): ");
      h.append(
          esc(
              String.join(
                  ", ",
                  fine.stream().limit(ATTENTION_SHOWN).map(TenantResult::tenantId).toList())));
      if (fine.size() > ATTENTION_SHOWN) {
        h.append(", ... and ").append(fine.size() - ATTENTION_SHOWN).append(" more");
      }
      h.append(".</p>");
    }
    if (!run.notes().isEmpty()) {
      h.append("<ul class=\"notes\">");
      for (String n : run.notes()) {
        List<String> items = run.noteItems(n);
        if (items.isEmpty()) {
          h.append("<li>").append(esc(n)).append("</li>");
          continue;
        }
        // The line, and the full list under it, collapsed.
        h.append("<li><details><summary>").append(esc(n)).append("</summary><ul>");
        items.forEach(i -> h.append("<li>").append(esc(i)).append("</li>"));
        h.append("</ul></details></li>");
      }
      h.append("</ul>");
    }
    h.append("</section></header>\n");
  }

  private static String headline(RunResult run, String status, int attention) {
    String what = audit(run) ? "Validation" : "Run";
    int n = run.tenants().size();
    return switch (status) {
      case "running" -> what + " still running (or its driver died): " + n + " tenants so far";
      case "abandoned" -> what + " abandoned: its driver stopped before the end";
      default ->
          switch (run.status()) {
            case OK ->
                attention == 0
                    ? (audit(run)
                        ? "All " + n + " tenants match their sources"
                        : "All " + n + " tenants published and validated")
                    : what + " failed: " + attention + " of " + n + " tenants not published";
            case MISMATCH ->
                (audit(run) ? "Differences found: " : "Validation failed: ")
                    + attention
                    + " of "
                    + n
                    + " tenants need attention";
            case UNKNOWN ->
                "Outcome unknown: the target could not say whether some tenants published ("
                    + attention
                    + " of "
                    + n
                    + " tenants need attention)";
            case FAILED -> what + " failed: " + attention + " of " + n + " tenants need attention";
          };
    };
  }

  /** One line per problem of the tenant, as HTML. */
  private static List<String> problems(RunResult run, TenantResult t) {
    List<String> out = new ArrayList<>();
    String tenant = "<b>" + esc(t.tenantId()) + "</b>";
    if (t.message() != null && !t.message().isEmpty()) {
      out.add(
          badge(t.outcomeUnknown() ? TableStatus.UNKNOWN : TableStatus.FAILED)
              + tenant
              + ": "
              + esc(t.message()));
    }
    for (TableResult r : t.tables()) {
      if (r.status() != TableStatus.OK) {
        out.add(
            badge(r.status())
                + tenant
                + " / <a href=\"#d-"
                + esc(anchor(t.tenantId(), r.tableName()))
                + "\">"
                + esc(r.tableName())
                + "</a>: "
                + esc(r.message()));
      }
    }
    if (out.isEmpty() && !audit(run) && !t.published()) {
      out.add(badge(TableStatus.FAILED) + tenant + ": not published");
    }
    return out;
  }

  // ---- grid (drawn by the script from the embedded data) ----

  private static void grid(StringBuilder h, RunResult run) {
    h.append("<section id=\"grid-section\"><h2>Tenants &times; tables</h2>")
        .append(
            "<div class=\"controls\"><label>Filter <input id=\"filter\" type=\"search\""
                + " placeholder=\"tenant or table name\"></label>")
        .append(
            " <label><input id=\"problems-only\" type=\"checkbox\"> only what needs"
                + " attention</label>")
        .append(" <span class=\"legend\">")
        .append(badge(TableStatus.OK))
        .append("OK ")
        .append(badge(TableStatus.MISMATCH))
        .append("mismatch ")
        .append(badge(TableStatus.FAILED))
        .append("failed <span class=\"badge none\"></span>not in this tenant</span></div>")
        .append("<div class=\"scroll\"><table id=\"grid\" class=\"grid\"></table></div>")
        .append("<p class=\"hint\" id=\"grid-hint\"></p></section>\n");
  }

  // ---- charts ----

  private static void rowsChart(StringBuilder h, RunResult run) {
    List<TenantResult> tenants = run.tenants();
    long max = Math.max(1, tenants.stream().mapToLong(HtmlReport::rows).max().orElse(1));
    int bar = 16;
    int label = 150;
    int width = 760;
    int height = tenants.size() * (bar + 4) + 24;
    h.append("<section id=\"rows\"><h2>Rows per tenant</h2><p class=\"hint\">")
        .append(audit(run) ? "Rows audited" : "Rows loaded")
        .append(" per tenant, all tables; the colour is the tenant's verdict.</p>")
        .append("<svg class=\"chart\" role=\"img\" aria-label=\"rows per tenant\" width=\"")
        .append(width)
        .append("\" height=\"")
        .append(height)
        .append("\" viewBox=\"0 0 ")
        .append(width)
        .append(' ')
        .append(height)
        .append("\">");
    int y = 4;
    for (TenantResult t : tenants) {
      long rows = rows(t);
      double w = (width - label - 110) * (double) rows / max;
      h.append("<g><title>")
          .append(esc(t.tenantId()))
          .append(": ")
          .append(String.format(Locale.ROOT, "%,d", rows))
          .append(" rows, ")
          .append(t.status())
          .append("</title><text x=\"")
          .append(label - 6)
          .append("\" y=\"")
          .append(y + bar - 4)
          .append("\" text-anchor=\"end\">")
          .append(esc(shorten(t.tenantId(), 22)))
          .append("</text><rect class=\"")
          .append(t.status().name())
          .append("\" x=\"")
          .append(label)
          .append("\" y=\"")
          .append(y)
          .append("\" width=\"")
          .append(String.format(Locale.ROOT, "%.1f", Math.max(w, 1)))
          .append("\" height=\"")
          .append(bar)
          .append("\"/><text x=\"")
          .append(String.format(Locale.ROOT, "%.1f", label + Math.max(w, 1) + 4))
          .append("\" y=\"")
          .append(y + bar - 4)
          .append("\">")
          .append(String.format(Locale.ROOT, "%,d", rows))
          .append("</text></g>");
      y += bar + 4;
    }
    h.append("</svg></section>\n");
  }

  private static long rows(TenantResult t) {
    return t.tables().stream().mapToLong(r -> r.counts().targetRows()).sum();
  }

  private static void timeline(StringBuilder h, RunResult run) {
    List<TenantResult> tenants = run.tenants();
    h.append("<section id=\"timeline\"><h2>Stage timeline</h2>");
    if (tenants.stream().allMatch(t -> t.stageMillis().isEmpty())) {
      h.append("<p class=\"none\">No stage timings recorded for this run (")
          .append(
              audit(run)
                  ? "validate records the tenant's total only"
                  : "recorded from schema version 2 on")
          .append(").</p>");
      if (tenants.stream().anyMatch(t -> t.millis() > 0)) {
        h.append("<table class=\"list\"><tr><th>tenant</th><th>time</th></tr>");
        tenants.forEach(
            t ->
                h.append("<tr><td>")
                    .append(esc(t.tenantId()))
                    .append("</td><td class=\"num\">")
                    .append(esc(duration(Duration.ofMillis(t.millis()))))
                    .append("</td></tr>"));
        h.append("</table>");
      }
      h.append("</section>\n");
      return;
    }
    List<String> stages = new ArrayList<>();
    tenants.forEach(
        t ->
            t.stageMillis()
                .keySet()
                .forEach(
                    s -> {
                      if (!stages.contains(s)) {
                        stages.add(s);
                      }
                    }));
    long max =
        Math.max(
            1,
            tenants.stream()
                .mapToLong(
                    t ->
                        Math.max(
                            t.millis(),
                            t.stageMillis().values().stream().mapToLong(Long::longValue).sum()))
                .max()
                .orElse(1));
    int bar = 16;
    int label = 150;
    int width = 760;
    int plot = width - label - 20;
    int height = tenants.size() * (bar + 4) + 44;
    h.append(
            "<p class=\"hint\">Each tenant's stages in order, from the tenant's start (tenants run"
                + " in parallel, up to ")
        .append("<code>extract.tenant-parallelism</code> at once).</p><p class=\"legend\">");
    for (int i = 0; i < stages.size(); i++) {
      h.append("<span class=\"swatch\" style=\"background:")
          .append(STAGE_COLOURS[i % STAGE_COLOURS.length])
          .append("\"></span>")
          .append(esc(stages.get(i)))
          .append(' ');
    }
    h.append("</p><svg class=\"chart\" role=\"img\" aria-label=\"stage timeline\" width=\"")
        .append(width)
        .append("\" height=\"")
        .append(height)
        .append("\" viewBox=\"0 0 ")
        .append(width)
        .append(' ')
        .append(height)
        .append("\">");
    int y = 4;
    for (TenantResult t : tenants) {
      h.append("<text x=\"")
          .append(label - 6)
          .append("\" y=\"")
          .append(y + bar - 4)
          .append("\" text-anchor=\"end\">")
          .append(esc(shorten(t.tenantId(), 22)))
          .append("</text>");
      double x = label;
      for (Map.Entry<String, Long> s : t.stageMillis().entrySet()) {
        double w = plot * (double) s.getValue() / max;
        h.append("<rect x=\"")
            .append(String.format(Locale.ROOT, "%.1f", x))
            .append("\" y=\"")
            .append(y)
            .append("\" width=\"")
            .append(String.format(Locale.ROOT, "%.1f", w))
            .append("\" height=\"")
            .append(bar)
            .append("\" fill=\"")
            .append(STAGE_COLOURS[stages.indexOf(s.getKey()) % STAGE_COLOURS.length])
            .append("\"><title>")
            .append(esc(t.tenantId()))
            .append(' ')
            .append(esc(s.getKey()))
            .append(": ")
            .append(esc(duration(Duration.ofMillis(s.getValue()))))
            .append("</title></rect>");
        x += w;
      }
      y += bar + 4;
    }
    // Axis: five ticks over the longest tenant.
    for (int i = 0; i <= 4; i++) {
      double x = label + plot * i / 4.0;
      h.append("<line x1=\"")
          .append(String.format(Locale.ROOT, "%.1f", x))
          .append("\" x2=\"")
          .append(String.format(Locale.ROOT, "%.1f", x))
          .append("\" y1=\"0\" y2=\"")
          .append(y)
          .append("\" class=\"tick\"/><text x=\"")
          .append(String.format(Locale.ROOT, "%.1f", x))
          .append("\" y=\"")
          .append(y + 16)
          .append("\" text-anchor=\"middle\">")
          .append(esc(duration(Duration.ofMillis(max * i / 4))))
          .append("</text>");
    }
    h.append("</svg></section>\n");
  }

  // ---- checksum verdicts and keys ----

  private static void differences(StringBuilder h, RunResult run) {
    List<TableResult> problems =
        run.tenants().stream()
            .flatMap(t -> t.tables().stream())
            .filter(t -> t.status() != TableStatus.OK)
            .toList();
    h.append("<section id=\"differences\"><h2>Checksums and differing keys</h2>");
    long checked =
        run.tenants().stream()
            .flatMap(t -> t.tables().stream())
            .filter(t -> t.checksum() != null)
            .count();
    long matching =
        run.tenants().stream()
            .flatMap(t -> t.tables().stream())
            .filter(t -> t.checksum() != null && t.checksum().mismatchedBuckets() == 0)
            .count();
    h.append("<p>")
        .append(matching)
        .append(" of ")
        .append(checked)
        .append(" checksummed tables match their source.</p>");
    int shown = 0;
    for (TableResult r : problems) {
      if (shown++ >= DIFFERENCES_SHOWN) {
        h.append("<p class=\"more\">... and ")
            .append(problems.size() - DIFFERENCES_SHOWN)
            .append(" more tables: see the list of every table below.</p>");
        break;
      }
      h.append("<details open class=\"diff\" id=\"d-")
          .append(esc(anchor(r.tenantId(), r.tableName())))
          .append("\"><summary>")
          .append(badge(r.status()))
          .append("<b>")
          .append(esc(r.tenantId()))
          .append("</b> / <b>")
          .append(esc(r.tableName()))
          .append("</b> ")
          .append(esc(r.message()))
          .append("</summary>");
      h.append("<p class=\"counts-line\">source ")
          .append(String.format(Locale.ROOT, "%,d", r.counts().sourceRows()))
          .append(" rows, ")
          .append(audit(run) ? "published " : "loaded ")
          .append(String.format(Locale.ROOT, "%,d", r.counts().targetRows()))
          .append(" rows");
      if (r.checksum() != null) {
        var c = r.checksum();
        h.append("; checksum ")
            .append(
                c.mismatchedBuckets() == 0
                    ? "matches"
                    : c.mismatchedBuckets() + " of " + c.buckets() + " buckets differ")
            .append(" (source <code>")
            .append(esc(c.sourceDigest()))
            .append("</code>, target <code>")
            .append(esc(c.targetDigest()))
            .append("</code>)");
        String kinds =
            String.join(
                ", ",
                c.differenceCounts().entrySet().stream()
                    .filter(e -> e.getValue() > 0)
                    .map(e -> e.getValue() + " " + e.getKey().name())
                    .toList());
        if (!kinds.isEmpty()) {
          h.append("; ").append(esc(kinds));
        }
      }
      h.append("</p>");
      if (r.checksum() != null && !r.checksum().listed().isEmpty()) {
        h.append(
            "<table class=\"list keys\"><tr><th>difference</th><th>key</th><th>changed"
                + " columns</th><th>source rows</th><th>target rows</th></tr>");
        for (RowDifference d : r.checksum().listed()) {
          h.append("<tr><td>")
              .append(esc(d.kind().name()))
              .append("</td><td><code class=\"key\">")
              .append(esc(d.key()))
              .append("</code></td><td>")
              .append(esc(String.join(", ", d.changedColumns())))
              .append("</td><td class=\"num\">")
              .append(d.sourceRows())
              .append("</td><td class=\"num\">")
              .append(d.targetRows())
              .append("</td></tr>");
        }
        h.append("</table>");
        long differing =
            r.checksum().differenceCounts().values().stream().mapToLong(Long::longValue).sum();
        if (differing > r.checksum().listed().size()) {
          h.append("<p class=\"hint\">")
              .append(r.checksum().listed().size())
              .append(" of ")
              .append(differing)
              .append(" differing keys listed (")
              .append(dev.tenantfold.config.ValidateConfig.MAX_LISTED_KEYS.path())
              .append(").</p>");
        }
      }
      h.append("</details>");
    }
    h.append("</section>\n");
  }

  // ---- comparison with the previous run ----

  private static void comparison(StringBuilder h, RunResult run, Optional<RunResult> previous) {
    h.append("<section id=\"comparison\"><h2>Compared with the previous run</h2>");
    if (previous.isEmpty()) {
      h.append("<p class=\"none\">No earlier ")
          .append(esc(run.command()))
          .append(" of these tenants in the report tables.</p></section>\n");
      return;
    }
    RunResult prev = previous.get();
    Map<String, Long> before = new LinkedHashMap<>();
    prev.tenants()
        .forEach(
            t ->
                t.tables()
                    .forEach(
                        r ->
                            before.put(
                                t.tenantId() + "\u0000" + r.tableName(), r.counts().targetRows())));
    Map<String, long[]> perTable = new TreeMap<>();
    List<String[]> changed = new ArrayList<>();
    for (TenantResult t : run.tenants()) {
      for (TableResult r : t.tables()) {
        Long was = before.get(t.tenantId() + "\u0000" + r.tableName());
        long old = was == null ? 0 : was;
        long rows = r.counts().targetRows();
        long delta = rows - old;
        long[] sums = perTable.computeIfAbsent(r.tableName(), k -> new long[3]);
        sums[0] += old;
        sums[1] += rows;
        sums[2] += delta;
        if (delta != 0 || was == null) {
          changed.add(
              new String[] {
                t.tenantId(),
                r.tableName(),
                was == null ? "new" : String.format(Locale.ROOT, "%,d", old),
                String.format(Locale.ROOT, "%,d", rows),
                String.format(Locale.ROOT, "%+,d", delta)
              });
        }
      }
    }
    h.append("<p>Previous ")
        .append(esc(prev.command()))
        .append(" <code>")
        .append(esc(prev.runId()))
        .append("</code> started ")
        .append(esc(WHEN.format(prev.startedAt())))
        .append(": ")
        .append(esc(prev.statusLabel()))
        .append(". Rows ")
        .append(audit(run) ? "audited" : "loaded")
        .append(" per table, summed over the tenants of this run.</p>");
    h.append(
        "<table class=\"list\""
            + " id=\"changes\"><tr><th>table</th><th>before</th><th>now</th><th>added /"
            + " removed</th></tr>");
    perTable.forEach(
        (table, s) ->
            h.append("<tr><td>")
                .append(esc(table))
                .append("</td><td class=\"num\">")
                .append(String.format(Locale.ROOT, "%,d", s[0]))
                .append("</td><td class=\"num\">")
                .append(String.format(Locale.ROOT, "%,d", s[1]))
                .append("</td><td class=\"num ")
                .append(s[2] < 0 ? "neg" : "")
                .append("\">")
                .append(String.format(Locale.ROOT, "%+,d", s[2]))
                .append("</td></tr>"));
    h.append("</table>");
    if (!changed.isEmpty()) {
      h.append("<details><summary>")
          .append(changed.size())
          .append(
              " tenant tables changed</summary><table"
                  + " class=\"list\"><tr><th>tenant</th><th>table</th>")
          .append("<th>before</th><th>now</th><th>added / removed</th></tr>");
      changed.stream()
          .limit(CHANGES_SHOWN)
          .forEach(
              c ->
                  h.append("<tr><td>")
                      .append(esc(c[0]))
                      .append("</td><td>")
                      .append(esc(c[1]))
                      .append("</td><td class=\"num\">")
                      .append(esc(c[2]))
                      .append("</td><td class=\"num\">")
                      .append(esc(c[3]))
                      .append("</td><td class=\"num\">")
                      .append(esc(c[4]))
                      .append("</td></tr>"));
      h.append("</table>");
      if (changed.size() > CHANGES_SHOWN) {
        h.append("<p class=\"more\">... and ")
            .append(changed.size() - CHANGES_SHOWN)
            .append(" more.</p>");
      }
      h.append("</details>");
    }
    h.append("</section>\n");
  }

  // ---- catch-up and cutover ----

  /** Passes shown in each tenant's table (the sparkline draws every pass listed). */
  static final int PASSES_SHOWN = 20;

  private static void catchUp(StringBuilder h, CatchUpReport catchUp) {
    if (catchUp.isEmpty()) {
      return;
    }
    h.append("<section id=\"catch-up\"><h2>Catch-up and cutover</h2>");
    for (CatchUpReport.Tenant c : catchUp.tenants().values()) {
      h.append("<details class=\"diff\" open><summary><b>")
          .append(esc(c.tenantId()))
          .append("</b>: ");
      Optional<CatchUpReport.Cutover> last = c.lastCutover();
      if (last.isPresent()) {
        CatchUpReport.Cutover v = last.get();
        h.append(cutoverBadge(v.verdict()))
            .append(esc(verdictText(v.verdict())))
            .append(", freeze window ")
            .append(esc(duration(Duration.ofMillis(v.freezeMillis()))));
      } else {
        h.append(c.state().map(st -> esc(st.status())).orElse("catching up"));
      }
      CatchUpReport.Applied total = c.total();
      h.append(" · ")
          .append(
              esc(
                  String.format(
                      Locale.ROOT,
                      "%,d inserts, %,d updates, %,d deletes, %,d truncates applied",
                      total.inserts(),
                      total.updates(),
                      total.deletes(),
                      total.truncates())))
          .append("</summary>");
      c.state()
          .ifPresent(
              st ->
                  h.append("<p class=\"meta\">Slot <code>")
                      .append(esc(st.slot()))
                      .append("</code>, publication <code>")
                      .append(esc(st.publication()))
                      .append("</code>: ")
                      .append(esc(st.status()))
                      .append("; applied from <code>")
                      .append(esc(st.startLsn()))
                      .append("</code> to <code>")
                      .append(esc(st.appliedLsn()))
                      .append("</code>, ")
                      .append(String.format(Locale.ROOT, "%,d", st.appliedChanges()))
                      .append(" changes")
                      .append(
                          st.cutOverAt().map(at -> "; cut over " + esc(WHEN.format(at))).orElse(""))
                      .append(".</p>"));
      lagOverTime(h, c);
      appliedTable(h, c);
      sharedDeletes(h, c);
      for (CatchUpReport.Cutover v : c.cutovers()) {
        cutover(h, v);
      }
      h.append("</details>");
    }
    h.append("</section>\n");
  }

  private static String cutoverBadge(String verdict) {
    String status =
        switch (verdict) {
          case "CUT_OVER" -> "OK";
          case "MISMATCH" -> "MISMATCH";
          default -> "FAILED";
        };
    return "<span class=\"badge " + status + "\" title=\"" + esc(verdict) + "\"></span>";
  }

  private static String verdictText(String verdict) {
    return switch (verdict) {
      case "CUT_OVER" -> "cut over";
      case "MISMATCH" -> "mismatch";
      default -> "cutover failed";
    };
  }

  /** The lag each pass left, as an inline SVG line (no script) and a table of the latest passes. */
  private static void lagOverTime(StringBuilder h, CatchUpReport.Tenant c) {
    List<CatchUpReport.Pass> passes = c.passes();
    if (passes.isEmpty()) {
      h.append("<p class=\"none\">No catch-up pass recorded yet.</p>");
      return;
    }
    List<CatchUpReport.Pass> lagged = passes.stream().filter(p -> p.lag().isPresent()).toList();
    h.append("<h3>Lag over time</h3>");
    if (lagged.size() > 1) {
      int width = 360;
      int height = 48;
      long max =
          Math.max(1, lagged.stream().mapToLong(p -> p.lag().get().toMillis()).max().orElse(1));
      StringBuilder points = new StringBuilder();
      for (int i = 0; i < lagged.size(); i++) {
        double x = 2 + (width - 4) * i / (double) (lagged.size() - 1);
        double y = height - 2 - (height - 4) * lagged.get(i).lag().get().toMillis() / (double) max;
        points.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
      }
      h.append("<svg class=\"spark\" width=\"")
          .append(width)
          .append("\" height=\"")
          .append(height)
          .append("\" role=\"img\" aria-label=\"lag after each pass, up to ")
          .append(esc(duration(Duration.ofMillis(max))))
          .append("\"><polyline fill=\"none\" stroke=\"#1565c0\" stroke-width=\"1.5\" points=\"")
          .append(points.toString().trim())
          .append("\"/></svg> <span class=\"hint\">lag after each of ")
          .append(lagged.size())
          .append(" passes, 0 to ")
          .append(esc(duration(Duration.ofMillis(max))))
          .append("</span>");
    }
    if (c.passCount() > passes.size()) {
      h.append("<p class=\"more\">The latest ")
          .append(passes.size())
          .append(" of ")
          .append(c.passCount())
          .append(" passes.</p>");
    }
    h.append(
        "<table class=\"list lag\"><tr><th>pass</th><th>command</th><th>finished</th><th>to"
            + " LSN</th><th>transactions</th><th>changes</th><th>lag bytes</th><th>lag</th>"
            + "<th>status</th></tr>");
    for (CatchUpReport.Pass p :
        passes.subList(Math.max(0, passes.size() - PASSES_SHOWN), passes.size())) {
      h.append("<tr><td class=\"num\">")
          .append(p.passId())
          .append("</td><td>")
          .append(esc(p.command()))
          .append("</td><td>")
          .append(p.finishedAt().map(at -> esc(WHEN.format(at))).orElse(""))
          .append("</td><td><code>")
          .append(esc(p.toLsn()))
          .append("</code></td><td class=\"num\">")
          .append(String.format(Locale.ROOT, "%,d", p.transactions()))
          .append("</td><td class=\"num\">")
          .append(String.format(Locale.ROOT, "%,d", p.changes()))
          .append("</td><td class=\"num\">")
          .append(
              p.lagBytes().isPresent()
                  ? String.format(Locale.ROOT, "%,d", p.lagBytes().getAsLong())
                  : "unknown")
          .append("</td><td class=\"num\">")
          .append(p.lag().map(d -> esc(duration(d))).orElse("unknown"))
          .append("</td><td>")
          .append(esc(p.status()))
          .append(p.message().isEmpty() ? "" : ": " + esc(shorten(p.message(), 300)))
          .append("</td></tr>");
    }
    h.append("</table>");
  }

  private static void appliedTable(StringBuilder h, CatchUpReport.Tenant c) {
    if (c.applied().isEmpty()) {
      return;
    }
    h.append(
        "<h3>Changes applied per table</h3><table class=\"list applied\"><tr><th>table</th>"
            + "<th>inserts</th><th>updates</th><th>deletes</th><th>truncates</th><th>skipped</th>"
            + "</tr>");
    List<CatchUpReport.Applied> rows = new ArrayList<>(c.applied());
    rows.add(c.total());
    for (CatchUpReport.Applied a : rows) {
      h.append("<tr><td>")
          .append(a.table().equals("*") ? "<b>all tables</b>" : esc(a.table()))
          .append("</td>");
      for (long n :
          new long[] {a.inserts(), a.updates(), a.deletes(), a.truncates(), a.skipped()}) {
        h.append("<td class=\"num\">").append(String.format(Locale.ROOT, "%,d", n)).append("</td>");
      }
      h.append("</tr>");
    }
    h.append(
        "</table><p class=\"hint\">skipped: changes that found nothing to change or conflicted"
            + " with a restored copy's later state (docs/catch-up.md).</p>");
  }

  private static void sharedDeletes(StringBuilder h, CatchUpReport.Tenant c) {
    if (c.sharedDeleteCount() == 0) {
      return;
    }
    h.append("<details><summary>")
        .append(String.format(Locale.ROOT, "%,d", c.sharedDeleteCount()))
        .append(
            " deletes of shared tables not applied (another tenant may hold the row)</summary>"
                + "<table class=\"list shared\"><tr><th>table</th><th>kind</th><th>key</th>"
                + "<th>recorded</th></tr>");
    for (CatchUpReport.SharedDelete d : c.sharedDeletes()) {
      h.append("<tr><td>")
          .append(esc(d.table()))
          .append("</td><td>")
          .append(esc(d.kind()))
          .append("</td><td><code class=\"key\">")
          .append(esc(d.keyJson()))
          .append("</code></td><td>")
          .append(esc(WHEN.format(d.recordedAt())))
          .append("</td></tr>");
    }
    h.append("</table>");
    if (c.sharedDeleteCount() > c.sharedDeletes().size()) {
      h.append("<p class=\"more\">... and ")
          .append(c.sharedDeleteCount() - c.sharedDeletes().size())
          .append(" more.</p>");
    }
    h.append("</details>");
  }

  private static void cutover(StringBuilder h, CatchUpReport.Cutover v) {
    h.append("<h3>")
        .append(cutoverBadge(v.verdict()))
        .append("Cutover ")
        .append(esc(WHEN.format(v.startedAt())))
        .append(": ")
        .append(esc(verdictText(v.verdict())))
        .append("</h3><p>Freeze window ")
        .append(esc(duration(Duration.ofMillis(v.freezeMillis()))))
        .append(" (")
        .append(esc(WHEN.format(v.startedAt())))
        .append(" to the verdict at ")
        .append(esc(WHEN.format(v.verdictAt())))
        .append(v.frozen() ? ", writers frozen by --freeze" : "")
        .append("); ")
        .append(String.format(Locale.ROOT, "%,d", v.keysChecked()))
        .append(" changed keys checked")
        .append(v.drainPassId().isPresent() ? "; drain: pass " + v.drainPassId().getAsLong() : "")
        .append(".</p>");
    if (!v.message().isEmpty()) {
      h.append("<p class=\"problems\">").append(esc(v.message())).append("</p>");
    }
    if (!v.differences().isEmpty()) {
      h.append("<p>What differs:</p><ul class=\"differences\">");
      v.differences()
          .forEach(d -> h.append("<li><code class=\"key\">").append(esc(d)).append("</code></li>"));
      h.append("</ul>");
    }
    if (!v.sequences().isEmpty()) {
      h.append("<details><summary>")
          .append(v.sequences().size())
          .append(" sequences moved past the source's</summary><ul>");
      v.sequences().forEach(q -> h.append("<li><code>").append(esc(q)).append("</code></li>"));
      h.append("</ul></details>");
    }
  }

  private static void tableList(StringBuilder h) {
    h.append(
            "<section id=\"all\"><details id=\"all-details\"><summary><h2>Every"
                + " table</h2></summary>")
        .append(
            "<p class=\"hint\">Follows the filter above.</p><table class=\"list\""
                + " id=\"all-tables\"></table><p class=\"hint\" id=\"all-hint\"></p>")
        .append("</details></section>\n");
  }

  // ---- embedded data for the grid and the table list ----

  /**
   * Compact: tenants, tables, one status letter per cell (O ok, M mismatch, F failed, - absent),
   * and one row per table result.
   */
  static String data(RunResult run) {
    TreeSet<String> tables = new TreeSet<>();
    run.tenants().forEach(t -> t.tables().forEach(r -> tables.add(r.tableName())));
    List<String> tableList = List.copyOf(tables);
    ObjectNode root = JSON.createObjectNode();
    ArrayNode tn = root.putArray("tables");
    tableList.forEach(tn::add);
    ArrayNode tenants = root.putArray("tenants");
    for (TenantResult t : run.tenants()) {
      ObjectNode o = tenants.addObject();
      o.put("id", t.tenantId());
      o.put("status", t.status().name());
      o.put("published", t.published());
      o.put("message", t.message());
      char[] cells = new char[tableList.size()];
      java.util.Arrays.fill(cells, '-');
      ArrayNode rows = o.putArray("rows");
      for (TableResult r : t.tables()) {
        cells[tableList.indexOf(r.tableName())] = r.status().name().charAt(0);
        ArrayNode row = rows.addArray();
        row.add(r.tableName())
            .add(r.status().name())
            .add(r.counts().sourceRows())
            .add(r.counts().targetRows())
            .add(r.published())
            .add(
                r.checksum() == null
                    ? "-"
                    : r.checksum().mismatchedBuckets() == 0
                        ? "match"
                        : r.checksum().mismatchedBuckets() + "/" + r.checksum().buckets())
            .add(r.message());
      }
      o.put("cells", new String(cells));
    }
    root.put("audit", audit(run));
    return root.toString();
  }

  // ---- helpers ----

  private static boolean audit(RunResult run) {
    return "validate".equals(run.command());
  }

  private static String count(String what, long n) {
    return "<li><span class=\"n\">"
        + String.format(Locale.ROOT, "%,d", n)
        + "</span> "
        + esc(what)
        + "</li>";
  }

  private static String badge(TableStatus status) {
    return "<span class=\"badge " + status.name() + "\" title=\"" + status.name() + "\"></span>";
  }

  private static String anchor(String tenant, String table) {
    return tenant + "." + table;
  }

  private static String shorten(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max - 1) + "…";
  }

  static String duration(Duration d) {
    long ms = d.toMillis();
    if (ms < 1000) {
      return ms + " ms";
    }
    if (ms < 60_000) {
      return String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
    }
    long s = ms / 1000;
    return s >= 3600
        ? String.format(Locale.ROOT, "%d h %02d min", s / 3600, s / 60 % 60)
        : String.format(Locale.ROOT, "%d min %02d s", s / 60, s % 60);
  }

  /** HTML text and attribute escaping. */
  static String esc(String s) {
    if (s == null) {
      return "";
    }
    StringBuilder out = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '&' -> out.append("&amp;");
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '"' -> out.append("&quot;");
        case '\'' -> out.append("&#39;");
        default -> out.append(c);
      }
    }
    return out.toString();
  }

  /** JSON inside a script element: no {@code </script>} or {@code <!--} can end or confuse it. */
  static String scriptSafe(String json) {
    return json.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026");
  }

  private static final String CSS =
      """
      :root{--ok:#2e7d32;--mismatch:#e69500;--failed:#c62828;--none:#e0e0e0;--fg:#1b1b1b;--muted:#5f6368}
      *{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);margin:0 auto;max-width:1200px;padding:0 16px 40px}
      h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:24px 0 8px}summary h2{display:inline}code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px}
      .verdict{border-left:8px solid var(--ok);padding:12px 16px;margin:16px 0;background:#f6faf6}.verdict.mismatch{border-color:var(--mismatch);background:#fffaf0}
      .verdict.failed{border-color:var(--failed);background:#fdf5f5}.meta{color:var(--muted);margin:0 0 8px}
      .counts{list-style:none;padding:0;margin:8px 0;display:flex;flex-wrap:wrap;gap:18px}.counts .n{font-size:20px;font-weight:600}
      .problems{padding-left:0;list-style:none}.problems li{margin:3px 0}.more,.hint,.none{color:var(--muted)}
      .badge{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:6px;vertical-align:-1px;background:var(--none)}
      .badge.OK{background:var(--ok)}.badge.MISMATCH{background:var(--mismatch)}.badge.FAILED{background:var(--failed)}.badge.UNKNOWN{background:#6a1b9a}
      .controls{margin:6px 0}.controls input[type=search]{padding:3px 6px;width:220px}.legend{margin-left:16px;color:var(--muted)}
      .swatch{display:inline-block;width:12px;height:12px;margin:0 4px 0 10px;vertical-align:-1px}
      .scroll{overflow:auto;max-height:70vh;border:1px solid #ddd}
      table.grid{border-collapse:collapse;font-size:12px}table.grid th{position:sticky;top:0;background:#fff;font-weight:500}
      table.grid th.t{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap;padding:4px 1px;max-height:140px;overflow:hidden}
      table.grid th.r{position:sticky;left:0;text-align:left;padding:1px 8px 1px 4px;white-space:nowrap;background:#fff;z-index:1}
      table.grid td{width:14px;height:14px;padding:0;border:1px solid #fff}td.O{background:var(--ok)}td.M{background:var(--mismatch)}td.F{background:var(--failed)}
      td.x{background:var(--none)}
      table.list{border-collapse:collapse;margin:6px 0}table.list th,table.list td{border-bottom:1px solid #e5e5e5;padding:3px 10px 3px 0;text-align:left;vertical-align:top}
      td.num{text-align:right;font-variant-numeric:tabular-nums}td.neg{color:var(--failed)}code.key{white-space:pre-wrap;word-break:break-all}
      details.diff{margin:8px 0;padding:6px 10px;border:1px solid #e5e5e5;border-radius:4px}details.diff summary{cursor:pointer}
      .chart text{font-size:11px;fill:var(--fg)}.chart rect.OK{fill:var(--ok)}.chart rect.MISMATCH{fill:var(--mismatch)}.chart rect.FAILED{fill:var(--failed)}
      .chart .tick{stroke:#ddd}h3{font-size:15px;margin:14px 0 6px}svg.spark{background:#fafafa;border:1px solid #eee;vertical-align:middle}footer{margin-top:32px;color:var(--muted);font-size:12px}
      @media print{.controls,.scroll{max-height:none;overflow:visible}}
      """;

  private static final String JS =
      """
      (function(){
        'use strict';
        var data = JSON.parse(document.getElementById('data').textContent);
        var filter = document.getElementById('filter'), only = document.getElementById('problems-only');
        var big = data.tenants.length * data.tables.length > 2000;
        var anyProblem = data.tenants.some(function(t){ return t.status !== 'OK'; });
        if (big && anyProblem) { only.checked = true; }
        function el(tag, cls, text){ var e = document.createElement(tag); if (cls) e.className = cls; if (text != null) e.textContent = text; return e; }
        function matches(name, q){ return !q || name.toLowerCase().indexOf(q) >= 0; }
        function draw(){
          var q = filter.value.trim().toLowerCase(), bad = only.checked;
          var cols = [];
          data.tables.forEach(function(name, i){
            var problem = data.tenants.some(function(t){ var c = t.cells.charAt(i); return c === 'M' || c === 'F'; });
            if (bad && !problem) return;
            cols.push(i);
          });
          var rows = data.tenants.filter(function(t){
            if (bad && t.status === 'OK') return false;
            if (!q) return true;
            return matches(t.id, q) || cols.some(function(i){ return matches(data.tables[i], q) && t.cells.charAt(i) !== '-'; });
          });
          if (q) { cols = cols.filter(function(i){ return matches(data.tables[i], q) || rows.some(function(t){ return matches(t.id, q); }); }); }
          var grid = document.getElementById('grid'); grid.textContent = '';
          var head = el('tr'); head.appendChild(el('th', 'r', 'tenant \\u2193 / table \\u2192'));
          cols.forEach(function(i){ var th = el('th', 't', data.tables[i]); th.title = data.tables[i]; head.appendChild(th); });
          grid.appendChild(head);
          rows.forEach(function(t){
            var tr = el('tr'); var th = el('th', 'r', t.id); th.title = t.id + ': ' + t.status + (t.message ? ' - ' + t.message : ''); tr.appendChild(th);
            cols.forEach(function(i){
              var c = t.cells.charAt(i); var td = el('td', c === '-' ? 'x' : c);
              td.title = t.id + ' / ' + data.tables[i] + ': ' + ({O:'OK', M:'MISMATCH', F:'FAILED', '-':'not in this tenant'})[c];
              tr.appendChild(td);
            });
            grid.appendChild(tr);
          });
          document.getElementById('grid-hint').textContent = rows.length + ' of ' + data.tenants.length + ' tenants, ' + cols.length + ' of '
            + data.tables.length + ' tables shown' + (bad ? ' (only what needs attention)' : '') + '.';
          var list = document.getElementById('all-tables'); list.textContent = '';
          var hdr = el('tr'); ['tenant', 'table', 'status', 'source rows', data.audit ? 'published rows' : 'loaded rows', 'checksum', 'message']
            .forEach(function(h){ hdr.appendChild(el('th', null, h)); });
          list.appendChild(hdr);
          var shown = 0, total = 0, limit = 1000;
          rows.forEach(function(t){ t.rows.forEach(function(r){
            if (bad && r[1] === 'OK') return;
            if (q && !matches(t.id, q) && !matches(r[0], q)) return;
            total++;
            if (shown >= limit) return;
            shown++;
            var tr = el('tr');
            [t.id, r[0], r[1], Number(r[2]).toLocaleString('en'), Number(r[3]).toLocaleString('en'), r[5], r[6]].forEach(function(v, k){
              tr.appendChild(el('td', k === 3 || k === 4 ? 'num' : null, String(v)));
            });
            list.appendChild(tr);
          }); });
          document.getElementById('all-hint').textContent = total > shown ? shown + ' of ' + total + ' tables listed: narrow the filter.' : total + ' tables.';
        }
        filter.addEventListener('input', draw); only.addEventListener('change', draw);
        draw();
        document.documentElement.setAttribute('data-rendered', 'true');
      })();
      """;
}
