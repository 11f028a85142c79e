package dev.sluice.kinesis.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.Capabilities.Capability;
import dev.sluice.ErrorCode;
import dev.sluice.Producer;
import dev.sluice.Record;
import dev.sluice.SendResult;
import dev.sluice.Serde;
import dev.sluice.Sluice;
import dev.sluice.SluiceException;
import dev.sluice.StartPosition;
import dev.sluice.StreamSpec;
import dev.sluice.kinesis.KinesisOptions;
import dev.sluice.kinesis.KinesisTestBrokers;
import dev.sluice.testbrokers.DynamoDbEmulator;
import dev.sluice.testbrokers.KinesisEmulator;
import dev.sluice.testbrokers.KinesisEmulatorExtension;
import dev.sluice.testbrokers.KinesisFaultProxy;
import dev.sluice.testkit.RecordCollector;
import dev.sluice.testkit.SluiceAssertions;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;

/**
 * KPL aggregates under the two limits Kinesis puts on them, against the emulator: entries of a
 * {@code PutRecords} call failing one by one while the others are stored ({@link
 * PutRecordsEntryProxy} answers as Kinesis does), and the 1 MiB record limit (or the smaller
 * aggregate size configured). What is checked is what users observe: send results, what a consumer
 * reads, and the Kinesis records in the stream.
 */
@ExtendWith(KinesisEmulatorExtension.class)
@DisplayName("Kinesis aggregates under partial PutRecords failures and the record size limit")
class AggregatePutRecordsIT {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final int MIB = 1024 * 1024;
  private static final byte[] KPL_MAGIC = {(byte) 0xF3, (byte) 0x89, (byte) 0x9A, (byte) 0xC2};
  private static final PutRecordsEntryProxy.EntryFaults NO_FAULTS =
      (call, index, entries, key) -> null;

  private static KinesisEmulator kinesis;
  private static DynamoDbEmulator dynamo;
  private static Sluice direct;
  private static KinesisAsyncClient raw;

  @BeforeAll
  static void open(KinesisEmulator k, DynamoDbEmulator d) {
    kinesis = k;
    dynamo = d;
    direct = KinesisTestBrokers.builder(k, d).open();
    raw = direct.unwrap(KinesisAsyncClient.class);
  }

  @AfterAll
  static void close() {
    if (direct != null) {
      direct.close();
    }
  }

  /** Aggregating options through {@code proxy}, with short timings so a test takes seconds. */
  private static KinesisOptions.Builder viaProxy(PutRecordsEntryProxy proxy) {
    return KinesisTestBrokers.viaProxy(kinesis, dynamo, proxy.endpoint())
        .aggregation(true)
        .linger(Duration.ofMillis(20))
        .retryBackoff(Duration.ofMillis(10), Duration.ofMillis(100));
  }

  private static Sluice open(KinesisOptions.Builder options) {
    return Sluice.builder().ignoreEnvironment().properties(options.build().toMap()).open();
  }

  private static String newStream(int shards) {
    String name = "aggput-" + UUID.randomUUID().toString().substring(0, 8);
    direct.admin().createStream(name, StreamSpec.withShards(shards));
    return name;
  }

