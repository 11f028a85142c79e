package dev.sluice.kinesis.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.Consumer;
import dev.sluice.ErrorCode;
import dev.sluice.Producer;
import dev.sluice.Record;
import dev.sluice.SendResult;
import dev.sluice.Serde;
import dev.sluice.Shard;
import dev.sluice.Sluice;
import dev.sluice.SluiceException;
import dev.sluice.StartPosition;
import dev.sluice.StreamSpec;
import dev.sluice.kinesis.KinesisTestBrokers;
import dev.sluice.testbrokers.DynamoDbEmulator;
import dev.sluice.testbrokers.KinesisEmulator;
import dev.sluice.testbrokers.KinesisEmulatorExtension;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.kinesis.coordinator.Scheduler;

/**
 * The Kinesis adapter against the emulator and the DynamoDB emulator: the "done when" list.
 */
@ExtendWith(KinesisEmulatorExtension.class)
@DisplayName("Kinesis adapter on the emulator")
class KinesisAdapterIT {
  private static final Duration WAIT = Duration.ofSeconds(60);

  private static Sluice sluice;
  private static KinesisAsyncClient raw;

  @BeforeAll
  static void open(KinesisEmulator kinesis, DynamoDbEmulator dynamo) {
    sluice = KinesisTestBrokers.builder(kinesis, dynamo).open();
    raw = sluice.unwrap(KinesisAsyncClient.class);
  }

  @AfterAll
  static void close() {
    if (sluice != null) {
      sluice.close();
    }
  }

  private static String newStream(int shards) {
    String name = "it-" + UUID.randomUUID().toString().substring(0, 8);
    sluice.admin().createStream(name, StreamSpec.withShards(shards));
    return name;
  }

  private static String newGroup() {
    return "it-group-" + UUID.randomUUID().toString().substring(0, 8);
  }

