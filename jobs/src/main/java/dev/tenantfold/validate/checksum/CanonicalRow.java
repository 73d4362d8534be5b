package dev.tenantfold.validate.checksum;

import dev.tenantfold.jdbc.PgArrayText;
import java.io.Serializable;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * The canonical form in Java: renders values as Spark hands them over (see docs/checksums.md for
 * the accepted representations) to the same canonical text {@link ChecksumSql} computes in
 * PostgreSQL, encodes fields, and hashes rows and keys. Pure functions, no Spark dependency.
 */
public final class CanonicalRow {
  private static final HexFormat HEX = HexFormat.of();
  private static final char[] HEX_DIGITS = "0123456789abcdef".toCharArray();

  /** PostgreSQL counts timestamps from 2000-01-01; Spark from 1970-01-01. */
  private static final long MICROS_1970_TO_2000 = 946_684_800_000_000L;

  private CanonicalRow() {}

  /**
   * The row text's escape character, a Unicode noncharacter: inside a value it is doubled, and it
   * introduces {@link #VALUE_END} and {@link #NULL_FIELD}. Every U+FFFF of a row text therefore
   * starts a two-character token, which makes the row text injective for every input.
   */
  public static final char ESCAPE = '\uFFFF';

  /** After {@link #ESCAPE}: the end of a non-NULL value. */
  public static final char VALUE_END = '\uFFFE';

  /** After {@link #ESCAPE} where a field starts: the field is NULL. */
  public static final char NULL_FIELD = 'N';

  /**
   * Odd multiplier of the integer-key bucket mix (MurmurHash2's m); below 2^31 so no product
   * overflows.
   */
  static final long MIX = 0x5bd1e995L;

  /**
   * The seed of a row's 64-bit hash {@code a} (and of a key's hash, which picks the bucket): {@code
   * hashtextextended(row text, SEED)}. Any fixed non-zero value; changing it changes every digest
   * (docs/checksums.md, digest version).
   */
  public static final long SEED = 0x54656e616e74466fL;

  /**
   * A row's hash: {@code a} as 16 hex digits, {@code a} (the row text's lookup3 hash with {@link
   * #SEED}, signed) and its bucket.
   */
  public record Hash(String hex, long a, int bucket) implements Serializable {}

  /**
   * Length-prefixed field: {@code <UTF-8 byte length>:<value>}, or {@code N} for NULL (the
   * drill-down key text).
   */
  public static void appendField(StringBuilder out, String value) {
    if (value == null) {
      out.append('N');
    } else {
      out.append(value.getBytes(StandardCharsets.UTF_8).length).append(':').append(value);
    }
  }

  /** The length-prefixed fields of {@code values}, concatenated: the drill-down's key text. */
  public static String encode(List<String> values) {
    StringBuilder out = new StringBuilder();
    for (String value : values) {
      appendField(out, value);
    }
    return out.toString();
  }

  /**
   * Row-text field: the value with every U+FFFF doubled, then U+FFFF U+FFFE; NULL is U+FFFF N.
   * Self-delimiting, so the concatenated fields of a row decode to exactly one list of values.
   */
  public static void appendRowField(StringBuilder out, String value) {
    if (value == null) {
      out.append(ESCAPE).append(NULL_FIELD);
      return;
    }
    int from = 0;
    for (int i = value.indexOf(ESCAPE); i >= 0; i = value.indexOf(ESCAPE, i + 1)) {
      out.append(value, from, i + 1).append(ESCAPE);
      from = i + 1;
    }
    out.append(value, from, value.length()).append(ESCAPE).append(VALUE_END);
  }

  /**
   * Row-text field of a value of {@code type}: a {@link CanonicalType#selfDelimiting()} value as is
   * (its words are prefix-free ASCII, so it needs no end marker), any other as {@link
   * #appendRowField(StringBuilder, String)}; NULL is U+FFFF N either way.
   */
  public static void appendRowField(StringBuilder out, CanonicalType type, String value) {
    if (value != null && type.selfDelimiting()) {
      out.append(value);
    } else {
      appendRowField(out, value);
    }
  }

  /** The row text of {@code values}, every field escaped: what is hashed for text columns. */
  public static String rowText(List<String> values) {
    StringBuilder out = new StringBuilder();
    for (String value : values) {
      appendRowField(out, value);
    }
    return out.toString();
  }

