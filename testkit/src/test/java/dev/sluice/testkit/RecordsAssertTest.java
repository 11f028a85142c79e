package dev.sluice.testkit;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.Headers;
import dev.sluice.Position;
import dev.sluice.Record;
import dev.sluice.Shard;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The assertions the kit relies on must fail when they should, or the kit proves nothing. */
class RecordsAssertTest {
  private static Record<String, String> r(String key, String value, int shard, long position) {
    return Record.received(
        "s", Shard.of(shard), Position.of(position), key, value, Headers.empty(), 0L);
  }

  private final List<Record<String, String>> ordered =
      List.of(r("a", "a1", 0, 0), r("b", "b1", 1, 0), r("a", "a2", 0, 1), r("b", "b2", 1, 1));

  @Test
  @DisplayName("accepts records that are in order per key, complete and unique")
  void passes() {
    SluiceAssertions.assertThat(ordered)
        .hasSize(4)
        .hasKeysInOrder("a", "b", "a", "b")
        .hasValuesInOrder("a1", "b1", "a2", "b2")
        .containsValues("b2", "a1")
        .doesNotContainValues("c1")
        .hasValuesExactlyOnce(List.of("b2", "b1", "a2", "a1"))
        .hasNoDuplicateValues()
        .haveValuesInOrderPerKey(Map.of("a", List.of("a1", "a2"), "b", List.of("b1", "b2")))
        .isOrderedPerKey(Comparator.naturalOrder())
        .hasIncreasingPositionsPerShard();
  }

  @Test
  @DisplayName("fails on a key out of order, a loss, a duplicate and a position going back")
  void fails() {
    List<Record<String, String>> reordered =
        List.of(r("a", "a2", 0, 0), r("a", "a1", 0, 1), r("a", "a1", 0, 1));

    assertThatThrownBy(
            () ->
                SluiceAssertions.assertThat(reordered)
                    .haveValuesInOrderPerKey(Map.of("a", List.of("a1", "a2"))))
        .isInstanceOf(AssertionError.class);
    assertThatThrownBy(
            () -> SluiceAssertions.assertThat(reordered).isOrderedPerKey(Comparator.naturalOrder()))
        .isInstanceOf(AssertionError.class);
    assertThatThrownBy(() -> SluiceAssertions.assertThat(reordered).hasNoDuplicateValues())
        .isInstanceOf(AssertionError.class);
    assertThatThrownBy(
            () -> SluiceAssertions.assertThat(reordered).hasValuesExactlyOnce(List.of("a1", "a2")))
        .isInstanceOf(AssertionError.class);
    assertThatThrownBy(
            () -> SluiceAssertions.assertThat(reordered).hasIncreasingPositionsPerShard())
        .isInstanceOf(AssertionError.class);
    assertThatThrownBy(() -> SluiceAssertions.assertThat(ordered).containsValues("c1"))
        .isInstanceOf(AssertionError.class);
  }

  @Test
  @DisplayName("compares byte[] keys and values by content")
  void bytesByContent() {
    byte[] k = "k".getBytes(StandardCharsets.UTF_8);
    Record<byte[], byte[]> rec =
        Record.received("s", Shard.of(0), Position.of(0), k, new byte[] {1, 2}, Headers.empty(), 0);

    SluiceAssertions.assertThat(List.of(rec))
        .hasKeysInOrder("k".getBytes(StandardCharsets.UTF_8))
        .hasValuesInOrder(new byte[] {1, 2});
  }
}
