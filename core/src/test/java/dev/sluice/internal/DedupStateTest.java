package dev.sluice.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Position;
import dev.sluice.spi.StoredWriteId;
import dev.sluice.spi.WriteId;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Deduplication state (watermark and holes per writer)")
class DedupStateTest {
  private static WriteId id(String writer, long n) {
    return new WriteId(writer, Position.of(n), 0);
  }

  /** Record {@code n} of a producer's counter, linked to {@code n - 1}. */
  private static StoredWriteId counted(String writer, long n) {
    return new StoredWriteId(id(writer, n), n == 0 ? null : id(writer, n - 1));
  }

  private static StoredWriteId linked(String writer, long n, @Nullable Long previous) {
    return new StoredWriteId(id(writer, n), previous == null ? null : id(writer, previous));
  }

  @Test
  @DisplayName("a second copy, in order or late, is dropped; each first copy is kept")
  void secondCopiesDropped() {
    DedupState s = new DedupState();
    assertThat(s.accept(counted("a", 0))).isTrue();
    assertThat(s.accept(counted("a", 1))).isTrue();
    assertThat(s.accept(counted("a", 1))).isFalse();
    assertThat(s.accept(counted("a", 2))).isTrue();
    assertThat(s.accept(counted("a", 0))).isFalse();
    assertThat(s.accept(counted("b", 0))).isTrue();
  }

  @Test
  @DisplayName("a record stored after a later one of its writer is kept once, then the hole closes")
  void lateRecordFillsHole() {
    DedupState s = new DedupState();
    s.accept(counted("a", 0));
    assertThat(s.accept(counted("a", 3))).isTrue(); // 1 and 2 not seen yet
    assertThat(s.accept(counted("a", 2))).isTrue();
    assertThat(s.accept(counted("a", 1))).isTrue();
    assertThat(s.accept(counted("a", 1))).isFalse();
    assertThat(s.accept(counted("a", 2))).isFalse();
    assertThat(s.accept(counted("a", 3))).isFalse();
    assertThat(s.accept(counted("a", 4))).isTrue();
  }

  @Test
  @DisplayName("with gaps in a writer's ids (a processor's), only linked gaps are holes")
  void processorGaps() {
    DedupState s = new DedupState();
    s.accept(linked("p", 10, null));
    assertThat(s.accept(linked("p", 20, 10L))).isTrue();
    assertThat(s.accept(linked("p", 15, null))).isFalse(); // 20 follows 10: nothing between
    assertThat(s.accept(linked("p", 40, 30L))).isTrue(); // 30 is missing
    assertThat(s.accept(linked("p", 30, 20L))).isTrue();
    assertThat(s.accept(linked("p", 30, 20L))).isFalse();
    assertThat(s.accept(linked("p", 25, null))).isFalse();
  }

  @Test
  @DisplayName("the state reads back from its bytes, with its checkpoint, and decides the same")
  void bytesRoundTrip() {
    DedupState s = new DedupState();
    s.accept(counted("a", 0));
    s.accept(counted("a", 3));
    s.accept(linked("p", 7, 5L));
    DedupState.Restored r = DedupState.decode(s.encode(Position.of("4965", 2)));
    assertThat(r).isNotNull();
    assertThat(r.checkpoint()).isEqualTo(Position.of("4965", 2));
    DedupState back = r.state();
    assertThat(back.accept(counted("a", 3))).isFalse();
    assertThat(back.accept(counted("a", 1))).isTrue();
    assertThat(back.accept(linked("p", 6, null))).isTrue();
    assertThat(DedupState.decode(new byte[] {9, 9})).isNull();
  }

  @Test
  @DisplayName("a writer with too many holes is forgotten: its second copies pass, nothing is lost")
  void tooManyHolesForgetsWriter() {
    DedupState s = new DedupState();
    s.accept(counted("a", 0));
    for (int i = 1; i <= DedupState.MAX_HOLES + 1; i++) {
      assertThat(s.accept(counted("a", 2L * i))).isTrue();
    }
    assertThat(s.writers()).isZero();
    assertThat(s.accept(counted("a", 1))).isTrue();
  }
}
