package dev.sluice.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.fail;

import dev.sluice.Consumer;
import dev.sluice.ErrorCode;
import dev.sluice.Headers;
import dev.sluice.Position;
import dev.sluice.Producer;
import dev.sluice.Record;
import dev.sluice.RecordHandler;
import dev.sluice.SendResult;
import dev.sluice.Serde;
import dev.sluice.Shard;
import dev.sluice.ShardListener;
import dev.sluice.Sluice;
import dev.sluice.SluiceException;
import dev.sluice.StartPosition;
import dev.sluice.StreamDescription;
import dev.sluice.StreamSpec;
import dev.sluice.testbrokers.KafkaBroker;
import dev.sluice.testbrokers.KafkaBrokerExtension;
import dev.sluice.testkit.Await;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** The Kafka backend against a real in-process KRaft broker. */
@ExtendWith(KafkaBrokerExtension.class)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
@SuppressWarnings("try") // consumers in try-with-resources only to be closed
class KafkaAdapterIT {
  private KafkaBroker broker;
  private Sluice sluice;

  @BeforeEach
  void open() {
    sluice = open(broker, Map.of());
  }

  @AfterEach
  void close() {
    sluice.close();
  }

  /** Short timeouts so that group changes and new partitions show quickly. */
  static Sluice open(KafkaBroker broker, Map<String, String> extra) {
    KafkaOptions.Builder options =
        KafkaOptions.builder()
            .bootstrapServers(broker.bootstrapServers())
            .sessionTimeout(Duration.ofSeconds(6))
            .partitionDiscoveryInterval(Duration.ofMillis(500))
            .set("consumer.heartbeat.interval.ms", "300")
            .set("metadata.max.age.ms", "1000");
    extra.forEach(options::set);
    return Sluice.builder().ignoreEnvironment().properties(options.build().asMap()).open();
  }

