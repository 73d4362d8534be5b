package dev.tenantfold.source;

import java.sql.SQLException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/** Work run beside a Spark job on a driver thread, with its SQL failure rethrown as itself. */
public final class Futures {
  private Futures() {}

  public static <T> T join(CompletableFuture<T> future) throws SQLException {
    try {
      return future.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof SQLException sql) {
        throw sql;
      }
      if (e.getCause() instanceof RuntimeException r) {
        // A Spark job's failure, rethrown as itself so its message is the one reported.
        throw r;
      }
      throw e;
    }
  }
}
