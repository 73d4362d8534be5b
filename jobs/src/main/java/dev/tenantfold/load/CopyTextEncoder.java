package dev.tenantfold.load;

import dev.tenantfold.extract.ColumnSpec;
import dev.tenantfold.jdbc.PgArrayText;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.util.DateTimeUtils;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.ByteType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DateType;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.NullType;
import org.apache.spark.sql.types.ShortType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.types.TimestampNTZType;
import org.apache.spark.sql.types.TimestampType;

/**
 * Encodes Spark rows as lines of PostgreSQL's COPY text format (tab-separated, {@code \N} for NULL,
 * backslash escapes), so rows that only exist in Spark (a Parquet snapshot export, deduplicated
 * rows) load through the same {@code COPY ... FROM STDIN} as the live JDBC streams.
 *
 * <p>Every value is written in a form PostgreSQL reads back as exactly the same value: numerics in
 * plain notation, floats as Java's round-trip text ({@code NaN}, {@code Infinity}, {@code -0.0}
 * included), timestamps with microseconds ({@code +00} for {@code timestamptz}), dates and
 * timestamps in the proleptic Gregorian calendar with {@code BC} years, the export's infinity
 * sentinels as {@code infinity}, bytea as hex, arrays as array literals with PostgreSQL's quoting.
 * See docs/dataset-loads.md for the full table.
 *
 * <p>Values are the external types of a {@link Row}: a {@code TimestampType} value is an {@link
 * Instant}, a {@code java.sql.Timestamp} or a {@code Long} of microseconds since the epoch (what
 * {@code unix_micros} returns); a {@code DateType} value a {@link LocalDate}, a {@code
 * java.sql.Date} or an {@code Integer} of days ({@code unix_date}); arrays a Scala {@code Seq}, a
 * Java {@code List} or an {@code Object[]}. {@link DatasetCopyLoader} hands over timestamps and
 * dates as numbers, so the result depends on neither {@code spark.sql.datetime.java8API.enabled}
 * nor the JVM's time zone and calendar.
 *
 * <p>The encoder is built once per task from the target columns (tenant column first, in the order
 * of the COPY column list) and the Dataset's schema, which must name the same columns in the same
 * order; the per-value work is resolved then, so encoding is a switch-free walk over the row into
 * one reusable byte buffer. Not thread-safe: one instance per task.
 */
public final class CopyTextEncoder {
  /**
   * What the Parquet export writes for {@code ±infinity} (docs/checksums.md): the extreme
   * microseconds and days.
   */
  static final Instant INSTANT_INFINITY = instantOfMicros(Long.MAX_VALUE);

  static final Instant INSTANT_MINUS_INFINITY = instantOfMicros(Long.MIN_VALUE);
  static final LocalDateTime LOCAL_INFINITY =
      LocalDateTime.ofInstant(INSTANT_INFINITY, ZoneOffset.UTC);
  static final LocalDateTime LOCAL_MINUS_INFINITY =
      LocalDateTime.ofInstant(INSTANT_MINUS_INFINITY, ZoneOffset.UTC);

  private static final int INITIAL_BUFFER = 1 << 12;

  /** A buffer grown past this by one huge row is given back after the row is written. */
  private static final int RETAINED_BUFFER = 1 << 20;

  private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

  private final String[] names;
  private final String[] targetTypes;
  private final Renderer[] renderers;
  private final StringBuilder scratch = new StringBuilder(256);
  private byte[] buf = new byte[INITIAL_BUFFER];
  private int len;

  /**
   * @param columns the COPY columns in order, {@link ColumnSpec#type()} being PostgreSQL's {@code
   *     format_type} text (the tenant column is {@code text})
   * @param schema the Dataset's schema: the same columns, by name (case-insensitive), in the same
   *     order
   * @throws IllegalArgumentException naming the column when the schema does not match or a Spark
   *     type has no COPY text form
   */
  public CopyTextEncoder(List<ColumnSpec> columns, StructType schema) {
    List<CopyColumn> copyColumns = CopyColumn.of(columns, schema);
    names = new String[copyColumns.size()];
    targetTypes = new String[copyColumns.size()];
    renderers = new Renderer[copyColumns.size()];
    for (int i = 0; i < renderers.length; i++) {
      CopyColumn column = copyColumns.get(i);
      names[i] = column.name();
      targetTypes[i] = column.targetType();
      renderers[i] = renderer(column.sparkType(), column);
    }
  }