  private static String fresh(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private String stream(int shards) {
    String name = fresh("stream");
    sluice.admin().createStream(name, StreamSpec.withShards(shards));
    return name;
  }

  private static void await(String what, Duration timeout, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        fail("Timed out after " + timeout + " waiting for " + what);
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  private static ErrorCode codeOf(Throwable t) {
    return SluiceException.from(t).code();
  }

  /** Tells when a consumer has its shards, so tests send only after it is ready. */
  private static final class Assignments implements ShardListener {
    final Set<Shard> owned = ConcurrentHashMap.newKeySet();
    final List<Revoked> revocations = new CopyOnWriteArrayList<>();

    @Override
    public void onAssigned(Assigned event) {
      owned.addAll(event.shards());
    }

    @Override
    public void onRevoked(Revoked event) {
      owned.removeAll(event.shards());
      revocations.add(event);
    }
  }

  @Test
  @DisplayName("a record travels with key, value, headers and timestamp, at the position reported")
  void roundTripWithHeaders() throws Exception {
    String stream = stream(3);
    Instant stamp = Instant.parse("2026-01-02T03:04:05.678Z");
    SendResult sent;
    try (Producer<String, String> producer =
        sluice.producer(stream, Serde.string(), Serde.string())) {
      sent =
          producer
              .send(
                  Record.builder("user-1", "hello")
                      .header("trace", "abc")
                      .header("trace", "def")
                      .header("empty", new byte[0])
                      .timestamp(stamp)
                      .build())
              .get(10, TimeUnit.SECONDS);
      assertThat(sent.shard()).isEqualTo(producer.shardFor("user-1"));
      assertThat(sent.timestampMillis()).isEqualTo(stamp.toEpochMilli());
    }
    List<Record<String, String>> received = new CopyOnWriteArrayList<>();
    try (Consumer<String, String> consumer =
        sluice
            .consumer(stream, Serde.string(), Serde.string())
            .startPosition(StartPosition.earliest())
            .start(received::add)) {
      await("the record", Duration.ofSeconds(20), () -> !received.isEmpty());
      assertThat(consumer.unwrap(org.apache.kafka.clients.consumer.Consumer.class)).isNotNull();
    }
    Record<String, String> r = received.get(0);
    assertThat(r.stream()).isEqualTo(stream);
    assertThat(r.key()).isEqualTo("user-1");
    assertThat(r.value()).isEqualTo("hello");
    assertThat(r.shard()).isEqualTo(sent.shard());
    assertThat(r.position()).isEqualTo(sent.position());
    assertThat(r.timestamp()).isEqualTo(stamp);
    assertThat(r.headers())
        .isEqualTo(
            Headers.builder()
                .add("trace", "abc")
                .add("trace", "def")
                .add("empty", new byte[0])
                .build());
  }

  @Test
  @DisplayName("shardFor(key) is where Kafka puts a record with that key")
  void shardForMatchesKafka() {
    String stream = stream(7);
    try (Producer<String, String> producer =
        sluice.producer(stream, Serde.string(), Serde.string())) {
      List<String> keys = new ArrayList<>();
      List<CompletableFuture<SendResult>> results = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        String key = "key-" + i;
        keys.add(key);
        results.add(producer.send(key, "v"));
      }
      for (int i = 0; i < keys.size(); i++) {
        assertThat(producer.shardFor(keys.get(i))).isEqualTo(results.get(i).join().shard());
      }
      assertThat(producer.unwrap(org.apache.kafka.clients.producer.Producer.class)).isNotNull();
    }
  }

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
  @DisplayName("a broker restart mid-produce loses no acknowledged record and keeps per-key order")
  void brokerRestartLosesNothing() throws Exception {
    try (KafkaBroker own = KafkaBroker.startNew();
        Sluice s = open(own, Map.of("producer.linger.ms", "2"))) {
      String name = fresh("restart");
      s.admin().createStream(name, StreamSpec.withShards(4));
      int keys = 8;
      Map<String, List<Integer>> acked = new ConcurrentHashMap<>();
      AtomicInteger failed = new AtomicInteger();
      AtomicBoolean stop = new AtomicBoolean();
      AtomicInteger sentCount = new AtomicInteger();
      Thread sender;
      try (Producer<String, String> producer = s.producer(name, Serde.string(), Serde.string())) {
        sender =
            new Thread(
                () -> {
                  for (int seq = 0; !stop.get(); seq++) {
                    for (int k = 0; k < keys; k++) {
                      String key = "k" + k;
                      int value = seq;
                      producer
                          .send(key, Integer.toString(seq))
                          .whenComplete(
                              (ok, e) -> {
                                if (e == null) {
                                  acked
                                      .computeIfAbsent(key, x -> new CopyOnWriteArrayList<>())
                                      .add(value);
                                } else {
                                  failed.incrementAndGet();
                                }
                              });
                      sentCount.incrementAndGet();
                    }
                    try {
                      Thread.sleep(2);
                    } catch (InterruptedException e) {
                      return;
                    }
                  }
                });
        sender.start();
        await("records flowing", Duration.ofSeconds(20), () -> sentCount.get() > 2000);
        own.restart();
        int atRestart = sentCount.get();
        await(
            "records after the restart",
            Duration.ofSeconds(30),
            () -> sentCount.get() > atRestart + 2000);
        stop.set(true);
        sender.join();
        producer.flush();
      }
      int total = acked.values().stream().mapToInt(List::size).sum();
      System.out.printf(
          "brokerRestart: %d sent, %d acknowledged, %d failed%n",
          sentCount.get(), total, failed.get());
      assertThat(total).isGreaterThan(4000);

      Map<String, List<Integer>> read = new ConcurrentHashMap<>();
      AtomicInteger count = new AtomicInteger();
      try (Consumer<String, String> consumer =
          s.consumer(name, Serde.string(), Serde.string())
              .startPosition(StartPosition.earliest())
              .start(
                  r -> {
                    read.computeIfAbsent(r.key(), x -> new CopyOnWriteArrayList<>())
                        .add(Integer.parseInt(r.value()));
                    count.incrementAndGet();
                  })) {
        await("every acknowledged record", Duration.ofSeconds(30), () -> count.get() >= total);
        // Records whose send failed may still have been stored and arrive too; a duplicate would
        // come with them. Wait until nothing has arrived for 300 ms, then check.
        AtomicInteger seen = new AtomicInteger(-1);
        AtomicLong quietSince = new AtomicLong();
        Await.until(
            "no record arrives for 300 ms",
            Duration.ofSeconds(30),
            () -> {
              int n = count.get();
              if (seen.getAndSet(n) != n) {
                quietSince.set(System.nanoTime());
              }
              return System.nanoTime() - quietSince.get() >= Duration.ofMillis(300).toNanos();
            });
      }
      for (Map.Entry<String, List<Integer>> e : acked.entrySet()) {
        List<Integer> got = read.get(e.getKey());
        assertThat(got).as(e.getKey()).containsAll(e.getValue());
        assertThat(got).as("order of " + e.getKey()).isSorted();
        assertThat(got).as("duplicates of " + e.getKey()).doesNotHaveDuplicates();
      }
    }
  }

  @Test
  @DisplayName("sending to a missing stream fails quickly with NOT_FOUND")
  void missingStreamFailsFast() {
    String missing = fresh("missing");
    long start = System.nanoTime();
    try (Producer<String, String> producer =
        sluice.producer(missing, Serde.string(), Serde.string())) {
      assertThatThrownBy(() -> producer.send("k", "v").get(15, TimeUnit.SECONDS))
          .satisfies(e -> assertThat(codeOf(e)).isEqualTo(ErrorCode.NOT_FOUND))
          .hasMessageContaining(missing);
      assertThatThrownBy(() -> producer.shardFor("k"))
          .isInstanceOfSatisfying(
              SluiceException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
    }
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));

    Consumer<String, String> consumer =
        sluice.consumer(missing, Serde.string(), Serde.string()).group(fresh("g")).start(r -> {});
    assertThatThrownBy(() -> consumer.termination().get(10, TimeUnit.SECONDS))
        .satisfies(e -> assertThat(codeOf(e)).isEqualTo(ErrorCode.NOT_FOUND));
    consumer.close();
  }

