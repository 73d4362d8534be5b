package dev.tenantfold.load;

import dev.tenantfold.extract.ColumnSpec;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
 * Encodes Spark rows in PostgreSQL's binary COPY format (docs "COPY: Binary Format"): a signature
 * header, per row an int16 field count, per field an int32 length ({@code -1} for NULL) and the
 * value in its type's send format, and an int16 {@code -1} trailer. The server reads each value
 * with the column type's receive function, which spares it the text parsing (about 1 CPU-us per row
 * of a 13-column table) and spares the JVM formatting doubles, timestamps and numerics as text.
 *
 * <p>Binary carries a value only into the type it was encoded for, so only these staging types are
 * written, each from the Spark types {@link CopyTextEncoder} loads into it ({@link #unsupported}
 * names the first column outside them; the loader then loads the whole table as text):
 *
 * <ul>
 *   <li>{@code smallint}, {@code integer}, {@code bigint} from any Spark integral type (range
 *       checked);
 *   <li>{@code real}, {@code double precision} from floats and doubles, a double rounded into
 *       {@code real} as {@link CopyTextEncoder} does (NaN and infinities kept, -0.0 kept);
 *   <li>{@code numeric} from a decimal or from a string in PostgreSQL's numeric input syntax (the
 *       export restores numerics as their text), {@code NaN} and {@code ±Infinity} included, the
 *       display scale being the string's digits after the point, as {@code numeric_in} counts it;
 *   <li>{@code boolean}; {@code bytea} from binary;
 *   <li>{@code text}, {@code character varying}, {@code character}, {@code json}, {@code jsonb}
 *       (version byte 1 and the text), {@code uuid} (parsed as {@code uuid_in} does) and a scalar
 *       enum (its label) from strings; the receive functions apply the type modifier ({@code
 *       varchar(n)}, {@code char(n)}) and validation (json) as text input does;
 *   <li>{@code date} from dates (days since 2000-01-01, the export's ±infinity sentinels as int32
 *       max/min) and {@code timestamp}, {@code timestamptz} from timestamps (microseconds since
 *       2000-01-01 UTC, ±infinity as int64 max/min), proleptic Gregorian as PostgreSQL;
 *   <li>arrays of the above except enums and domains (whose element type's OID is the database's
 *       own), of any number of dimensions when rectangular, NULL elements included; a column that
 *       is always NULL ({@code NullType}) into any scalar type.
 * </ul>
 *
 * Anything else (intervals, times, network and geometric types, money, bit strings, ranges, arrays
 * of enums or domains) keeps the text format, whose input functions parse whatever text the Dataset
 * holds. Values are the external types {@link CopyTextEncoder} takes; one instance per task, not
 * thread-safe.
 */
public final class CopyBinaryEncoder {
  /** {@code PGCOPY\n\377\r\n\0}, flags 0, header extension length 0. */
  private static final byte[] HEADER = {
    'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xFF, '\r', '\n', 0, 0, 0, 0, 0, 0, 0, 0, 0
  };

  private static final byte[] TRAILER = {(byte) 0xFF, (byte) 0xFF};

  /** 2000-01-01, PostgreSQL's epoch, in microseconds and days since 1970-01-01. */
  private static final long POSTGRES_EPOCH_MICROS = 946_684_800_000_000L;

  private static final int POSTGRES_EPOCH_DAYS = 10_957;

  private static final short NUMERIC_POS = 0x0000;
  private static final short NUMERIC_NEG = 0x4000;
  private static final short NUMERIC_NAN = (short) 0xC000;
  private static final short NUMERIC_PINF = (short) 0xD000;
  private static final short NUMERIC_NINF = (short) 0xF000;
  private static final int NUMERIC_DSCALE_MAX = 0x3FFF;

  private static final int INITIAL_BUFFER = 1 << 12;
  private static final int RETAINED_BUFFER = 1 << 20;

