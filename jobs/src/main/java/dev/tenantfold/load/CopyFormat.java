package dev.tenantfold.load;

/**
 * The format of a COPY stream into staging: PostgreSQL's text format, or its binary format, which
 * both servers parse and print for less CPU but which only carries a column between identical types
 * (the receiving server reads each value with its type's binary input function).
 */
public enum CopyFormat {
  TEXT(""),
  BINARY(" (FORMAT binary)");

  private final String option;

  CopyFormat(String option) {
    this.option = option;
  }

  /** What follows {@code TO STDOUT} or {@code FROM STDIN}: nothing for text. */
  public String option() {
    return option;
  }
}
