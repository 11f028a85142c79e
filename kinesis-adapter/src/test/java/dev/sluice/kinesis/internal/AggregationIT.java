package dev.sluice.kinesis.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Consumer;
import dev.sluice.Producer;
import dev.sluice.Record;
import dev.sluice.SendResult;
import dev.sluice.Serde;
import dev.sluice.Shard;
import dev.sluice.Sluice;
import dev.sluice.StartPosition;
import dev.sluice.StreamSpec;
import dev.sluice.kinesis.KinesisTestBrokers;
import dev.sluice.testbrokers.DynamoDbEmulator;
import dev.sluice.testbrokers.KinesisEmulator;
import dev.sluice.testbrokers.KinesisEmulatorExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.kinesis.common.ConfigsBuilder;
import software.amazon.kinesis.common.InitialPositionInStream;
import software.amazon.kinesis.common.InitialPositionInStreamExtended;
import software.amazon.kinesis.coordinator.Scheduler;
import software.amazon.kinesis.lifecycle.events.InitializationInput;
import software.amazon.kinesis.lifecycle.events.LeaseLostInput;
import software.amazon.kinesis.lifecycle.events.ProcessRecordsInput;
import software.amazon.kinesis.lifecycle.events.ShardEndedInput;
import software.amazon.kinesis.lifecycle.events.ShutdownRequestedInput;
import software.amazon.kinesis.metrics.MetricsLevel;
import software.amazon.kinesis.metrics.NullMetricsFactory;
import software.amazon.kinesis.processor.ShardRecordProcessor;
import software.amazon.kinesis.processor.SingleStreamTracker;
import software.amazon.kinesis.retrieval.KinesisClientRecord;
import software.amazon.kinesis.retrieval.polling.PollingConfig;

/**
 * Producer aggregation on the emulator: records packed into KPL aggregates come back one by one,
 * with their keys, headers, timestamps and shards, to Sluice's consumer and to a plain KCL 3
 * application.
 */
@ExtendWith(KinesisEmulatorExtension.class)
@DisplayName("Kinesis producer aggregation (KPL format) on the emulator")
class AggregationIT {
  private static final Duration WAIT = Duration.ofSeconds(90);

  private static Sluice sluice;
  private static KinesisAsyncClient raw;

  @BeforeAll
  static void open(KinesisEmulator kinesis, DynamoDbEmulator dynamo) {
    sluice =
        Sluice.builder()
            .ignoreEnvironment()
            .properties(
                KinesisTestBrokers.options(kinesis, dynamo)
                    .aggregation(true)
                    .linger(Duration.ofMillis(50))
                    .build()
                    .toMap())
            .open();
    raw = sluice.unwrap(KinesisAsyncClient.class);
  }

  @AfterAll
  static void close() {
    if (sluice != null) {
      sluice.close();
    }
  }

  private static String newStream(int shards) {
    String name = "agg-" + UUID.randomUUID().toString().substring(0, 8);
    sluice.admin().createStream(name, StreamSpec.withShards(shards));
    return name;
  }

