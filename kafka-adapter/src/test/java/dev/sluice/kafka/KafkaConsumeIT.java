package dev.sluice.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Consumer;
import dev.sluice.Position;
import dev.sluice.Producer;
import dev.sluice.Record;
import dev.sluice.SendResult;
import dev.sluice.Serde;
import dev.sluice.Shard;
import dev.sluice.StartPosition;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Consuming from Kafka: per-key order, start positions, partitions added while consuming. */
@SuppressWarnings("try") // consumers in try-with-resources only to be closed
class KafkaConsumeIT extends KafkaTestSupport {
  @Test
  @DisplayName("records of each key are consumed in send order, across all partitions")
  void keyedOrderAcrossPartitions() throws Exception {
    String stream = stream(6);
    int keys = 24;
    int perKey = 250;
    try (Producer<String, String> producer =
        sluice.producer(stream, Serde.string(), Serde.string())) {
      List<CompletableFuture<SendResult>> sends = new ArrayList<>();
      for (int seq = 0; seq < perKey; seq++) {
        for (int k = 0; k < keys; k++) {
          sends.add(producer.send("k" + k, Integer.toString(seq)));
        }
      }
      CompletableFuture.allOf(sends.toArray(new CompletableFuture<?>[0])).get(30, TimeUnit.SECONDS);
    }
    Map<String, List<Integer>> seen = new ConcurrentHashMap<>();
    AtomicInteger count = new AtomicInteger();
    try (Consumer<String, String> consumer =
        sluice
            .consumer(stream, Serde.string(), Serde.string())
            .group(fresh("group"))
            .startPosition(StartPosition.earliest())
            .start(
                r -> {
                  seen.computeIfAbsent(
                          r.key(), k -> Collections.synchronizedList(new ArrayList<>()))
                      .add(Integer.parseInt(r.value()));
                  count.incrementAndGet();
                })) {
      await("every record", Duration.ofSeconds(30), () -> count.get() >= keys * perKey);
    }
    assertThat(seen).hasSize(keys);
    List<Integer> expected = new ArrayList<>();
    for (int i = 0; i < perKey; i++) {
      expected.add(i);
    }
    seen.forEach((key, values) -> assertThat(values).as(key).isEqualTo(expected));
  }

  @Test
  @DisplayName("start positions: latest, at a timestamp, after a position")
  void startPositions() throws Exception {
    String stream = stream(1);
    List<SendResult> first = new ArrayList<>();
    try (Producer<String, String> producer =
        sluice.producer(stream, Serde.string(), Serde.string())) {
      for (int i = 0; i < 5; i++) {
        first.add(
            producer
                .send(
                    Record.builder("k", "old" + i)
                        .timestamp(Instant.ofEpochMilli(1_000_000 + i * 1000L))
                        .build())
                .join());
      }
      Map<String, List<String>> got = new ConcurrentHashMap<>();
      Map<String, Assignments> ready = new HashMap<>();
      Map<String, StartPosition> starts =
          Map.of(
              "latest", StartPosition.latest(),
              "timestamp", StartPosition.atTimestamp(Instant.ofEpochMilli(1_003_000)),
              "after", StartPosition.after(Map.of(Shard.of(0), first.get(1).position())),
              "at", StartPosition.at(Shard.of(0), Position.of(first.get(4).position().offset())));
      List<Consumer<String, String>> consumers = new ArrayList<>();
      try {
        for (Map.Entry<String, StartPosition> e : starts.entrySet()) {
          Assignments a = new Assignments();
          ready.put(e.getKey(), a);
          List<String> values = new CopyOnWriteArrayList<>();
          got.put(e.getKey(), values);
          consumers.add(
              sluice
                  .consumer(stream, Serde.string(), Serde.string())
                  .group(fresh(e.getKey()))
                  .startPosition(e.getValue())
                  .listener(a)
                  .start(r -> values.add(r.value())));
        }
        await(
            "assignments",
            Duration.ofSeconds(20),
            () -> ready.values().stream().allMatch(a -> !a.owned.isEmpty()));
        producer.send("k", "new").join();
        await(
            "the new record everywhere",
            Duration.ofSeconds(20),
            () -> got.values().stream().allMatch(l -> l.contains("new")));
      } finally {
        consumers.forEach(Consumer::close);
      }
      assertThat(got.get("latest")).containsExactly("new");
      assertThat(got.get("timestamp")).containsExactly("old3", "old4", "new");
      assertThat(got.get("after")).containsExactly("old2", "old3", "old4", "new");
      assertThat(got.get("at")).containsExactly("old4", "new");
    }
  }

  @Test
  @DisplayName("consumers pick up partitions added while they run, from their first record")
  void addedPartitionsAreConsumed() throws Exception {
    String stream = stream(2);
    Set<String> standalone = ConcurrentHashMap.newKeySet();
    Set<String> grouped = ConcurrentHashMap.newKeySet();
    Assignments a = new Assignments();
    Assignments b = new Assignments();
    try (Consumer<String, String> first =
            sluice
                .consumer(stream, Serde.string(), Serde.string())
                .startPosition(StartPosition.latest())
                .listener(a)
                .start(r -> standalone.add(r.shard() + ":" + r.value()));
        Consumer<String, String> second =
            sluice
                .consumer(stream, Serde.string(), Serde.string())
                .group(fresh("group"))
                .startPosition(StartPosition.latest())
                .listener(b)
                .start(r -> grouped.add(r.shard() + ":" + r.value()));
        Producer<String, String> producer =
            sluice.producer(stream, Serde.string(), Serde.string())) {
      await(
          "assignments", Duration.ofSeconds(20), () -> a.owned.size() == 2 && b.owned.size() == 2);
      sluice.admin().setShardCount(stream, 4);
      // Sent before the consumers noticed the new partitions: "latest" must still include them.
      for (int p = 0; p < 4; p++) {
        producer.send(Record.builder((String) null, "v" + p).shard(Shard.of(p)).build()).join();
      }
      Set<String> all = Set.of("0:v0", "1:v1", "2:v2", "3:v3");
      await("standalone sees all four", Duration.ofSeconds(20), () -> standalone.equals(all));
      await("group sees all four", Duration.ofSeconds(20), () -> grouped.equals(all));
      assertThat(a.owned).hasSize(4);
      assertThat(b.owned).hasSize(4);
    }
  }
}
