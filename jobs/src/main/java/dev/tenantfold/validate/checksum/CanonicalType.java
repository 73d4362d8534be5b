package dev.tenantfold.validate.checksum;

import dev.tenantfold.extract.ColumnSpec;
import java.io.Serializable;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How a column is rendered to its canonical text, derived from PostgreSQL's {@code format_type}
 * text in {@link ColumnSpec#type()}. Types that widen safely map to the same {@link Kind}, so the
 * widened column renders the same text: {@code integer} and {@code bigint} (INTEGER), {@code real}
 * and {@code double precision} (FLOAT), {@code varchar(n)} and {@code text} (TEXT). The rules per
 * kind are in docs/checksums.md.
 *
 * @param kind rendering rule for the value (for an array: for each element)
 * @param array whether the column is an array of {@code kind}
 * @param numericScale declared scale of a {@code numeric(p,s)}; {@link #UNBOUNDED_SCALE} for plain
 *     {@code numeric}; 0 for other kinds
 */
public record CanonicalType(Kind kind, boolean array, int numericScale) implements Serializable {
  public static final int UNBOUNDED_SCALE = Integer.MIN_VALUE;
  private static final Pattern NUMERIC =
      Pattern.compile("numeric(?:\\((\\d+)(?:,\\s*(-?\\d+))?\\))?");

  /** Rendering rules; the canonical text of each is defined in docs/checksums.md. */
  public enum Kind {
    /**
     * The value's text as is: text, varchar, json, jsonb, enum labels, time, timetz and any other
     * type.
     */
    TEXT,
    /**
     * {@code character(n)}: trailing spaces are not significant, as in PostgreSQL's own cast to
     * text.
     */
    CHAR,
    /** Lower-case hex with dashes. */
    UUID,
    /** {@code true} / {@code false}. */
    BOOLEAN,
    /** Decimal digits: smallint, integer, bigint. */
    INTEGER,
    /**
     * Plain decimal notation with trailing fractional zeros removed; {@code NaN}, {@code Infinity}.
     */
    NUMERIC,
    /**
     * The IEEE-754 bits of the value widened to double, 16 lower-case hex digits; every NaN is
     * {@code NaN}.
     */
    FLOAT,
    /**
     * 16 hex digits of the int64 microseconds since 2000-01-01 00:00:00 UTC (timestamptz) or of the
     * wall clock (timestamp).
     */
    TIMESTAMP,
    /** Days since 1970-01-01; {@code infinity}, {@code -infinity}. */
    DATE,
    /** Lower-case hex of the bytes, no {@code \x} prefix. */
    BYTEA,
    /** 32 hex digits: PostgreSQL's int64 microseconds, int32 days, int32 months. */
    INTERVAL,
    /**
     * PostgreSQL's output text of the xml value (what COPY sends: a default declaration dropped,
     * others normalised) without leading newlines, so a value and its COPY agree.
     */
    XML
  }

  /** The canonical type of {@code column}; unknown types render as their PostgreSQL text output. */
  public static CanonicalType of(ColumnSpec column) {
    String type = column.type().trim().toLowerCase(Locale.ROOT);
    boolean array = column.array() || type.endsWith("[]");
    while (type.endsWith("[]")) {
      type = type.substring(0, type.length() - 2);
    }
    if (column.enumType() != null) {
      return new CanonicalType(Kind.TEXT, array, 0);
    }
    Matcher numeric = NUMERIC.matcher(type);
    if (numeric.matches()) {
      int scale =
          numeric.group(1) == null
              ? UNBOUNDED_SCALE
              : numeric.group(2) == null ? 0 : Integer.parseInt(numeric.group(2));
      return new CanonicalType(Kind.NUMERIC, array, scale);
    }
    return new CanonicalType(kindOf(type), array, 0);
  }

  private static Kind kindOf(String type) {
    if (type.startsWith("timestamp")) {
      return Kind.TIMESTAMP;
    }
    if (type.startsWith("interval")) {
      return Kind.INTERVAL;
    }
    if (type.startsWith("character(") || type.equals("character") || type.startsWith("bpchar")) {
      return Kind.CHAR;
    }
    return switch (type) {
      case "smallint", "integer", "bigint" -> Kind.INTEGER;
      case "real", "double precision" -> Kind.FLOAT;
      case "date" -> Kind.DATE;
      case "bytea" -> Kind.BYTEA;
      case "boolean" -> Kind.BOOLEAN;
      case "uuid" -> Kind.UUID;
      case "xml" -> Kind.XML;
      default -> Kind.TEXT;
    };
  }

  /**
   * Whether an element's canonical text is its text output after a cast to text (text, varchar,
   * char, enum, json, uuid, boolean, integers): such arrays render as PostgreSQL's own text[]
   * output.
   */
  public boolean elementsAsText() {
    return switch (kind) {
      case TEXT, CHAR, UUID, BOOLEAN, INTEGER -> true;
      default -> false;
    };
  }

  /**
   * Whether the canonical text can contain any character, U+FFFF included (text, char, xml and
   * everything rendered as its text output), as opposed to only ASCII (numbers, hex, booleans,
   * uuids). The SQL row text escapes U+FFFF only in the former; in the latter escaping changes
   * nothing.
   */
  public boolean anyCharacter() {
    return switch (kind) {
      case TEXT, CHAR, XML -> true;
      default -> false;
    };
  }

  /**
   * Whether every canonical text of the kind belongs to a prefix-free set of ASCII words that
   * neither starts with U+FFFF nor is a prefix of another (floats: 16 hex digits or {@code NaN};
   * timestamps: 16 hex digits; intervals: 32 hex digits; booleans: {@code true} or {@code false}):
   * such a value ends where its word ends, so its row-text field needs neither escaping nor the end
   * marker, which saves PostgreSQL a concatenation per value. Arrays never are.
   */
  public boolean selfDelimiting() {
    return !array
        && switch (kind) {
          case FLOAT, TIMESTAMP, INTERVAL, BOOLEAN -> true;
          default -> false;
        };
  }

  /**
   * Whether the column is {@code timestamp with time zone} (as opposed to a wall-clock timestamp).
   */
  static boolean withTimeZone(ColumnSpec column) {
    return column.type().toLowerCase(Locale.ROOT).contains("with time zone");
  }
}
