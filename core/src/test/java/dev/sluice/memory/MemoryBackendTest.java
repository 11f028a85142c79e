package dev.sluice.memory;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Consumer;
import dev.sluice.Producer;
import dev.sluice.PullConsumer;
import dev.sluice.Record;
import dev.sluice.Serde;
import dev.sluice.Shard;
import dev.sluice.Sluice;
import dev.sluice.StartPosition;
import dev.sluice.StreamSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Behaviour specific to the memory backend; the portable contract is in the conformance kit. */
class MemoryBackendTest {
  private Sluice sluice;
  private String stream;

  @BeforeEach
  void open() {
    sluice =
        Sluice.builder()
            .ignoreEnvironment()
            .backend("memory")
            .set("sluice.memory.namespace", "memory-backend-test")
            .open();
    stream = "s-" + UUID.randomUUID();
  }

  @AfterEach
  void close() {
    sluice.close();
  }

  @Test
  @DisplayName("a group consumer receives every record of every shard, in order per key")
  void groupRoundTrip() throws Exception {
    sluice.admin().createStream(stream, StreamSpec.withShards(4));
    Map<String, List<Integer>> seen = new ConcurrentHashMap<>();
    try (Producer<String, String> p = sluice.producer(stream, Serde.string(), Serde.string())) {
      for (int i = 0; i < 2000; i++) {
        p.send("k" + (i % 37), Integer.toString(i));
      }
    }
    try (Consumer<String, String> c =
        sluice
            .consumer(stream, Serde.string(), Serde.string())
            .group("g")
            .start(
                r ->
                    seen.computeIfAbsent(
                            r.key(), k -> Collections.synchronizedList(new ArrayList<>()))
                        .add(Integer.parseInt(r.value())))) {
      long deadline = System.currentTimeMillis() + 10_000;
      while (seen.values().stream().mapToInt(List::size).sum() < 2000
          && System.currentTimeMillis() < deadline) {
        Thread.onSpinWait();
      }
      assertThat(c.assignment()).hasSize(4);
    }
    assertThat(seen.values().stream().mapToInt(List::size).sum()).isEqualTo(2000);
    seen.values().forEach(list -> assertThat(list).isSorted());
  }

  @Test
  @DisplayName(
      "after a split, a standalone consumer reads the parent's records before the children's")
  void splitKeepsOrder() {
    sluice.admin().createStream(stream, StreamSpec.withShards(1));
    List<Record<String, String>> got = new CopyOnWriteArrayList<>();
    try (Producer<String, String> p = sluice.producer(stream, Serde.string(), Serde.string())) {
      for (int i = 0; i < 100; i++) {
        p.send("k" + (i % 5), Integer.toString(i)).join();
      }
      sluice.admin().splitShard(stream, Shard.of(0));
      for (int i = 100; i < 200; i++) {
        p.send("k" + (i % 5), Integer.toString(i)).join();
      }
    }
    assertThat(sluice.admin().describeStream(stream).shards()).hasSize(3);
    try (PullConsumer<String, String> c =
        sluice.consumer(stream, Serde.string(), Serde.string()).open()) {
      long deadline = System.currentTimeMillis() + 10_000;
      while (got.size() < 200 && System.currentTimeMillis() < deadline) {
        got.addAll(c.poll(Duration.ofMillis(200)));
      }
    }
    assertThat(got).hasSize(200);
    Map<String, List<Integer>> perKey = new ConcurrentHashMap<>();
    got.forEach(
        r ->
            perKey
                .computeIfAbsent(r.key(), k -> new ArrayList<>())
                .add(Integer.parseInt(r.value())));
    perKey.values().forEach(list -> assertThat(list).isSorted().hasSize(40));
  }

  @Test
  @DisplayName("a standalone consumer resumes after the positions the application kept")
  void standaloneResume() {
    sluice.admin().createStream(stream, StreamSpec.withShards(2));
    try (Producer<String, String> p = sluice.producer(stream, Serde.string(), Serde.string())) {
      for (int i = 0; i < 50; i++) {
        p.send("k" + i, Integer.toString(i));
      }
    }
    List<Record<String, String>> first = new ArrayList<>();
    Map<Shard, dev.sluice.Position> positions;
    try (PullConsumer<String, String> c =
        sluice.consumer(stream, Serde.string(), Serde.string()).open()) {
      while (first.size() < 50) {
        first.addAll(c.poll(Duration.ofMillis(200)));
      }
      c.poll(Duration.ZERO); // marks the last batch processed
      positions = c.processedPositions();
    }
    try (Producer<String, String> p = sluice.producer(stream, Serde.string(), Serde.string())) {
      p.send("late", "50").join();
    }
    List<Record<String, String>> second = new ArrayList<>();
    try (PullConsumer<String, String> c =
        sluice
            .consumer(stream, Serde.string(), Serde.string())
            .startPosition(StartPosition.after(positions))
            .open()) {
      long deadline = System.currentTimeMillis() + 5_000;
      while (second.isEmpty() && System.currentTimeMillis() < deadline) {
        second.addAll(c.poll(Duration.ofMillis(100)));
      }
      second.addAll(c.poll(Duration.ofMillis(300)));
    }
    assertThat(second).extracting(Record::value).containsExactly("50");
  }
}
