package dev.tenantfold.extract.export;

import java.io.Serializable;

/**
 * One entry of a table's {@code schemaMetadata.originalTypeMappings} in the export metadata: {@code
 * originalType} is what RDS read from {@code information_schema.columns.data_type} ({@code
 * integer}, {@code numeric}, {@code character varying}, {@code ARRAY}, {@code USER-DEFINED}, ...),
 * {@code expectedExportedType} the Parquet type it wrote ({@code int64}, {@code binary (UTF8)}).
 * The size fields are present in some exports only (null when absent).
 */
public record OriginalType(
    String columnName,
    String originalType,
    String expectedExportedType,
    Integer charMaxLength,
    Integer numericPrecision,
    Integer numericScale,
    Integer dateTimePrecision)
    implements Serializable {

  public OriginalType(String columnName, String originalType, String expectedExportedType) {
    this(columnName, originalType, expectedExportedType, null, null, null, null);
  }
}