  /** The row text of {@code values} of {@code types}: what is hashed. */
  public static String rowText(List<CanonicalType> types, List<String> values) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < values.size(); i++) {
      appendRowField(out, types.get(i), values.get(i));
    }
    return out.toString();
  }

  /**
   * The digest's 64-bit hash of {@code text} with {@code seed}: lookup3 over its UTF-8 bytes,
   * PostgreSQL's {@code hashtextextended(text COLLATE "C", seed)}.
   */
  public static long hash64(String text, long seed) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    return Lookup3.hash(bytes, bytes.length, seed);
  }

  /**
   * Hash of a row text, bucketed by the hash of {@code keyText} (a row text of the key columns), or
   * by the row's own hash when null.
   */
  public static Hash hash(String rowText, String keyText, int buckets) {
    Hasher hasher = new Hasher();
    hasher.hash(rowText, keyText, buckets);
    return hasher.toHash();
  }

  /**
   * Hash of a row text whose single integer key column has canonical text {@code key} (null for
   * NULL).
   */
  public static Hash hashWithIntegerKey(String rowText, String key, int buckets) {
    Hasher hasher = new Hasher();
    hasher.hashWithIntegerKey(rowText, key, buckets);
    return hasher.toHash();
  }

  /**
   * Hashes row after row into one reused UTF-8 buffer, the hex text only on demand: what {@link
   * #hash} and {@link #hashWithIntegerKey} compute, for a task hashing every row of a partition.
   * Holds the last row's hash. Not thread-safe.
   */
  public static final class Hasher {
    /** A text buffer grown past this by one huge row is given back after the row is hashed. */
    private static final int RETAINED_BUFFER = 1 << 20;

    private byte[] utf8 = new byte[1024];
    private long a;
    private int bucket;

    /** As {@link CanonicalRow#hash}. */
    public void hash(CharSequence rowText, CharSequence keyText, int buckets) {
      byte[] bytes = encode(rowText);
      a = Lookup3.hash(bytes, length, SEED);
      long bucketHash = a;
      if (keyText != null) {
        bytes = encode(keyText);
        bucketHash = Lookup3.hash(bytes, length, SEED);
      }
      bucket = (int) ((bucketHash & 0xffffffffL) % buckets);
      release();
    }

    /** As {@link CanonicalRow#hashWithIntegerKey}. */
    public void hashWithIntegerKey(CharSequence rowText, String key, int buckets) {
      byte[] bytes = encode(rowText);
      a = Lookup3.hash(bytes, length, SEED);
      bucket = integerBucket(key, buckets);
      release();
    }

    /** Bytes of the last {@link #encode}. */
    private int length;

    /**
     * {@code text}'s UTF-8 bytes, in a reused buffer rather than through a String and a new byte
     * array per row (their count in {@link #length}); text with surrogates (rare: a character
     * beyond the BMP, or a lone one) goes through {@link String#getBytes}, the bytes {@link
     * CanonicalRow#hash64} hashes.
     */
    private byte[] encode(CharSequence text) {
      int n = text.length();
      if (utf8.length < 3 * n) {
        utf8 = new byte[Math.max(3 * n, 2 * utf8.length)];
      }
      byte[] buf = utf8;
      int len = 0;
      for (int i = 0; i < n; i++) {
        char c = text.charAt(i);
        if (c < 0x80) {
          buf[len++] = (byte) c;
        } else if (c < 0x800) {
          buf[len++] = (byte) (0xc0 | (c >> 6));
          buf[len++] = (byte) (0x80 | (c & 0x3f));
        } else if (Character.isSurrogate(c)) {
          byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
          length = bytes.length;
          return bytes;
        } else {
          buf[len++] = (byte) (0xe0 | (c >> 12));
          buf[len++] = (byte) (0x80 | ((c >> 6) & 0x3f));
          buf[len++] = (byte) (0x80 | (c & 0x3f));
        }
      }
      length = len;
      return buf;
    }

    private void release() {
      if (utf8.length > RETAINED_BUFFER) {
        utf8 = new byte[1024];
      }
    }

    /** The row text's hash with {@link #SEED}, signed. */
    public long a() {
      return a;
    }

    public int bucket() {
      return bucket;
    }

    /** {@code a} as 16 lower-case hex digits: the drill-down's row digest. */
    public String hex() {
      return HEX.toHexDigits(a);
    }

    Hash toHash() {
      return new Hash(hex(), a(), bucket);
    }
  }

  /**
   * The bucket of an integer key: a multiplicative mix of its value, the same arithmetic as the
   * SQL.
   */
  static int integerBucket(String key, int buckets) {
    if (key == null) {
      return 0;
    }
    long k = Long.parseLong(key);
    return (int) ((((k ^ (k >> 32)) & 0xffffffffL) * MIX >> 15) % buckets);
  }

  /** The canonical text of {@code value} (null for NULL); arrays are rendered element-wise. */
  public static String render(CanonicalType type, Object value) {
    if (value == null) {
      return null;
    }
    if (!type.array()) {
      return scalar(type, value);
    }
    List<Object> elements = new ArrayList<>();
    List<Integer> shape = new ArrayList<>();
    flatten(value, 0, elements, shape);
    if (type.elementsAsText()) {
      return nested(type, value);
    }
    StringBuilder out = new StringBuilder();
    if (shape.size() > 1 && !elements.isEmpty()) {
      for (int length : shape) {
        out.append("[1:").append(length).append(']');
      }
      out.append('=');
    }
    out.append('{');
    for (int i = 0; i < elements.size(); i++) {
      if (i > 0) {
        out.append(',');
      }
      PgArrayText.appendElement(
          out, elements.get(i) == null ? null : scalar(type, elements.get(i)));
    }
    return out.append('}').toString();
  }

  /** PostgreSQL's text output of the array as text[], nested braces per dimension. */
  private static String nested(CanonicalType type, Object value) {
    StringBuilder out = new StringBuilder("{");
    List<?> list = elements(value);
    for (int i = 0; i < list.size(); i++) {
      if (i > 0) {
        out.append(',');
      }
      Object element = list.get(i);
      if (element != null && isArray(element)) {
        out.append(nested(type, element));
      } else {
        PgArrayText.appendElement(out, element == null ? null : scalar(type, element));
      }
    }
    return out.append('}').toString();
  }

  private static void flatten(Object value, int depth, List<Object> out, List<Integer> shape) {
    List<?> list = elements(value);
    if (shape.size() == depth) {
      shape.add(list.size());
    } else if (shape.get(depth) != list.size()) {
      throw new IllegalArgumentException(
          "Cannot checksum a ragged nested array: PostgreSQL arrays are rectangular");
    }
    for (Object element : list) {
      if (element != null && isArray(element)) {
        flatten(element, depth + 1, out, shape);
      } else {
        out.add(element);
      }
    }
  }

  private static boolean isArray(Object value) {
    return value instanceof List
        || value instanceof scala.collection.Seq
        || (value instanceof Object[]);
  }

  private static List<?> elements(Object value) {
    if (value instanceof List<?> list) {
      return list;
    }
    if (value instanceof scala.collection.Seq<?> seq) {
      return scala.jdk.javaapi.CollectionConverters.asJava(seq);
    }
    if (value instanceof Object[] array) {
      return Arrays.asList(array);
    }
    throw new IllegalArgumentException(
        "Cannot checksum " + value.getClass().getName() + " as an array");
  }

  static String scalar(CanonicalType type, Object value) {
    return switch (type.kind()) {
      case TEXT -> value.toString();
      case CHAR -> stripTrailingSpaces(value.toString());
      case UUID -> value.toString().toLowerCase(Locale.ROOT);
      case BOOLEAN -> bool(value);
      case INTEGER, NUMERIC -> numeric(value);
      case FLOAT -> floating(value);
      case TIMESTAMP -> timestamp(value);
      case DATE -> date(value);
      case BYTEA -> bytea(value);
      case INTERVAL -> interval(value);
      case XML -> xml(value.toString());
    };
  }

  /**
   * PostgreSQL's output text of an xml value given its stored text (or its output text, which
   * renders the same), without leading newlines. {@code xml_out} re-prints the declaration: a
   * version-1.0 declaration without {@code standalone} is dropped together with one newline after
   * it, an encoding is always dropped, any other declaration is normalised; a declaration it cannot
   * parse is left as stored. Dropping every leading newline makes the form a fixpoint: COPY can
   * remove one newline per pass, so a value and any number of COPYs of it render the same.
   */
  static String xml(String stored) {
    String out = xmlOutput(stored);
    int start = 0;
    while (start < out.length() && out.charAt(start) == '\n') {
      start++;
    }
    return out.substring(start);
  }

  /**
   * xml_out's handling of the declaration (parse_xml_decl, print_xml_decl in PostgreSQL's xml.c),
   * before the newline trim.
   */
  private static String xmlOutput(String s) {
    int n = s.length();
    // Anything but a blank after "<?xml" is a processing instruction or a malformed declaration:
    // PostgreSQL prints the value as stored.
    if (!s.startsWith("<?xml") || !xmlBlankAt(s, 5)) {
      return s;
    }
    int p = skipXmlBlanks(s, 5);
    if (!s.startsWith("version", p)) {
      return s;
    }
    p = skipXmlBlanks(s, p + 7);
    if (p >= n || s.charAt(p) != '=') {
      return s;
    }
    p = skipXmlBlanks(s, p + 1);
    int close = quotedEnd(s, p);
    if (close < 0) {
      return s;
    }
    String version = s.substring(p + 1, close);
    p = close + 1;
    int save = p;
    p = skipXmlBlanks(s, p);
    if (s.startsWith("encoding", p)) {
      p = skipXmlBlanks(s, p + 8);
      if (!xmlBlankAt(s, save) || p >= n || s.charAt(p) != '=') {
        return s;
      }
      close = quotedEnd(s, skipXmlBlanks(s, p + 1));
      if (close < 0) {
        return s;
      }
      p = close + 1;
    } else {
      p = save;
    }
    save = p;
    p = skipXmlBlanks(s, p);
    String standalone = null;
    if (s.startsWith("standalone", p)) {
      p = skipXmlBlanks(s, p + 10);
      if (!xmlBlankAt(s, save) || p >= n || s.charAt(p) != '=') {
        return s;
      }
      p = skipXmlBlanks(s, p + 1);
      if (s.startsWith("'yes'", p) || s.startsWith("\"yes\"", p)) {
        standalone = "yes";
        p += 5;
      } else if (s.startsWith("'no'", p) || s.startsWith("\"no\"", p)) {
        standalone = "no";
        p += 4;
      } else {
        return s;
      }
    } else {
      p = save;
    }
    p = skipXmlBlanks(s, p);
    if (!s.startsWith("?>", p)) {
      return s;
    }
    p += 2;
    for (int i = 0; i < p; i++) {
      if (s.charAt(i) > 127) {
        return s;
      }
    }
    String rest = s.substring(p);
    if (!version.equals("1.0") || standalone != null) {
      return "<?xml version=\""
          + version
          + "\""
          + (standalone == null ? "" : " standalone=\"" + standalone + "\"")
          + "?>"
          + rest;
    }
    return rest.startsWith("\n") ? rest.substring(1) : rest;
  }

  /** XML's blanks (libxml's xmlIsBlank_ch): space, tab, LF, CR. */
  private static boolean xmlBlankAt(String s, int i) {
    if (i >= s.length()) {
      return false;
    }
    char ch = s.charAt(i);
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
  }

  private static int skipXmlBlanks(String s, int i) {
    while (xmlBlankAt(s, i)) {
      i++;
    }
    return i;
  }

  /** The index of the quote closing the value quoted at {@code p}, or -1 when there is none. */
  private static int quotedEnd(String s, int p) {
    if (p >= s.length() || (s.charAt(p) != '\'' && s.charAt(p) != '"')) {
      return -1;
    }
    return s.indexOf(s.charAt(p), p + 1);
  }

  private static String stripTrailingSpaces(String s) {
    int end = s.length();
    while (end > 0 && s.charAt(end - 1) == ' ') {
      end--;
    }
    return s.substring(0, end);
  }

  private static String bool(Object value) {
    if (value instanceof Boolean b) {
      return b.toString();
    }
    return switch (value.toString().trim().toLowerCase(Locale.ROOT)) {
      case "t", "true" -> "true";
      case "f", "false" -> "false";
      default -> throw new IllegalArgumentException("Cannot checksum " + value + " as a boolean");
    };
  }

  /** Plain decimal notation, trailing fractional zeros and a bare point removed. */
  static String numeric(Object value) {
    if (value instanceof BigDecimal d) {
      return trimFraction(d.toPlainString());
    }
    if (value instanceof Long
        || value instanceof Integer
        || value instanceof Short
        || value instanceof Byte
        || value instanceof BigInteger) {
      return value.toString();
    }
    if (value instanceof scala.math.BigDecimal d) {
      return trimFraction(d.bigDecimal().toPlainString());
    }
    if (value instanceof org.apache.spark.sql.types.Decimal d) {
      return trimFraction(d.toJavaBigDecimal().toPlainString());
    }
    return trimFraction(value.toString().trim());
  }

  private static String trimFraction(String text) {
    if (text.indexOf('.') < 0) {
      return text;
    }
    int end = text.length();
    while (text.charAt(end - 1) == '0') {
      end--;
    }
    if (text.charAt(end - 1) == '.') {
      end--;
    }
    return text.substring(0, end);
  }

  static String floating(Object value) {
    double d;
    if (value instanceof Double v) {
      d = v;
    } else if (value instanceof Float v) {
      d = v; // widening float to double is exact
    } else if (value instanceof Number n) {
      d = n.doubleValue();
    } else {
      d = Double.parseDouble(value.toString().trim());
    }
    if (Double.isNaN(d)) {
      return "NaN";
    }
    return hex64(Double.doubleToRawLongBits(d));
  }

  /** 16 lower-case hex digits, two's complement: what encode(int8send(v), 'hex') prints. */
  static String hex64(long v) {
    char[] digits = new char[16];
    for (int i = 15; i >= 0; i--) {
      digits[i] = HEX_DIGITS[(int) (v & 0xf)];
      v >>>= 4;
    }
    return new String(digits);
  }

  static String timestamp(Object value) {
    long micros;
    if (value instanceof Long l) {
      micros = l;
    } else if (value instanceof LocalDateTime t) {
      micros = micros(t.toEpochSecond(ZoneOffset.UTC), t.getNano());
    } else if (value instanceof Instant t) {
      micros = micros(t.getEpochSecond(), t.getNano());
    } else if (value instanceof Timestamp t) {
      micros = micros(t.toInstant().getEpochSecond(), t.getNanos());
    } else {
      throw new IllegalArgumentException(
          "Cannot checksum " + value.getClass().getName() + " as a timestamp");
    }
    // Spark's extreme values stand for +/-infinity, which PostgreSQL sends as the int64 extremes.
    long since2000 =
        micros == Long.MAX_VALUE || micros == Long.MIN_VALUE
            ? micros
            : Math.subtractExact(micros, MICROS_1970_TO_2000);
    return hex64(since2000);
  }

  static String date(Object value) {
    long days;
    if (value instanceof Integer i) {
      days = i;
    } else if (value instanceof Long l) {
      days = l;
    } else if (value instanceof LocalDate d) {
      days = d.toEpochDay();
    } else if (value instanceof java.sql.Date d) {
      days = d.toLocalDate().toEpochDay();
    } else {
      throw new IllegalArgumentException(
          "Cannot checksum " + value.getClass().getName() + " as a date");
    }
    if (days == Integer.MAX_VALUE) {
      return "infinity";
    }
    if (days == Integer.MIN_VALUE) {
      return "-infinity";
    }
    return Long.toString(days);
  }

  private static String bytea(Object value) {
    if (value instanceof byte[] bytes) {
      return HEX.formatHex(bytes);
    }
    String text = value.toString();
    if (text.startsWith("\\x")) {
      return text.substring(2).toLowerCase(Locale.ROOT);
    }
    throw new IllegalArgumentException(
        "Cannot checksum "
            + value.getClass().getName()
            + " as bytea: expected bytes or \\x hex text");
  }

  private static String interval(Object value) {
    PostgresInterval interval =
        value instanceof org.apache.spark.unsafe.types.CalendarInterval ci
            ? new PostgresInterval(ci.months, ci.days, ci.microseconds)
            : PostgresInterval.parse(value.toString());
    return interval.canonical();
  }

  // Plain (wrapping) arithmetic on purpose: the intermediate product may leave the long range near
  // the +/-infinity sentinels while the result, when representable, is still exact.
  private static long micros(long epochSecond, int nanos) {
    return epochSecond * 1_000_000L + nanos / 1_000;
  }
}
