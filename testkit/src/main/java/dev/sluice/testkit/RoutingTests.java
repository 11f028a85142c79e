package dev.sluice.testkit;

import static dev.sluice.testkit.SluiceAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.ErrorCode;
import dev.sluice.Producer;
import dev.sluice.Record;
import dev.sluice.SendResult;
import dev.sluice.Shard;
import dev.sluice.SluiceException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Which shard a record lands on: by key, or the shard it names. */
abstract class RoutingTests extends ConformanceArea {
  @Test
  @DisplayName("records with the same key land on the same shard, the one shardFor names")
  void sameKeySameShard() {
    String stream = stream(4);
    Producer<String, String> producer = strings(stream);
    Map<String, Set<Shard>> shardsPerKey = new TreeMap<>();

    // Sent together, then checked: one stored before the next proves nothing more about routing
    // and took ~10 s on a broker with a slow put.
    Map<String, List<CompletableFuture<SendResult>>> sends = new TreeMap<>();
    for (int round = 0; round < 3; round++) {
      for (int k = 0; k < 40; k++) {
        String key = "key-" + k;
        sends
            .computeIfAbsent(key, x -> new ArrayList<>())
            .add(producer.send(key, key + "#" + round));
      }
    }
    sends.forEach(
        (key, ofKey) -> {
          for (SendResult sent : awaitAll(ofKey)) {
            shardsPerKey.computeIfAbsent(key, x -> new TreeSet<>()).add(sent.shard());
            assertThat(producer.shardFor(key)).as("shardFor(%s)", key).isEqualTo(sent.shard());
          }
        });

    shardsPerKey.forEach((key, shards) -> assertThat(shards).as("shards of %s", key).hasSize(1));
    List<Record<String, String>> got = collect(consumerOf(stream)).awaitCount(120, timeout());
    for (Record<String, String> r : got) {
      assertThat(shardsPerKey.get(r.key()))
          .as("where %s was read", r.key())
          .containsExactly(r.shard());
    }
  }

  @Test
  @DisplayName("different keys spread over the shards")
  void keysSpread() {
    String stream = stream(4);
    Producer<String, String> producer = strings(stream);

    Set<Shard> used = new HashSet<>();
    for (int k = 0; k < 64; k++) {
      used.add(producer.shardFor("spread-" + k));
    }

    assertThat(used).as("64 keys over 4 shards").hasSizeGreaterThan(1);
  }

  @Test
  @DisplayName("a record sent to an explicit shard lands there, whatever its key")
  void explicitShard() {
    String stream = stream(3);
    Producer<String, String> producer = strings(stream);
    List<Shard> open = sluice().admin().describeStream(stream).openShards();

    for (Shard s : open) {
      for (int i = 0; i < 3; i++) {
        SendResult sent =
            await(
                producer.send(
                    Record.<String, String>builder("same-key", s + "/" + i).shard(s).build()));
        assertThat(sent.shard()).isEqualTo(s);
      }
    }

    List<Record<String, String>> got = collect(consumerOf(stream)).awaitCount(9, timeout());
    for (Record<String, String> r : got) {
      assertThat(r.value()).startsWith(r.shard() + "/");
    }
  }

  @Test
  @DisplayName("shardFor follows a change of the shard count")
  void shardForAfterReshard() {
    String stream = stream(2);
    Producer<String, String> producer = strings(stream);
    await(producer.send("warm-up", "x"));

    sluice().admin().setShardCount(stream, 3);

    Set<Shard> open = new HashSet<>(sluice().admin().describeStream(stream).openShards());
    for (int k = 0; k < 20; k++) {
      String key = "after-" + k;
      SendResult sent = await(producer.send(key, key));
      assertThat(open).as("%s went to an open shard", key).contains(sent.shard());
      assertThat(producer.shardFor(key)).isEqualTo(sent.shard());
    }
  }

  @Test
  @DisplayName(
      "a record sent to a shard the stream does not have fails with INVALID_ARGUMENT or NOT_FOUND")
  void shardTheStreamDoesNotHave() {
    String stream = stream(2);
    Producer<String, String> producer = strings(stream);

    SluiceException e =
        failureOf(
            producer.send(
                Record.<String, String>builder("k", "v")
                    .shard(Shard.of("shardId-999999999"))
                    .build()));

    assertThat(e.code()).isIn(ErrorCode.INVALID_ARGUMENT, ErrorCode.NOT_FOUND);
    assertThat(e.getMessage()).isNotBlank();
  }
}
