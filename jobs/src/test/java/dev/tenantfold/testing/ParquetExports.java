package dev.tenantfold.testing;

import dev.tenantfold.extract.ColumnSpec;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * A table as an RDS snapshot export delivers it to Spark: read over JDBC, each column typed as
 * docs/checksums.md ("Spark input assumptions") describes, written to Parquet and read back.
 */
public final class ParquetExports {
  private static final Pattern NUMERIC = Pattern.compile("numeric\\((\\d+),(\\d+)\\)");

  private ParquetExports() {}

  /**
   * The table's columns as the catalog reader describes them ({@code format_type}, enum, array).
   */
  public static List<ColumnSpec> columns(String url, String table) {
    String sql =
        """
        SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
               CASE WHEN t.typtype = 'e' THEN t.typname WHEN et.typtype = 'e' THEN et.typname END, t.typcategory = 'A'
          FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid LEFT JOIN pg_type et ON et.oid = t.typelem AND t.typcategory = 'A'
         WHERE a.attrelid = ?::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum
        """;
    List<ColumnSpec> out = new ArrayList<>();
    try (Connection conn = TestPostgres.connect(url);
        PreparedStatement ps = conn.prepareStatement(sql)) {
      ps.setString(1, table);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(
              new ColumnSpec(
                  rs.getString(1),
                  rs.getString(2),
                  rs.getBoolean(3),
                  rs.getString(4),
                  rs.getBoolean(5)));
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException("Cannot read columns of " + table + ": " + e.getMessage(), e);
    }
    return out;
  }

  /**
   * Reads {@code table} into Spark typed as the export types it, written with TIMESTAMP_MICROS and
   * the proleptic calendar as the export is, and read back. {@code overrides} gives a column's
   * Spark type where the catalog cannot tell (format_type shows {@code integer[][]} as {@code
   * integer[]}).
   */
  public static Dataset<Row> export(
      SparkSession spark, String url, String table, Path dir, Map<String, DataType> overrides)
      throws Exception {
    return export(spark, url, table, columns(url, table), dir, overrides);
  }

  /** The same, for the given columns of the table only. */
  public static Dataset<Row> export(
      SparkSession spark,
      String url,
      String table,
      List<ColumnSpec> columns,
      Path dir,
      Map<String, DataType> overrides)
      throws Exception {
    List<StructField> fields = new ArrayList<>();
    for (ColumnSpec c : columns) {
      fields.add(
          DataTypes.createStructField(
              c.name(), overrides.getOrDefault(c.name(), sparkType(c)), true));
    }
    StructType schema = DataTypes.createStructType(fields);
    List<Row> rows = new ArrayList<>();
    try (Connection conn = TestPostgres.connect(url);
        Statement st = conn.createStatement()) {
      st.execute(
          "SET TimeZone = 'UTC'; SET IntervalStyle = 'postgres'; SET extra_float_digits = 3");
      String list =
          String.join(
              ", ", columns.stream().map(c -> dev.tenantfold.jdbc.Sql.ident(c.name())).toList());
      try (ResultSet rs = st.executeQuery("SELECT " + list + " FROM " + table)) {
        while (rs.next()) {
          Object[] values = new Object[columns.size()];
          for (int i = 0; i < columns.size(); i++) {
            values[i] = value(rs, i + 1, fields.get(i).dataType());
          }
          rows.add(RowFactory.create(values));
        }
      }
    }
    spark.conf().set("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS");
    spark.conf().set("spark.sql.parquet.datetimeRebaseModeInWrite", "CORRECTED");
    spark.conf().set("spark.sql.parquet.datetimeRebaseModeInRead", "CORRECTED");
    Path out = Files.createTempDirectory(dir, table);
    spark
        .createDataFrame(rows, schema)
        .repartition(3)
        .write()
        .mode("overwrite")
        .parquet(out.toString());
    return spark.read().parquet(out.toString());
  }

