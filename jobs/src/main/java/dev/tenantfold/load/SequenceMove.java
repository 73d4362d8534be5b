package dev.tenantfold.load;

import java.util.Optional;
import java.util.OptionalLong;

/**
 * Where a target sequence moves when a tenant's rows arrive (a publish) or its application moves
 * over (a cutover): past the source sequence's position, so ids the tenant already handed out (and
 * perhaps deleted) are never handed out again, and past the largest id stored, so a new row never
 * collides; never backwards, so one tenant's publish or cutover never rewinds ids another tenant
 * (or an earlier publish) already drew. One pure decision, used by {@link TenantPublisher} and
 * {@code catchup.Cutover}, tested on its own ({@code SequenceMoveTest}).
 */
public final class SequenceMove {
  private SequenceMove() {}

  /**
   * A sequence's position as PostgreSQL keeps it: {@code last_value} and {@code is_called} (a fresh
   * sequence, or one {@code setval(s, v, false)} left, hands out {@code last_value} itself next).
   */
  public record Position(long lastValue, boolean isCalled) {
    /** The value {@code nextval} returns next. */
    public long next() {
      return isCalled ? Math.addExact(lastValue, 1) : lastValue;
    }

    /**
     * A source sequence's position as {@code pg_sequence_last_value} reports it: null when it has
     * never handed out a value (nothing to stay past).
     */
    public static Optional<Position> ofLastValue(Long lastValue) {
      return lastValue == null ? Optional.empty() : Optional.of(new Position(lastValue, true));
    }
  }

  /**
   * The value the target sequence (now at {@code target}) must hand out next, for {@code setval(s,
   * value, false)}: the larger of the source sequence's next value and the largest stored id plus
   * one; empty when the target already hands out that value or a larger one (it never moves back).
   */
  public static OptionalLong next(
      Position target, Optional<Position> source, OptionalLong largestId) {
    long wanted = Long.MIN_VALUE;
    if (source.isPresent()) {
      wanted = source.get().next();
    }
    if (largestId.isPresent()) {
      wanted = Math.max(wanted, Math.addExact(largestId.getAsLong(), 1));
    }
    if (wanted == Long.MIN_VALUE || wanted <= target.next()) {
      return OptionalLong.empty();
    }
    return OptionalLong.of(wanted);
  }
}
