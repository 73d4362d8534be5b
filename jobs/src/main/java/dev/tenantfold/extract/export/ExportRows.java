package dev.tenantfold.extract.export;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import dev.tenantfold.extract.ColumnSpec;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.schema.Type;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.DateType;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.ShortType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.types.TimestampNTZType;
import org.apache.spark.sql.types.TimestampType;

/**
 * Reads one exported table as the target columns, restoring every value to the Spark type {@code
 * CopyTextEncoder} and {@code SparkChecksum} read exactly (docs/exports.md, "Restoring values").
 * RDS writes most PostgreSQL types as strings holding PostgreSQL's text output (numeric, dates,
 * times, timestamps, intervals, json, uuid, enums, arrays, ...); typed Parquet columns (decimal,
 * timestamp, date, lists) are accepted as well. Everything is a projection of a Parquet scan: rows
 * stream, nothing is collected or cached.
 */
final class ExportRows {
  private ExportRows() {}

  /** How a target type's values are held in Spark after restoring. */
  enum Kind {
    INT2(DataTypes.ShortType),
    INT4(DataTypes.IntegerType),
    INT8(DataTypes.LongType),
    NUMERIC(DataTypes.StringType),
    FLOAT4(DataTypes.FloatType),
    FLOAT8(DataTypes.DoubleType),
    BOOLEAN(DataTypes.BooleanType),
    BYTEA(DataTypes.BinaryType),
    TIMESTAMPTZ(DataTypes.TimestampType),
    TIMESTAMP(DataTypes.TimestampType),
    DATE(DataTypes.DateType),
    TEXT(DataTypes.StringType);

    final DataType sparkType;

    Kind(DataType sparkType) {
      this.sparkType = sparkType;
    }

    /**
     * The type a string parses to before Spark's own conversion (timestamps and dates as epoch
     * numbers).
     */
    DataType parsedType() {
      return switch (this) {
        case TIMESTAMPTZ, TIMESTAMP -> DataTypes.LongType;
        case DATE -> DataTypes.IntegerType;
        default -> sparkType;
      };
    }

    static Kind of(ColumnSpec column) {
      if (column.enumType() != null) {
        return TEXT;
      }
      String t =
          column.type().endsWith("[]")
              ? column.type().substring(0, column.type().length() - 2)
              : column.type();
      if (t.startsWith("numeric")) {
        return NUMERIC;
      }
      if (t.startsWith("timestamp")) {
        return t.endsWith("with time zone") && !t.endsWith("without time zone")
            ? TIMESTAMPTZ
            : TIMESTAMP;
      }
      return switch (t) {
        case "smallint" -> INT2;
        case "integer" -> INT4;
        case "bigint" -> INT8;
        case "real" -> FLOAT4;
        case "double precision" -> FLOAT8;
        case "boolean" -> BOOLEAN;
        case "bytea" -> BYTEA;
        case "date" -> DATE;
        default -> TEXT;
      };
    }
  }

  /** The Spark type {@code rows} gives a column of this target type (a typed NULL too). */
  static DataType sparkType(ColumnSpec column) {
    DataType scalar = Kind.of(column).sparkType;
    return isArray(column) ? DataTypes.createArrayType(scalar, true) : scalar;
  }

  static Dataset<Row> read(
      SparkSession spark,
      RdsExport export,
      Configuration conf,
      ExportedTable table,
      List<ColumnSpec> targetColumns)
      throws ExportException {
    String what = "table " + table.qualifiedName() + " of " + export.describe();
    if (!table.exported()) {
      throw new ExportException(
          "Cannot read "
              + what
              + ": RDS did not export it (status "
              + table.status()
              + (table.warningMessage() == null ? "" : ", " + table.warningMessage())
              + ")");
    }
    if (table.files().isEmpty()) {
      return emptyRows(spark, targetColumns);
    }
    checkFileSchemas(conf, table, what);
    Dataset<Row> scan =
        spark
            .read()
            .option("datetimeRebaseMode", "CORRECTED")
            .option("int96RebaseMode", "CORRECTED")
            .parquet(table.files().toArray(new String[0]));
    List<Column> columns = new ArrayList<>();
    for (ColumnSpec target : targetColumns) {
      StructField field = field(scan.schema(), target.name());
      if (field == null || table.column(target.name()).isEmpty()) {
        columns.add(lit(null).cast(sparkType(target)).as(target.name()));
      } else {
        try {
          columns.add(
              restore(col(quoted(field.name())), field.dataType(), target, what).as(target.name()));
        } catch (IllegalArgumentException e) {
          throw new ExportException(e.getMessage(), e);
        }
      }
    }
    return scan.select(columns.toArray(new Column[0]));
  }

