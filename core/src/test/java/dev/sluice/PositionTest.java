package dev.sluice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class PositionTest {
  @Test
  @DisplayName("offsets and Kinesis sequence numbers round-trip through their string form")
  void roundTrip() {
    for (Position p :
        List.of(
            Position.of(0),
            Position.of(42),
            Position.of("49590338271490256608559692538361571095921575989136588898"),
            Position.of("49590338271490256608559692538361571095921575989136588898", 3))) {
      assertThat(Position.parse(p.toString())).isEqualTo(p).hasSameHashCodeAs(p);
    }
  }

  @Test
  @DisplayName("positions sort numerically, also across the long / big-number boundary")
  void ordering() {
    List<Position> sorted =
        List.of(
            Position.of(9),
            Position.of(10),
            Position.of("999999999999999999"),
            Position.of("1000000000000000000000"),
            Position.of("1000000000000000000000", 1),
            Position.of("1000000000000000000001"));
    List<Position> shuffled = new ArrayList<>(sorted);
    Collections.shuffle(shuffled);
    Collections.sort(shuffled);
    assertThat(shuffled).containsExactlyElementsOf(sorted);
    assertThat(Position.of("0042")).isEqualTo(Position.of(42));
    assertThat(Position.of(11).isAfter(Position.of(10))).isTrue();
  }

  @Test
  @DisplayName("malformed positions are INVALID_ARGUMENT")
  void malformed() {
    for (String bad : List.of("", "-1", "abc", "12:x", "1.5", "١٢")) {
      assertThatThrownBy(() -> Position.parse(bad))
          .isInstanceOf(SluiceException.class)
          .extracting(e -> ((SluiceException) e).code())
          .isEqualTo(ErrorCode.INVALID_ARGUMENT);
    }
    assertThatThrownBy(() -> Position.of("123456789012345678901234").offset())
        .isInstanceOf(SluiceException.class);
  }
}
