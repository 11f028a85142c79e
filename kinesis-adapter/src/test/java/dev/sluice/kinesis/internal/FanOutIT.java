package dev.sluice.kinesis.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Consumer;
import dev.sluice.Producer;
import dev.sluice.SendResult;
import dev.sluice.Serde;
import dev.sluice.Shard;
import dev.sluice.Sluice;
import dev.sluice.StartPosition;
import dev.sluice.StreamSpec;
import dev.sluice.kinesis.KinesisOptions;
import dev.sluice.kinesis.KinesisOptions.ConsumerType;
import dev.sluice.kinesis.KinesisTestBrokers;
import dev.sluice.testbrokers.DynamoDbEmulator;
import dev.sluice.testbrokers.KinesisEmulator;
import dev.sluice.testbrokers.KinesisEmulatorExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.ConsumerStatus;

/**
 * What enhanced fan-out adds to reading, on the emulator: stream consumer registration and its
 * undoing, resubscription after a subscription ends, and resharding followed while subscribed. The
 * conformance kit ({@code KinesisFanOutConformanceIT}) covers the rest of reading.
 */
@ExtendWith(KinesisEmulatorExtension.class)
@DisplayName("Kinesis enhanced fan-out")
class FanOutIT {
  private static final Duration WAIT = Duration.ofSeconds(60);

  private static KinesisEmulator kinesis;
  private static DynamoDbEmulator dynamo;
  private static Sluice sluice;
  private static KinesisAsyncClient raw;

  @BeforeAll
  static void open(KinesisEmulator emulator, DynamoDbEmulator dynamoDb) {
    kinesis = emulator;
    dynamo = dynamoDb;
    sluice = open(fanOut());
    raw = sluice.unwrap(KinesisAsyncClient.class);
  }

  @AfterAll
  static void close() {
    if (sluice != null) {
      sluice.close();
    }
  }

  private static KinesisOptions.Builder fanOut() {
    return KinesisTestBrokers.options(kinesis, dynamo).consumerType(ConsumerType.FANOUT);
  }

  private static Sluice open(KinesisOptions.Builder options) {
    return Sluice.builder().ignoreEnvironment().properties(options.build().toMap()).open();
  }

  private static String newStream(int shards) {
    String name = "fanout-" + UUID.randomUUID().toString().substring(0, 8);
    sluice.admin().createStream(name, StreamSpec.withShards(shards));
    return name;
  }

