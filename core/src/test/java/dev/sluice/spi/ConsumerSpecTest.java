package dev.sluice.spi;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.ErrorCode;
import dev.sluice.Position;
import dev.sluice.Shard;
import dev.sluice.SluiceException;
import dev.sluice.StartPosition;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A start position naming a shard")
class ConsumerSpecTest {
  private static ConsumerSpec spec(StartPosition start) {
    return new ConsumerSpec("orders", null, start, "client", 500);
  }

  @Test
  @DisplayName("of the stream, or no shard at all, is accepted")
  void known() {
    List<Shard> shards = List.of(Shard.of(0), Shard.of(1));
    assertThat(spec(StartPosition.at(Shard.of(1), Position.of(3))).unknownStartShard(shards))
        .isNull();
    assertThat(spec(StartPosition.earliest()).unknownStartShard(shards)).isNull();
  }

  @Test
  @DisplayName("the stream does not have is INVALID_ARGUMENT, naming it and the shards there are")
  void unknown() {
    SluiceException e =
        spec(StartPosition.at(Shard.of(7), Position.of(3)))
            .unknownStartShard(List.of(Shard.of(1), Shard.of(0)));
    assertThat(e).isNotNull();
    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(e)
        .hasMessageEndingWith(
            "The start position names shard '7', which stream 'orders' does not have; its shards"
                + " are 0, 1");
  }

  @Test
  @DisplayName("of a stream of many shards lists the first few")
  void manyShards() {
    List<Shard> shards = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      shards.add(Shard.of(String.format("shardId-%012d", i)));
    }
    SluiceException e =
        spec(StartPosition.at(Shard.of("shardId-999"), Position.of(3))).unknownStartShard(shards);
    assertThat(e.getMessage())
        .contains("its shards are shardId-000000000000, shardId-000000000001")
        .endsWith("shardId-000000000009, ... (100 in all)");
  }
}
