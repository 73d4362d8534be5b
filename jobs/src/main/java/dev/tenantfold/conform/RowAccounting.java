package dev.tenantfold.conform;

import java.util.List;

/**
 * Where one tenant table's source rows went before loading: {@code sourceRows = kept +
 * duplicatesRemoved + rejectedRows}, counted in the tenant's snapshot by {@link
 * ConformedSource#accountingSql}. {@code rejects} holds the first rejected rows (at most the
 * table's threshold plus one), for the report.
 */
public record RowAccounting(
    long sourceRows, long duplicatesRemoved, long rejectedRows, List<Reject> rejects) {
  public RowAccounting {
    rejects = List.copyOf(rejects);
  }

  /**
   * Rows counted as {@code sourceRows} with {@code keptRows} left after deduplication, {@code
   * rejectedRows} of them rejected.
   */
  public static RowAccounting counted(
      long sourceRows, long keptRows, long rejectedRows, List<Reject> rejects) {
    return new RowAccounting(sourceRows, sourceRows - keptRows, rejectedRows, rejects);
  }

  /**
   * Counts {@code conformed}'s rows where they are ({@code st}: the snapshot of a JDBC tenant, the
   * landing table's database for an export tenant): source rows, rows kept after deduplication,
   * rejected rows, and the first rejects up to one over the table's threshold.
   */
  public static RowAccounting count(java.sql.Statement st, ConformedSource conformed)
      throws java.sql.SQLException {
    long source;
    long kept;
    long rejected;
    try (java.sql.ResultSet rs = st.executeQuery(conformed.accountingSql())) {
      rs.next();
      source = rs.getLong(1);
      kept = rs.getLong(2);
      rejected = rs.getLong(3);
    }
    List<Reject> rejects = new java.util.ArrayList<>();
    var rejectsSql = conformed.rejectsSql(conformed.rule().maxRejectedRows() + 1);
    if (rejected > 0 && rejectsSql.isPresent()) {
      try (java.sql.ResultSet rs = st.executeQuery(rejectsSql.get())) {
        while (rs.next()) {
          rejects.add(
              new Reject(
                  rs.getString("key"),
                  rs.getString("column_name"),
                  rs.getString("reason"),
                  rs.getString("row_data")));
        }
      }
    }
    return counted(source, kept, rejected, rejects);
  }

  /** The rows that should reach the target. */
  public long expectedRows() {
    return sourceRows - duplicatesRemoved - rejectedRows;
  }

  /**
   * Why these counts do not account for the rows the source snapshot holds to load ({@code toLoad}:
   * the source checksum's rows, counted over the conformed rows): {@code source - duplicates
   * removed - rejected} must equal it. Empty when every row is accounted for.
   */
  public java.util.Optional<String> unaccountedFor(long toLoad) {
    if (expectedRows() == toLoad) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(
        "rows unaccounted for: source "
            + sourceRows
            + " - duplicates removed "
            + duplicatesRemoved
            + " - rejected "
            + rejectedRows
            + " = "
            + expectedRows()
            + ", but the source snapshot holds "
            + toLoad
            + " rows to load; run again");
  }

  /**
   * One rejected row: its source key as JSON ({@code null} without a key), the column that failed,
   * PostgreSQL's reason, and the whole source row as JSON.
   */
  public record Reject(String keyJson, String column, String reason, String rowJson) {}
}
