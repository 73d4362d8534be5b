package dev.tenantfold.validate.checksum;

import static dev.tenantfold.jdbc.Sql.ident;

import dev.tenantfold.extract.ColumnSpec;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Generates the checksum queries run inside PostgreSQL (a source snapshot or the target). Both scan
 * the table once and stream: canonical values are joined into one row text, hashed once with {@code
 * hashtextextended} (lookup3, a 64-bit hash) and summed into one hash-aggregate group per bucket,
 * so memory does not grow with the table.
 *
 * <p>The canonical form, the field encoding and the hash are defined in docs/checksums.md; {@link
 * CanonicalRow} is the same definition in Java and the two must agree bit for bit.
 *
 * @param spec the columns, key and bucket count
 * @param from the relation to read, already quoted, e.g. {@code Sql.qualified("public", "orders")}
 * @param predicate an extra WHERE condition, e.g. {@code "tenant_id" = 'acme'}, or null for all
 *     rows
 * @param singleByteEncoding null for a UTF8 database; else its single-byte encoding (LATIN1,
 *     WIN1252, ...): each field is then converted to its UTF-8 bytes ({@code convert_to}) and
 *     joined with the markers' UTF-8 bytes, exactly the bytes a UTF8 database hashes for the same
 *     values (such encodings cannot hold U+FFFF, so no value needs escaping); those bytes are read
 *     back as a text of the database's own encoding ({@code convert_from}, which accepts every byte
 *     but zero in a single-byte encoding, and UTF-8 has no zero byte) so that {@code
 *     hashtextextended} hashes exactly them; key lengths and order are taken over the UTF-8 bytes
 *     too
 */