  @Test
  @DisplayName(
      "a consumer without a group registers a stream consumer of its own, is pushed the records,"
          + " and deregisters it on close")
  void registersAndDeregistersItsOwn() throws Exception {
    String stream = newStream(2);
    List<Long> latencies = new CopyOnWriteArrayList<>();
    Map<String, Long> sentAt = new ConcurrentHashMap<>();
    try (Producer<String, String> producer =
            sluice.producer(stream, Serde.string(), Serde.string());
        Consumer<String, String> consumer =
            sluice
                .consumer(stream, Serde.string(), Serde.string())
                .startPosition(StartPosition.earliest())
                .start(
                    r -> {
                      Long at = sentAt.get(r.value());
                      if (at != null) {
                        latencies.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - at));
                      }
                    })) {
      await(() -> consumers(stream).size() == 1);
      Map<String, ConsumerStatus> registered = consumers(stream);
      assertThat(registered.keySet()).allSatisfy(n -> assertThat(n).startsWith("sluice-"));
      // One record at a time, each once the previous one arrived: push latency per record.
      for (int i = 0; i < 10; i++) {
        String value = "v" + i;
        sentAt.put(value, System.nanoTime());
        producer.send("k" + i, value).get(30, TimeUnit.SECONDS);
        int want = i + 1;
        await(() -> latencies.size() >= want);
      }
      assertThat(consumer.termination()).isNotDone();
    }
    List<Long> sorted = latencies.stream().sorted().collect(Collectors.toList());
    System.out.printf(
        "[fan-out] push latency, send to handler, 10 records: median %d ms, max %d ms%n",
        sorted.get(sorted.size() / 2), sorted.get(sorted.size() - 1));
    await(() -> consumers(stream).isEmpty());
  }

  @Test
  @DisplayName(
      "a stream consumer that exists already is used as it is and left registered on close, by a"
          + " consumer without a group and by a group")
  void leavesAPreExistingConsumerAlone() throws Exception {
    String stream = newStream(1);
    String group = "g" + UUID.randomUUID().toString().substring(0, 8);
    String streamArn = streamArn(stream);
    raw.registerStreamConsumer(b -> b.streamARN(streamArn).consumerName("theirs")).join();
    raw.registerStreamConsumer(b -> b.streamARN(streamArn).consumerName(group)).join();
    await(
        () ->
            consumers(stream).values().stream().filter(s -> s == ConsumerStatus.ACTIVE).count()
                == 2);
    List<String> standalone = new CopyOnWriteArrayList<>();
    List<String> grouped = new CopyOnWriteArrayList<>();
    try (Sluice named = open(fanOut().consumerName("theirs"));
        Producer<String, String> producer =
            named.producer(stream, Serde.string(), Serde.string())) {
      try (Consumer<String, String> a =
              named
                  .consumer(stream, Serde.string(), Serde.string())
                  .startPosition(StartPosition.earliest())
                  .start(r -> standalone.add(r.value()));
          Consumer<String, String> b =
              named
                  .consumer(stream, Serde.string(), Serde.string())
                  .group(group)
                  .startPosition(StartPosition.earliest())
                  .start(r -> grouped.add(r.value()))) {
        producer.send("k", "one").get(30, TimeUnit.SECONDS);
        await(() -> standalone.contains("one") && grouped.contains("one"));
        assertThat(consumers(stream)).containsOnlyKeys("theirs", group);
      }
    }
    assertThat(consumers(stream))
        .as("both stream consumers outlive the consumers that used them")
        .containsEntry("theirs", ConsumerStatus.ACTIVE)
        .containsEntry(group, ConsumerStatus.ACTIVE);
  }

  @Test
  @DisplayName(
      "when a subscription ends, the next starts after the last record received: every record"
          + " once, in order per key")
  void resubscribesAfterTheLastRecord() throws Exception {
    String stream = newStream(2);
    Map<String, List<Integer>> received = new ConcurrentHashMap<>();
    List<String> all = new CopyOnWriteArrayList<>();
    int keys = 6;
    int waves = 6;
    try (Sluice renewing = open(fanOut().resubscribeEveryForTests(Duration.ofSeconds(3)));
        Producer<String, String> producer =
            renewing.producer(stream, Serde.string(), Serde.string());
        Consumer<String, String> consumer =
            renewing
                .consumer(stream, Serde.string(), Serde.string())
                .startPosition(StartPosition.earliest())
                .start(
                    r -> {
                      all.add(r.key() + "/" + r.value());
                      received
                          .computeIfAbsent(r.key(), k -> new CopyOnWriteArrayList<>())
                          .add(Integer.parseInt(r.value()));
                    })) {
      await(() -> consumers(stream).size() == 1);
      // Each wave once the previous one arrived (the emulator pushes once a second, ~2 s from send
      // to handler), across several subscriptions of 3 s each.
      for (int wave = 0; wave < waves; wave++) {
        sendWave(producer, keys, wave);
        int want = (wave + 1) * keys;
        await(() -> all.size() >= want);
      }
      // Long enough for two more subscriptions: a repeat would show up.
      Thread.sleep(6_000);
      assertThat(consumer.termination()).isNotDone();
    }
    assertThat(all).doesNotHaveDuplicates().hasSize(keys * waves);
    for (int k = 0; k < keys; k++) {
      assertThat(received.get("k" + k)).as("key k" + k).containsExactly(0, 1, 2, 3, 4, 5);
    }
  }

  @Test
  @DisplayName("a shard split while subscribed: its children are read after it, in order per key")
  void followsASplit() throws Exception {
    String stream = newStream(1);
    Shard parent = sluice.admin().describeStream(stream).openShards().get(0);
    Map<String, List<Integer>> received = new ConcurrentHashMap<>();
    Map<Integer, Set<Shard>> shardsOfWave = new ConcurrentHashMap<>();
    List<String> all = new CopyOnWriteArrayList<>();
    int keys = 8;
    try (Producer<String, String> producer =
            sluice.producer(stream, Serde.string(), Serde.string());
        Consumer<String, String> consumer =
            sluice
                .consumer(stream, Serde.string(), Serde.string())
                .startPosition(StartPosition.earliest())
                .start(
                    r -> {
                      int wave = Integer.parseInt(r.value());
                      all.add(r.key() + "/" + wave);
                      shardsOfWave
                          .computeIfAbsent(wave, w -> ConcurrentHashMap.newKeySet())
                          .add(r.shard());
                      received
                          .computeIfAbsent(r.key(), k -> new CopyOnWriteArrayList<>())
                          .add(wave);
                    })) {
      sendWave(producer, keys, 0);
      await(() -> all.size() >= keys);
      sluice.admin().splitShard(stream, parent);
      for (int wave = 1; wave < 3; wave++) {
        sendWave(producer, keys, wave);
      }
      await(() -> all.size() >= 3 * keys);
      assertThat(consumer.termination()).isNotDone();
    }
    assertThat(all).doesNotHaveDuplicates().hasSize(3 * keys);
    for (int k = 0; k < keys; k++) {
      assertThat(received.get("k" + k)).as("key k" + k).containsExactly(0, 1, 2);
    }
    assertThat(shardsOfWave.get(0)).containsExactly(parent);
    assertThat(shardsOfWave.get(2)).doesNotContain(parent).isNotEmpty();
  }

  private static void sendWave(Producer<String, String> producer, int keys, int wave)
      throws Exception {
    List<CompletableFuture<SendResult>> acks = new ArrayList<>();
    for (int k = 0; k < keys; k++) {
      acks.add(producer.send("k" + k, Integer.toString(wave)));
    }
    CompletableFuture.allOf(acks.toArray(new CompletableFuture<?>[0])).get(60, TimeUnit.SECONDS);
  }

  private static String streamArn(String stream) {
    return raw.describeStreamSummary(b -> b.streamName(stream))
        .join()
        .streamDescriptionSummary()
        .streamARN();
  }

  /** The stream's registered consumers by name, with their status. */
  private static Map<String, ConsumerStatus> consumers(String stream) {
    String arn = streamArn(stream);
    return raw.listStreamConsumers(b -> b.streamARN(arn)).join().consumers().stream()
        .collect(
            Collectors.toMap(
                software.amazon.awssdk.services.kinesis.model.Consumer::consumerName,
                software.amazon.awssdk.services.kinesis.model.Consumer::consumerStatus,
                (x, y) -> x,
                TreeMap::new));
  }

  private static void await(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("condition not met in time").isLessThan(deadline);
      Thread.sleep(50);
    }
  }
}