  @Test
  @DisplayName(
      "aggregates failed one by one within a call (throttled, internal failure) go again whole:"
          + " every send succeeds, its acknowledged position holds it, nothing is lost, and each"
          + " key's acknowledged copies are read in send order")
  void partialFailuresResendWholeAggregatesInOrder() throws Exception {
    String stream = newStream(2);
    // In the first 12 calls every third entry fails (which ones moves from call to call), throttled
    // or an internal failure; later calls go through, so every record is stored in the end.
    PutRecordsEntryProxy.EntryFaults faults =
        (call, index, entries, key) ->
            call > 12 || (call + index) % 3 != 1
                ? null
                : call % 2 == 0 ? KinesisFaultProxy.THROTTLED : KinesisFaultProxy.INTERNAL_FAILURE;
    int keys = 20;
    int count = 1000;
    List<String> sentKeys = new ArrayList<>();
    List<String> sentValues = new ArrayList<>();
    List<SendResult> acks = new ArrayList<>();
    try (PutRecordsEntryProxy proxy = new PutRecordsEntryProxy(kinesis.endpoint(), faults);
        // Aggregates of 4 KiB (~30 records) so that one call carries many of them.
        Sluice sluice = open(viaProxy(proxy).aggregationMaxBytes(4096))) {
      List<CompletableFuture<SendResult>> futures = new ArrayList<>();
      try (Producer<String, String> producer =
          sluice.producer(stream, Serde.string(), Serde.string())) {
        for (int i = 0; i < count; i++) {
          String key = "key-" + (i % keys);
          String value = key + "#" + i + "-" + "x".repeat(80);
          sentKeys.add(key);
          sentValues.add(value);
          futures.add(producer.send(key, value));
        }
        for (CompletableFuture<SendResult> f : futures) {
          acks.add(f.get(WAIT.toSeconds(), TimeUnit.SECONDS)); // none fails
        }
      }
      List<PutRecordsEntryProxy.Entry> entries = proxy.entries();
      assertThat(entries)
          .as("the proxy failed aggregates with both errors, beside entries it let through")
          .anyMatch(e -> e.aggregated() && KinesisFaultProxy.THROTTLED.equals(e.error()))
          .anyMatch(e -> e.aggregated() && KinesisFaultProxy.INTERNAL_FAILURE.equals(e.error()))
          .anyMatch(e -> e.aggregated() && e.error() == null);
      Map<Integer, List<PutRecordsEntryProxy.Entry>> byCall =
          entries.stream().collect(Collectors.groupingBy(PutRecordsEntryProxy.Entry::call));
      assertThat(byCall.values())
          .as("calls in which a failed aggregate came before one that was stored")
          .anyMatch(AggregatePutRecordsIT::failedBeforeStored);
    }

    // Each key's acknowledgements are in send order, in one shard.
    Map<String, SendResult> lastAck = new HashMap<>();
    for (int i = 0; i < count; i++) {
      SendResult previous = lastAck.put(sentKeys.get(i), acks.get(i));
      if (previous != null) {
        assertThat(acks.get(i).shard()).isEqualTo(previous.shard());
        assertThat(acks.get(i).position()).isGreaterThan(previous.position());
      }
    }

    RecordCollector<String, String> read =
        RecordCollector.of(
            direct
                .consumer(stream, Serde.string(), Serde.string())
                .startPosition(StartPosition.earliest()));
    try (read) {
      Map<String, Record<String, String>> byPosition = new HashMap<>();
      List<Record<String, String>> records =
          read.await(
              "every acknowledged position",
              WAIT,
              rs -> {
                rs.forEach(r -> byPosition.putIfAbsent(r.shard() + "/" + r.position(), r));
                return acks.stream()
                    .allMatch(a -> byPosition.containsKey(a.shard() + "/" + a.position()));
              });
      // The record at each acknowledged position is the one sent.
      for (int i = 0; i < count; i++) {
        Record<String, String> r =
            byPosition.get(acks.get(i).shard() + "/" + acks.get(i).position());
        assertThat(r.key()).isEqualTo(sentKeys.get(i));
        assertThat(r.value()).isEqualTo(sentValues.get(i));
      }
      // Read in stream order, the acknowledged copies of each key come in send order; any other
      // copy (stored behind a failed aggregate, then sent again) is a duplicate of a sent record.
      Map<String, Integer> sentIndex = new HashMap<>();
      for (int i = 0; i < count; i++) {
        sentIndex.put(sentValues.get(i), i);
      }
      List<Record<String, String>> acknowledged = new ArrayList<>();
      for (Record<String, String> r : records) {
        assertThat(sentIndex).containsKey(r.value());
        SendResult ack = acks.get(sentIndex.get(r.value()));
        if (ack.shard().equals(r.shard()) && ack.position().equals(r.position())) {
          acknowledged.add(r);
        }
      }
      Map<String, List<String>> perKey = new LinkedHashMap<>();
      for (int i = 0; i < count; i++) {
        perKey.computeIfAbsent(sentKeys.get(i), k -> new ArrayList<>()).add(sentValues.get(i));
      }
      SluiceAssertions.assertThat(acknowledged).haveValuesInOrderPerKey(perKey);
      assertThat(records)
          .as("at least once: copies stored behind a failed aggregate, then sent again")
          .hasSizeGreaterThan(count);
      // And why Kinesis does not declare ORDERED_RETRIES: read in stream order, some key shows an
      // early copy of a later record before an earlier record (B, A, B).
      assertThat(direct.capabilities().supports(Capability.ORDERED_RETRIES)).isFalse();
      Map<String, Integer> highestRead = new HashMap<>();
      boolean earlierAfterLater = false;
      for (Record<String, String> r : records) {
        int index = sentIndex.get(r.value());
        Integer highest = highestRead.merge(r.key(), index, Math::max);
        earlierAfterLater |= index < highest;
      }
      assertThat(earlierAfterLater)
          .as("a key's earlier record read after a copy of a later one")
          .isTrue();
    }
  }