  /** The Spark type the export uses for a PostgreSQL column (docs/checksums.md). */
  public static DataType sparkType(ColumnSpec c) {
    String type = c.type();
    String scalar = type.replace("[]", "");
    DataType out;
    Matcher numeric = NUMERIC.matcher(scalar);
    if (c.enumType() != null) {
      out = DataTypes.StringType;
    } else if (numeric.matches() && Integer.parseInt(numeric.group(1)) <= 38) {
      out =
          DataTypes.createDecimalType(
              Integer.parseInt(numeric.group(1)), Integer.parseInt(numeric.group(2)));
    } else {
      out =
          switch (scalar) {
            case "smallint" -> DataTypes.ShortType;
            case "integer" -> DataTypes.IntegerType;
            case "bigint" -> DataTypes.LongType;
            case "real" -> DataTypes.FloatType;
            case "double precision" -> DataTypes.DoubleType;
            case "timestamp with time zone" -> DataTypes.TimestampType;
            case "timestamp without time zone" -> DataTypes.TimestampNTZType;
            case "date" -> DataTypes.DateType;
            case "bytea" -> DataTypes.BinaryType;
            case "boolean" -> DataTypes.BooleanType;
            default -> DataTypes.StringType;
          };
    }
    return c.array() ? DataTypes.createArrayType(out, true) : out;
  }

  private static Object value(ResultSet rs, int column, DataType type) throws SQLException {
    if (rs.getObject(column) == null) {
      return null;
    }
    if (type instanceof ArrayType array) {
      Array sql = rs.getArray(column);
      return list((Object[]) sql.getArray(), array);
    }
    if (type == DataTypes.ShortType) {
      return rs.getShort(column);
    } else if (type == DataTypes.IntegerType) {
      return rs.getInt(column);
    } else if (type == DataTypes.LongType) {
      return rs.getLong(column);
    } else if (type == DataTypes.FloatType) {
      return rs.getFloat(column);
    } else if (type == DataTypes.DoubleType) {
      return rs.getDouble(column);
    } else if (type == DataTypes.TimestampType) {
      OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
      return t.equals(OffsetDateTime.MAX)
          ? instant(Long.MAX_VALUE)
          : t.equals(OffsetDateTime.MIN) ? instant(Long.MIN_VALUE) : t.toInstant();
    } else if (type == DataTypes.TimestampNTZType) {
      LocalDateTime t = rs.getObject(column, LocalDateTime.class);
      return t.equals(LocalDateTime.MAX)
          ? local(Long.MAX_VALUE)
          : t.equals(LocalDateTime.MIN) ? local(Long.MIN_VALUE) : t;
    } else if (type == DataTypes.DateType) {
      LocalDate d = rs.getObject(column, LocalDate.class);
      return d.equals(LocalDate.MAX)
          ? LocalDate.ofEpochDay(Integer.MAX_VALUE)
          : d.equals(LocalDate.MIN) ? LocalDate.ofEpochDay(Integer.MIN_VALUE) : d;
    } else if (type == DataTypes.BinaryType) {
      return rs.getBytes(column);
    } else if (type == DataTypes.BooleanType) {
      return rs.getBoolean(column);
    } else if (type instanceof DecimalType) {
      return rs.getBigDecimal(column);
    }
    return rs.getString(column);
  }

  /**
   * Array elements as Spark takes them; pgjdbc hands timestamps and dates of arrays as java.sql
   * values.
   */
  private static List<Object> list(Object[] array, ArrayType type) {
    List<Object> out = new ArrayList<>();
    for (Object o : array) {
      if (o instanceof Object[] nested) {
        out.add(list(nested, (ArrayType) type.elementType()));
      } else if (o instanceof Timestamp t) {
        out.add(
            type.elementType() == DataTypes.TimestampNTZType ? t.toLocalDateTime() : t.toInstant());
      } else if (o instanceof java.sql.Date d) {
        out.add(d.toLocalDate());
      } else if (o instanceof BigDecimal
          || o == null
          || !(type.elementType() instanceof DecimalType)) {
        out.add(o);
      } else {
        out.add(new BigDecimal(o.toString()));
      }
    }
    return out;
  }

  private static Instant instant(long micros) {
    return Instant.ofEpochSecond(
        Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L);
  }

  private static LocalDateTime local(long micros) {
    return LocalDateTime.ofInstant(instant(micros), ZoneOffset.UTC);
  }
}