  @Test
  @DisplayName(
      "sends pending when their stream is deleted each end once, stored or NOT_FOUND, within"
          + " seconds; once the stream is created again the same producer sends to it")
  void streamDeletedUnderProducer() throws Exception {
    String stream = stream(2);
    // Batches wait 3 s before they leave, so the sends below are still queued when the stream goes.
    try (Sluice lingering = open(broker, Map.of("producer.linger.ms", "3000"));
        Producer<String, String> producer =
            lingering.producer(stream, Serde.string(), Serde.string())) {
      producer.send("k", "before").get(10, TimeUnit.SECONDS);
      int sends = 500;
      AtomicInteger[] calls = new AtomicInteger[sends];
      Map<Integer, Throwable> failures = new ConcurrentHashMap<>();
      AtomicInteger stored = new AtomicInteger();
      for (int i = 0; i < sends; i++) {
        AtomicInteger count = calls[i] = new AtomicInteger();
        int index = i;
        producer.send(
            "k" + (i % 10),
            "v" + i,
            (result, error) -> {
              count.incrementAndGet();
              if (error != null) {
                failures.put(index, error);
              } else {
                stored.incrementAndGet();
              }
            });
      }
      long start = System.nanoTime();
      sluice.admin().deleteStream(stream);
      await(
          "every send answered",
          Duration.ofSeconds(15),
          () -> stored.get() + failures.size() == sends);
      Duration answered = Duration.ofNanos(System.nanoTime() - start);
      SluiceException afterDelete =
          SluiceException.from(
              catchThrowable(() -> producer.send("k", "after").get(10, TimeUnit.SECONDS)));
      System.out.printf(
          "streamDeletedUnderProducer: %d stored, %d failed, all answered %d ms after the delete%n",
          stored.get(), failures.size(), answered.toMillis());
      assertThat(failures).hasSize(sends);
      assertThat(failures.values())
          .allSatisfy(e -> assertThat(codeOf(e)).isEqualTo(ErrorCode.NOT_FOUND));
      assertThat(afterDelete.code()).isEqualTo(ErrorCode.NOT_FOUND);
      assertThat(afterDelete).hasMessageContaining(stream);

      sluice.admin().createStream(stream, StreamSpec.withShards(2));
      // A send while the stream is known deleted asks the cluster again at most once a second.
      await(
          "a send to the stream created again stored",
          Duration.ofSeconds(20),
          () -> {
            try {
              producer.send("k", "again").get(10, TimeUnit.SECONDS);
              return true;
            } catch (Exception e) {
              assertThat(codeOf(e)).isEqualTo(ErrorCode.NOT_FOUND);
              return false;
            }
          });
      for (AtomicInteger count : calls) {
        assertThat(count.get()).as("calls of a send's callback").isEqualTo(1);
      }
      List<String> read = new CopyOnWriteArrayList<>();
      try (Consumer<String, String> consumer =
          sluice
              .consumer(stream, Serde.string(), Serde.string())
              .startPosition(StartPosition.earliest())
              .start(r -> read.add(r.value()))) {
        await("the record sent after", Duration.ofSeconds(20), () -> read.contains("again"));
      }
      assertThat(read)
          .as("nothing sent before the stream was created again")
          .allMatch("again"::equals);
    }
  }

