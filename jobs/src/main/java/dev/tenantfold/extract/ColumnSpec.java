package dev.tenantfold.extract;

import dev.tenantfold.config.SchemaMap;
import java.io.Serializable;

/**
 * A source column as the catalog describes it. {@code type} is PostgreSQL's {@code format_type}
 * text; {@code enumType} names the enum (also for arrays of it) so the target can recreate it.
 * {@code defaultExpression} is the column default as {@code pg_get_expr} prints it (null: none);
 * {@code generatedBySequence} marks identity and serial columns ({@code nextval} defaults), whose
 * target column draws from a sequence of the target's own instead.
 */
public record ColumnSpec(
    String name,
    String type,
    boolean notNull,
    String enumType,
    boolean array,
    String defaultExpression,
    boolean generatedBySequence,
    String generatedExpression,
    String domain)
    implements Serializable {

  public ColumnSpec(
      String name,
      String type,
      boolean notNull,
      String enumType,
      boolean array,
      String defaultExpression,
      boolean generatedBySequence) {
    this(name, type, notNull, enumType, array, defaultExpression, generatedBySequence, null, null);
  }

  /**
   * The same column declared with domain {@code domainName}: its key ({@link SchemaMap#key}), with
   * {@code []} appended for an array of the domain.
   */
  public ColumnSpec withDomain(String domainName) {
    return new ColumnSpec(
        name,
        type,
        notNull,
        enumType,
        array,
        defaultExpression,
        generatedBySequence,
        generatedExpression,
        domainName);
  }

  /**
   * A {@code GENERATED ALWAYS AS (generatedExpression) STORED} column: the target computes it, so
   * it is not loaded (COPY lists only {@link #loaded()} columns) but is checksummed like any other.
   */
  public static ColumnSpec generated(String name, String type, boolean notNull, String expression) {
    return new ColumnSpec(name, type, notNull, null, false, null, false, expression, null);
  }

  /** The key of the column's domain (of its elements, for an array of a domain), or null. */
  public String domainKey() {
    return domain == null || !domain.endsWith("[]")
        ? domain
        : domain.substring(0, domain.length() - 2);
  }

  /**
   * Whether rows carry this column's value in (false for a generated column, which the target
   * computes).
   */
  public boolean loaded() {
    return generatedExpression == null;
  }

  /**
   * The same column as a plain, loaded column (the tenants do not agree on its generation
   * expression).
   */
  public ColumnSpec notGenerated() {
    return new ColumnSpec(
        name, type, notNull, enumType, array, defaultExpression, generatedBySequence, null, domain);
  }

  /** {@code GENERATED ALWAYS AS (...) STORED}, or "" for a plain column. */
  public String generatedClause() {
    return generatedExpression == null
        ? ""
        : " GENERATED ALWAYS AS (" + generatedExpression + ") STORED";
  }

  public ColumnSpec(String name, String type, boolean notNull, String enumType, boolean array) {
    this(name, type, notNull, enumType, array, null, false);
  }

  /**
   * The same column with another type, nullability, enum and array flag; its default carried over.
   */
  public ColumnSpec retyped(
      String newType, boolean newNotNull, String newEnumType, boolean newArray) {
    // A domain is over one base type: a widened column leaves it.
    return new ColumnSpec(
        name,
        newType,
        newNotNull,
        newEnumType,
        newArray,
        defaultExpression,
        generatedBySequence,
        generatedExpression,
        newType.equals(type) ? domain : null);
  }

  /** The same column without its default (for comparisons that are about values only). */
  public ColumnSpec withoutDefault() {
    return new ColumnSpec(name, type, notNull, enumType, array);
  }

  /**
   * The column type as the target must declare it: an enum or a domain (their keys, {@link
   * SchemaMap#key}) in the target schema their source schema maps to.
   */
  public String targetType(SchemaMap schemas) {
    if (domain != null) {
      return schemas.relation(domainKey()) + (domain.endsWith("[]") ? "[]" : "");
    }
    if (enumType == null) {
      return type;
    }
    return schemas.relation(enumType) + (array ? "[]" : "");
  }
}
