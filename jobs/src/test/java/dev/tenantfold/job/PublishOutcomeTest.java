package dev.tenantfold.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The outcome check's decision, without a target: asked until it answers, never guessed. */
class PublishOutcomeTest {
  @Test
  void theBackoffDoublesToItsCapAndStaysWithinTheWait() {
    List<Duration> pauses = PublishOutcome.backoff(Duration.ofSeconds(20));
    assertThat(pauses.subList(0, 6))
        .containsExactly(
            Duration.ofMillis(250),
            Duration.ofMillis(500),
            Duration.ofSeconds(1),
            Duration.ofSeconds(2),
            Duration.ofSeconds(4),
            Duration.ofSeconds(5));
    assertThat(pauses.stream().reduce(Duration.ZERO, Duration::plus))
        .isEqualTo(Duration.ofSeconds(20));
    assertThat(PublishOutcome.backoff(Duration.ZERO)).isEmpty();
    assertThat(PublishOutcome.backoff(Duration.ofMillis(100)))
        .containsExactly(Duration.ofMillis(100));
  }

  @Test
  void aTargetThatAnswersLateStillSettlesTheOutcome() {
    AtomicInteger attempts = new AtomicInteger();
    List<Duration> slept = new ArrayList<>();
    List<SQLException> failures = new ArrayList<>();
    PublishOutcome.Verdict v =
        PublishOutcome.ask(
            () -> {
              if (attempts.incrementAndGet() < 4) {
                throw new SQLException("too many connections", "53300");
              }
              return true;
            },
            Duration.ofMinutes(2),
            slept::add,
            failures::add);
    assertThat(v).isEqualTo(PublishOutcome.Verdict.COMMITTED);
    assertThat(failures).hasSize(3);
    assertThat(slept)
        .containsExactly(Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1));
    assertThat(PublishOutcome.ask(() -> false, Duration.ofMinutes(2), d -> {}, e -> {}))
        .isEqualTo(PublishOutcome.Verdict.NOT_COMMITTED);
  }

  @Test
  void aTargetThatNeverAnswersIsUnknownNeverNotCommitted() {
    AtomicInteger attempts = new AtomicInteger();
    List<Duration> slept = new ArrayList<>();
    PublishOutcome.Verdict v =
        PublishOutcome.ask(
            () -> {
              attempts.incrementAndGet();
              throw new SQLException("connection refused", "08001");
            },
            Duration.ofSeconds(3),
            slept::add,
            e -> {});
    assertThat(v).isEqualTo(PublishOutcome.Verdict.UNKNOWN);
    assertThat(attempts.get()).isEqualTo(slept.size() + 1);
    assertThat(slept.stream().reduce(Duration.ZERO, Duration::plus))
        .isEqualTo(Duration.ofSeconds(3));
    assertThat(
            PublishOutcome.ask(
                () -> {
                  throw new SQLException("down");
                },
                Duration.ofSeconds(3),
                d -> {
                  throw new InterruptedException();
                },
                e -> {}))
        .as("interrupted: unknown")
        .isEqualTo(PublishOutcome.Verdict.UNKNOWN);
    assertThat(Thread.interrupted()).as("the interrupt is kept for the caller").isTrue();
  }
}