  @Test
  @DisplayName(
      "a retention that is not whole hours is refused, at creation and when changed; whole hours"
          + " reach Kinesis as they are")
  void retentionInWholeHours() {
    String refusedAtCreation = "it-" + UUID.randomUUID().toString().substring(0, 8);
    Duration between = Duration.ofHours(48).plusMinutes(30);
    assertThatThrownBy(
            () ->
                sluice
                    .admin()
                    .createStream(refusedAtCreation, StreamSpec.withShards(1).retention(between)))
        .isInstanceOfSatisfying(
            SluiceException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
        .hasMessageContaining(between.toString());
    assertThat(sluice.admin().exists(refusedAtCreation)).isFalse();

    String stream = newStream(1);
    sluice.admin().setRetention(stream, Duration.ofHours(49));
    assertThat(
            KinesisAdmin.join(raw.describeStreamSummary(b -> b.streamName(stream)))
                .streamDescriptionSummary()
                .retentionPeriodHours())
        .isEqualTo(49);

    assertThatThrownBy(() -> sluice.admin().setRetention(stream, between))
        .isInstanceOfSatisfying(
            SluiceException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
        .hasMessageContaining(between.toString());
    assertThat(sluice.admin().describeStream(stream).retention()).isEqualTo(Duration.ofHours(49));
  }

  @Test
  @DisplayName("shardFor predicts the shard every record lands on, for text and binary keys")
  void shardForMatchesKinesis() throws Exception {
    String stream = newStream(4);
    try (Producer<byte[], byte[]> producer = sluice.producer(stream)) {
      Random random = new Random(11);
      List<byte[]> keys = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        keys.add(("user-" + i).getBytes(StandardCharsets.UTF_8));
        byte[] binary = new byte[1 + random.nextInt(PartitionKeys.MAX_KEY_BYTES)];
        random.nextBytes(binary);
        keys.add(binary);
      }
      Map<byte[], CompletableFuture<SendResult>> sends = new LinkedHashMap<>();
      for (byte[] key : keys) {
        sends.put(key, producer.send(key, new byte[] {1}));
      }
      for (Map.Entry<byte[], CompletableFuture<SendResult>> e : sends.entrySet()) {
        SendResult result = e.getValue().get(30, TimeUnit.SECONDS);
        assertThat(producer.shardFor(e.getKey())).isEqualTo(result.shard());
      }
    }
  }

  @Test
  @DisplayName(
      "split and merge while a producer writes and a KCL group reads: nothing lost, key order kept")
  void reshardUnderLoad() throws Exception {
    String stream = newStream(2);
    String group = newGroup();
    Map<String, List<Integer>> received = new ConcurrentHashMap<>();
    AtomicLong count = new AtomicLong();
    int keys = 20;
    int perKey = 100;
    try (Consumer<String, String> consumer =
            sluice
                .consumer(stream, Serde.string(), Serde.string())
                .group(group)
                .start(
                    r -> {
                      received
                          .computeIfAbsent(
                              r.key(), k -> Collections.synchronizedList(new ArrayList<>()))
                          .add(Integer.parseInt(r.value()));
                      count.incrementAndGet();
                    });
        Producer<String, String> producer =
            sluice.producer(stream, Serde.string(), Serde.string())) {
      AtomicBoolean failed = new AtomicBoolean();
      Thread writer =
          new Thread(
              () -> {
                List<CompletableFuture<SendResult>> sends = new ArrayList<>();
                for (int i = 0; i < perKey; i++) {
                  for (int k = 0; k < keys; k++) {
                    sends.add(producer.send("key-" + k, Integer.toString(i)));
                  }
                  sleep(15);
                }
                for (CompletableFuture<SendResult> s : sends) {
                  if (s.isCompletedExceptionally()) {
                    failed.set(true);
                  }
                  s.join();
                }
              },
              "writer");
      writer.start();
      await("some records consumed", () -> count.get() > 200);
      List<Shard> open = sluice.admin().describeStream(stream).openShards();
      sluice.admin().splitShard(stream, open.get(0));
      await("records after the split", () -> count.get() > 800);
      var description = sluice.admin().describeStream(stream);
      // After splitting shard 0 its upper child is adjacent to shard 1: merge those two.
      Shard upperChild = description.openShards().get(2);
      sluice.admin().mergeShards(stream, upperChild, open.get(1));
      writer.join(TimeUnit.SECONDS.toMillis(60));
      assertThat(failed).isFalse();
      await("every record", () -> distinct(received) == keys * perKey);
      assertThat(sluice.admin().describeStream(stream).shards()).hasSize(5);
    }
    for (int k = 0; k < keys; k++) {
      List<Integer> values = received.get("key-" + k);
      assertThat(firstOccurrences(values)).as("key-%d in order", k).isSorted().hasSize(perKey);
    }
  }

  @Test
  @DisplayName("a member closed mid-stream hands its shards to the other member, nothing lost")
  void takeover() throws Exception {
    String stream = newStream(4);
    String group = newGroup();
    Map<String, Set<String>> byConsumer = new ConcurrentHashMap<>();
    Set<String> all = ConcurrentHashMap.newKeySet();
    Consumer<String, String> a = member(stream, group, "a", byConsumer, all);
    // The second member joins once the first owns every shard, so that what this test times is a
    // hand-over between running members (GroupStartIT starts members at the same moment).
    await("the first member owns every shard", () -> a.assignment().size() == 4);
    Consumer<String, String> b = member(stream, group, "b", byConsumer, all);
    await("both members own shards", () -> !a.assignment().isEmpty() && !b.assignment().isEmpty());
    List<String> sent = new CopyOnWriteArrayList<>();
    try (Producer<String, String> producer =
        sluice.producer(stream, Serde.string(), Serde.string())) {
      for (int i = 0; i < 300; i++) {
        String v = "before-" + i;
        producer.send("k" + (i % 16), v);
        sent.add(v);
      }
      producer.flush();
      await("the first records", () -> all.size() >= 100);
      long closing = System.nanoTime();
      a.close();
      Duration closeTime = Duration.ofNanos(System.nanoTime() - closing);
      await("b owns every shard", () -> b.assignment().size() == 4);
      Duration takeover = Duration.ofNanos(System.nanoTime() - closing);
      System.out.printf(
          "[kinesis-it] group takeover: close %d ms, other member owns all shards %d ms after"
              + " close started%n",
          closeTime.toMillis(), takeover.toMillis());
      for (int i = 0; i < 300; i++) {
        String v = "after-" + i;
        producer.send("k" + (i % 16), v);
        sent.add(v);
      }
      producer.flush();
      await("every record", () -> all.containsAll(sent));
      assertThat(takeover).isLessThan(Duration.ofSeconds(15));
    } finally {
      b.close();
    }
  }

  private static Consumer<String, String> member(
      String stream,
      String group,
      String name,
      Map<String, Set<String>> byConsumer,
      Set<String> all) {
    return sluice
        .consumer(stream, Serde.string(), Serde.string())
        .group(group)
        .start(
            r -> {
              byConsumer.computeIfAbsent(name, n -> ConcurrentHashMap.newKeySet()).add(r.value());
              all.add(r.value());
            });
  }

  @Test
  @DisplayName("records of other producers are plain values, even ones that start like an envelope")
  void foreignRecords() throws Exception {
    String stream = newStream(1);
    Random random = new Random(5);
    byte[] randomBytes = new byte[64];
    random.nextBytes(randomBytes);
    byte[] fakeEnvelope = {(byte) 0xC1, 'S', 'L', 'U', 1, 0, 3, 'b', 'a', 'd'};
    List<byte[]> values =
        List.of("plain text".getBytes(StandardCharsets.UTF_8), randomBytes, fakeEnvelope);
    for (byte[] v : values) {
      raw.putRecord(
              b -> b.streamName(stream).partitionKey("other-key").data(SdkBytes.fromByteArray(v)))
          .get();
    }
    for (boolean group : new boolean[] {false, true}) {
      List<Record<byte[], byte[]>> got = new CopyOnWriteArrayList<>();
      var builder = sluice.consumer(stream).startPosition(StartPosition.earliest());
      if (group) {
        builder.group(newGroup());
      }
      try (Consumer<byte[], byte[]> consumer = builder.start(got::add)) {
        await("three records", () -> got.size() >= 3);
      }
      for (int i = 0; i < 3; i++) {
        assertThat(got.get(i).value()).isEqualTo(values.get(i));
        assertThat(got.get(i).key()).isEqualTo("other-key".getBytes(StandardCharsets.UTF_8));
        assertThat(got.get(i).headers().isEmpty()).isTrue();
      }
    }
  }

  @Test
  @DisplayName("a KPL-aggregated record is read as its user records, with sub-sequence positions")
  void kplAggregated() throws Exception {
    String stream = newStream(1);
    List<String> users = List.of("first", "second", "third");
    byte[] aggregate = kplAggregate(List.of("pk-a", "pk-b"), List.of(0, 1, 0), users);
    raw.putRecord(
            b -> b.streamName(stream).partitionKey("pk-a").data(SdkBytes.fromByteArray(aggregate)))
        .get();
    for (boolean group : new boolean[] {false, true}) {
      List<Record<String, String>> got = new CopyOnWriteArrayList<>();
      var builder = sluice.consumer(stream, Serde.string(), Serde.string());
      if (group) {
        builder.group(newGroup());
      }
      try (Consumer<String, String> consumer = builder.start(got::add)) {
        await("three user records", () -> got.size() >= 3);
      }
      assertThat(got).extracting(Record::value).containsExactlyElementsOf(users);
      assertThat(got).extracting(Record::key).containsExactly("pk-a", "pk-b", "pk-a");
      assertThat(got).extracting(r -> r.position().subSequence()).containsExactly(0L, 1L, 2L);
      assertThat(got)
          .extracting(r -> r.position().sequenceNumber())
          .containsOnly(got.get(0).position().sequenceNumber());
    }
  }

  @Test
  @DisplayName("a new KCL group starts at, after or at a time as asked (seeded lease checkpoints)")
  void groupStartPositions() throws Exception {
    String stream = newStream(1);
    List<SendResult> sent = new ArrayList<>();
    Instant boundary;
    try (Producer<String, String> producer =
        sluice.producer(stream, Serde.string(), Serde.string())) {
      for (int i = 0; i < 5; i++) {
        sent.add(producer.send("k", "v" + i).get(30, TimeUnit.SECONDS));
      }
      boundary = Instant.now().plusMillis(5);
      sleep(50);
      for (int i = 5; i < 10; i++) {
        sent.add(producer.send("k", "v" + i).get(30, TimeUnit.SECONDS));
      }
    }
    Shard shard = sent.get(0).shard();
    assertThat(groupValues(stream, StartPosition.at(shard, sent.get(3).position()), 7))
        .containsExactly("v3", "v4", "v5", "v6", "v7", "v8", "v9");
    assertThat(groupValues(stream, StartPosition.after(Map.of(shard, sent.get(3).position())), 6))
        .containsExactly("v4", "v5", "v6", "v7", "v8", "v9");
    assertThat(groupValues(stream, StartPosition.atTimestamp(boundary), 5))
        .containsExactly("v5", "v6", "v7", "v8", "v9");
  }

  private static List<String> groupValues(String stream, StartPosition start, int expected) {
    List<String> got = new CopyOnWriteArrayList<>();
    try (Consumer<String, String> consumer =
        sluice
            .consumer(stream, Serde.string(), Serde.string())
            .group(newGroup())
            .startPosition(start)
            .start(r -> got.add(r.value()))) {
      await(expected + " records", () -> got.size() >= expected);
      sleep(500); // nothing earlier may follow
    }
    return got;
  }

  @Test
  @DisplayName("first record arrives within about a second standalone and seconds in a KCL group")
  void firstRecordLatency() throws Exception {
    String stream = newStream(2);
    try (Producer<String, String> producer =
        sluice.producer(stream, Serde.string(), Serde.string())) {
      for (int i = 0; i < 20; i++) {
        producer.send("k" + i, "v" + i);
      }
      producer.flush();
    }
    Duration standalone = firstRecord(stream, null);
    String groupName = newGroup();
    Duration group = firstRecord(stream, groupName);
    // What test-brokers/README.md says: the KCL 3.5.1 keeps a new group's coordinator state and
    // worker metrics in its lease table, and creates neither of the other two tables.
    List<String> tables =
        sluice
            .unwrap(DynamoDbAsyncClient.class)
            .listTables()
            .get(30, TimeUnit.SECONDS)
            .tableNames();
    assertThat(tables)
        .contains(groupName) // the lease table: no lease.table.prefix is set here
        .doesNotContain(groupName + "-CoordinatorState", groupName + "-WorkerMetricStats");
    System.out.printf(
        "[kinesis-it] first record: standalone %d ms, KCL group %d ms%n",
        standalone.toMillis(), group.toMillis());
    assertThat(standalone).isLessThan(Duration.ofSeconds(3));
    assertThat(group).isLessThan(Duration.ofSeconds(10));
  }

  private static Duration firstRecord(String stream, String group) throws Exception {
    AtomicLong first = new AtomicLong();
    var builder = sluice.consumer(stream, Serde.string(), Serde.string());
    if (group != null) {
      builder.group(group);
    }
    long start = System.nanoTime();
    try (Consumer<String, String> consumer =
        builder.start(r -> first.compareAndSet(0, System.nanoTime()))) {
      await("the first record", () -> first.get() != 0);
      if (group != null) {
        assertThat(consumer.unwrap(Scheduler.class)).isNotNull();
      }
      assertThat(consumer.unwrap(KinesisAsyncClient.class)).isSameAs(raw);
    }
    return Duration.ofNanos(first.get() - start);
  }

  // ------------------------------------------------------------------ helpers

  /**
   * The KPL's aggregated record format: magic 0xF3899AC2, a protobuf {@code AggregatedRecord}, and
   * the MD5 of the protobuf. Written by hand so the test does not lean on the KCL's own classes.
   */
  static byte[] kplAggregate(
      List<String> partitionKeys, List<Integer> keyIndexes, List<String> data) throws Exception {
    ByteArrayOutputStream message = new ByteArrayOutputStream();
    for (String pk : partitionKeys) {
      field(message, 1, pk.getBytes(StandardCharsets.UTF_8));
    }
    for (int i = 0; i < data.size(); i++) {
      ByteArrayOutputStream record = new ByteArrayOutputStream();
      record.write(0x08); // field 1, varint: partition_key_index
      varint(record, keyIndexes.get(i));
      field(record, 3, data.get(i).getBytes(StandardCharsets.UTF_8));
      field(message, 3, record.toByteArray());
    }
    byte[] body = message.toByteArray();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(new byte[] {(byte) 0xF3, (byte) 0x89, (byte) 0x9A, (byte) 0xC2});
    out.write(body);
    out.write(MessageDigest.getInstance("MD5").digest(body));
    return out.toByteArray();
  }

  private static void field(ByteArrayOutputStream out, int number, byte[] bytes) {
    out.write((number << 3) | 2);
    varint(out, bytes.length);
    out.writeBytes(bytes);
  }

  private static void varint(ByteArrayOutputStream out, int value) {
    int v = value;
    while ((v & ~0x7F) != 0) {
      out.write((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    out.write(v);
  }

  private static long distinct(Map<String, List<Integer>> received) {
    long n = 0;
    for (List<Integer> values : received.values()) {
      synchronized (values) {
        n += values.stream().distinct().count();
      }
    }
    return n;
  }

  private static List<Integer> firstOccurrences(List<Integer> values) {
    Map<Integer, Boolean> seen = new HashMap<>();
    List<Integer> out = new ArrayList<>();
    synchronized (values) {
      for (Integer v : values) {
        if (seen.putIfAbsent(v, true) == null) {
          out.add(v);
        }
      }
    }
    return out;
  }

  private static void await(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("Timed out after " + WAIT + " waiting for " + what);
      }
      sleep(20);
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
