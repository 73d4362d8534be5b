package dev.tenantfold.validate.checksum;

import static dev.tenantfold.jdbc.Sql.ident;

import dev.tenantfold.extract.ColumnSpec;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Generates the checksum queries run inside PostgreSQL (a source snapshot or the target). Both scan
 * the table once and stream: canonical values are computed in a subquery fenced with
 * {@code OFFSET 0} so each is evaluated once per row, hashed with {@code md5}, and folded into one
 * hash-aggregate group per bucket, so memory does not grow with the table.
 *
 * <p>The canonical form, the field encoding and the hash are defined in docs/checksums.md;
 * {@link CanonicalRow} is the same definition in Java and the two must agree bit for bit.
 *
 * @param spec the columns, key and bucket count
 * @param from the relation to read, already quoted, e.g. {@code Sql.qualified("public", "orders")}
 * @param predicate an extra WHERE condition, e.g. {@code "tenant_id" = 'acme'}, or null for all rows
 */
public record ChecksumSql(ChecksumSpec spec, String from, String predicate) {
  static final String TWO_POW_64 = "18446744073709551616";
  static final String TWO_POW_63 = "9223372036854775808";

  public ChecksumSql {
    if (from == null || from.isBlank()) {
      throw new IllegalArgumentException("Cannot generate checksum SQL: no relation to read");
    }
  }

  /**
   * Per-bucket aggregates, ordered by bucket: {@code bucket int, row_count bigint, digest_a bigint,
   * digest_b bigint}, where the digests are the sums modulo 2^64 (as signed bigint) of the first and
   * second 64 bits of each row's md5. Buckets without rows are absent.
   */
  public String bucketDigests() {
    return "SELECT bucket, row_count, " + signed64("sum_a") + " AS digest_a, " + signed64("sum_b") + " AS digest_b\n"
        + "  FROM (SELECT bucket, count(*) AS row_count, sum(a) AS sum_a, sum(b) AS sum_b\n"
        + "          FROM (SELECT " + bucketExpression() + " AS bucket,\n"
        + "                       ('x' || substr(row_md5, 1, 16))::bit(64)::bigint AS a,\n"
        + "                       ('x' || substr(row_md5, 17, 16))::bit(64)::bigint AS b\n"
        + "                  FROM (" + hashed(false) + ") h) r\n"
        + "         GROUP BY bucket) g\n"
        + " ORDER BY bucket";
  }

  /**
   * Rows of the given buckets, ordered by key: {@code bucket int, key_text text, row_digest text,
   * column_values text[]}. {@code key_text} is the encoded canonical key (the row digest for a table
   * without a key), {@code row_digest} the row's md5 in hex, and {@code column_values} the canonical
   * value of each column in {@link ChecksumSpec#columnNames()} order, NULL for NULL.
   */
  public String drillDown(Collection<Integer> buckets) {
    String list = buckets.stream().distinct().sorted().map(String::valueOf).collect(Collectors.joining(","));
    List<String> values = new ArrayList<>();
    for (int i = 0; i < spec.columns().size(); i++) {
      values.add("c" + i);
    }
    return "SELECT bucket, key_text, row_md5 AS row_digest, column_values\n"
        + "  FROM (SELECT " + bucketExpression() + " AS bucket, " + (spec.keyed() ? "key_text" : "row_md5 AS key_text")
        + ", row_md5, ARRAY[" + String.join(", ", values) + "]::text[] AS column_values\n"
        + "          FROM (" + hashed(true) + ") h) d\n"
        + " WHERE bucket = ANY ('{" + list + "}'::int[])\n"
        + " ORDER BY key_text, row_digest";
  }

  /** {@code SELECT count(*)} over the same rows, the baseline the checksum's cost is measured against. */
  public String rowCount() {
    return "SELECT count(*) FROM " + from + where();
  }

  private String hashed(boolean withValues) {
    List<String> items = new ArrayList<>();
    items.add("md5(" + encodedFields(allPositions()) + ") AS row_md5");
    if (spec.keyed()) {
      String key = encodedFields(spec.keyPositions());
      items.add(withValues ? key + " AS key_text, md5(" + key + ") AS key_md5" : "md5(" + key + ") AS key_md5");
    }
    if (withValues) {
      for (int i = 0; i < spec.columns().size(); i++) {
        items.add("c" + i);
      }
    }
    return "SELECT " + String.join(", ", items) + "\n                  FROM (" + canonical() + ") c OFFSET 0";
  }