  /** The staging types written in binary, by base type: their element OID inside an array. */
  private static final Map<String, Integer> ELEMENT_OIDS =
      Map.ofEntries(
          Map.entry("boolean", 16),
          Map.entry("bytea", 17),
          Map.entry("bigint", 20),
          Map.entry("smallint", 21),
          Map.entry("integer", 23),
          Map.entry("text", 25),
          Map.entry("json", 114),
          Map.entry("real", 700),
          Map.entry("double precision", 701),
          Map.entry("character", 1042),
          Map.entry("character varying", 1043),
          Map.entry("date", 1082),
          Map.entry("timestamp without time zone", 1114),
          Map.entry("timestamp with time zone", 1184),
          Map.entry("numeric", 1700),
          Map.entry("uuid", 2950),
          Map.entry("jsonb", 3802));

  private final String[] names;
  private final String[] targetTypes;
  private final Field[] fields;
  private byte[] buf = new byte[INITIAL_BUFFER];
  private int len;

  /**
   * @throws IllegalArgumentException naming the column when the schema does not match the columns
   *     or a column is one {@link #unsupported} names
   */
  public CopyBinaryEncoder(List<ColumnSpec> columns, StructType schema) {
    List<CopyColumn> copyColumns = CopyColumn.of(columns, schema);
    names = new String[copyColumns.size()];
    targetTypes = new String[copyColumns.size()];
    fields = new Field[copyColumns.size()];
    for (int i = 0; i < fields.length; i++) {
      CopyColumn column = copyColumns.get(i);
      names[i] = column.name();
      targetTypes[i] = column.targetType();
      fields[i] = field(column.sparkType(), column);
      if (fields[i] == null) {
        throw new IllegalArgumentException(
            "Cannot encode column "
                + column.name()
                + " ("
                + column.targetType()
                + ") from Spark type "
                + column.sparkType().simpleString()
                + " in PostgreSQL's binary COPY format; load the table as text");
      }
    }
  }

  /**
   * The first column binary COPY cannot carry, as {@code column (type) from spark type}, or empty
   * when every column is one this encoder writes.
   *
   * @throws IllegalArgumentException when the schema does not match the columns
   */
  public static Optional<String> unsupported(List<ColumnSpec> columns, StructType schema) {
    for (CopyColumn column : CopyColumn.of(columns, schema)) {
      if (field(column.sparkType(), column) == null) {
        return Optional.of(
            column.name()
                + " ("
                + column.targetType()
                + ") from Spark type "
                + column.sparkType().simpleString());
      }
    }
    return Optional.empty();
  }

  /** The stream's header: once, before the first row. */
  public void writeHeader(OutputStream out) throws IOException {
    out.write(HEADER);
  }

  /** The stream's trailer: once, after the last row. */
  public void writeTrailer(OutputStream out) throws IOException {
    out.write(TRAILER);
  }

  /** Encodes {@code row} as one binary COPY tuple and writes it to {@code out}. */
  public void write(Row row, OutputStream out) throws IOException {
    encode(row);
    out.write(buf, 0, len);
    if (buf.length > RETAINED_BUFFER) {
      buf = new byte[INITIAL_BUFFER];
    }
  }

  /** The tuple for {@code row}: for tests and diagnostics. */
  byte[] tuple(Row row) {
    encode(row);
    return Arrays.copyOf(buf, len);
  }