  static Dataset<Row> emptyRows(SparkSession spark, List<ColumnSpec> targetColumns) {
    StructType schema = new StructType();
    for (ColumnSpec c : targetColumns) {
      schema = schema.add(c.name(), sparkType(c), true);
    }
    return spark.createDataFrame(List.<Row>of(), schema);
  }

  /**
   * Each file's Parquet columns against the metadata's: a column in one and not the other is an
   * error naming the file.
   */
  private static void checkFileSchemas(Configuration conf, ExportedTable table, String what)
      throws ExportException {
    Set<String> expected = new LinkedHashSet<>();
    table.columns().forEach(c -> expected.add(c.columnName()));
    List<String> problems = new ArrayList<>();
    for (String file : table.files()) {
      Set<String> actual = new LinkedHashSet<>();
      try (ParquetFileReader reader =
          ParquetFileReader.open(HadoopInputFile.fromPath(new Path(file), conf))) {
        for (Type t : reader.getFooter().getFileMetaData().getSchema().getFields()) {
          actual.add(t.getName());
        }
      } catch (IOException | RuntimeException e) {
        problems.add("file " + file + " cannot be read as Parquet: " + e.getMessage());
        continue;
      }
      Set<String> missing = new LinkedHashSet<>(expected);
      missing.removeAll(actual);
      Set<String> extra = new LinkedHashSet<>(actual);
      extra.removeAll(expected);
      if (!missing.isEmpty()) {
        problems.add(
            "file " + file + " lacks column(s) " + missing + " that the export metadata lists");
      }
      if (!extra.isEmpty()) {
        problems.add(
            "file " + file + " has column(s) " + extra + " that the export metadata does not list");
      }
    }
    if (!problems.isEmpty()) {
      throw new ExportException(
          "Cannot read " + what + ": " + String.join("; ", problems), problems, null);
    }
  }

  static Column restore(Column c, DataType source, ColumnSpec target, String what)
      throws ExportException {
    Kind kind = Kind.of(target);
    String column = what + " column " + target.name() + " (" + target.type() + ")";
    if (isArray(target)) {
      DataType wanted = DataTypes.createArrayType(kind.sparkType, true);
      if (source instanceof StringType) {
        UserDefinedFunction parse =
            functions.udf(
                new ArrayParser(kind, column), DataTypes.createArrayType(kind.parsedType(), true));
        return fromEpochNumbers(parse.apply(c), kind, true);
      }
      if (source instanceof ArrayType array) {
        if (array.elementType() instanceof ArrayType) {
          return c; // nested lists: a multi-dimensional array as typed Parquet, elements taken as
          // they are
        }
        if (sameFamily(array.elementType(), kind)) {
          return array.elementType().sameType(kind.sparkType) || kind == Kind.NUMERIC
              ? c
              : c.cast(wanted);
        }
        return functions.transform(c, e -> scalar(e, array.elementType(), kind, column));
      }
      throw new ExportException(
          "Cannot read "
              + column
              + ": exported as "
              + source.simpleString()
              + ", which holds no array");
    }
    return scalar(c, source, kind, column);
  }

