package dev.tenantfold.validate;

import dev.tenantfold.jdbc.Sql;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Refuses to replace a tenant's published data with less unless the run says so: a table the tenant
 * published rows of that its source no longer has, a source with no tables at all, or a table that
 * would go from rows to none. A typo in {@code schemas} or a URL pointing at an empty database (a
 * failed restore) then fails the tenant instead of wiping it. Pure: the caller supplies what was
 * published and what the source holds now.
 */
public final class ShrinkGuard {
  private final String tenantId;
  private final Map<String, Published> published;
  private final boolean allowed;
  private final double maxShrink;

  /** The documented default of {@code publish.max-shrink}: half of a table's published rows. */
  public static final double DEFAULT_MAX_SHRINK = 0.5;

  /** What the tenant has published in one table: the latest publishing run and its rows. */
  public record Published(String table, String runId, long rows) {}

  public ShrinkGuard(String tenantId, Map<String, Published> published, boolean allowed) {
    this(tenantId, published, allowed, DEFAULT_MAX_SHRINK);
  }

  /**
   * @param maxShrink the largest share (0 to 1) of a table's published rows a publish may lose
   *     without being allowed to shrink ({@code publish.max-shrink})
   */
  public ShrinkGuard(
      String tenantId, Map<String, Published> published, boolean allowed, double maxShrink) {
    this.tenantId = tenantId;
    this.published = Map.copyOf(published);
    this.allowed = allowed;
    this.maxShrink = maxShrink;
  }

  /**
   * Whether tenant {@code tenantId} may shrink: named (or {@code *}) in {@code
   * publish.allow-shrink} ({@code fromConfig}) or by {@code --allow-shrink} ({@code
   * fromCommandLine}). Naming one tenant allows that tenant only.
   */
  public static boolean allows(
      String tenantId, Collection<String> fromConfig, Collection<String> fromCommandLine) {
    return fromConfig.contains("*")
        || fromConfig.contains(tenantId)
        || fromCommandLine.contains("*")
        || fromCommandLine.contains(tenantId);
  }

  /**
   * Published tables with rows that the source lacks: dropped with the tenant's publish when
   * allowed.
   */
  public List<String> vanishedTables(Collection<String> sourceTables) {
    return published.values().stream()
        .filter(p -> !sourceTables.contains(p.table()))
        .map(Published::table)
        .sorted()
        .toList();
  }

  /**
   * Why the tenant must not run, when its source lacks tables it published rows of; empty when it
   * may (nothing vanished, or the run allows this tenant to shrink).
   */
  public Optional<String> refuseVanished(Collection<String> sourceTables, List<String> schemas) {
    List<Published> lost =
        published.values().stream()
            .filter(p -> p.rows() > 0 && !sourceTables.contains(p.table()))
            .toList();
    if (allowed || lost.isEmpty()) {
      return Optional.empty();
    }
    List<String> parts = new ArrayList<>();
    for (Published p : lost) {
      parts.add(
          "tenant "
              + tenantId
              + " published "
              + p.rows()
              + " rows of "
              + Sql.ident(p.table())
              + " in run "
              + p.runId());
    }
    String now =
        sourceTables.isEmpty()
            ? "its source now has no tables at all in schemas " + schemas
            : "its source now has no such table"
                + (lost.size() > 1 ? "s" : "")
                + " in schemas "
                + schemas;
    return Optional.of(
        "Cannot publish tenant "
            + tenantId
            + ": "
            + String.join("; ", parts)
            + "; "
            + now
            + hint());
  }

  /**
   * Why the table must not be published with {@code newRows}: it would empty a published table, or
   * lose more than {@code publish.max-shrink} of its published rows.
   */
  public Optional<String> refuseEmptied(String table, long newRows) {
    Published p = published.get(table);
    if (allowed || p == null || p.rows() == 0 || newRows >= p.rows()) {
      return Optional.empty();
    }
    if (newRows > 0) {
      double lost = (double) (p.rows() - newRows) / p.rows();
      if (lost <= maxShrink) {
        return Optional.empty();
      }
      return Optional.of(
          "Cannot publish tenant "
              + tenantId
              + ": it published "
              + p.rows()
              + " rows of "
              + Sql.ident(table)
              + " in run "
              + p.runId()
              + "; its source now returns "
              + newRows
              + " ("
              + String.format(java.util.Locale.ROOT, "%.1f", lost * 100)
              + "% fewer, more than publish.max-shrink = "
              + String.format(java.util.Locale.ROOT, "%.0f", maxShrink * 100)
              + "%)"
              + hint());
    }
    return Optional.of(
        "Cannot publish tenant "
            + tenantId
            + ": it published "
            + p.rows()
            + " rows of "
            + Sql.ident(table)
            + " in run "
            + p.runId()
            + "; its source now returns 0 rows"
            + hint());
  }

  public Optional<Published> published(String table) {
    return Optional.ofNullable(published.get(table));
  }

  private String hint() {
    return " (the published data is unchanged; check the tenant's jdbc.url and schemas, or pass"
        + " --allow-shrink "
        + tenantId
        + " to publish it anyway)";
  }
}