  private String canonical() {
    List<String> items = new ArrayList<>();
    for (int i = 0; i < spec.columns().size(); i++) {
      ColumnSpec column = spec.columns().get(i);
      items.add(columnExpression(column) + " AS c" + i);
    }
    return "SELECT " + String.join(",\n                               ", items) + "\n                          FROM " + from + where() + " OFFSET 0";
  }

  private String where() {
    return predicate == null || predicate.isBlank() ? "" : " WHERE " + predicate;
  }

  private String bucketExpression() {
    String md5 = spec.keyed() ? "key_md5" : "row_md5";
    return "(('x' || substr(" + md5 + ", 1, 8))::bit(32)::bigint % " + spec.buckets() + ")::int";
  }

  private int[] allPositions() {
    int[] all = new int[spec.columns().size()];
    for (int i = 0; i < all.length; i++) {
      all[i] = i;
    }
    return all;
  }

  private static String encodedFields(int[] positions) {
    List<String> fields = new ArrayList<>();
    for (int p : positions) {
      fields.add(field("c" + p));
    }
    return String.join(" || ", fields);
  }

  /** Length-prefixed value, {@code N} for NULL: {@code octet_length || ':' || value}. */
  static String field(String value) {
    return "coalesce(octet_length(" + value + ")::text || ':' || " + value + ", 'N')";
  }

  private static String signed64(String sum) {
    String m = "mod(mod(" + sum + ", " + TWO_POW_64 + ") + " + TWO_POW_64 + ", " + TWO_POW_64 + ")";
    return "(CASE WHEN " + m + " >= " + TWO_POW_63 + " THEN " + m + " - " + TWO_POW_64 + " ELSE " + m + " END)::bigint";
  }

  /** The canonical text of {@code column} as a SQL expression over the quoted column. */
  static String columnExpression(ColumnSpec column) {
    CanonicalType type = CanonicalType.of(column);
    String x = ident(column.name());
    if (!type.array()) {
      return scalarExpression(type, CanonicalType.withTimeZone(column), x);
    }
    // One subquery per non-NULL array: unnest walks the elements in storage order, every
    // dimension flattened; array_dims keeps the shape (and a lower bound other than 1).
    String element = scalarExpression(type, CanonicalType.withTimeZone(column), "e");
    return "CASE WHEN " + x + " IS NULL THEN NULL ELSE coalesce(array_dims(" + x + "), '') || '{' || "
        + "(SELECT coalesce(string_agg(" + field("ce") + ", '' ORDER BY o), '') FROM (SELECT " + element
        + " AS ce, o FROM unnest(" + x + ") WITH ORDINALITY u(e, o) OFFSET 0) s) || '}' END";
  }

  private static String scalarExpression(CanonicalType type, boolean withTimeZone, String x) {
    return switch (type.kind()) {
      case TEXT, CHAR, UUID, BOOLEAN, INTEGER -> x + "::text";
      case NUMERIC -> numeric(type.numericScale(), x);
      case FLOAT -> "CASE WHEN " + x + " = 'NaN'::float8 THEN 'NaN' ELSE encode(float8send(" + x + "::float8), 'hex') END";
      // The binary send format is PostgreSQL's int64 microseconds since 2000-01-01 (infinity as the
      // int64 extremes): exact on every version, independent of TimeZone and DateStyle, and cheap.
      case TIMESTAMP -> "encode(" + (withTimeZone ? "timestamptz_send" : "timestamp_send") + "(" + x + "), 'hex')";
      case DATE -> "CASE WHEN isfinite(" + x + ") THEN (" + x + " - date '1970-01-01')::text ELSE " + x + "::text END";
      case BYTEA -> "encode(" + x + ", 'hex')";
      case INTERVAL -> interval(x);
    };
  }

  private static String numeric(int scale, String x) {
    if (scale == CanonicalType.UNBOUNDED_SCALE) {
      return "CASE WHEN scale(" + x + ") > 0 THEN rtrim(rtrim(" + x + "::text, '0'), '.') ELSE " + x + "::text END";
    }
    // A declared scale > 0 prints a decimal point in every finite value; NaN has no trailing '0' or '.'.
    return scale > 0 ? "rtrim(rtrim(" + x + "::text, '0'), '.')" : x + "::text";
  }

  /** interval_send: int64 microseconds, int32 days, int32 months, big-endian. */
  private static String interval(String x) {
    return "encode(interval_send(" + x + "), 'hex')";
  }
}