  private static Column scalar(Column c, DataType source, Kind kind, String column) {
    if (sameFamily(source, kind)) {
      return source.sameType(kind.sparkType) || kind == Kind.NUMERIC || kind == Kind.TIMESTAMP
          ? c
          : c.cast(kind.sparkType);
    }
    if (source instanceof StringType) {
      if (kind == Kind.NUMERIC) {
        return c; // numeric stays PostgreSQL's text: nothing to parse
      }
      Column parsed =
          fromEpochNumbers(
              functions.udf(new ScalarParser(kind, column), kind.parsedType()).apply(c),
              kind,
              false);
      // Spark's own cast where it reads PostgreSQL's text exactly as the parser does
      // (code-generated, no UDF round trip); the
      // parser for everything else, and for what the cast cannot read, so a bad value still fails
      // naming the column.
      return builtInCast(c, kind).map(cast -> functions.coalesce(cast, parsed)).orElse(parsed);
    }
    if ((kind == Kind.TIMESTAMPTZ || kind == Kind.TIMESTAMP) && source instanceof LongType) {
      return functions.timestamp_micros(c);
    }
    if (kind == Kind.DATE && source instanceof IntegerType) {
      return functions.date_from_unix_date(c);
    }
    if (kind == Kind.NUMERIC && isIntegral(source)) {
      return c;
    }
    if ((kind == Kind.INT2 || kind == Kind.INT4 || kind == Kind.INT8)
        && (isIntegral(source) || source instanceof DecimalType)) {
      return c.cast(kind.sparkType);
    }
    if ((kind == Kind.FLOAT4 || kind == Kind.FLOAT8)
        && (source instanceof FloatType || source instanceof DoubleType)) {
      return c.cast(kind.sparkType);
    }
    throw new IllegalArgumentException(
        "Cannot read "
            + column
            + ": exported as "
            + source.simpleString()
            + ", which cannot be restored to it exactly");
  }

  /**
   * A code-generated expression that, for every text PostgreSQL outputs for the kind, yields
   * exactly the value {@link #parse} does, and NULL otherwise (then the parser decides):
   *
   * <ul>
   *   <li>integers and floats: Spark's {@code try_cast}, which parses with {@code Long.parseLong} /
   *       {@code Double.parseDouble} semantics after trimming and reads {@code NaN}, {@code
   *       Infinity} and {@code -Infinity};
   *   <li>booleans: {@code t} and {@code f} (PostgreSQL's output) and {@code true} and {@code
   *       false} (its cast to text), compared as bytes (Spark's cast lower-cases a copy of every
   *       value first);
   *   <li>dates: only the 10 characters {@code YYYY-MM-DD} (a year of four digits, AD), read in the
   *       proleptic Gregorian calendar as java.time does; {@code infinity} and BC dates go to the
   *       parser.
   * </ul>
   *
   * Timestamps keep the parser ({@link PgText#timestampMicros} reads PostgreSQL's shape digit by
   * digit): Spark's cast would read timestamp without time zone in the session time zone, and for
   * timestamptz it resolves the offset's zone with regular expressions on every value, which costs
   * more than the UDF round trip.
   */
  static Optional<Column> builtInCast(Column c, Kind kind) {
    return switch (kind) {
      case INT2, INT4, INT8, FLOAT4, FLOAT8 -> Optional.of(c.try_cast(kind.sparkType));
      case BOOLEAN ->
          Optional.of(
              functions
                  .when(c.equalTo("t").or(c.equalTo("true")), true)
                  .when(c.equalTo("f").or(c.equalTo("false")), false));
      case DATE ->
          Optional.of(
              functions.when(functions.length(c).equalTo(10), c.try_cast(DataTypes.DateType)));
      default -> Optional.empty();
    };
  }

  private static Column fromEpochNumbers(Column parsed, Kind kind, boolean array) {
    if (kind == Kind.TIMESTAMPTZ || kind == Kind.TIMESTAMP) {
      return array
          ? functions.transform(parsed, functions::timestamp_micros)
          : functions.timestamp_micros(parsed);
    }
    if (kind == Kind.DATE) {
      return array
          ? functions.transform(parsed, functions::date_from_unix_date)
          : functions.date_from_unix_date(parsed);
    }
    return parsed;
  }

