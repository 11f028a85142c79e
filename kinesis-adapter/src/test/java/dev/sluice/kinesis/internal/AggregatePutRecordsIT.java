package dev.sluice.kinesis.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Producer;
import dev.sluice.Record;
import dev.sluice.SendResult;
import dev.sluice.Serde;
import dev.sluice.Sluice;
import dev.sluice.StartPosition;
import dev.sluice.StreamSpec;
import dev.sluice.kinesis.KinesisOptions;
import dev.sluice.kinesis.KinesisTestBrokers;
import dev.sluice.testbrokers.DynamoDbEmulator;
import dev.sluice.testbrokers.KinesisEmulator;
import dev.sluice.testbrokers.KinesisEmulatorExtension;
import dev.sluice.testkit.RecordCollector;
import dev.sluice.testkit.SluiceAssertions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;

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
    return KinesisTestBrokers.options(kinesis, dynamo)
        .endpoint(proxy.endpoint())
        .httpProtocol("http1.1") // the proxy relays HTTP/1.1
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
    // In the first 25 calls every third entry fails (which ones moves from call to call), throttled
    // or an internal failure; later calls go through, so every record is stored in the end.
    PutRecordsEntryProxy.EntryFaults faults =
        (call, index, entries) ->
            call > 25 || (call + index) % 3 != 1
                ? null
                : call % 2 == 0
                    ? PutRecordsEntryProxy.THROTTLED
                    : PutRecordsEntryProxy.INTERNAL_FAILURE;
    int keys = 20;
    int count = 1500;
    List<String> sentKeys = new ArrayList<>();
    List<String> sentValues = new ArrayList<>();
    List<SendResult> acks = new ArrayList<>();
    try (PutRecordsEntryProxy proxy = new PutRecordsEntryProxy(kinesis.endpoint(), faults);
        // Aggregates of 4 KiB (~35 records) so that one call carries many of them.
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
          .anyMatch(e -> e.aggregated() && PutRecordsEntryProxy.THROTTLED.equals(e.error()))
          .anyMatch(e -> e.aggregated() && PutRecordsEntryProxy.INTERNAL_FAILURE.equals(e.error()))
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
