package dev.tenantfold.load;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.load.SequenceMove.Position;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** The sequence move (issue 20 item 5, issue 21): past the source sequence, never backwards. */
class SequenceMoveTest {
  private static final Position FRESH = new Position(1, false);

  @Test
  void movesPastTheSourceSequenceNotOnlyTheLargestId() {
    // Source at 20000, largest id 12500 (ids up to 20000 handed out, some deleted).
    assertThat(
            SequenceMove.next(
                FRESH, Optional.of(new Position(20_000, true)), OptionalLong.of(12_500)))
        .hasValue(20_001);
  }

  @Test
  void movesPastTheLargestIdWhenTheSourceIsBehindOrUnknown() {
    assertThat(SequenceMove.next(FRESH, Optional.of(new Position(100, true)), OptionalLong.of(500)))
        .hasValue(501);
    assertThat(SequenceMove.next(FRESH, Optional.empty(), OptionalLong.of(500))).hasValue(501);
  }

  @Test
  void aSourceSequenceNotYetCalledHandsOutItsLastValueNext() {
    assertThat(
            SequenceMove.next(FRESH, Optional.of(new Position(7_000, false)), OptionalLong.empty()))
        .hasValue(7_000);
    assertThat(Position.ofLastValue(null)).isEmpty();
    assertThat(Position.ofLastValue(41L)).contains(new Position(41, true));
  }

  @Test
  void neverMovesBackwards() {
    Position target = new Position(900, true); // hands out 901 next
    assertThat(
            SequenceMove.next(target, Optional.of(new Position(300, true)), OptionalLong.of(400)))
        .as("a re-publish of a tenant whose source is behind")
        .isEmpty();
    assertThat(
            SequenceMove.next(target, Optional.of(new Position(900, true)), OptionalLong.of(900)))
        .as("already there")
        .isEmpty();
    assertThat(SequenceMove.next(new Position(900, false), Optional.empty(), OptionalLong.of(900)))
        .as("900 not yet handed out, but stored: move to 901")
        .hasValue(901);
    assertThat(
            SequenceMove.next(target, Optional.of(new Position(901, true)), OptionalLong.empty()))
        .as("one past")
        .hasValue(902);
  }

  @Test
  void nothingToStayPastLeavesTheSequence() {
    assertThat(SequenceMove.next(FRESH, Optional.empty(), OptionalLong.empty())).isEmpty();
  }

  @Test
  void nextOfAPosition() {
    assertThat(new Position(5, true).next()).isEqualTo(6);
    assertThat(new Position(5, false).next()).isEqualTo(5);
  }
}
