package dev.sluice.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.sluice.Consumer;
import dev.sluice.ErrorCode;
import dev.sluice.Headers;
import dev.sluice.Position;
import dev.sluice.Producer;
import dev.sluice.Record;
import dev.sluice.SendResult;
import dev.sluice.Serde;
import dev.sluice.Shard;
import dev.sluice.Sluice;
import dev.sluice.SluiceException;
import dev.sluice.StartPosition;
import dev.sluice.StreamSpec;
import dev.sluice.testbrokers.KafkaBroker;
import dev.sluice.testkit.Await;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Producing to Kafka: what a record carries, where it lands, what is refused, and what survives a
 * broker restart or a deleted topic.
 */
@SuppressWarnings("try") // consumers in try-with-resources only to be closed
class KafkaProduceIT extends KafkaTestSupport {
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
  @DisplayName(
      "right after setShardCount, keyed sends and shardFor use the new count, though the Kafka"
          + " producer's metadata is not refreshed yet")
  void routesByNewCountAfterSetShardCount() {
    // Kafka's default metadata age (5 min): only the driver can make the new count show at once.
    try (Sluice stale = open(broker, Map.of("metadata.max.age.ms", "300000"))) {
      String stream = fresh("stream");
      stale.admin().createStream(stream, StreamSpec.withShards(2));
      try (Producer<String, String> producer =
          stale.producer(stream, Serde.string(), Serde.string())) {
        producer.send("warm-up", "x").join();

        stale.admin().setShardCount(stream, 3);

        for (int k = 0; k < 30; k++) {
          String key = "after-" + k;
          Shard expected =
              Shard.of(
                  org.apache.kafka.clients.producer.internals.BuiltInPartitioner.partitionForKey(
                      key.getBytes(java.nio.charset.StandardCharsets.UTF_8), 3));
          assertThat(producer.shardFor(key)).as(key).isEqualTo(expected);
          assertThat(producer.send(key, key).join().shard()).as(key).isEqualTo(expected);
        }
      }
    }
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
}
