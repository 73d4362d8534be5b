package dev.tenantfold.validate.checksum;

import java.math.BigInteger;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A differing row's key as a person reads it: a JSON object of the key columns and their values,
 * typed as in the source ({@code {"order_id": 2002, "line_no": 2}}), decoded from the drill-down's
 * canonical values (docs/checksums.md) so both engines give the same text. A table without a key is
 * identified by its whole row: every column, long texts shortened. The encoded key the drill-down
 * matches rows by never leaves the comparison.
 */
public final class ReadableKey {
  /**
   * Texts of a keyless row longer than this are shortened: the key identifies the row, it does not
   * copy it.
   */
  static final int MAX_TEXT = 120;

  private static final Pattern DECIMAL = Pattern.compile("-?\\d+(\\.\\d+)?");
  private static final LocalDateTime EPOCH_2000 = LocalDateTime.of(2000, 1, 1, 0, 0);

  private ReadableKey() {}

  /**
   * The key of {@code row} under {@code spec}: its key columns, or every column when the table has
   * no key.
   */
  public static String json(ChecksumSpec spec, DrillDownRow row) {
    List<String> names = spec.columnNames();
    int[] positions =
        spec.keyed()
            ? spec.keyPositions()
            : java.util.stream.IntStream.range(0, names.size()).toArray();
    StringBuilder out = new StringBuilder("{");
    for (int i = 0; i < positions.length; i++) {
      int p = positions[i];
      if (i > 0) {
        out.append(", ");
      }
      appendString(out, names.get(p));
      out.append(": ");
      String canonical = p < row.values().size() ? row.values().get(p) : null;
      out.append(value(spec.columns().get(p), canonical, !spec.keyed()));
    }
    return out.append('}').toString();
  }

  /**
   * One canonical value as JSON: numbers and booleans as such, times as ISO-8601, bytes as {@code
   * \x} hex, the rest as strings.
   */
  static String value(dev.tenantfold.extract.ColumnSpec column, String canonical, boolean shorten) {
    if (canonical == null) {
      return "null";
    }
    CanonicalType type = CanonicalType.of(column);
    if (type.array()) {
      return string(canonical, shorten);
    }
    return switch (type.kind()) {
      case INTEGER -> canonical;
      case NUMERIC -> DECIMAL.matcher(canonical).matches() ? canonical : string(canonical, false);
      case BOOLEAN ->
          "true".equals(canonical) || "false".equals(canonical)
              ? canonical
              : string(canonical, false);
      case FLOAT -> floating(canonical);
      case TIMESTAMP -> string(timestamp(canonical, CanonicalType.withTimeZone(column)), false);
      case DATE -> string(date(canonical), false);
      case BYTEA -> string("\\x" + canonical, shorten);
      case INTERVAL -> string(interval(canonical), false);
      default -> string(canonical, shorten);
    };
  }

  private static String floating(String canonical) {
    if (canonical.length() != 16) {
      return string(canonical, false);
    }
    double d = Double.longBitsToDouble(new BigInteger(canonical, 16).longValue());
    return Double.isFinite(d) ? Double.toString(d) : string(Double.toString(d), false);
  }

  private static String timestamp(String canonical, boolean withTimeZone) {
    if (canonical.length() != 16) {
      return canonical;
    }
    long micros = new BigInteger(canonical, 16).longValue();
    if (micros == Long.MAX_VALUE) {
      return "infinity";
    }
    if (micros == Long.MIN_VALUE) {
      return "-infinity";
    }
    LocalDateTime wall = EPOCH_2000.plus(micros, ChronoUnit.MICROS);
    return withTimeZone ? wall.toInstant(ZoneOffset.UTC).toString() : wall.toString();
  }

  private static String date(String canonical) {
    try {
      return LocalDate.ofEpochDay(Long.parseLong(canonical)).toString();
    } catch (RuntimeException e) {
      return canonical;
    }
  }

  /**
   * 32 hex digits: int64 microseconds, int32 days, int32 months, as an ISO-8601 period and
   * duration.
   */
  private static String interval(String canonical) {
    if (canonical.length() != 32) {
      return canonical;
    }
    long micros = new BigInteger(canonical.substring(0, 16), 16).longValue();
    int days = new BigInteger(canonical.substring(16, 24), 16).intValue();
    int months = new BigInteger(canonical.substring(24, 32), 16).intValue();
    return "P"
        + months
        + "M"
        + days
        + "D"
        + java.time.Duration.of(micros, ChronoUnit.MICROS).toString().substring(1);
  }

  private static String string(String value, boolean shorten) {
    StringBuilder out = new StringBuilder();
    appendString(
        out, shorten && value.length() > MAX_TEXT ? value.substring(0, MAX_TEXT) + "…" : value);
    return out.toString();
  }

  /** A JSON string literal (RFC 8259 escapes). */
  static void appendString(StringBuilder out, String value) {
    out.append('"');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20 || c == '\u2028' || c == '\u2029' || c == '\uFFFF' || c == '\uFFFE') {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }
}