  /** Encodes {@code row} as one COPY line, newline included, and writes it to {@code out}. */
  public void write(Row row, OutputStream out) throws IOException {
    encode(row);
    buf[len++] = '\n';
    out.write(buf, 0, len);
    if (buf.length > RETAINED_BUFFER) {
      buf = new byte[INITIAL_BUFFER];
    }
  }

  /** The COPY line for {@code row} without its newline, as text: for tests and diagnostics. */
  public String line(Row row) {
    encode(row);
    return new String(buf, 0, len, StandardCharsets.UTF_8);
  }

  private void encode(Row row) {
    if (row.length() != renderers.length) {
      throw new IllegalArgumentException(
          "Cannot encode row: it has "
              + row.length()
              + " values, the target "
              + renderers.length
              + " columns");
    }
    len = 0;
    for (int i = 0; i < renderers.length; i++) {
      if (i > 0) {
        ensure(1);
        buf[len++] = '\t';
      }
      Object value = row.get(i);
      if (value == null) {
        ensure(2);
        buf[len++] = '\\';
        buf[len++] = 'N';
        continue;
      }
      try {
        writeField(renderers[i], value);
      } catch (RuntimeException e) {
        throw new IllegalArgumentException(
            "Cannot encode column "
                + names[i]
                + " ("
                + targetTypes[i]
                + ") from a "
                + value.getClass().getSimpleName()
                + ": "
                + e.getMessage(),
            e);
      }
    }
  }

  private void writeField(Renderer renderer, Object value) {
    if (renderer == TEXT) {
      appendEscaped((value instanceof String s) ? s : value.toString());
    } else if (renderer == BYTEA) {
      byte[] bytes = (byte[]) value;
      ensure(3 + 2 * bytes.length);
      buf[len++] = '\\'; // bytea's own "\x" prefix, its backslash escaped for COPY
      buf[len++] = '\\';
      buf[len++] = 'x';
      for (byte b : bytes) {
        buf[len++] = HEX[(b >> 4) & 0xf];
        buf[len++] = HEX[b & 0xf];
      }
    } else {
      scratch.setLength(0);
      renderer.render(value, scratch);
      if (renderer.plainAscii()) {
        appendAscii(scratch);
      } else {
        appendEscaped(scratch);
      }
    }
  }

  private void appendAscii(CharSequence s) {
    int n = s.length();
    ensure(n);
    for (int i = 0; i < n; i++) {
      buf[len++] = (byte) s.charAt(i);
    }
  }