  /** Whether {@code source} already holds the kind's values (possibly in another width). */
  private static boolean sameFamily(DataType source, Kind kind) {
    return switch (kind) {
      case INT2, INT4, INT8 ->
          source instanceof ShortType
              || source instanceof IntegerType
              || source instanceof LongType;
      case NUMERIC -> source instanceof DecimalType;
      case FLOAT4 -> source instanceof FloatType;
      case FLOAT8 -> source instanceof DoubleType || source instanceof FloatType;
      case BOOLEAN -> source instanceof BooleanType;
      case BYTEA -> source instanceof BinaryType;
      case TIMESTAMPTZ -> source instanceof TimestampType;
      case TIMESTAMP -> source instanceof TimestampType || source instanceof TimestampNTZType;
      case DATE -> source instanceof DateType;
      case TEXT -> source instanceof StringType;
    };
  }

  private static boolean isIntegral(DataType t) {
    return t instanceof ShortType
        || t instanceof IntegerType
        || t instanceof LongType
        || t instanceof org.apache.spark.sql.types.ByteType;
  }

  private static boolean isArray(ColumnSpec c) {
    return c.array() || c.type().endsWith("[]");
  }

  private static StructField field(StructType schema, String name) {
    for (StructField f : schema.fields()) {
      if (f.name().equals(name)) {
        return f;
      }
    }
    for (StructField f : schema.fields()) {
      if (f.name().toLowerCase(Locale.ROOT).equals(name.toLowerCase(Locale.ROOT))) {
        return f;
      }
    }
    return null;
  }

  private static String quoted(String name) {
    return "`" + name.replace("`", "``") + "`";
  }

  /** Parses one value of PostgreSQL's text output to the kind's parsed type. */
  static Object parse(Kind kind, String text) {
    return switch (kind) {
      case INT2 -> Short.parseShort(text.trim());
      case INT4 -> Integer.parseInt(text.trim());
      case INT8 -> Long.parseLong(text.trim());
      case FLOAT4 -> Float.parseFloat(text.trim());
      case FLOAT8 -> Double.parseDouble(text.trim());
      case BOOLEAN ->
          switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "t", "true" -> Boolean.TRUE;
            case "f", "false" -> Boolean.FALSE;
            default -> throw new IllegalArgumentException("'" + text + "' is not a boolean");
          };
      case BYTEA -> PgText.bytea(text);
      case TIMESTAMPTZ -> PgText.timestampMicros(text, true);
      case TIMESTAMP -> PgText.timestampMicros(text, false);
      case DATE -> PgText.dateDays(text);
      case NUMERIC, TEXT -> text;
    };
  }

  /** A scalar string column: PostgreSQL's text output of the value. */
  private record ScalarParser(Kind kind, String column)
      implements UDF1<String, Object>, Serializable {
    @Override
    public Object call(String text) {
      if (text == null) {
        return null;
      }
      try {
        return parse(kind, text);
      } catch (RuntimeException e) {
        throw new IllegalArgumentException(
            "Cannot restore " + column + " from '" + abbreviate(text) + "': " + e.getMessage(), e);
      }
    }
  }

  /** A string column holding a one-dimensional array literal; elements parsed like scalars. */
  private record ArrayParser(Kind kind, String column)
      implements UDF1<String, List<Object>>, Serializable {
    @Override
    public List<Object> call(String text) {
      if (text == null) {
        return null;
      }
      try {
        List<Object> out = new ArrayList<>();
        for (String element : PgText.arrayElements(text)) {
          out.add(element == null ? null : parse(kind, element));
        }
        return out;
      } catch (RuntimeException e) {
        throw new IllegalArgumentException(
            "Cannot restore " + column + " from '" + abbreviate(text) + "': " + e.getMessage(), e);
      }
    }
  }

  private static String abbreviate(String s) {
    return s.length() <= 80 ? s : s.substring(0, 77) + "...";
  }
}
