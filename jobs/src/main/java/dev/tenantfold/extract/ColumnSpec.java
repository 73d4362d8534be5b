package dev.tenantfold.extract;

import java.io.Serializable;
import dev.tenantfold.jdbc.Sql;

/**
 * A source column as the catalog describes it. {@code type} is PostgreSQL's {@code format_type}
 * text; {@code enumType} names the enum (also for arrays of it) so the target can recreate it.
 * {@code defaultExpression} is the column default as {@code pg_get_expr} prints it (null: none);
 * {@code generatedBySequence} marks identity and serial columns ({@code nextval} defaults), whose
 * target column draws from a sequence of the target's own instead.
 */
public record ColumnSpec(String name, String type, boolean notNull, String enumType, boolean array, String defaultExpression,
    boolean generatedBySequence) implements Serializable {

  public ColumnSpec(String name, String type, boolean notNull, String enumType, boolean array) {
    this(name, type, notNull, enumType, array, null, false);
  }

  /** The same column with another type, nullability, enum and array flag; its default carried over. */
  public ColumnSpec retyped(String newType, boolean newNotNull, String newEnumType, boolean newArray) {
    return new ColumnSpec(name, newType, newNotNull, newEnumType, newArray, defaultExpression, generatedBySequence);
  }

  /** The same column without its default (for comparisons that are about values only). */
  public ColumnSpec withoutDefault() {
    return new ColumnSpec(name, type, notNull, enumType, array);
  }

  /** The column type as the target must declare it: enums move into the target schema. */
  public String targetType(String targetSchema) {
    if (enumType == null) {
      return type;
    }
    return Sql.qualified(targetSchema, enumType) + (array ? "[]" : "");
  }
}