  @Test
  @DisplayName(
      "records that together pass 1 MiB go in several aggregates, each within 1 MiB (partition"
          + " key counted) and filled close to it, and come back whole and in order")
  void aggregatesStayWithinTheRecordLimit() throws Exception {
    String stream = newStream(1);
    int count = 14; // 100 kB each: 1.4 MB, at most ten to an aggregate
    List<String> values = new ArrayList<>();
    try (PutRecordsEntryProxy proxy = new PutRecordsEntryProxy(kinesis.endpoint(), NO_FAULTS);
        // A linger long enough that all of them wait for one call, which packs them.
        Sluice sluice = open(viaProxy(proxy).linger(Duration.ofMillis(500)));
        Producer<String, String> producer =
            sluice.producer(stream, Serde.string(), Serde.string())) {
      List<CompletableFuture<SendResult>> futures = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        String value = i + "-" + "v".repeat(100_000);
        values.add(value);
        futures.add(producer.send("k", value));
      }
      CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0]))
          .get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }
    List<KinesisRecord> stored = kinesisRecords(stream);
    assertThat(stored).allSatisfy(r -> assertThat(r.size()).isLessThanOrEqualTo(MIB));
    assertThat(stored).hasSize(2).allMatch(KinesisRecord::aggregated); // ten, then four
    assertThat(stored.stream().mapToLong(KinesisRecord::size).max().getAsLong())
        .as("the fullest aggregate: ten records of 100 kB")
        .isGreaterThan(1_000_000L);
    assertThat(readValues(stream, count)).containsExactlyElementsOf(values);
  }

  @Test
  @DisplayName(
      "a record of exactly the limit goes on its own between aggregated ones and is stored; one"
          + " byte more fails RECORD_TOO_LARGE without a call to Kinesis")
  void aRecordAtTheLimitGoesAlone() throws Exception {
    String stream = newStream(1);
    long base = direct.capabilities().recordSize(Record.of(bytes("k"), new byte[0]));
    int atLimit = (int) (MIB - base);
    assertThat(direct.capabilities().recordSize(Record.of(bytes("k"), new byte[atLimit])))
        .isEqualTo(direct.capabilities().maxRecordBytes())
        .isEqualTo(MIB);
    List<String> values = new ArrayList<>();
    try (PutRecordsEntryProxy proxy = new PutRecordsEntryProxy(kinesis.endpoint(), NO_FAULTS);
        Sluice sluice = open(viaProxy(proxy).linger(Duration.ofMillis(300)));
        Producer<String, String> producer =
            sluice.producer(stream, Serde.string(), Serde.string())) {
      List<CompletableFuture<SendResult>> futures = new ArrayList<>();
      for (int i = 0; i < 7; i++) {
        String value = i == 3 ? "b".repeat(atLimit) : "small-" + i;
        values.add(value);
        futures.add(producer.send("k", value));
      }
      CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0]))
          .get(WAIT.toSeconds(), TimeUnit.SECONDS);

      int calls = proxy.putRecordsCalls();
      String tooLarge = "b".repeat(atLimit + 1);
      assertThatThrownBy(() -> producer.send("k", tooLarge).join())
          .satisfies(
              e -> {
                Throwable cause = e instanceof CompletionException ? e.getCause() : e;
                assertThat(cause).isInstanceOf(SluiceException.class);
                assertThat(((SluiceException) cause).code()).isEqualTo(ErrorCode.RECORD_TOO_LARGE);
              });
      producer.flush();
      assertThat(proxy.putRecordsCalls()).as("PutRecords calls after the refusal").isEqualTo(calls);
    }
    List<KinesisRecord> stored = kinesisRecords(stream);
    // small 0-2 in one aggregate, the large one alone, small 4-6 in another.
    assertThat(stored).hasSize(3);
    assertThat(stored.get(1).aggregated()).isFalse();
    assertThat(stored.get(1).size()).isBetween(MIB - 64L, (long) MIB);
    assertThat(stored.get(0).aggregated()).isTrue();
    assertThat(stored.get(2).aggregated()).isTrue();
    assertThat(readValues(stream, values.size())).containsExactlyElementsOf(values);
  }

  @Test
  @DisplayName(
      "with a smaller aggregate size configured, aggregates stay within it and a record larger"
          + " than it goes on its own, in its place")
  void aSmallerConfiguredBound() throws Exception {
    String stream = newStream(1);
    int bound = 16 * 1024;
    List<String> values = new ArrayList<>();
    try (PutRecordsEntryProxy proxy = new PutRecordsEntryProxy(kinesis.endpoint(), NO_FAULTS);
        Sluice sluice =
            open(viaProxy(proxy).aggregationMaxBytes(bound).linger(Duration.ofMillis(300)));
        Producer<String, String> producer =
            sluice.producer(stream, Serde.string(), Serde.string())) {
      List<CompletableFuture<SendResult>> futures = new ArrayList<>();
      for (int i = 0; i < 201; i++) {
        String value = i + "-" + (i == 100 ? "L".repeat(20_000) : "s".repeat(500));
        values.add(value);
        futures.add(producer.send("k", value));
      }
      CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0]))
          .get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }
    List<KinesisRecord> stored = kinesisRecords(stream);
    List<KinesisRecord> aggregates = stored.stream().filter(KinesisRecord::aggregated).toList();
    List<KinesisRecord> alone = stored.stream().filter(r -> !r.aggregated()).toList();
    assertThat(aggregates)
        .hasSizeGreaterThanOrEqualTo(7) // 200 × ~540 bytes in 16 KiB: at least seven
        .allSatisfy(r -> assertThat(r.size()).isLessThanOrEqualTo(bound));
    assertThat(aggregates.stream().mapToLong(KinesisRecord::size).max().getAsLong())
        .as("the fullest aggregate")
        .isGreaterThan(bound - 600L);
    assertThat(alone).singleElement().satisfies(r -> assertThat(r.size()).isGreaterThan(20_000));
    assertThat(readValues(stream, values.size())).containsExactlyElementsOf(values);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** A Kinesis record as stored: its size as Kinesis counts it, and whether it is an aggregate. */
  record KinesisRecord(long size, boolean aggregated) {}

  /** Every Kinesis record of a one-shard stream, in order, read with the SDK. */
  private static List<KinesisRecord> kinesisRecords(String stream) throws Exception {
    String shardId =
        raw.listShards(b -> b.streamName(stream))
            .get(30, TimeUnit.SECONDS)
            .shards()
            .get(0)
            .shardId();
    String iterator =
        raw.getShardIterator(
                b ->
                    b.streamName(stream)
                        .shardId(shardId)
                        .shardIteratorType(ShardIteratorType.TRIM_HORIZON))
            .get(30, TimeUnit.SECONDS)
            .shardIterator();
    List<KinesisRecord> out = new ArrayList<>();
    while (true) {
      String it = iterator;
      GetRecordsResponse page = raw.getRecords(b -> b.shardIterator(it)).get(30, TimeUnit.SECONDS);
      for (software.amazon.awssdk.services.kinesis.model.Record r : page.records()) {
        byte[] data = r.data().asByteArrayUnsafe();
        out.add(
            new KinesisRecord(
                data.length + bytes(r.partitionKey()).length,
                data.length >= 4 && Arrays.equals(Arrays.copyOf(data, 4), KPL_MAGIC)));
      }
      if (page.records().isEmpty() && page.millisBehindLatest() == 0) {
        return out;
      }
      iterator = page.nextShardIterator();
    }
  }

  /** The values a Sluice consumer reads from the stream, once {@code count} arrived. */
  private static List<String> readValues(String stream, int count) {
    try (RecordCollector<String, String> read =
        RecordCollector.of(
            direct
                .consumer(stream, Serde.string(), Serde.string())
                .startPosition(StartPosition.earliest()))) {
      read.awaitCount(count, WAIT);
      return read.values();
    }
  }

  @Test
  @DisplayName(
      "an aggregate that fails until the delivery timeout fails each of its records THROTTLED;"
          + " the records stored behind it are acknowledged where they were stored, in key order")
  void anAggregateFailingForGoodFailsItsRecordsAlone() throws Exception {
    String stream = newStream(1);
    // Every entry whose partition key is "doomed" (the aggregate that record opens) is throttled.
    PutRecordsEntryProxy.EntryFaults faults =
        (call, index, entries, key) -> key.equals("doomed") ? KinesisFaultProxy.THROTTLED : null;
    int count = 300;
    List<CompletableFuture<SendResult>> futures = new ArrayList<>();
    List<String> values = new ArrayList<>();
    try (PutRecordsEntryProxy proxy = new PutRecordsEntryProxy(kinesis.endpoint(), faults);
        Sluice sluice =
            open(
                viaProxy(proxy)
                    .aggregationMaxBytes(4096)
                    .linger(Duration.ofMillis(200)) // all of them in the first call
                    // A retry or more fits in the delivery timeout on a busy machine.
                    .deliveryTimeout(Duration.ofSeconds(3)));
        Producer<String, String> producer =
            sluice.producer(stream, Serde.string(), Serde.string())) {
      for (int i = 0; i < count; i++) {
        String key = i == 0 ? "doomed" : "key-" + (i % 10);
        String value = key + "#" + i + "-" + "x".repeat(80);
        values.add(value);
        futures.add(producer.send(key, value));
      }
      CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0]))
          .handle((v, e) -> null)
          .get(WAIT.toSeconds(), TimeUnit.SECONDS);
      // It went again (with the records stored behind it), failing each time. (Records stored
      // behind it whose deadline had not passed when it expired may go once more, without it.)
      assertThat(proxy.entries())
          .filteredOn(e -> e.error() != null)
          .hasSizeGreaterThanOrEqualTo(2)
          .allMatch(PutRecordsEntryProxy.Entry::aggregated);
    }
    // The failing aggregate: the first records, up to 4 KiB. Each fails THROTTLED, retryable.
    int failedCount = 0;
    while (futures.get(failedCount).isCompletedExceptionally()) {
      failedCount++;
    }
    int failed = failedCount;
    assertThat(failed).isBetween(20, 60);
    for (int i = 0; i < failed; i++) {
      assertThatThrownBy(futures.get(i)::join)
          .cause()
          .isInstanceOfSatisfying(
              SluiceException.class,
              e -> {
                assertThat(e.code()).isEqualTo(ErrorCode.THROTTLED);
                assertThat(e.isRetryable()).isTrue();
              });
    }
    // Every other record is acknowledged, at a position that holds it, in key order.
    Map<String, SendResult> lastAck = new HashMap<>();
    Map<String, Integer> sentIndex = new HashMap<>();
    for (int i = failed; i < count; i++) {
      SendResult ack = futures.get(i).join();
      sentIndex.put(ack.position().toString(), i);
      SendResult previous = lastAck.put(values.get(i).split("#")[0], ack);
      if (previous != null) {
        assertThat(ack.position()).isGreaterThan(previous.position());
      }
    }
    try (RecordCollector<String, String> read =
        RecordCollector.of(
            direct
                .consumer(stream, Serde.string(), Serde.string())
                .startPosition(StartPosition.earliest()))) {
      List<Record<String, String>> records =
          read.await(
              "every acknowledged position",
              WAIT,
              rs ->
                  rs.stream().filter(r -> sentIndex.containsKey(r.position().toString())).count()
                      == count - failed);
      for (Record<String, String> r : records) {
        assertThat(values.subList(failed, count)).contains(r.value()); // no failed record stored
        Integer i = sentIndex.get(r.position().toString());
        if (i != null) {
          assertThat(r.value()).isEqualTo(values.get(i));
        }
      }
    }
  }

  /** True if a failed aggregate precedes a stored one in the call (the case partial failure is). */
  private static boolean failedBeforeStored(List<PutRecordsEntryProxy.Entry> call) {
    boolean failed = false;
    for (PutRecordsEntryProxy.Entry e : call) {
      if (e.aggregated() && e.error() != null) {
        failed = true;
      } else if (failed && e.error() == null) {
        return true;
      }
    }
    return false;
  }
}
