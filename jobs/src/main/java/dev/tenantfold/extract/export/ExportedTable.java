package dev.tenantfold.extract.export;

import java.io.Serializable;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * One table of the export's metadata ({@code perTableStatus[]}) for the opened database, with the
 * Parquet files found under its folder.
 *
 * @param status {@code COMPLETE} when exported; RDS writes {@code SKIPPED} (and others) with a
 *     {@code warningMessage} such as {@code PERMISSIONS_DO_NOT_EXIST}
 * @param rowCount the metadata's row count, where it gives one
 * @param path the table's folder ({@code <root>/<database>/<schema>.<table>}, names as RDS writes
 *     them)
 * @param files every Parquet part under the folder, batch folders included, sorted
 */
public record ExportedTable(
    String schema,
    String table,
    String status,
    String warningMessage,
    List<OriginalType> columns,
    OptionalLong rowCount,
    String path,
    List<String> files)
    implements Serializable {

  public static final String COMPLETE = "COMPLETE";

  public ExportedTable {
    columns = List.copyOf(columns);
    files = List.copyOf(files);
  }

  /** {@code schema.table}. */
  public String qualifiedName() {
    return schema + "." + table;
  }

  /** Whether RDS reports the table exported. */
  public boolean exported() {
    return COMPLETE.equals(status);
  }

  public Optional<OriginalType> column(String name) {
    return columns.stream().filter(c -> c.columnName().equals(name)).findFirst();
  }
}