public record ChecksumSql(
    ChecksumSpec spec, String from, String predicate, String singleByteEncoding) {
  static final String TWO_POW_64 = "18446744073709551616";
  static final String TWO_POW_63 = "9223372036854775808";

  public ChecksumSql {
    if (from == null || from.isBlank()) {
      throw new IllegalArgumentException("Cannot generate checksum SQL: no relation to read");
    }
  }

  public ChecksumSql(ChecksumSpec spec, String from, String predicate) {
    this(spec, from, predicate, null);
  }

  /**
   * The same checksum for a database whose encoding is {@code encoding}, a single-byte encoding
   * (its name as {@code SHOW server_encoding} prints it, e.g. {@code LATIN1}).
   */
  public ChecksumSql inSingleByteEncoding(String encoding) {
    if (!encoding.matches("[A-Za-z0-9_]+")) {
      throw new IllegalArgumentException("Cannot checksum in encoding " + encoding);
    }
    return new ChecksumSql(spec, from, predicate, encoding);
  }

  private boolean convertToUtf8() {
    return singleByteEncoding != null;
  }

  /**
   * Per-bucket aggregates, ordered by bucket: {@code bucket int, row_count bigint, digest bigint},
   * where the digest is the sum modulo 2^64 (as signed bigint) of each row's 64-bit hash {@code a}.
   * Buckets without rows are absent.
   */
  public String bucketDigests() {
    return "SELECT bucket, row_count, "
        + signed64("sum_a")
        + " AS digest\n"
        + "  FROM (SELECT bucket, count(*) AS row_count, sum(a) AS sum_a\n"
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
   * a key), {@code row_digest} the row's hash {@code a} as 16 hex digits, and {@code column_values}
   * the canonical value of each column in {@link ChecksumSpec#columnNames()} order, NULL for NULL.
   */
  public String drillDown(Collection<Integer> buckets) {
    String list =
        buckets.stream().distinct().sorted().map(String::valueOf).collect(Collectors.joining(","));
    List<String> values = new ArrayList<>();
    for (int i = 0; i < spec.columns().size(); i++) {
      values.add("c" + i);
    }
    String digest = "lpad(to_hex(a), 16, '0')";
    String key = spec.keyed() ? prefixedFields(spec.keyPositions()) : digest;
    return "SELECT bucket, key_text, row_digest, column_values\n"
        + "  FROM (SELECT bucket, "
        + key
        + " AS key_text, "
        + digest
        + " AS row_digest, ARRAY["
        + String.join(", ", values)
        + "]::text[] AS column_values\n"
        + "          FROM ("
        + hashed(true)
        + ") h\n"
        + "         WHERE bucket = ANY ('{"
        + list
        + "}'::int[])) d\n"
        + (convertToUtf8()
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
   * The row's hash {@code a} and its bucket (and its canonical values {@code c0 ..} with {@code
   * withValues}). The row text {@code t} is built in a subquery fenced with {@code OFFSET 0}, so
   * that it is built once even where {@code a} is read twice (a table without a key buckets by it).
   */
  private String hashed(boolean withValues) {
    List<String> items = new ArrayList<>();
    items.add(hashable(rowBytes(allPositions())) + " AS t");
    if (spec.keyed()) {
      items.add(keyBucket() + " AS bucket");
    }
    if (withValues) {
      items.addAll(columnAliases());
    }
    String text =
        "SELECT "
            + String.join(",\n                       ", items)
            + "\n                  FROM ("
            + canonical()
            + ") c OFFSET 0";
    String values = withValues ? ", " + String.join(", ", columnAliases()) : "";
    String hashes = hash64("t", CanonicalRow.SEED) + " AS a";
    if (spec.keyed()) {
      return "SELECT " + hashes + ", bucket" + values + " FROM (" + text + ") r";
    }
    // Without a key a row is bucketed by its own hash a, fenced again so it is computed once.
    return "SELECT a, "
        + bucketOf("a")
        + " AS bucket"
        + values
        + " FROM (SELECT "
        + hashes
        + values
        + " FROM ("
        + text
        + ") r OFFSET 0) k";
  }

  /**
   * {@code hashtextextended(text, seed)}: lookup3 over the text's bytes in the database's encoding
   * ({@link Lookup3}); {@code text} must have the C collation (a deterministic one: a
   * nondeterministic collation would hash a sort key instead of the bytes).
   */
  private static String hash64(String text, long seed) {
    return "hashtextextended(" + text + ", " + seed + ")";
  }

  /**
   * A row text as a text in the C collation, whose bytes are the row text's UTF-8 bytes: as is in a
   * UTF8 database; {@code bytes} read back in a single-byte encoding otherwise.
   */
  private String hashable(String bytes) {
    return convertToUtf8()
        ? "convert_from(" + bytes + ", '" + singleByteEncoding + "') COLLATE \"C\""
        : "(" + bytes + ") COLLATE \"C\"";
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
    return bucketOf(hash64(hashable(rowBytes(spec.keyPositions())), CanonicalRow.SEED));
  }

  /** The low 32 bits of a 64-bit hash, unsigned, modulo the bucket count. */
  private String bucketOf(String hash) {
    return "((" + hash + " & 4294967295) % " + spec.buckets() + ")::int";
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
   * U+FFFF U+FFFE, or a self-delimiting value as is; NULL is U+FFFF N. Only kinds whose canonical
   * text can hold U+FFFF pay for the {@code replace} (in the C collation: a nondeterministic column
   * collation would refuse it); a NOT NULL column needs no NULL marker (a nullable column holding
   * the same value renders the same text).
   */
  private String rowText(int[] positions) {
    List<String> fields = new ArrayList<>();
    for (int p : positions) {
      ColumnSpec column = spec.columns().get(p);
      CanonicalType type = CanonicalType.of(column);
      String c = "c" + p;
      String value =
          type.anyCharacter()
              ? "replace(" + c + " COLLATE \"C\", " + ESCAPE + ", " + ESCAPE_TWICE + ")"
              : c;
      String field = type.selfDelimiting() ? value : value + " || " + VALUE_END;
      fields.add(column.notNull() ? field : "coalesce(" + field + ", " + NULL_FIELD + ")");
    }
    return String.join(" || ", fields);
  }

  /**
   * The row text (a UTF8 database), or its UTF-8 bytes built field by field (a single-byte
   * encoding).
   */
  private String rowBytes(int[] positions) {
    if (!convertToUtf8()) {
      return rowText(positions);
    }
    List<String> fields = new ArrayList<>();
    for (int p : positions) {
      String field =
          CanonicalType.of(spec.columns().get(p)).selfDelimiting()
              ? "convert_to(c" + p + ", 'UTF8')"
              : "convert_to(c" + p + ", 'UTF8') || " + VALUE_END_UTF8;
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
      fields.add(convertToUtf8() ? utf8Field("c" + p) : field("c" + p));
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
      case TEXT, CHAR, UUID, INTEGER -> x + "::text";
      // The same text as x::text without calling boolout and textin; NULL matches neither branch.
      case BOOLEAN -> "CASE " + x + " WHEN true THEN 'true' WHEN false THEN 'false' END";
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
