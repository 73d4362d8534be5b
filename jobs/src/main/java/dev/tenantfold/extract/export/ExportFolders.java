package dev.tenantfold.extract.export;

/**
 * Folder names as RDS writes them. AWS documents that the characters {@code \ ` "} and the space in
 * the S3 path are converted to underscores during export (and that tables with {@code /} in their
 * names are skipped). The mapping is not reversible ({@code a b} and {@code a_b} share a folder),
 * so tables are found by mapping each metadata name to its folder, never the other way; two tables
 * that map to one folder are an error.
 */
public final class ExportFolders {
  private ExportFolders() {}

  /** The folder name RDS writes for a database, schema or table name. */
  public static String folderName(String name) {
    StringBuilder out = new StringBuilder(name.length());
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      out.append(c == '\\' || c == '`' || c == '"' || c == ' ' ? '_' : c);
    }
    return out.toString();
  }

  /** {@code <schema>.<table>} as a folder name. */
  public static String tableFolder(String schema, String table) {
    return folderName(schema) + "." + folderName(table);
  }
}
