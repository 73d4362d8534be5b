package dev.tenantfold.validate.checksum;

import static dev.tenantfold.jdbc.Sql.ident;

import dev.tenantfold.extract.ColumnSpec;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Generates the checksum queries run inside PostgreSQL (a source snapshot or the target). Both scan
 * the table once and stream: canonical values are joined into one row text, hashed with {@code
 * sha256} in a subquery fenced with {@code OFFSET 0} (so the hash is computed once per row), and
 * folded into one hash-aggregate group per bucket, so memory does not grow with the table.
 *
 * <p>The canonical form, the field encoding and the hash are defined in docs/checksums.md; {@link
 * CanonicalRow} is the same definition in Java and the two must agree bit for bit.
 *
 * @param spec the columns, key and bucket count
 * @param from the relation to read, already quoted, e.g. {@code Sql.qualified("public", "orders")}
 * @param predicate an extra WHERE condition, e.g. {@code "tenant_id" = 'acme'}, or null for all
 *     rows
 * @param convertToUtf8 the database's encoding is not UTF8 (LATIN1, WIN1252, ...): each field is
 *     then hashed as its UTF-8 bytes ({@code convert_to}) joined with the markers' UTF-8 bytes,
 *     exactly the bytes a UTF8 database hashes for the same values (such encodings cannot hold
 *     U+FFFF, so no value needs escaping), and key lengths and order are taken over the UTF-8 bytes
 *     too
 */
public record ChecksumSql(ChecksumSpec spec, String from, String predicate, boolean convertToUtf8) {
  static final String TWO_POW_64 = "18446744073709551616";
  static final String TWO_POW_63 = "9223372036854775808";

  public ChecksumSql {
    if (from == null || from.isBlank()) {
      throw new IllegalArgumentException("Cannot generate checksum SQL: no relation to read");
    }
  }

  public ChecksumSql(ChecksumSpec spec, String from, String predicate) {
    this(spec, from, predicate, false);
  }

  /** The same checksum for a database whose encoding is not UTF8. */
  public ChecksumSql convertingToUtf8() {
    return new ChecksumSql(spec, from, predicate, true);
  }

  /**
   * Per-bucket aggregates, ordered by bucket: {@code bucket int, row_count bigint, digest_a bigint,
   * digest_b bigint}, where the digests are the sums modulo 2^64 (as signed bigint) of the first
   * and second 64 bits of each row's sha256. Buckets without rows are absent.
   */
  public String bucketDigests() {
    return "SELECT bucket, row_count, "
        + signed64("sum_a")
        + " AS digest_a, "
        + signed64("sum_b")
        + " AS digest_b\n"
        + "  FROM (SELECT bucket, count(*) AS row_count, sum("
        + int64("h", 0)
        + ") AS sum_a, sum("
        + int64("h", 8)
        + ") AS sum_b\n"
        + "          FROM ("
        + hashed(false)
        + ") h\n"
        + "         GROUP BY bucket) g\n"
        + " ORDER BY bucket";
  }

  /**
   * Rows of the given buckets, ordered by {@code key_text COLLATE "C", row_digest COLLATE "C"}
   * (byte order, the same on every database, so two sides can be merged as sorted streams): {@code
   * bucket int, key_text text, row_digest text, column_values text[]}. {@code key_text} is the
   * length-prefixed canonical key ({@link CanonicalRow#encode}; the row digest for a table without
   * a key), {@code row_digest} the row's sha256 in hex, and {@code column_values} the canonical
   * value of each column in {@link ChecksumSpec#columnNames()} order, NULL for NULL.
   */
  public String drillDown(Collection<Integer> buckets) {
    String list =
        buckets.stream().distinct().sorted().map(String::valueOf).collect(Collectors.joining(","));
    List<String> values = new ArrayList<>();
    for (int i = 0; i < spec.columns().size(); i++) {
      values.add("c" + i);
    }
    String key = spec.keyed() ? prefixedFields(spec.keyPositions()) : "encode(h, 'hex')";
    return "SELECT bucket, key_text, row_digest, column_values\n"
        + "  FROM (SELECT bucket, "
        + key
        + " AS key_text, encode(h, 'hex') AS row_digest, ARRAY["
        + String.join(", ", values)
        + "]::text[] AS column_values\n"
        + "          FROM ("
        + hashed(true)
        + ") h\n"
        + "         WHERE bucket = ANY ('{"
        + list
        + "}'::int[])) d\n"
        + (convertToUtf8
            ? " ORDER BY convert_to(key_text, 'UTF8'), row_digest COLLATE \"C\""
            : " ORDER BY key_text COLLATE \"C\", row_digest COLLATE \"C\"");
  }

  /**
   * {@code SELECT count(*)} over the same rows, the baseline the checksum's cost is measured
   * against.
   */
  public String rowCount() {
    return "SELECT count(*) FROM " + from + where();
  }

