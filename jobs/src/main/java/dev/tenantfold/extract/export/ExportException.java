package dev.tenantfold.extract.export;

import java.util.List;

/**
 * An RDS snapshot export that cannot be read as it is: not COMPLETE, metadata missing or
 * unparseable, a table without files, files without metadata, a truncated Parquet file, columns
 * that differ between metadata and Parquet. The message names the export root, the file and the
 * problem; {@link #problems()} lists every problem found, not only the first.
 */
public class ExportException extends Exception {
  private final List<String> problems;

  public ExportException(String message) {
    this(message, List.of(message), null);
  }

  public ExportException(String message, Throwable cause) {
    this(message, List.of(message), cause);
  }

  public ExportException(String message, List<String> problems, Throwable cause) {
    super(message, cause);
    this.problems = List.copyOf(problems);
  }

  /** Every problem found, one sentence each. */
  public List<String> problems() {
    return problems;
  }
}