  /**
   * UTF-8 with COPY text escapes: backslash, newline, carriage return and tab must be escaped (the
   * latter three are the row and column delimiters); backspace, form feed and vertical tab get
   * their named escapes as PostgreSQL's own COPY TO writes them; other control characters are data
   * and pass as they are. NUL cannot be stored in PostgreSQL text at all.
   */
  private void appendEscaped(CharSequence s) {
    int n = s.length();
    ensure(3 * n);
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        if (c >= 0x20 && c != '\\') {
          buf[len++] = (byte) c;
          continue;
        }
        byte escape =
            switch (c) {
              case '\\' -> '\\';
              case '\n' -> 'n';
              case '\r' -> 'r';
              case '\t' -> 't';
              case '\b' -> 'b';
              case '\f' -> 'f';
              case 0x0B -> 'v';
              case 0 -> throw Utf8.nul();
              default -> 0;
            };
        if (escape == 0) {
          buf[len++] = (byte) c;
        } else {
          buf[len++] = '\\';
          buf[len++] = escape;
        }
      } else {
        len = Utf8.putNonAscii(s, i, buf, len);
        if (Character.isSurrogate(c)) {
          i++;
        }
      }
    }
  }

  private void ensure(int more) {
    if (len + more + 1 > buf.length) { // + 1: room for the line's newline
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + more + 1));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Renderers: a value's PostgreSQL input text, before COPY escaping. Resolved once per column.

  /**
   * Writes one non-null value's PostgreSQL text; {@code plainAscii} when it never needs COPY
   * escapes.
   */
  private interface Renderer {
    void render(Object value, StringBuilder out);

    default boolean plainAscii() {
      return true;
    }
  }

  private static final Renderer TEXT =
      new Renderer() {
        @Override
        public void render(Object value, StringBuilder out) {
          out.append(value.toString());
        }

        @Override
        public boolean plainAscii() {
          return false;
        }
      };

  private static final Renderer BYTEA =
      (value, out) -> {
        byte[] bytes = (byte[]) value;
        out.append("\\x");
        for (byte b : bytes) {
          out.append((char) HEX[(b >> 4) & 0xf]).append((char) HEX[b & 0xf]);
        }
      };

  private static final Renderer BOOLEAN = (value, out) -> out.append(((Boolean) value) ? 't' : 'f');

  private static final Renderer INTEGRAL = (value, out) -> out.append(((Number) value).longValue());

  private static final Renderer DECIMAL =
      (value, out) -> out.append(((BigDecimal) value).toPlainString());

  /**
   * Shortest text that Java (and so any correctly rounding parser, like PostgreSQL's) reads back as
   * the same float.
   */
  private static final Renderer FLOAT = (value, out) -> out.append(Float.toString((Float) value));

  /**
   * A float into {@code double precision}: widened exactly, as PostgreSQL's {@code float4::float8}.
   */
  private static final Renderer FLOAT_WIDENED =
      (value, out) -> out.append(Double.toString((Float) value));

  private static final Renderer DOUBLE =
      (value, out) -> out.append(Double.toString((Double) value));

  /**
   * A double into {@code real}: rounded once to the nearest float, as PostgreSQL's {@code
   * float8::float4}; a value that overflows or underflows a float is written unrounded so
   * PostgreSQL rejects it, as its cast does.
   */
  private static final Renderer DOUBLE_TO_REAL =
      (value, out) -> {
        double d = (Double) value;
        float f = (float) d;
        boolean lost = (Float.isInfinite(f) && !Double.isInfinite(d)) || (f == 0 && d != 0);
        out.append(lost ? Double.toString(d) : Float.toString(f));
      };

  private static final Renderer DATE =
      (value, out) -> {
        long days =
            value instanceof Integer i
                ? i
                : value instanceof LocalDate d
                    ? d.toEpochDay()
                    : DateTimeUtils.fromJavaDate((java.sql.Date) value);
        if (days == Integer.MAX_VALUE) {
          out.append("infinity");
        } else if (days == Integer.MIN_VALUE) {
          out.append("-infinity");
        } else {
          LocalDate d = LocalDate.ofEpochDay(days);
          appendDate(out, d.getYear(), d.getMonthValue(), d.getDayOfMonth());
          appendEra(out, d.getYear());
        }
      };

  private static Renderer instant(boolean withOffset) {
    return (value, out) -> {
      LocalDateTime utc;
      if (value instanceof Instant i) {
        if (i.equals(INSTANT_INFINITY)) {
          out.append("infinity");
          return;
        } else if (i.equals(INSTANT_MINUS_INFINITY)) {
          out.append("-infinity");
          return;
        }
        utc = LocalDateTime.ofEpochSecond(i.getEpochSecond(), i.getNano(), ZoneOffset.UTC);
      } else {
        // Microseconds as unix_micros gives them (DatasetCopyLoader's transport), or a
        // java.sql.Timestamp
        // (spark.sql.datetime.java8API.enabled=false) whose calendar rebasing Spark's own inverse
        // undoes.
        long micros =
            value instanceof Long l
                ? l
                : DateTimeUtils.fromJavaTimestamp((java.sql.Timestamp) value);
        if (micros == Long.MAX_VALUE) {
          out.append("infinity");
          return;
        } else if (micros == Long.MIN_VALUE) {
          out.append("-infinity");
          return;
        }
        utc =
            LocalDateTime.ofEpochSecond(
                Math.floorDiv(micros, 1_000_000L),
                (int) Math.floorMod(micros, 1_000_000L) * 1_000,
                ZoneOffset.UTC);
      }
      appendTimestamp(out, utc, withOffset);
    };
  }

  private static Renderer localDateTime(boolean withOffset) {
    return (value, out) -> {
      LocalDateTime t = (LocalDateTime) value;
      if (t.equals(LOCAL_INFINITY)) {
        out.append("infinity");
      } else if (t.equals(LOCAL_MINUS_INFINITY)) {
        out.append("-infinity");
      } else {
        appendTimestamp(out, t, withOffset);
      }
    };
  }

  private static void appendTimestamp(StringBuilder out, LocalDateTime t, boolean withOffset) {
    appendDate(out, t.getYear(), t.getMonthValue(), t.getDayOfMonth());
    out.append(' ');
    pad(out, t.getHour(), 2).append(':');
    pad(out, t.getMinute(), 2).append(':');
    pad(out, t.getSecond(), 2);
    int micros =
        t.getNano()
            / 1_000; // Spark holds microseconds; finer digits (never produced by Spark) are dropped
    // like Spark does
    if (micros != 0) {
      pad(out.append('.'), micros, 6);
    }
    if (withOffset) {
      out.append("+00");
    }
    appendEra(out, t.getYear());
  }

  /** ISO date with PostgreSQL's era: proleptic year 0 is 1 BC, written {@code 0001-.. BC}. */
  private static void appendDate(StringBuilder out, int year, int month, int day) {
    pad(out, year > 0 ? year : 1 - year, 4).append('-');
    pad(out, month, 2).append('-');
    pad(out, day, 2);
  }

  private static void appendEra(StringBuilder out, int year) {
    if (year <= 0) {
      out.append(" BC");
    }
  }

  private static StringBuilder pad(StringBuilder out, int value, int width) {
    for (int limit = 10, digits = 1; digits < width; limit *= 10, digits++) {
      if (value < limit) {
        out.append('0');
      }
    }
    return out.append(value);
  }

  /**
   * An array literal: {@code {a,"b c",NULL}}, nested for more dimensions; COPY-escaped afterwards
   * as a whole.
   */
  private static final class ArrayRenderer implements Renderer {
    private final Renderer element;
    private final boolean nested;
    private final StringBuilder item = new StringBuilder(64);

    ArrayRenderer(Renderer element) {
      this.element = element;
      this.nested = element instanceof ArrayRenderer;
    }

    @Override
    public void render(Object value, StringBuilder out) {
      out.append('{');
      boolean first = true;
      if (value instanceof scala.collection.Iterable<?> seq) {
        scala.collection.Iterator<?> it = seq.iterator();
        while (it.hasNext()) {
          first = appendElement(it.next(), out, first);
        }
      } else if (value instanceof Iterable<?> list) {
        for (Object o : list) {
          first = appendElement(o, out, first);
        }
      } else if (value instanceof Object[] array) {
        for (Object o : array) {
          first = appendElement(o, out, first);
        }
      } else {
        throw new IllegalArgumentException("an array column holds a " + value.getClass().getName());
      }
      out.append('}');
    }

    private boolean appendElement(Object value, StringBuilder out, boolean first) {
      if (!first) {
        out.append(',');
      }
      if (value == null) {
        out.append("NULL");
      } else if (nested) {
        element.render(value, out);
      } else {
        item.setLength(0);
        element.render(value, item);
        PgArrayText.appendElement(out, item);
      }
      return false;
    }

    @Override
    public boolean plainAscii() {
      return false;
    }
  }

  private static Renderer renderer(DataType spark, CopyColumn column) {
    if (spark instanceof ArrayType array) {
      return new ArrayRenderer(renderer(array.elementType(), column));
    }
    boolean real = column.intoReal();
    boolean withOffset = column.withOffset();
    if (spark instanceof StringType) {
      return TEXT;
    } else if (spark instanceof BinaryType) {
      return BYTEA;
    } else if (spark instanceof BooleanType) {
      return BOOLEAN;
    } else if (spark instanceof ByteType
        || spark instanceof ShortType
        || spark instanceof IntegerType
        || spark instanceof LongType) {
      return INTEGRAL;
    } else if (spark instanceof DecimalType) {
      return DECIMAL;
    } else if (spark instanceof FloatType) {
      return real ? FLOAT : FLOAT_WIDENED;
    } else if (spark instanceof DoubleType) {
      return real ? DOUBLE_TO_REAL : DOUBLE;
    } else if (spark instanceof DateType) {
      return DATE;
    } else if (spark instanceof TimestampType) {
      // An instant; into "timestamp without time zone" it is the wall clock read as UTC (the
      // export's convention).
      return instant(withOffset);
    } else if (spark instanceof TimestampNTZType) {
      // A wall clock; into timestamptz it is read as UTC, explicitly, whatever the session's
      // TimeZone.
      return localDateTime(withOffset);
    } else if (spark instanceof NullType) {
      return TEXT; // never called: every value of a NullType column is NULL
    }
    throw new IllegalArgumentException(
        "Cannot encode column "
            + column.name()
            + " ("
            + column.targetType()
            + "): Spark type "
            + spark.simpleString()
            + " has no PostgreSQL COPY text form here; convert it first (e.g. to_json for a struct"
            + " or map into json/jsonb, a string in PostgreSQL's input syntax for intervals and"
            + " other types)");
  }

  private static Instant instantOfMicros(long micros) {
    return Instant.ofEpochSecond(
        Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L);
  }
}