  @Test
  @DisplayName(
      "keyed, keyless, explicit-shard and header/timestamp records share aggregates and come back"
          + " whole, once, in key order, on the shard shardFor and the send result name")
  void roundTrip() throws Exception {
    String stream = newStream(3);
    Instant timestamp = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    Shard target = sluice.admin().describeStream(stream).shards().get(1).shard();
    int count = 1200;
    List<Record<String, String>> sent = new ArrayList<>();
    Map<String, SendResult> results = new ConcurrentHashMap<>();
    List<Record<String, String>> received = new CopyOnWriteArrayList<>();
    try (Producer<String, String> producer =
            sluice.producer(stream, Serde.string(), Serde.string());
        Consumer<String, String> consumer =
            sluice
                .consumer(stream, Serde.string(), Serde.string())
                .startPosition(StartPosition.earliest())
                .start(received::add)) {
      List<CompletableFuture<SendResult>> acks = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        String value = "v" + i;
        Record.Builder<String, String> b =
            Record.builder(i % 10 == 9 ? null : "k" + (i % 40), value);
        if (i % 3 == 0) {
          b.header("n", Integer.toString(i));
        }
        if (i % 5 == 0) {
          b.timestamp(timestamp);
        }
        if (i % 7 == 0) {
          b.shard(target);
        }
        Record<String, String> r = b.build();
        sent.add(r);
        acks.add(
            producer
                .send(r)
                .thenApply(
                    res -> {
                      results.put(value, res);
                      return res;
                    }));
      }
      CompletableFuture.allOf(acks.toArray(new CompletableFuture<?>[0])).get(60, TimeUnit.SECONDS);
      await(() -> received.size() >= count);
      // A few more polls: anything delivered twice would show now.
      Thread.sleep(1000);
    }
    assertThat(received).hasSize(count);
    Map<String, Record<String, String>> byValue = new ConcurrentHashMap<>();
    for (Record<String, String> r : received) {
      byValue.put(r.value(), r);
    }
    Producer<String, String> router = producer(stream);
    for (int i = 0; i < count; i++) {
      Record<String, String> s = sent.get(i);
      Record<String, String> got = byValue.get(s.value());
      assertThat(got).as("record %d", i).isNotNull();
      assertThat(got.key()).isEqualTo(s.key());
      assertThat(got.headers()).isEqualTo(s.headers());
      if (i % 5 == 0) {
        assertThat(got.timestamp()).isEqualTo(timestamp);
      }
      SendResult result = results.get(s.value());
      assertThat(got.shard()).isEqualTo(result.shard());
      assertThat(got.position()).isEqualTo(result.position());
      if (s.shard() != null) {
        assertThat(got.shard()).isEqualTo(target);
      } else if (s.key() != null) {
        assertThat(got.shard()).isEqualTo(router.shardFor(s.key()));
      }
    }
    router.close();
    // Per key, in send order.
    Map<String, List<Integer>> order = new ConcurrentHashMap<>();
    for (Record<String, String> r : received) {
      if (r.key() != null && sent.get(Integer.parseInt(r.value().substring(1))).shard() == null) {
        order
            .computeIfAbsent(r.key(), k -> new ArrayList<>())
            .add(Integer.parseInt(r.value().substring(1)));
      }
    }
    order.values().forEach(seqs -> assertThat(seqs).isSorted());
    int kinesisRecords = kinesisRecordCount(stream);
    System.out.printf(
        "aggregation round trip: %d user records in %d Kinesis records%n", count, kinesisRecords);
    assertThat(kinesisRecords).as("Kinesis records stored").isLessThan(count / 10);
  }

  private static Producer<String, String> producer(String stream) {
    return sluice.producer(stream, Serde.string(), Serde.string());
  }

  @Test
  @DisplayName(
      "a plain KCL 3 application (its own ShardRecordProcessor) receives every user record of"
          + " Sluice's aggregates with its partition key, each user record's data its own"
          + " envelope with its own write id")
  void plainKclApplication() throws Exception {
    String stream = newStream(2);
    int count = 600;
    Map<String, String> sent = new ConcurrentHashMap<>();
    try (Producer<String, String> producer =
        sluice.producer(stream, Serde.string(), Serde.string())) {
      List<CompletableFuture<SendResult>> acks = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        sent.put("v" + i, "key-" + (i % 25));
        acks.add(producer.send("key-" + (i % 25), "v" + i));
      }
      CompletableFuture.allOf(acks.toArray(new CompletableFuture<?>[0])).get(60, TimeUnit.SECONDS);
    }
    assertThat(kinesisRecordCount(stream)).isLessThan(count / 10);

    String app = "kcl-app-" + UUID.randomUUID().toString().substring(0, 8);
    DynamoDbAsyncClient dynamo = sluice.unwrap(DynamoDbAsyncClient.class);
    // The emulator's DynamoDB needs the lease table created with its index (see KINESIS-LOCAL).
    LeaseTable table = new LeaseTable(dynamo, app);
    table.ensureExists();
    table.recordClientVersion("worker-1");
    table.seed(raw, stream, StartPosition.earliest());
    Map<String, String> received = new ConcurrentHashMap<>();
    List<String> duplicates = new CopyOnWriteArrayList<>();
    // A producer's own ids count per shard: (writer, position) repeats across shards.
    Set<String> writers = ConcurrentHashMap.newKeySet();
    AtomicInteger withIds = new AtomicInteger();
    ConfigsBuilder configs =
        new ConfigsBuilder(
            new SingleStreamTracker(
                stream,
                InitialPositionInStreamExtended.newInitialPosition(
                    InitialPositionInStream.TRIM_HORIZON)),
            app,
            raw,
            dynamo,
            sluice.unwrap(software.amazon.awssdk.services.cloudwatch.CloudWatchAsyncClient.class),
            "worker-1",
            () ->
                new ShardRecordProcessor() {
                  @Override
                  public void initialize(InitializationInput input) {}

                  @Override
                  public void processRecords(ProcessRecordsInput input) {
                    for (KinesisClientRecord r : input.records()) {
                      // Write ids are on (the default): a user record's data is a version-2
                      // envelope, as it would be unaggregated; a KCL application unwraps it.
                      byte[] data = new byte[r.data().remaining()];
                      r.data().get(data);
                      Envelope.Body body = Envelope.decode(data);
                      if (body.writeId != null) {
                        writers.add(body.writeId.id().writer());
                        withIds.incrementAndGet();
                      }
                      String value = new String(body.value, StandardCharsets.UTF_8);
                      if (received.put(value, r.partitionKey()) != null) {
                        duplicates.add(value);
                      }
                    }
                  }

                  @Override
                  public void leaseLost(LeaseLostInput input) {}

                  @Override
                  public void shardEnded(ShardEndedInput input) {}

                  @Override
                  public void shutdownRequested(ShutdownRequestedInput input) {}
                });
    configs.tableName(app);
    Scheduler scheduler =
        new Scheduler(
            configs.checkpointConfig(),
            configs
                .coordinatorConfig()
                .parentShardPollIntervalMillis(500)
                .shardConsumerDispatchPollIntervalMillis(100)
                .schedulerInitializationBackoffTimeMillis(200)
                .skipShardSyncAtWorkerInitializationIfLeasesExist(true),
            configs
                .leaseManagementConfig()
                .failoverTimeMillis(2000)
                .shardSyncIntervalMillis(1000)
                .leaseAssignmentIntervalMillis(1000L),
            configs.lifecycleConfig(),
            configs
                .metricsConfig()
                .metricsLevel(MetricsLevel.NONE)
                .metricsFactory(new NullMetricsFactory()),
            configs.processorConfig(),
            configs
                .retrievalConfig()
                .retrievalSpecificConfig(
                    new PollingConfig(stream, raw).idleTimeBetweenReadsInMillis(200L)));
    Thread runner = new Thread(scheduler, "raw-kcl");
    runner.setDaemon(true);
    runner.start();
    try {
      await(() -> received.size() >= count);
    } finally {
      scheduler.startGracefulShutdown().get(30, TimeUnit.SECONDS);
    }
    assertThat(received).isEqualTo(sent);
    assertThat(duplicates).isEmpty();
    assertThat(withIds.get()).as("user records read with a write id").isEqualTo(count);
    assertThat(writers).as("the one producer's writer").hasSize(1);
  }

  @Test
  @DisplayName(
      "a split while aggregates are being sent: every record is read back once (aggregates built"
          + " for the closed parent are re-split, none left where readers drop them), keys in order")
  void splitWhileSending() throws Exception {
    String stream = newStream(1);
    Shard parent = sluice.admin().describeStream(stream).shards().get(0).shard();
    List<String> received = new CopyOnWriteArrayList<>();
    List<CompletableFuture<SendResult>> acks = new ArrayList<>();
    int keys = 20;
    int rounds = 100;
    try (Producer<String, String> producer =
            sluice.producer(stream, Serde.string(), Serde.string());
        Consumer<String, String> consumer =
            sluice
                .consumer(stream, Serde.string(), Serde.string())
                .startPosition(StartPosition.earliest())
                .start(r -> received.add(r.key() + "=" + r.value()))) {
      for (int round = 0; round < rounds; round++) {
        for (int k = 0; k < keys; k++) {
          acks.add(producer.send("k" + k, Integer.toString(round)));
        }
        if (round == rounds / 3) {
          // Wait for what is in flight so the producer holds the parent in its shard map.
          CompletableFuture.allOf(acks.toArray(new CompletableFuture<?>[0]))
              .get(60, TimeUnit.SECONDS);
          sluice.admin().splitShard(stream, parent);
        }
        Thread.sleep(20); // a steady rate, so aggregates are being built across the split
      }
      CompletableFuture.allOf(acks.toArray(new CompletableFuture<?>[0])).get(60, TimeUnit.SECONDS);
      await(() -> received.stream().distinct().count() >= (long) keys * rounds);
    }
    assertThat(sluice.admin().describeStream(stream).shards()).hasSizeGreaterThan(1);
    Map<String, List<Integer>> firstSeen = new ConcurrentHashMap<>();
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (String entry : received) {
      if (seen.add(entry)) {
        String key = entry.substring(0, entry.indexOf('='));
        firstSeen
            .computeIfAbsent(key, x -> new ArrayList<>())
            .add(Integer.parseInt(entry.substring(entry.indexOf('=') + 1)));
      }
    }
    assertThat(seen).hasSize(keys * rounds);
    assertThat(received).as("records read twice").hasSize(keys * rounds);
    firstSeen.forEach((key, values) -> assertThat(values).as("order of %s", key).isSorted());
  }

  @Test
  @DisplayName(
      "a group consumer running before a split reads every record once: records of an aggregate"
          + " that landed on a child outside its hash-key range are dropped, their resent copies"
          + " read, keys in order")
  void splitUnderRunningGroup() throws Exception {
    String stream = newStream(1);
    Shard parent = sluice.admin().describeStream(stream).shards().get(0).shard();
    List<String> received = new CopyOnWriteArrayList<>();
    int keys = 16;
    int rounds = 10;
    try (Producer<String, String> producer =
            sluice.producer(stream, Serde.string(), Serde.string());
        Consumer<String, String> consumer =
            sluice
                .consumer(stream, Serde.string(), Serde.string())
                .group("agg-split-" + UUID.randomUUID().toString().substring(0, 8))
                .startPosition(StartPosition.earliest())
                .start(r -> received.add(r.key() + "=" + r.value()))) {
      sendRounds(producer, keys, 0, rounds);
      // The KCL has listed the shards and reads the parent: the children are born after its list.
      await(() -> received.size() >= keys * rounds);
      sluice.admin().splitShard(stream, parent);
      // Sent with the producer's map from before the split: aggregates for the parent, each put
      // with one hash key, land on one child though they hold keys of both.
      sendRounds(producer, keys, rounds, 2 * rounds);
      await(() -> received.stream().distinct().count() >= 2L * keys * rounds);
      Thread.sleep(2000); // a few more polls: a copy read twice would show now
    }
    Map<String, List<Integer>> perKey = new ConcurrentHashMap<>();
    for (String entry : received) {
      perKey
          .computeIfAbsent(entry.substring(0, entry.indexOf('=')), x -> new ArrayList<>())
          .add(Integer.parseInt(entry.substring(entry.indexOf('=') + 1)));
    }
    List<Integer> each = new ArrayList<>();
    for (int round = 0; round < 2 * rounds; round++) {
      each.add(round);
    }
    assertThat(perKey).hasSize(keys);
    perKey.forEach((key, values) -> assertThat(values).as("rounds of %s", key).isEqualTo(each));
  }

  private static void sendRounds(Producer<String, String> producer, int keys, int from, int to)
      throws Exception {
    List<CompletableFuture<SendResult>> acks = new ArrayList<>();
    for (int round = from; round < to; round++) {
      for (int k = 0; k < keys; k++) {
        acks.add(producer.send("k" + k, Integer.toString(round)));
      }
    }
    CompletableFuture.allOf(acks.toArray(new CompletableFuture<?>[0])).get(60, TimeUnit.SECONDS);
  }

  /** How many Kinesis records the stream holds, aggregates counted once. */
  static int kinesisRecordCount(String stream) {
    int total = 0;
    for (software.amazon.awssdk.services.kinesis.model.Shard s :
        KinesisAdmin.listShards(raw, stream)) {
      String iterator =
          KinesisAdmin.join(
                  raw.getShardIterator(
                      b ->
                          b.streamName(stream)
                              .shardId(s.shardId())
                              .shardIteratorType(ShardIteratorType.TRIM_HORIZON)))
              .shardIterator();
      while (iterator != null) {
        String it = iterator;
        GetRecordsResponse response = KinesisAdmin.join(raw.getRecords(b -> b.shardIterator(it)));
        total += response.records().size();
        if (response.records().isEmpty()) {
          break;
        }
        iterator = response.nextShardIterator();
      }
    }
    return total;
  }

  private static void await(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("condition not met in time").isLessThan(deadline);
      Thread.sleep(50);
    }
  }
}