  private void encode(Row row) {
    if (row.length() != fields.length) {
      throw new IllegalArgumentException(
          "Cannot encode row: it has "
              + row.length()
              + " values, the target "
              + fields.length
              + " columns");
    }
    len = 0;
    putShort(fields.length);
    for (int i = 0; i < fields.length; i++) {
      Object value = row.get(i);
      if (value == null) {
        putInt(-1);
        continue;
      }
      try {
        fields[i].put(this, value);
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

  // ---------------------------------------------------------------------------------------------
  // Fields: a non-null value's int32 length and send format. Resolved once per column.

  @FunctionalInterface
  private interface Field {
    void put(CopyBinaryEncoder e, Object value);
  }

  /** The column's field writer, or null when binary COPY does not carry it. */
  private static Field field(DataType spark, CopyColumn column) {
    String base = column.baseType();
    if (spark instanceof ArrayType array) {
      DataType element = array.elementType();
      int depth = 1;
      while (element instanceof ArrayType nested) {
        element = nested.elementType();
        depth++;
      }
      if (!column.array()
          || column.enumType() != null
          || column.domain() != null
          || element instanceof NullType
          || !ELEMENT_OIDS.containsKey(base)) {
        return null;
      }
      Field scalar = scalarField(element, column);
      return scalar == null ? null : new ArrayField(scalar, depth, ELEMENT_OIDS.get(base));
    }
    if (column.array()) {
      return null; // an array column fed a scalar: text's error names it
    }
    if (spark instanceof NullType) {
      return (e, v) -> e.putInt(-1);
    }
    return scalarField(spark, column);
  }

  /** A scalar's, or an array element's, field writer, or null. */
  private static Field scalarField(DataType spark, CopyColumn column) {
    String base = column.baseType();
    if (spark instanceof StringType) {
      if (column.enumType() != null) {
        return TEXT;
      }
      return switch (base) {
        case "text", "character varying", "character", "json" -> TEXT;
        case "jsonb" -> JSONB;
        case "uuid" -> UUID;
        case "numeric" -> NUMERIC_TEXT;
        default -> null;
      };
    }
    if (column.enumType() != null) {
      return null;
    }
    if (spark instanceof BinaryType) {
      return base.equals("bytea") ? BYTEA : null;
    } else if (spark instanceof BooleanType) {
      return base.equals("boolean") ? BOOLEAN : null;
    } else if (spark instanceof ByteType
        || spark instanceof ShortType
        || spark instanceof IntegerType
        || spark instanceof LongType) {
      return switch (base) {
        case "smallint" -> INT2;
        case "integer" -> INT4;
        case "bigint" -> INT8;
        default -> null;
      };
    } else if (spark instanceof DecimalType) {
      return base.equals("numeric") ? NUMERIC_DECIMAL : null;
    } else if (spark instanceof FloatType || spark instanceof DoubleType) {
      return switch (base) {
        case "real" -> FLOAT4;
        case "double precision" -> FLOAT8;
        default -> null;
      };
    } else if (spark instanceof DateType) {
      return base.equals("date") ? DATE : null;
    } else if (spark instanceof TimestampType || spark instanceof TimestampNTZType) {
      return base.equals("timestamp with time zone") || base.equals("timestamp without time zone")
          ? TIMESTAMP
          : null;
    }
    return null;
  }

  private static final Field TEXT =
      (e, v) -> {
        int at = e.startField();
        e.putUtf8((v instanceof String s) ? s : v.toString());
        e.endField(at);
      };

  private static final Field JSONB =
      (e, v) -> {
        int at = e.startField();
        e.putByte(1); // jsonb's binary format version
        e.putUtf8((String) v);
        e.endField(at);
      };

  private static final Field UUID =
      (e, v) -> {
        e.putInt(16);
        e.putUuid((String) v);
      };

  private static final Field BYTEA =
      (e, v) -> {
        byte[] bytes = (byte[]) v;
        e.putInt(bytes.length);
        e.ensure(bytes.length);
        System.arraycopy(bytes, 0, e.buf, e.len, bytes.length);
        e.len += bytes.length;
      };

  private static final Field BOOLEAN =
      (e, v) -> {
        e.putInt(1);
        e.putByte(((Boolean) v) ? 1 : 0);
      };

  private static final Field INT2 =
      (e, v) -> {
        e.putInt(2);
        e.putShort((short) inRange(((Number) v).longValue(), Short.MIN_VALUE, Short.MAX_VALUE));
      };

  private static final Field INT4 =
      (e, v) -> {
        e.putInt(4);
        e.putInt((int) inRange(((Number) v).longValue(), Integer.MIN_VALUE, Integer.MAX_VALUE));
      };

  private static final Field INT8 =
      (e, v) -> {
        e.putInt(8);
        e.putLong(((Number) v).longValue());
      };

  /**
   * A float into {@code real} as it is; a double rounded once to the nearest float, as PostgreSQL's
   * {@code float8::float4}, which refuses one that overflows or underflows a float.
   */
  private static final Field FLOAT4 =
      (e, v) -> {
        float f;
        if (v instanceof Float x) {
          f = x;
        } else {
          double d = (Double) v;
          f = (float) d;
          if ((Float.isInfinite(f) && !Double.isInfinite(d)) || (f == 0 && d != 0)) {
            throw new IllegalArgumentException(
                "value " + Double.toString(d) + " is out of range for type real");
          }
        }
        e.putInt(4);
        e.putInt(Float.floatToIntBits(f));
      };

  /** A float widened exactly, as PostgreSQL's {@code float4::float8}. */
  private static final Field FLOAT8 =
      (e, v) -> {
        e.putInt(8);
        e.putLong(Double.doubleToLongBits(((Number) v).doubleValue()));
      };

  private static final Field NUMERIC_TEXT = (e, v) -> e.putNumeric((String) v);

  private static final Field NUMERIC_DECIMAL =
      (e, v) -> e.putNumeric(((BigDecimal) v).toPlainString());

  private static final Field DATE =
      (e, v) -> {
        long days =
            v instanceof Integer i
                ? i
                : v instanceof LocalDate d
                    ? d.toEpochDay()
                    : DateTimeUtils.fromJavaDate((java.sql.Date) v);
        int pgDays;
        if (days == Integer.MAX_VALUE) {
          pgDays = Integer.MAX_VALUE; // DATEVAL_NOEND
        } else if (days == Integer.MIN_VALUE) {
          pgDays = Integer.MIN_VALUE; // DATEVAL_NOBEGIN
        } else {
          pgDays = Math.toIntExact(days - POSTGRES_EPOCH_DAYS);
        }
        e.putInt(4);
        e.putInt(pgDays);
      };

  /**
   * Microseconds since 2000-01-01 UTC: into {@code timestamptz} the instant, into {@code timestamp}
   * its UTC wall clock, which is the same number; a wall clock ({@code TimestampNTZ}) is read as
   * UTC into either.
   */
  private static final Field TIMESTAMP =
      (e, v) -> {
        long micros;
        if (v instanceof Long l) {
          micros = l;
        } else if (v instanceof Instant i) {
          micros =
              i.equals(CopyTextEncoder.INSTANT_INFINITY)
                  ? Long.MAX_VALUE
                  : i.equals(CopyTextEncoder.INSTANT_MINUS_INFINITY)
                      ? Long.MIN_VALUE
                      : Math.addExact(
                          Math.multiplyExact(i.getEpochSecond(), 1_000_000L), i.getNano() / 1_000);
        } else if (v instanceof LocalDateTime t) {
          micros =
              t.equals(CopyTextEncoder.LOCAL_INFINITY)
                  ? Long.MAX_VALUE
                  : t.equals(CopyTextEncoder.LOCAL_MINUS_INFINITY)
                      ? Long.MIN_VALUE
                      : Math.addExact(
                          Math.multiplyExact(t.toEpochSecond(ZoneOffset.UTC), 1_000_000L),
                          t.getNano() / 1_000);
        } else {
          micros = DateTimeUtils.fromJavaTimestamp((java.sql.Timestamp) v);
        }
        long pgMicros;
        if (micros == Long.MAX_VALUE) {
          pgMicros = Long.MAX_VALUE; // DT_NOEND
        } else if (micros == Long.MIN_VALUE) {
          pgMicros = Long.MIN_VALUE; // DT_NOBEGIN
        } else {
          pgMicros = Math.subtractExact(micros, POSTGRES_EPOCH_MICROS);
        }
        e.putInt(8);
        e.putLong(pgMicros);
      };

  /**
   * An array: ndim, has-null flag, element OID, each dimension's size and lower bound (1), then the
   * elements in row-major order; an empty one has no dimensions. Nested Spark arrays are the
   * dimensions and must be rectangular, as PostgreSQL's arrays are.
   */
  private record ArrayField(Field element, int depth, int elementOid) implements Field {
    @Override
    public void put(CopyBinaryEncoder e, Object value) {
      int[] dims = new int[depth];
      Object level = value;
      for (int d = 0; d < depth; d++) {
        if (level == null) {
          throw new IllegalArgumentException(
              "a multi-dimensional array holds a NULL sub-array, which PostgreSQL cannot store");
        }
        dims[d] = size(level);
        level = dims[d] == 0 ? null : elementAt(level, 0);
        if (dims[d] == 0) {
          break;
        }
      }
      int at = e.startField();
      boolean empty = Arrays.stream(dims).anyMatch(n -> n == 0);
      if (empty) {
        checkEmpty(value, 0);
        e.putInt(0);
        e.putInt(0);
        e.putInt(elementOid);
        e.endField(at);
        return;
      }
      e.putInt(depth);
      int flags = e.len;
      e.putInt(0);
      e.putInt(elementOid);
      for (int n : dims) {
        e.putInt(n);
        e.putInt(1);
      }
      if (putElements(e, value, dims, 0)) {
        e.setInt(flags, 1);
      }
      e.endField(at);
    }

    /** Writes a sub-array's elements; true when one of them is NULL. */
    private boolean putElements(CopyBinaryEncoder e, Object array, int[] dims, int d) {
      int n = size(array);
      if (n != dims[d]) {
        throw new IllegalArgumentException(
            "a multi-dimensional array's sub-arrays differ in size ("
                + n
                + " and "
                + dims[d]
                + " elements), which PostgreSQL cannot store");
      }
      boolean nulls = false;
      for (int i = 0; i < n; i++) {
        Object item = elementAt(array, i);
        if (d + 1 < depth) {
          if (item == null) {
            throw new IllegalArgumentException(
                "a multi-dimensional array holds a NULL sub-array, which PostgreSQL cannot store");
          }
          nulls |= putElements(e, item, dims, d + 1);
        } else if (item == null) {
          e.putInt(-1);
          nulls = true;
        } else {
          element.put(e, item);
        }
      }
      return nulls;
    }

    /** An array with a dimension of size 0 is empty only when every sub-array is. */
    private void checkEmpty(Object array, int d) {
      int n = size(array);
      for (int i = 0; i < n; i++) {
        Object item = elementAt(array, i);
        if (d + 1 >= depth || item == null || size(item) != 0) {
          throw new IllegalArgumentException(
              "a multi-dimensional array's sub-arrays differ in size, which PostgreSQL cannot"
                  + " store");
        }
        checkEmpty(item, d + 1);
      }
    }

    private static int size(Object array) {
      if (array instanceof scala.collection.Seq<?> seq) {
        return seq.length();
      } else if (array instanceof List<?> list) {
        return list.size();
      } else if (array instanceof Object[] items) {
        return items.length;
      }
      throw new IllegalArgumentException("an array column holds a " + array.getClass().getName());
    }

    private static Object elementAt(Object array, int i) {
      if (array instanceof scala.collection.Seq<?> seq) {
        return seq.apply(i);
      } else if (array instanceof List<?> list) {
        return list.get(i);
      }
      return ((Object[]) array)[i];
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Numeric: PostgreSQL's NumericVar as numeric_send writes it.

  /**
   * {@code s} in numeric_in's syntax (surrounding whitespace, sign, digits with one point, {@code
   * NaN}, {@code [+-]Infinity} or {@code [+-]inf} in any case; exponents through BigDecimal) as
   * ndigits, weight, sign, dscale and base-10000 digits aligned on the decimal point, stripped of
   * leading and trailing zero digits.
   */
  private void putNumeric(String s) {
    int from = 0;
    int to = s.length();
    while (from < to && isSpace(s.charAt(from))) {
      from++;
    }
    while (to > from && isSpace(s.charAt(to - 1))) {
      to--;
    }
    short special = special(s, from, to);
    if (special != 0) {
      putInt(8);
      putShort(0);
      putShort(0);
      putShort(special);
      putShort(0);
      return;
    }
    int i = from;
    boolean negative = false;
    if (i < to && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
      negative = s.charAt(i) == '-';
      i++;
    }
    int intStart = i;
    while (i < to && isDigit(s.charAt(i))) {
      i++;
    }
    int intEnd = i;
    int fracStart = i;
    int fracEnd = i;
    if (i < to && s.charAt(i) == '.') {
      fracStart = ++i;
      while (i < to && isDigit(s.charAt(i))) {
        i++;
      }
      fracEnd = i;
    }
    if (i != to || (intEnd == intStart && fracEnd == fracStart)) {
      // Exponents, underscores and other forms: BigDecimal's plain text, whose scale is
      // numeric_in's display scale.
      String plain;
      try {
        plain = new BigDecimal(s.substring(from, to)).toPlainString();
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "'" + s + "' is not a numeric in PostgreSQL's input syntax", e);
      }
      putNumeric(plain);
      return;
    }
    putDigits(s, negative, intStart, intEnd, fracStart, fracEnd);
  }

  private void putDigits(
      String s, boolean negative, int intStart, int intEnd, int fracStart, int fracEnd) {
    int intDigits = intEnd - intStart;
    int dscale = fracEnd - fracStart;
    if (dscale > NUMERIC_DSCALE_MAX) {
      throw new IllegalArgumentException(
          "'" + s + "' has more than " + NUMERIC_DSCALE_MAX + " digits after the decimal point");
    }
    int lead = (4 - intDigits % 4) % 4;
    int trail = (4 - dscale % 4) % 4;
    int groups = (lead + intDigits + dscale + trail) / 4;
    int weight = (lead + intDigits) / 4 - 1;
    int first = 0;
    while (first < groups && group(s, first, lead, intStart, intDigits, fracStart, dscale) == 0) {
      first++;
    }
    int last = groups - 1;
    while (last >= first && group(s, last, lead, intStart, intDigits, fracStart, dscale) == 0) {
      last--;
    }
    int ndigits = last - first + 1;
    if (ndigits == 0) {
      weight = 0;
    } else {
      weight -= first;
    }
    if (weight > Short.MAX_VALUE || weight < Short.MIN_VALUE || ndigits > Short.MAX_VALUE) {
      throw new IllegalArgumentException("'" + s + "' overflows PostgreSQL's numeric format");
    }
    putInt(8 + 2 * ndigits);
    putShort(ndigits);
    putShort(weight);
    putShort(negative && ndigits > 0 ? NUMERIC_NEG : NUMERIC_POS);
    putShort(dscale);
    for (int g = first; g <= last; g++) {
      putShort(group(s, g, lead, intStart, intDigits, fracStart, dscale));
    }
  }

  /**
   * Base-10000 digit {@code g} of the digits {@code lead} zeros, the integer digits, the fraction
   * digits, then zeros.
   */
  private static int group(
      String s, int g, int lead, int intStart, int intDigits, int fracStart, int fracDigits) {
    int value = 0;
    for (int k = 4 * g; k < 4 * g + 4; k++) {
      int digit;
      if (k < lead) {
        digit = 0;
      } else if (k < lead + intDigits) {
        digit = s.charAt(intStart + k - lead) - '0';
      } else if (k < lead + intDigits + fracDigits) {
        digit = s.charAt(fracStart + k - lead - intDigits) - '0';
      } else {
        digit = 0;
      }
      value = value * 10 + digit;
    }
    return value;
  }

  /** NaN, ±Infinity as numeric_in reads them (case-insensitive), else 0. */
  private static short special(String s, int from, int to) {
    if (to - from < 3 || isDigit(s.charAt(to - 1)) || s.charAt(to - 1) == '.') {
      return 0;
    }
    String word = s.substring(from, to);
    if (word.equalsIgnoreCase("NaN")) {
      return NUMERIC_NAN;
    }
    for (String infinity : new String[] {"Infinity", "inf"}) {
      if (word.equalsIgnoreCase(infinity) || word.equalsIgnoreCase("+" + infinity)) {
        return NUMERIC_PINF;
      } else if (word.equalsIgnoreCase("-" + infinity)) {
        return NUMERIC_NINF;
      }
    }
    return 0;
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  /** C's isspace, which numeric_in skips around the number. */
  private static boolean isSpace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0x0B || c == '\f';
  }

  // ---------------------------------------------------------------------------------------------
  // Bytes

  /** uuid_in's syntax: 32 hex digits, a hyphen allowed after any group of four, optional braces. */
  private void putUuid(String s) {
    int i = 0;
    int n = s.length();
    boolean braces = n > 0 && s.charAt(0) == '{';
    if (braces) {
      i++;
    }
    ensure(16);
    for (int b = 0; b < 16; b++) {
      int hi = i < n ? Character.digit(s.charAt(i), 16) : -1;
      int lo = i + 1 < n ? Character.digit(s.charAt(i + 1), 16) : -1;
      if (hi < 0 || lo < 0 || s.charAt(i) > 'f' || s.charAt(i + 1) > 'f') {
        throw new IllegalArgumentException("'" + s + "' is not a uuid");
      }
      buf[len++] = (byte) (hi << 4 | lo);
      i += 2;
      if (b % 2 == 1 && b < 15 && i < n && s.charAt(i) == '-') {
        i++;
      }
    }
    if (braces) {
      if (i >= n || s.charAt(i) != '}') {
        throw new IllegalArgumentException("'" + s + "' is not a uuid");
      }
      i++;
    }
    if (i != n) {
      throw new IllegalArgumentException("'" + s + "' is not a uuid");
    }
  }

  /**
   * UTF-8, refusing what PostgreSQL text cannot hold (NUL) and what is not valid UTF-8 (an unpaired
   * surrogate), as {@link CopyTextEncoder} does.
   */
  private void putUtf8(String s) {
    int n = s.length();
    ensure(3 * n);
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        if (c == 0) {
          throw Utf8.nul();
        }
        buf[len++] = (byte) c;
      } else {
        len = Utf8.putNonAscii(s, i, buf, len);
        if (Character.isSurrogate(c)) {
          i++;
        }
      }
    }
  }

  /** Reserves a field's length word; {@link #endField} fills it in. */
  private int startField() {
    putInt(0);
    return len;
  }

  private void endField(int start) {
    setInt(start - 4, len - start);
  }

  private void putByte(int b) {
    ensure(1);
    buf[len++] = (byte) b;
  }

  private void putShort(int v) {
    ensure(2);
    buf[len++] = (byte) (v >>> 8);
    buf[len++] = (byte) v;
  }

  private void putInt(int v) {
    ensure(4);
    setInt(len, v);
    len += 4;
  }

  private void setInt(int at, int v) {
    buf[at] = (byte) (v >>> 24);
    buf[at + 1] = (byte) (v >>> 16);
    buf[at + 2] = (byte) (v >>> 8);
    buf[at + 3] = (byte) v;
  }

  private void putLong(long v) {
    putInt((int) (v >>> 32));
    putInt((int) v);
  }

  private void ensure(int more) {
    if (len + more > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + more));
    }
  }

  private static long inRange(long v, long min, long max) {
    if (v < min || v > max) {
      throw new IllegalArgumentException(v + " is out of range for the column's integer type");
    }
    return v;
  }
}
