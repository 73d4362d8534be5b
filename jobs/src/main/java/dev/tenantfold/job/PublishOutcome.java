package dev.tenantfold.job;

import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Whether a publish whose connection broke committed, asked of the target until it answers: the
 * check is retried with backoff ({@link #backoff}) for {@code publish.outcome-wait}; when the
 * target never answers in that time the outcome is {@link Verdict#UNKNOWN}, never guessed. The
 * decision is pure (the check and the sleep are passed in), so every branch has a fast test.
 */
final class PublishOutcome {
  /** What the target said, or that it did not. */
  enum Verdict {
    COMMITTED,
    NOT_COMMITTED,
    UNKNOWN
  }

  /** One question to the target: true when the publish committed. */
  interface Check {
    boolean committed() throws SQLException;
  }

  /** Waits between attempts. */
  interface Sleeper {
    void sleep(Duration d) throws InterruptedException;
  }

  static final Duration FIRST_PAUSE = Duration.ofMillis(250);
  static final Duration LONGEST_PAUSE = Duration.ofSeconds(5);

  private PublishOutcome() {}

  /**
   * The pauses between attempts within {@code total}: 250 ms, doubling to at most 5 s, their sum
   * never above {@code total}. The first attempt runs at once; one more follows each pause.
   */
  static List<Duration> backoff(Duration total) {
    List<Duration> pauses = new ArrayList<>();
    Duration spent = Duration.ZERO;
    Duration next = FIRST_PAUSE;
    while (spent.plus(next).compareTo(total) <= 0) {
      pauses.add(next);
      spent = spent.plus(next);
      next = next.multipliedBy(2);
      if (next.compareTo(LONGEST_PAUSE) > 0) {
        next = LONGEST_PAUSE;
      }
    }
    Duration rest = total.minus(spent);
    if (rest.compareTo(Duration.ZERO) > 0) {
      pauses.add(rest);
    }
    return pauses;
  }

  /**
   * Asks {@code check} until it answers, pausing by {@link #backoff}({@code total}); {@code
   * onFailure} sees each failed attempt. {@link Verdict#UNKNOWN} when every attempt failed or the
   * wait was interrupted.
   */
  static Verdict ask(
      Check check, Duration total, Sleeper sleeper, Consumer<SQLException> onFailure) {
    List<Duration> pauses = backoff(total);
    for (int attempt = 0; ; attempt++) {
      try {
        return check.committed() ? Verdict.COMMITTED : Verdict.NOT_COMMITTED;
      } catch (SQLException e) {
        onFailure.accept(e);
      }
      if (attempt >= pauses.size()) {
        return Verdict.UNKNOWN;
      }
      try {
        sleeper.sleep(pauses.get(attempt));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return Verdict.UNKNOWN;
      }
    }
  }
}
