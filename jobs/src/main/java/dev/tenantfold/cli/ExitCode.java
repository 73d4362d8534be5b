package dev.tenantfold.cli;

/** The process exit codes: part of the external contract (README 'Exit codes'). */
public final class ExitCode {
  public static final int OK = 0;
  public static final int ERROR = 1;
  public static final int USAGE = 2;
  public static final int VALIDATION_FAILED = 3;

  private ExitCode() {}
}