  /**
   * The row hash {@code h} (sha256 of the row text) and the bucket, fenced with {@code OFFSET 0} so
   * the hash is computed once although the fold reads it sixteen times.
   */
  private String hashed(boolean withValues) {
    List<String> items = new ArrayList<>();
    items.add("sha256(" + rowBytes(allPositions()) + ") AS h");
    if (spec.keyed()) {
      items.add(keyBucket() + " AS bucket");
    }
    if (withValues) {
      for (int i = 0; i < spec.columns().size(); i++) {
        items.add("c" + i);
      }
    }
    String inner =
        "SELECT "
            + String.join(",\n                       ", items)
            + "\n                  FROM ("
            + canonical()
            + ") c OFFSET 0";
    if (spec.keyed()) {
      return inner;
    }
    // Without a key a row is bucketed by its own hash.
    return "SELECT h, "
        + bucketOf("h")
        + " AS bucket"
        + (withValues ? ", " + String.join(", ", columnAliases()) : "")
        + " FROM ("
        + inner
        + ") k";
  }

  private List<String> columnAliases() {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < spec.columns().size(); i++) {
      out.add("c" + i);
    }
    return out;
  }

  private String canonical() {
    List<String> items = new ArrayList<>();
    for (int i = 0; i < spec.columns().size(); i++) {
      ColumnSpec column = spec.columns().get(i);
      items.add(columnExpression(column) + " AS c" + i);
    }
    if (integerKey()) {
      items.add(ident(spec.keyColumns().get(0)) + "::bigint AS k");
    }
    return "SELECT "
        + String.join(",\n                               ", items)
        + "\n                          FROM "
        + from
        + where();
  }

  private String where() {
    return predicate == null || predicate.isBlank() ? "" : " WHERE " + predicate;
  }

  /**
   * Whether the key is one integer column, bucketed by a multiplicative mix of its value instead of
   * a hash.
   */
  private boolean integerKey() {
    return spec.keyColumns().size() == 1
        && CanonicalType.of(spec.columns().get(spec.keyPositions()[0])).kind()
            == CanonicalType.Kind.INTEGER
        && !CanonicalType.of(spec.columns().get(spec.keyPositions()[0])).array();
  }

  private String keyBucket() {
    if (integerKey()) {
      // CanonicalRow.integerBucket: all intermediate values stay below 2^63.
      return "coalesce((((((k # (k >> 32)) & 4294967295) * "
          + CanonicalRow.MIX
          + ") >> 15) % "
          + spec.buckets()
          + ")::int, 0)";
    }
    return bucketOf("sha256(" + rowBytes(spec.keyPositions()) + ")");
  }

  /** First 32 bits of a sha256, unsigned, modulo the bucket count. */
  private String bucketOf(String hash) {
    return "(((get_byte("
        + hash
        + ", 0)::bigint << 24) | (get_byte("
        + hash
        + ", 1) << 16) | (get_byte("
        + hash
        + ", 2) << 8) | get_byte("
        + hash
        + ", 3)) % "
        + spec.buckets()
        + ")::int";
  }

  /** Bytes {@code offset .. offset+7} of {@code hash}, big-endian, as a signed bigint. */
  private static String int64(String hash, int offset) {
    List<String> parts = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      String b = "get_byte(" + hash + ", " + (offset + i) + ")" + (i <= 4 ? "::bigint" : "");
      int shift = 8 * (7 - i);
      parts.add(shift == 0 ? b : "(" + b + " << " + shift + ")");
    }
    return "(" + String.join(" | ", parts) + ")";
  }

  private int[] allPositions() {
    int[] all = new int[spec.columns().size()];
    for (int i = 0; i < all.length; i++) {
      all[i] = i;
    }
    return all;
  }

  /**
   * The row text ({@link CanonicalRow#appendRowField}): every value with U+FFFF doubled, then
   * U+FFFF U+FFFE; NULL is U+FFFF N. Only kinds whose canonical text can hold U+FFFF pay for the
   * {@code replace} (in the C collation: a nondeterministic column collation would refuse it); a
   * NOT NULL column needs no NULL marker (a nullable column holding the same value renders the same
   * text).
   */
  private String rowText(int[] positions) {
    List<String> fields = new ArrayList<>();
    for (int p : positions) {
      ColumnSpec column = spec.columns().get(p);
      String c = "c" + p;
      String value =
          CanonicalType.of(column).anyCharacter()
              ? "replace(" + c + " COLLATE \"C\", " + ESCAPE + ", " + ESCAPE_TWICE + ")"
              : c;
      String field = value + " || " + VALUE_END;
      fields.add(column.notNull() ? field : "coalesce(" + field + ", " + NULL_FIELD + ")");
    }
    return String.join(" || ", fields);
  }

  /**
   * The row text's UTF-8 bytes: one conversion of the whole text, or field by field when the
   * database is not UTF8.
   */
  private String rowBytes(int[] positions) {
    if (!convertToUtf8) {
      return "textsend(" + rowText(positions) + ")";
    }
    List<String> fields = new ArrayList<>();
    for (int p : positions) {
      String field = "convert_to(c" + p + ", 'UTF8') || " + VALUE_END_UTF8;
      fields.add(
          spec.columns().get(p).notNull()
              ? field
              : "coalesce(" + field + ", " + NULL_FIELD_UTF8 + ")");
    }
    return String.join(" || ", fields);
  }

  /**
   * U+FFFF U+FFFE and U+FFFF N as UTF-8 bytes, for databases whose encoding cannot write them as
   * text.
   */
  static final String VALUE_END_UTF8 = "'\\xefbfbfefbfbe'::bytea";

  static final String NULL_FIELD_UTF8 = "'\\xefbfbf4e'::bytea";

  static final String ESCAPE = "U&'\\FFFF'";
  static final String ESCAPE_TWICE = "U&'\\FFFF\\FFFF'";
  static final String VALUE_END = "U&'\\FFFF\\FFFE'";
  static final String NULL_FIELD = "U&'\\FFFFN'";

  private String prefixedFields(int[] positions) {
    List<String> fields = new ArrayList<>();
    for (int p : positions) {
      fields.add(convertToUtf8 ? utf8Field("c" + p) : field("c" + p));
    }
    return String.join(" || ", fields);
  }

  /**
   * Length-prefixed value, {@code N} for NULL: {@code octet_length || ':' || value} (the drill-down
   * key text).
   */
  static String field(String value) {
    return "coalesce(octet_length(" + value + ")::text || ':' || " + value + ", 'N')";
  }

  /** {@link #field} with the length in UTF-8 bytes, the same prefix a UTF8 database writes. */
  static String utf8Field(String value) {
    return "coalesce(octet_length(convert_to("
        + value
        + ", 'UTF8'))::text || ':' || "
        + value
        + ", 'N')";
  }

  private static String signed64(String sum) {
    String m = "mod(mod(" + sum + ", " + TWO_POW_64 + ") + " + TWO_POW_64 + ", " + TWO_POW_64 + ")";
    return "(CASE WHEN "
        + m
        + " >= "
        + TWO_POW_63
        + " THEN "
        + m
        + " - "
        + TWO_POW_64
        + " ELSE "
        + m
        + " END)::bigint";
  }

  /** The canonical text of {@code column} as a SQL expression over the quoted column. */
  static String columnExpression(ColumnSpec column) {
    CanonicalType type = CanonicalType.of(column);
    String x = ident(column.name());
    if (!type.array()) {
      return scalarExpression(type, CanonicalType.withTimeZone(column), x);
    }
    if (type.elementsAsText()) {
      // The elements' canonical text is their text output: PostgreSQL's array output of text[].
      return x + "::text[]::text";
    }
    // Elements rendered one by one in storage order (every dimension flattened) and printed as a
    // one-dimensional text[]; any other shape is prefixed with array_dims and '='.
    String element = scalarExpression(type, CanonicalType.withTimeZone(column), "e");
    return "CASE WHEN "
        + x
        + " IS NULL THEN NULL ELSE (CASE WHEN array_ndims("
        + x
        + ") > 1 OR array_lower("
        + x
        + ", 1) <> 1 THEN array_dims("
        + x
        + ") || '=' ELSE '' END) || ARRAY(SELECT "
        + element
        + " FROM unnest("
        + x
        + ") WITH ORDINALITY u(e, o) ORDER BY o)::text END";
  }

  private static String scalarExpression(CanonicalType type, boolean withTimeZone, String x) {
    return switch (type.kind()) {
      case TEXT, CHAR, UUID, BOOLEAN, INTEGER -> x + "::text";
      case NUMERIC -> numeric(type.numericScale(), x);
      case FLOAT ->
          "CASE WHEN "
              + x
              + " = 'NaN'::float8 THEN 'NaN' ELSE encode(float8send("
              + x
              + "::float8), 'hex') END";
      // The binary send format is PostgreSQL's int64 microseconds since 2000-01-01 (infinity as the
      // int64 extremes): exact on every version, independent of TimeZone and DateStyle, and cheap.
      case TIMESTAMP ->
          "encode("
              + (withTimeZone ? "timestamptz_send" : "timestamp_send")
              + "("
              + x
              + "), 'hex')";
      case DATE ->
          "CASE WHEN isfinite("
              + x
              + ") THEN ("
              + x
              + " - date '1970-01-01')::text ELSE "
              + x
              + "::text END";
      case BYTEA -> "encode(" + x + ", 'hex')";
      case INTERVAL -> interval(x);
      // xml_out is what COPY sends (the cast to text would keep a declaration COPY drops); the
      // trim makes the text a fixpoint of COPY, which removes at most one leading newline per pass.
      case XML -> "ltrim(textin(xml_out(" + x + ")), E'\\n')";
    };
  }

  private static String numeric(int scale, String x) {
    // trim_scale (PostgreSQL 13+) drops trailing fractional zeros; a declared scale <= 0 has none.
    return scale > 0 || scale == CanonicalType.UNBOUNDED_SCALE
        ? "trim_scale(" + x + ")::text"
        : x + "::text";
  }

  /** interval_send: int64 microseconds, int32 days, int32 months, big-endian. */
  private static String interval(String x) {
    return "encode(interval_send(" + x + "), 'hex')";
  }
}
