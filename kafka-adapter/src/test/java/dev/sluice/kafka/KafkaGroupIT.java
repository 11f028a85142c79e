package dev.sluice.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Consumer;
import dev.sluice.Producer;
import dev.sluice.Record;
import dev.sluice.RecordHandler;
import dev.sluice.Serde;
import dev.sluice.Shard;
import dev.sluice.ShardListener;
import dev.sluice.Sluice;
import dev.sluice.StartPosition;
import dev.sluice.StreamSpec;
import dev.sluice.testkit.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Kafka consumer groups: takeover, membership with slow handlers, checkpoints on close and resume,
 * both group protocols.
 */
@SuppressWarnings("try") // consumers in try-with-resources only to be closed
class KafkaGroupIT extends KafkaTestSupport {
  @Test
  @DisplayName(
      "when one of three group members closes mid-stream, the others take over and lose"
          + " nothing")
  void groupTakeoverLosesNothing() throws Exception {
    String stream = stream(6);
    String group = fresh("group");
    int keys = 30;
    int perKey = 200;
    Map<String, Set<Integer>> seen = new ConcurrentHashMap<>();
    AtomicInteger deliveries = new AtomicInteger();
    List<Assignments> listeners = List.of(new Assignments(), new Assignments(), new Assignments());
    List<Consumer<String, String>> consumers = new ArrayList<>();
    for (Assignments listener : listeners) {
      consumers.add(
          sluice
              .consumer(stream, Serde.string(), Serde.string())
              .group(group)
              .startPosition(StartPosition.earliest())
              .checkpointInterval(Duration.ofMillis(200))
              .listener(listener)
              .start(
                  r -> {
                    seen.computeIfAbsent(r.key(), k -> ConcurrentHashMap.newKeySet())
                        .add(Integer.parseInt(r.value()));
                    deliveries.incrementAndGet();
                    Thread.sleep(1);
                  }));
    }
    try {
      await(
          "all six shards assigned",
          Duration.ofSeconds(30),
          () ->
              listeners.stream().mapToInt(l -> l.owned.size()).sum() == 6
                  && listeners.stream().allMatch(l -> !l.owned.isEmpty()));
      try (Producer<String, String> producer =
          sluice.producer(stream, Serde.string(), Serde.string())) {
        for (int seq = 0; seq < perKey; seq++) {
          for (int k = 0; k < keys; k++) {
            producer.send("k" + k, Integer.toString(seq));
          }
          if (seq == perKey / 2) {
            producer.flush();
            await("some progress", Duration.ofSeconds(20), () -> deliveries.get() > 1000);
            consumers.get(0).close();
          }
          if (seq % 20 == 0) {
            Thread.sleep(10);
          }
        }
        producer.flush();
      }
      await(
          "every record by the remaining members",
          Duration.ofSeconds(40),
          () -> seen.values().stream().mapToInt(Set::size).sum() == keys * perKey);
      assertThat(listeners.get(0).revocations).isNotEmpty();
      assertThat(listeners.get(0).revocations.get(0).lost()).isFalse();
      assertThat(listeners.get(1).owned.size() + listeners.get(2).owned.size()).isEqualTo(6);
      System.out.printf(
          "groupTakeover: %d records, %d deliveries (%d redelivered after the takeover)%n",
          keys * perKey, deliveries.get(), deliveries.get() - keys * perKey);
    } finally {
      consumers.forEach(Consumer::close);
    }
    assertThat(seen).hasSize(keys);
    seen.forEach((key, values) -> assertThat(values).as(key).hasSize(perKey));
  }

  @Test
  @DisplayName("a slow handler does not get the member evicted (max.poll.interval.ms=3000)")
  void slowHandlerKeepsMembership() throws Exception {
    Sluice strict = open(broker, Map.of("consumer.max.poll.interval.ms", "3000"));
    try {
      String name = fresh("slow");
      strict.admin().createStream(name, StreamSpec.withShards(2));
      int records = 40; // 20 per shard at 200 ms each: 4 s per shard, longer than the interval
      Map<String, AtomicInteger> handled = new ConcurrentHashMap<>();
      Assignments listener = new Assignments();
      try (Consumer<String, String> consumer =
          strict
              .consumer(name, Serde.string(), Serde.string())
              .group(fresh("group"))
              .startPosition(StartPosition.earliest())
              .maxBufferedRecords(4)
              .listener(listener)
              .start(
                  r -> {
                    handled.computeIfAbsent(r.value(), v -> new AtomicInteger()).incrementAndGet();
                    Thread.sleep(200);
                  })) {
        await("assignment", Duration.ofSeconds(20), () -> listener.owned.size() == 2);
        try (Producer<String, String> producer =
            strict.producer(name, Serde.string(), Serde.string())) {
          for (int i = 0; i < records; i++) {
            producer.send(Record.builder((String) null, "r" + i).shard(Shard.of(i % 2)).build());
          }
          producer.flush();
        }
        await("every record", Duration.ofSeconds(30), () -> handled.size() == records);
        Await.holdsFor(
            "no shard is revoked", Duration.ofMillis(500), () -> listener.revocations.isEmpty());
      }
      assertThat(handled.values()).allMatch(n -> n.get() == 1);
    } finally {
      strict.close();
    }
  }

