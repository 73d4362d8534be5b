package dev.tenantfold.report;

/** The process exit codes: part of the external contract (README 'Exit codes'). */
/** The process exit codes, one owner: {@link RunResult#exitCode} and the CLI both use these. */
public final class ExitCode {
  public static final int OK = 0;
  public static final int ERROR = 1;
  public static final int USAGE = 2;
  public static final int VALIDATION_FAILED = 3;

  private ExitCode() {}
}