  @Test
  @DisplayName("a record can target a partition; a partition that does not exist is refused")
  void explicitShards() throws Exception {
    String stream = stream(3);
    try (Producer<String, String> producer =
        sluice.producer(stream, Serde.string(), Serde.string())) {
      for (int p = 0; p < 3; p++) {
        SendResult r =
            producer
                .send(Record.builder("same-key", "v").shard(Shard.of(p)).build())
                .get(10, TimeUnit.SECONDS);
        assertThat(r.shard()).isEqualTo(Shard.of(p));
      }
      long start = System.nanoTime();
      assertThatThrownBy(
              () ->
                  producer
                      .send(Record.builder("k", "v").shard(Shard.of(7)).build())
                      .get(10, TimeUnit.SECONDS))
          .satisfies(e -> assertThat(codeOf(e)).isEqualTo(ErrorCode.NOT_FOUND))
          .hasMessageContaining("has 3 shards");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
      assertThatThrownBy(
              () ->
                  producer
                      .send(Record.builder("k", "v").shard(Shard.of("shardId-1")).build())
                      .join())
          .satisfies(e -> assertThat(codeOf(e)).isEqualTo(ErrorCode.INVALID_ARGUMENT));

      sluice.admin().setShardCount(stream, 5);
      assertThat(
              producer
                  .send(Record.builder("k", "v").shard(Shard.of(4)).build())
                  .get(10, TimeUnit.SECONDS)
                  .shard())
          .isEqualTo(Shard.of(4));
    }
  }