  @Test
  @DisplayName(
      "a member closed while its group rebalances stores what it handled: nothing is delivered"
          + " twice, nothing lost")
  void closeDuringRebalanceCommits() throws Exception {
    String stream = stream(4);
    String group = fresh("group");
    // A member of the same group on another topic, driven by hand: while it does not poll, a
    // rebalance waits for it to rejoin, which holds the other members inside the rebalance.
    String otherTopic = stream(1);
    Map<String, AtomicInteger> handled = new ConcurrentHashMap<>();
    AtomicInteger deliveries = new AtomicInteger();
    RecordHandler<String, String> count =
        r -> {
          handled
              .computeIfAbsent(
                  r.key() + "/" + r.value() + "@" + r.shard().id(), k -> new AtomicInteger())
              .incrementAndGet();
          deliveries.incrementAndGet();
        };
    List<Assignments> listeners = List.of(new Assignments(), new Assignments(), new Assignments());
    List<Consumer<String, String>> members = new ArrayList<>();
    Map<String, Object> manualProps = new HashMap<>();
    manualProps.put("bootstrap.servers", broker.bootstrapServers());
    manualProps.put("group.id", group);
    manualProps.put("key.deserializer", ByteArrayDeserializer.class.getName());
    manualProps.put("value.deserializer", ByteArrayDeserializer.class.getName());
    manualProps.put("partition.assignment.strategy", CooperativeStickyAssignor.class.getName());
    manualProps.put("session.timeout.ms", "6000");
    manualProps.put("heartbeat.interval.ms", "300");
    manualProps.put("max.poll.interval.ms", "60000");
    try (KafkaConsumer<byte[], byte[]> manual = new KafkaConsumer<>(manualProps)) {
      // Two members started at the same moment; checkpoints only when shards are given up.
      for (int i = 0; i < 2; i++) {
        members.add(member(stream, group, listeners.get(i), count));
      }
      await(
          "the four shards shared by the two members",
          Duration.ofSeconds(30),
          () ->
              listeners.get(0).owned.size() + listeners.get(1).owned.size() == 4
                  && !listeners.get(0).owned.isEmpty()
                  && !listeners.get(1).owned.isEmpty());
      manual.subscribe(List.of(otherTopic));
      await(
          "the hand-driven member in the group",
          Duration.ofSeconds(30),
          () -> {
            manual.poll(Duration.ofMillis(100));
            return !manual.assignment().isEmpty();
          });
      int records = 2000;
      try (Producer<String, String> producer =
          sluice.producer(stream, Serde.string(), Serde.string())) {
        for (int i = 0; i < records; i++) {
          producer.send("k" + (i % 40), Integer.toString(i));
        }
        producer.flush();
        await("every record handled", Duration.ofSeconds(30), () -> deliveries.get() == records);

        // A third member joins; the first two rejoin and wait for the hand-driven one.
        members.add(member(stream, group, listeners.get(2), count));
        Admin admin = sluice.unwrap(Admin.class);
        await(
            "the group rebalancing",
            Duration.ofSeconds(20),
            () -> {
              try {
                return admin
                        .describeConsumerGroups(List.of(group))
                        .all()
                        .get()
                        .get(group)
                        .groupState()
                    == GroupState.PREPARING_REBALANCE;
              } catch (Exception e) {
                throw new AssertionError(e);
              }
            });
        // The members learn of the rebalance from a heartbeat (every 300 ms) and rejoin in their
        // next poll (at most 500 ms later): this pause puts the first one inside the rebalance,
        // where the race is, rather than hiding one.
        Thread.sleep(2000);
        CompletableFuture<Void> closed = CompletableFuture.runAsync(members.get(0)::close);
        // Let the rebalance finish: the hand-driven member rejoins while the first one closes.
        long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!closed.isDone() && System.nanoTime() < until) {
          manual.poll(Duration.ofMillis(100));
        }
        closed.get(1, TimeUnit.SECONDS);
        Runnable keepManualAlive = () -> manual.poll(Duration.ofMillis(50));
        await(
            "the remaining members owning the four shards",
            Duration.ofSeconds(40),
            () -> {
              keepManualAlive.run();
              return listeners.get(1).owned.size() + listeners.get(2).owned.size() == 4;
            });
        // One more record per shard: a shard's records come in order, so once these arrive any
        // record delivered again after the close has arrived before them.
        for (int shard = 0; shard < 4; shard++) {
          producer.send(
              Record.builder("last", Integer.toString(shard)).shard(Shard.of(shard)).build());
        }
        producer.flush();
        await(
            "the last record of every shard",
            Duration.ofSeconds(30),
            () -> {
              keepManualAlive.run();
              return deliveries.get() >= records + 4
                  && handled.keySet().stream().filter(k -> k.startsWith("last/")).count() == 4;
            });
      }
      Map<String, Integer> twice = new HashMap<>();
      handled.forEach(
          (k, n) -> {
            if (n.get() > 1) {
              twice.put(k, n.get());
            }
          });
      System.out.printf(
          "closeDuringRebalance: %d records, %d deliveries, %d handled twice; the closed member"
              + " gave up %s%n",
          records + 4, deliveries.get(), twice.size(), listeners.get(0).revocations);
      assertThat(listeners.get(0).revocations).noneMatch(ShardListener.Revoked::lost);
      assertThat(handled).hasSize(records + 4);
      assertThat(twice.size())
          .as(
              "records handled more than once (key/value@shard), e.g. %s",
              twice.keySet().stream().limit(5).toList())
          .isZero();
    } finally {
      members.forEach(Consumer::close);
    }
  }

  private Consumer<String, String> member(
      String stream, String group, Assignments listener, RecordHandler<String, String> handler) {
    return sluice
        .consumer(stream, Serde.string(), Serde.string())
        .group(group)
        .startPosition(StartPosition.earliest())
        .checkpointInterval(Duration.ofHours(1))
        .listener(listener)
        .start(handler);
  }

  @Test
  @DisplayName("a restarted group resumes after its checkpoint")
  void groupResumesAfterCheckpoint() throws Exception {
    String stream = stream(2);
    String group = fresh("group");
    try (Producer<String, String> producer =
        sluice.producer(stream, Serde.string(), Serde.string())) {
      for (int i = 0; i < 50; i++) {
        producer.send("k" + i, "a" + i);
      }
      producer.flush();
      List<String> firstRun = new CopyOnWriteArrayList<>();
      try (Consumer<String, String> c =
          sluice
              .consumer(stream, Serde.string(), Serde.string())
              .group(group)
              .startPosition(StartPosition.earliest())
              .start(r -> firstRun.add(r.value()))) {
        await("first run", Duration.ofSeconds(20), () -> firstRun.size() == 50);
      }
      for (int i = 0; i < 10; i++) {
        producer.send("k" + i, "b" + i);
      }
      producer.flush();
      List<String> secondRun = new CopyOnWriteArrayList<>();
      try (Consumer<String, String> c =
          sluice
              .consumer(stream, Serde.string(), Serde.string())
              .group(group)
              .startPosition(StartPosition.earliest())
              .start(r -> secondRun.add(r.value()))) {
        await("second run", Duration.ofSeconds(20), () -> secondRun.size() >= 10);
        Await.holdsFor(
            "nothing more arrives", Duration.ofMillis(500), () -> secondRun.size() == 10);
      }
      assertThat(secondRun).hasSize(10).allMatch(v -> v.startsWith("b"));
    }
  }

  @Test
  @DisplayName("the consumer group protocol (group.protocol=consumer) works too")
  void consumerProtocol() throws Exception {
    // session.timeout.ms and heartbeat.interval.ms belong to the broker with this protocol.
    try (Sluice modern =
        Sluice.builder()
            .ignoreEnvironment()
            .properties(
                KafkaOptions.builder()
                    .bootstrapServers(broker.bootstrapServers())
                    .groupProtocol("consumer")
                    .build()
                    .asMap())
            .open()) {
      String name = fresh("modern");
      modern.admin().createStream(name, StreamSpec.withShards(3));
      String group = fresh("group");
      Set<String> seen = ConcurrentHashMap.newKeySet();
      Assignments a = new Assignments();
      Assignments b = new Assignments();
      try (Producer<String, String> producer =
              modern.producer(name, Serde.string(), Serde.string());
          Consumer<String, String> first =
              modern
                  .consumer(name, Serde.string(), Serde.string())
                  .group(group)
                  .startPosition(StartPosition.earliest())
                  .listener(a)
                  .start(r -> seen.add(r.value()));
          Consumer<String, String> second =
              modern
                  .consumer(name, Serde.string(), Serde.string())
                  .group(group)
                  .startPosition(StartPosition.earliest())
                  .listener(b)
                  .start(r -> seen.add(r.value()))) {
        for (int i = 0; i < 300; i++) {
          producer.send("k" + i, "v" + i);
        }
        producer.flush();
        await("every record", Duration.ofSeconds(30), () -> seen.size() == 300);
        await(
            "both members own shards",
            Duration.ofSeconds(20),
            () -> a.owned.size() + b.owned.size() == 3 && !a.owned.isEmpty() && !b.owned.isEmpty());
      }
    }
  }
}
