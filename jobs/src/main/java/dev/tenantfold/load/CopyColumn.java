package dev.tenantfold.load;

import dev.tenantfold.extract.ColumnSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * One column of a COPY into staging as both encoders ({@link CopyTextEncoder}, {@link
 * CopyBinaryEncoder}) read it: the Dataset's Spark type beside the staging column's type. The one
 * owner of how a Dataset's columns are matched to the COPY columns and of how a staging type's text
 * ({@code format_type}) is read: its scalar type, its base type without type modifier, and the two
 * decisions a Spark value's form depends on (a double into {@code real} is rounded to a float; a
 * timestamp into {@code timestamp without time zone} is its UTC wall clock, without an offset).
 *
 * @param name the COPY column's name
 * @param targetType PostgreSQL's {@code format_type} text, {@code []} for an array
 * @param enumType the enum's name when the column (or its elements) is an enum, else null
 * @param domain the domain when the column (or its elements) is one, else null
 * @param sparkType the Dataset column's type
 */
record CopyColumn(
    String name, String targetType, String enumType, String domain, DataType sparkType) {

  /**
   * @throws IllegalArgumentException naming the column when {@code schema} does not name {@code
   *     columns} (case-insensitive) in the same order
   */
  static List<CopyColumn> of(List<ColumnSpec> columns, StructType schema) {
    StructField[] fields = schema.fields();
    if (fields.length != columns.size()) {
      throw new IllegalArgumentException(
          "Cannot encode rows for COPY: the Dataset has "
              + fields.length
              + " columns "
              + Arrays.stream(fields).map(StructField::name).toList()
              + " but the target expects "
              + columns.size()
              + " "
              + columns.stream().map(ColumnSpec::name).toList()
              + " (tenant column first, then the target columns in target order)");
    }
    List<CopyColumn> out = new ArrayList<>(fields.length);
    for (int i = 0; i < fields.length; i++) {
      ColumnSpec column = columns.get(i);
      if (!fields[i].name().equalsIgnoreCase(column.name())) {
        throw new IllegalArgumentException(
            "Cannot encode rows for COPY: Dataset column "
                + (i + 1)
                + " is '"
                + fields[i].name()
                + "' but target column "
                + (i + 1)
                + " is '"
                + column.name()
                + "'; select the columns in target order");
      }
      out.add(
          new CopyColumn(
              column.name(),
              column.type(),
              column.enumType(),
              column.domain(),
              fields[i].dataType()));
    }
    return out;
  }

  boolean array() {
    return targetType.endsWith("[]");
  }

  /** The element type of an array, else the type: {@code character varying(10)}. */
  String scalarTarget() {
    return array() ? targetType.substring(0, targetType.indexOf('[')) : targetType;
  }

  /**
   * The scalar type without its type modifier: {@code character varying}, {@code numeric}, {@code
   * timestamp without time zone}.
   */
  String baseType() {
    String scalar = scalarTarget();
    int open = scalar.indexOf('(');
    if (open < 0) {
      return scalar;
    }
    int close = scalar.indexOf(')', open);
    return (scalar.substring(0, open) + (close < 0 ? "" : scalar.substring(close + 1))).trim();
  }

  /** A float value goes into {@code real}: a double is rounded once to the nearest float. */
  boolean intoReal() {
    return scalarTarget().equals("real");
  }

  /**
   * A timestamp goes into a type with a time zone (the text carries {@code +00}); into {@code
   * timestamp without time zone} an instant is its wall clock read as UTC (the export's
   * convention).
   */
  boolean withOffset() {
    String scalar = scalarTarget();
    return !(scalar.startsWith("timestamp") && scalar.endsWith("without time zone"));
  }
}
