package dev.tenantfold.load;

import java.io.IOException;
import java.sql.SQLException;

/** What the load paths share about trying again: which failures deserve it, and how to wait. */
final class Attempts {
  private Attempts() {}

  /**
   * Connection drops and serialization failures are worth another attempt; SQL errors in our
   * statements are not.
   */
  static boolean retryable(Throwable e) {
    Throwable cause = e;
    while (cause instanceof IOException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause instanceof SQLException sql && sql.getSQLState() != null) {
      String state = sql.getSQLState();
      return state.startsWith("08")
          || state.equals("40001")
          || state.equals("40P01")
          || state.equals("57P01");
    }
    return false;
  }

  static long elapsedMillis(long startNanos) {
    return (System.nanoTime() - startNanos) / 1_000_000;
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
