package dev.tenantfold.extract;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DateType;
import org.apache.spark.sql.types.TimestampType;

/**
 * Turns timestamps and dates of exported rows into plain epoch numbers inside Spark (microseconds,
 * days), arrays element-wise. With the session's default {@code java.sql} date types Spark itself
 * fails ("long overflow") turning an exported {@code -infinity} into a Java object; as numbers they
 * also stop depending on the session time zone. The loader and the checksum both read them so.
 */
public final class ExportTemporals {
  private ExportTemporals() {}

  public static Column asEpochNumbers(Column c, DataType type) {
    if (type instanceof TimestampType) {
      return functions.unix_micros(c);
    }
    if (type instanceof DateType) {
      return functions.unix_date(c);
    }
    if (type instanceof ArrayType array && needsConversion(array.elementType())) {
      return functions.transform(c, e -> asEpochNumbers(e, array.elementType()));
    }
    return c;
  }

  private static boolean needsConversion(DataType type) {
    return type instanceof TimestampType
        || type instanceof DateType
        || (type instanceof ArrayType array && needsConversion(array.elementType()));
  }
}
