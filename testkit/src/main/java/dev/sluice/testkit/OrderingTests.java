package dev.sluice.testkit;

import static dev.sluice.testkit.SluiceAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Position;
import dev.sluice.Producer;
import dev.sluice.Record;
import dev.sluice.SendResult;
import dev.sluice.Shard;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Records of a key, or of a shard, are consumed in the order they were sent. */
abstract class OrderingTests extends ConformanceArea {
  @Test
  @DisplayName("records of each key are consumed in send order, across many keys and shards")
  void perKeyOrder() {
    String stream = stream(4);
    Keyed batch = keyed("ord", 25, 40);
    Producer<String, String> producer = strings(stream);

    List<CompletableFuture<SendResult>> sends = new ArrayList<>();
    for (Record<String, String> r : batch.records) {
      sends.add(producer.send(r));
    }
    awaitAll(sends);

    List<Record<String, String>> got =
        collect(consumerOf(stream)).awaitCount(batch.records.size(), timeout());
    assertThat(got).haveValuesInOrderPerKey(batch.perKey).hasIncreasingPositionsPerShard();
  }

  @Test
  @DisplayName("records without a key sent to one shard are consumed in send order")
  void perShardOrder() {
    String stream = stream(2);
    Shard target = sluice().admin().describeStream(stream).openShards().get(1);
    Producer<String, String> producer = strings(stream);
    List<String> values =
        IntStream.range(0, 200)
            .mapToObj(i -> String.format("v%04d", i))
            .collect(Collectors.toList());

    awaitAll(
        values.stream()
            .map(v -> producer.send(Record.<String, String>builder(null, v).shard(target).build()))
            .collect(Collectors.toList()));

    List<Record<String, String>> got = collect(consumerOf(stream)).awaitCount(200, timeout());
    assertThat(got).hasValuesInOrder(values).areAllFromShard(target);
  }

  @Test
  @DisplayName("sendAll sends a batch: one future per record, in order, keys kept in order")
  void sendAll() {
    String stream = stream(3);
    Keyed batch = keyed("batch", 5, 30);
    Producer<String, String> producer = strings(stream);

    List<CompletableFuture<SendResult>> futures = producer.sendAll(batch.records);

    assertThat(futures).hasSize(batch.records.size());
    List<SendResult> results = awaitAll(futures);
    Map<String, Position> lastPerKey = new HashMap<>();
    for (int i = 0; i < results.size(); i++) {
      String key = batch.records.get(i).key();
      Position previous = lastPerKey.put(key, results.get(i).position());
      if (previous != null) {
        assertThat(results.get(i).position())
            .as("position of record %s", i)
            .isGreaterThan(previous);
      }
    }
    List<Record<String, String>> got =
        collect(consumerOf(stream)).awaitCount(batch.records.size(), timeout());
    assertThat(got).haveValuesInOrderPerKey(batch.perKey);
  }
}
