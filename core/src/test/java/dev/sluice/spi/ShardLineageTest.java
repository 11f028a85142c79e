package dev.sluice.spi;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Shard;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Reading child shards after their parents")
class ShardLineageTest {
  private static final Shard A = Shard.of("shardId-0");
  private static final Shard B = Shard.of("shardId-1");
  private static final Shard A1 = Shard.of("shardId-2");
  private static final Shard A2 = Shard.of("shardId-3");
  private static final Shard AB = Shard.of("shardId-4");

  /** A split into A1 and A2; A2 and B merged into AB. Shards are in order of their number. */
  private static final ShardLineage RESHARDED =
      ShardLineage.of(
          Map.of(A, List.of(), B, List.of(), A1, List.of(A), A2, List.of(A), AB, List.of(A2, B)));

  @Test
  @DisplayName("at first only the shards without unread parents are readable")
  void parentsFirst() {
    assertThat(RESHARDED.readable(Set.of())).containsExactly(A, B);
  }

  @Test
  @DisplayName("a split's children become readable once their parent is done")
  void split() {
    assertThat(RESHARDED.readable(Set.of(A))).containsExactly(B, A1, A2);
  }

  @Test
  @DisplayName("a merged shard waits for both parents")
  void merge() {
    assertThat(RESHARDED.readable(Set.of(A, A2))).containsExactly(B, A1);
    assertThat(RESHARDED.readable(Set.of(A, A2, B))).containsExactly(A1, AB);
  }

  @Test
  @DisplayName("a parent the stream no longer lists (aged out) does not hold its child back")
  void agedOutParent() {
    ShardLineage trimmed = ShardLineage.of(Map.of(A1, List.of(A), A2, List.of(A)));
    assertThat(trimmed.readable(Set.of())).containsExactly(A1, A2);
    assertThat(trimmed.contains(A)).isFalse();
  }

  @Test
  @DisplayName("ancestors are parents, their parents and so on, not the shard itself")
  void ancestors() {
    assertThat(RESHARDED.ancestors(List.of(AB))).containsExactlyInAnyOrder(A2, B, A);
    assertThat(RESHARDED.ancestors(List.of(A))).isEmpty();
  }
}
