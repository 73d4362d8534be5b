package dev.tenantfold.extract;

import java.io.Serializable;
import dev.tenantfold.jdbc.Sql;

/**
 * A source column as the catalog describes it. {@code type} is PostgreSQL's {@code format_type}
 * text; {@code enumType} names the enum (also for arrays of it) so the target can recreate it.
 */
public record ColumnSpec(String name, String type, boolean notNull, String enumType, boolean array) implements Serializable {

  /** The column type as the target must declare it: enums move into the target schema. */
  public String targetType(String targetSchema) {
    if (enumType == null) {
      return type;
    }
    return Sql.qualified(targetSchema, enumType) + (array ? "[]" : "");
  }
}