  @Test
  @DisplayName(
      "a COMPACT stream is a topic with cleanup.policy=compact, a default one cleanup.policy=delete,"
          + " and a tombstone is a Kafka record with a null value")
  void compactedTopic() throws Exception {
    String compacted = fresh("compacted");
    String plain = fresh("plain");
    sluice
        .admin()
        .createStream(
            compacted, StreamSpec.withShards(1).cleanupPolicy(StreamSpec.CleanupPolicy.COMPACT));
    sluice.admin().createStream(plain, StreamSpec.withShards(1));
    Admin admin = sluice.unwrap(Admin.class);
    for (Map.Entry<String, String> e : Map.of(compacted, "compact", plain, "delete").entrySet()) {
      org.apache.kafka.common.config.ConfigResource topic =
          new org.apache.kafka.common.config.ConfigResource(
              org.apache.kafka.common.config.ConfigResource.Type.TOPIC, e.getKey());
      assertThat(
              admin
                  .describeConfigs(List.of(topic))
                  .values()
                  .get(topic)
                  .get(30, TimeUnit.SECONDS)
                  .get("cleanup.policy")
                  .value())
          .as("cleanup.policy of %s", e.getKey())
          .isEqualTo(e.getValue());
    }

    try (Producer<String, String> p = sluice.producer(compacted, Serde.string(), Serde.string())) {
      p.send("k", null).get(30, TimeUnit.SECONDS);
    }
    try (org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]> raw =
        new org.apache.kafka.clients.consumer.KafkaConsumer<>(
            Map.of(
                "bootstrap.servers", broker.bootstrapServers(),
                "key.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer",
                "value.deserializer",
                    "org.apache.kafka.common.serialization.ByteArrayDeserializer"))) {
      org.apache.kafka.common.TopicPartition tp =
          new org.apache.kafka.common.TopicPartition(compacted, 0);
      raw.assign(List.of(tp));
      raw.seekToBeginning(List.of(tp));
      List<org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]>> got =
          new ArrayList<>();
      await(
          "the tombstone",
          Duration.ofSeconds(30),
          () -> {
            raw.poll(Duration.ofMillis(200)).forEach(got::add);
            return !got.isEmpty();
          });
      assertThat(got.get(0).key()).isEqualTo("k".getBytes(StandardCharsets.UTF_8));
      assertThat(got.get(0).value()).as("Kafka's own tombstone: a null value").isNull();
    }
    sluice.admin().deleteStream(compacted);
    sluice.admin().deleteStream(plain);
  }

  @Test
  @DisplayName(
      "setRetention writes the topic's retention.ms; a retention finer than a millisecond is"
          + " refused, at creation and when changed")
  void retentionMs() throws Exception {
    String stream = stream(1);
    sluice.admin().setRetention(stream, Duration.ofMinutes(90));
    org.apache.kafka.common.config.ConfigResource topic =
        new org.apache.kafka.common.config.ConfigResource(
            org.apache.kafka.common.config.ConfigResource.Type.TOPIC, stream);
    assertThat(
            sluice
                .unwrap(Admin.class)
                .describeConfigs(List.of(topic))
                .values()
                .get(topic)
                .get(30, TimeUnit.SECONDS)
                .get("retention.ms")
                .value())
        .isEqualTo(Long.toString(Duration.ofMinutes(90).toMillis()));

    Duration fine = Duration.ofMillis(1500).plusNanos(1);
    assertThatThrownBy(() -> sluice.admin().setRetention(stream, fine))
        .isInstanceOfSatisfying(
            SluiceException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
        .hasMessageContaining(fine.toString());
    assertThat(sluice.admin().describeStream(stream).retention()).isEqualTo(Duration.ofMinutes(90));
    String refused = fresh("fine");
    assertThatThrownBy(
            () -> sluice.admin().createStream(refused, StreamSpec.withShards(1).retention(fine)))
        .isInstanceOfSatisfying(
            SluiceException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
    assertThat(sluice.admin().exists(refused)).isFalse();
  }

  @Test
  @DisplayName("admin: create with retention, describe, list, grow, refuse to shrink, delete")
  void admin() {
    String stream = fresh("admin");
    sluice.admin().createStream(stream, StreamSpec.withShards(2).retention(Duration.ofHours(5)));
    assertThatThrownBy(() -> sluice.admin().createStream(stream, StreamSpec.withShards(2)))
        .isInstanceOfSatisfying(
            SluiceException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.ALREADY_EXISTS));

    StreamDescription d = sluice.admin().describeStream(stream);
    assertThat(d.openShards()).containsExactly(Shard.of(0), Shard.of(1));
    assertThat(d.retention()).isEqualTo(Duration.ofHours(5));
    assertThat(d.shards()).allMatch(s -> s.parents().isEmpty() && s.hashKeyRange() == null);
    assertThat(sluice.admin().listStreams()).contains(stream).noneMatch(n -> n.startsWith("__"));

    sluice.admin().setShardCount(stream, 2); // no-op
    sluice.admin().setShardCount(stream, 4);
    assertThat(sluice.admin().describeStream(stream).openShards()).hasSize(4);
    assertThatThrownBy(() -> sluice.admin().setShardCount(stream, 3))
        .isInstanceOfSatisfying(
            SluiceException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNSUPPORTED))
        .hasMessageContaining("cannot reduce");
    assertThatThrownBy(() -> sluice.admin().splitShard(stream, Shard.of(0)))
        .isInstanceOfSatisfying(
            SluiceException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNSUPPORTED));

    String forever = fresh("forever");
    sluice.admin().createStream(forever, StreamSpec.withShards(1));
    sluice.unwrap(Admin.class); // the shared native client is reachable
    sluice.admin().deleteStream(stream);
    sluice.admin().deleteStream(forever);
    assertThat(sluice.admin().exists(stream)).isFalse();
    assertThatThrownBy(() -> sluice.admin().describeStream(stream))
        .isInstanceOfSatisfying(
            SluiceException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
    assertThatThrownBy(() -> sluice.admin().deleteStream(stream))
        .isInstanceOfSatisfying(
            SluiceException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
    // Recreating right after deletion works.
    sluice.admin().createStream(stream, StreamSpec.withShards(1));
    sluice.admin().deleteStream(stream);
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

  @Test
  @DisplayName("Kafka's client metrics are bound to the meter registry")
  void clientMetrics() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (Sluice metered =
        Sluice.builder()
            .ignoreEnvironment()
            .meterRegistry(registry)
            .properties(
                KafkaOptions.builder().bootstrapServers(broker.bootstrapServers()).build().asMap())
            .open()) {
      String name = fresh("metrics");
      metered.admin().createStream(name, StreamSpec.withShards(1));
      try (Producer<String, String> producer =
          metered.producer(name, Serde.string(), Serde.string())) {
        producer.send("k", "v").get(10, TimeUnit.SECONDS);
        await(
            "producer meters",
            Duration.ofSeconds(10),
            () ->
                registry.getMeters().stream()
                    .anyMatch(m -> m.getId().getName().startsWith("kafka.producer.")));
      }
    }
  }

  @Test
  @DisplayName("the largest record core accepts is stored; a larger one is refused up front")
  void recordSizeLimit() throws Exception {
    String stream = stream(1);
    int max = sluice.capabilities().maxRecordBytes();
    try (Producer<byte[], byte[]> producer = sluice.producer(stream)) {
      byte[] key = "k".getBytes(java.nio.charset.StandardCharsets.UTF_8);
      byte[] value = new byte[max - key.length - ("h".length() + 1 + 4)];
      new java.util.Random(1).nextBytes(value);
      SendResult ok =
          producer
              .send(Record.builder(key, value).header("h", new byte[1]).build())
              .get(10, TimeUnit.SECONDS);
      assertThat(ok.position()).isEqualTo(Position.of(0));
      assertThatThrownBy(() -> producer.send(key, new byte[max]).join())
          .satisfies(e -> assertThat(codeOf(e)).isEqualTo(ErrorCode.RECORD_TOO_LARGE));
    }
  }
}
