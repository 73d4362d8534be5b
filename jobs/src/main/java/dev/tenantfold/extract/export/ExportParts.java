package dev.tenantfold.extract.export;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * The export checks that need no Spark and no file system: one table's Parquet parts as found
 * against everything that records what they should hold. Pure, so every rule has a fast test.
 *
 * <ul>
 *   <li>the rows the parts' footers count against the table's row count in the metadata (a deleted
 *       or added part, a part replaced by a shorter one);
 *   <li>where the metadata lists the table's parts ({@code parts}: file and row count), every
 *       listed part present with its rows, and no part that is not listed;
 *   <li>where the metadata records no count, two parts with identical bytes (a part copied under a
 *       new name: its rows would load twice).
 * </ul>
 */
public final class ExportParts {
  private ExportParts() {}

  /**
   * One Parquet part as found.
   *
   * @param file the part's path relative to the table's folder ({@code 1/part-00001-...parquet})
   * @param bytes its length
   * @param rows the row count its footer records
   * @param digest a digest of its bytes, or null when no other part of the table has its length
   */
  public record Part(String file, long bytes, long rows, String digest) {}

  /**
   * A part the metadata lists.
   *
   * @param file relative to the table's folder, as {@link Part#file()}
   * @param rows its row count in the metadata, when recorded
   */
  public record RecordedPart(String file, OptionalLong rows) {}

  /**
   * Every way {@code found} disagrees with what the metadata records of table {@code table}; empty
   * when they agree. Each problem names the table and the file.
   *
   * @param metadataRows the table's row count in the metadata, when recorded
   * @param recorded the parts the metadata lists, or null when it lists none
   */
  public static List<String> problems(
      String table, OptionalLong metadataRows, List<RecordedPart> recorded, List<Part> found) {
    List<String> problems = new ArrayList<>();
    Map<String, Part> byFile = new LinkedHashMap<>();
    found.forEach(p -> byFile.put(p.file(), p));
    if (recorded != null) {
      Map<String, RecordedPart> listed = new LinkedHashMap<>();
      recorded.forEach(r -> listed.put(r.file(), r));
      for (RecordedPart r : listed.values()) {
        Part p = byFile.get(r.file());
        if (p == null) {
          problems.add(
              "table "
                  + table
                  + " file "
                  + r.file()
                  + ": listed in the export metadata but missing (deleted or never uploaded)");
        } else if (r.rows().isPresent() && r.rows().getAsLong() != p.rows()) {
          problems.add(
              "table "
                  + table
                  + " file "
                  + r.file()
                  + ": the metadata records "
                  + r.rows().getAsLong()
                  + " rows, the file holds "
                  + p.rows()
                  + " (replaced or truncated)");
        }
      }
      for (Part p : found) {
        if (!listed.containsKey(p.file())) {
          problems.add(
              "table "
                  + table
                  + " file "
                  + p.file()
                  + ": not listed in the export metadata (added after the export; its "
                  + p.rows()
                  + " rows would load as the table's)");
        }
      }
    }
    // Byte-identical parts decide only where nothing counts the rows: with a recorded count that
    // the footers match, identical parts are genuine (a table of repeated rows can export so).
    Map<String, Part> firstByContent = new LinkedHashMap<>();
    for (Part p : found) {
      if (p.digest() == null || metadataRows.isPresent() || recorded != null) {
        continue;
      }
      Part same = firstByContent.putIfAbsent(p.bytes() + ":" + p.digest(), p);
      if (same != null) {
        problems.add(
            "table "
                + table
                + " file "
                + p.file()
                + ": identical to "
                + same.file()
                + " (a copied part: its "
                + p.rows()
                + " rows would load twice; the metadata records no row count to tell a copy from"
                + " a table of repeated rows: export the table again)");
      }
    }
    if (metadataRows.isPresent()) {
      long inFiles = found.stream().mapToLong(Part::rows).sum();
      if (inFiles != metadataRows.getAsLong()) {
        problems.add(
            "table "
                + table
                + ": the export metadata counts "
                + metadataRows.getAsLong()
                + " rows, its "
                + found.size()
                + " Parquet files hold "
                + inFiles
                + " ("
                + (inFiles < metadataRows.getAsLong()
                    ? "a part is missing or truncated"
                    : "a part was added or copied")
                + "; files: "
                + String.join(", ", found.stream().map(Part::file).toList())
                + ")");
      }
    }
    return problems;
  }

  /** The parts of {@code found} whose length another part shares: only these need a digest. */
  public static List<String> needDigest(Map<String, Long> lengths) {
    Map<Long, Integer> count = new LinkedHashMap<>();
    lengths.values().forEach(l -> count.merge(l, 1, Integer::sum));
    return lengths.entrySet().stream()
        .filter(e -> count.get(e.getValue()) > 1)
        .map(Map.Entry::getKey)
        .toList();
  }

  /**
   * The sanity check against the source's own statistics ({@code export.catalog}): a warning when
   * the rows the export holds differ from the source's estimate ({@code reltuples}) by more than
   * {@code margin} (a fraction) and by more than {@code minimumRows} rows. The estimate is of the
   * live source, not the snapshot, and PostgreSQL keeps it approximately (ANALYZE, autovacuum), so
   * it warns and never fails. Null when within the margin or the source has no estimate ({@code
   * reltuples} below 0: never analyzed).
   */
  public static String estimateWarning(
      String tenantId,
      String table,
      long estimate,
      long exported,
      double margin,
      long minimumRows) {
    if (estimate < 0) {
      return null;
    }
    long difference = Math.abs(exported - estimate);
    if (difference <= minimumRows || difference <= margin * Math.max(estimate, exported)) {
      return null;
    }
    return "tenant "
        + tenantId
        + " table "
        + table
        + ": the export holds "
        + exported
        + " rows, the source's statistics estimate "
        + estimate
        + " (more than "
        + Math.round(margin * 100)
        + "% apart); check that no part of the export is missing, or ANALYZE the source if"
        + " its statistics are stale";
  }
}
