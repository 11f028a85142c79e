package dev.sluice.kinesis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Consumer;
import dev.sluice.Producer;
import dev.sluice.Record;
import dev.sluice.Serde;
import dev.sluice.Sluice;
import dev.sluice.StreamSpec;
import dev.sluice.testbrokers.DynamoDbEmulator;
import dev.sluice.testbrokers.KinesisEmulator;
import dev.sluice.testbrokers.KinesisEmulatorExtension;
import dev.sluice.testbrokers.KinesisFaultProxy;
import dev.sluice.testkit.Await;
import dev.sluice.testkit.RecordCollector;
import dev.sluice.testkit.SluiceAssertions;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Effectively-once on Kinesis against the emulator: a {@code PutRecords} call that Kinesis stored
 * but whose answer was lost (a loopback proxy answers {@code 500} after forwarding it) is sent
 * again, so the stream holds two copies of its records; a consumer that deduplicates delivers one,
 * also after a restart of its group, while a plain consumer sees both.
 */
@ExtendWith(KinesisEmulatorExtension.class)
@DisplayName("Kinesis deduplicating consumers and lost acknowledgements")
class KinesisDeduplicationIT {
  private static final Duration TIMEOUT = Duration.ofSeconds(120);
  private static final int KEYS = 5;

  @Test
  @DisplayName(
      "records stored but reported failed are written twice; a deduplicating consumer delivers"
          + " each once in per-key order, also after its group restarts")
  void lostAcknowledgementsAreNotDeliveredTwice(KinesisEmulator kinesis, DynamoDbEmulator dynamo)
      throws Exception {
    String stream = "it-dedup-" + UUID.randomUUID().toString().substring(0, 8);
    String dedupGroup = "it-dedup-" + UUID.randomUUID().toString().substring(0, 8);
    try (Sluice admin = KinesisTestBrokers.builder(kinesis, dynamo).open()) {
      admin.admin().createStream(stream, StreamSpec.withShards(2));
    }
    Map<String, List<String>> firstHalf = new LinkedHashMap<>();
    Map<String, List<String>> secondHalf = new LinkedHashMap<>();
    int lost;
    // Every third PutRecords call is stored but answered with a failure.
    try (KinesisFaultProxy proxy =
        new KinesisFaultProxy(kinesis.endpoint()).loseAnswers("PutRecords", n -> n % 3 == 2)) {
      try (Sluice viaProxy =
          Sluice.builder()
              .ignoreEnvironment()
              .properties(
                  KinesisTestBrokers.viaProxy(kinesis, dynamo, proxy.endpoint()).build().toMap())
              .open()) {
        Producer<String, String> producer =
            viaProxy.producer(stream, Serde.string(), Serde.string());
        sendBatches(producer, 0, 5, firstHalf);

        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (Sluice direct =
            KinesisTestBrokers.builder(kinesis, dynamo).meterRegistry(registry).open()) {
          RecordCollector<String, String> plain =
              RecordCollector.of(
                  direct.consumer(stream, Serde.string(), Serde.string()).group(dedupGroup + "-p"));
          RecordCollector<String, String> dedup = RecordCollector.detached();
          Consumer<String, String> first =
              direct
                  .consumer(stream, Serde.string(), Serde.string())
                  .group(dedupGroup)
                  .deduplicate()
                  .start(dedup.handler());

          List<Record<String, String>> once = dedup.awaitCount(100, TIMEOUT);
          SluiceAssertions.assertThat(once).haveValuesInOrderPerKey(firstHalf);
          Await.until(
              "the plain consumer got the second copies",
              TIMEOUT,
              () -> plain.records().size() > 100);
          Await.holdsFor(
              "no second copy reaches the deduplicating consumer",
              Duration.ofSeconds(3),
              () -> dedup.records().size() == 100);
          Counter dropped =
              registry.find("sluice.duplicates.dropped").tag("group", dedupGroup).counter();
          assertThat(dropped).isNotNull();
          // The copies in the stream: distinct positions the plain consumer got beyond the 100
          // records (it may itself get a record twice, at least once).
          java.util.function.LongSupplier copies =
              () -> plain.records().stream().map(Record::position).distinct().count() - 100;
          Await.until(
              "the metric counts every second copy in the stream",
              TIMEOUT,
              () -> (long) dropped.count() == copies.getAsLong());
          assertThat(copies.getAsLong()).isPositive();
          first.close();
        }

        // The group restarts (state from the lease table) while more second copies arrive.
        sendBatches(producer, 5, 10, secondHalf);
        lost = proxy.injected("PutRecords");
      }
      try (Sluice again = KinesisTestBrokers.builder(kinesis, dynamo).open()) {
        RecordCollector<String, String> after =
            RecordCollector.of(
                again
                    .consumer(stream, Serde.string(), Serde.string())
                    .group(dedupGroup)
                    .deduplicate());
        List<Record<String, String>> next = after.awaitCount(100, TIMEOUT);
        SluiceAssertions.assertThat(next).haveValuesInOrderPerKey(secondHalf);
        Await.holdsFor(
            "nothing of before the restart, no second copy",
            Duration.ofSeconds(3),
            () -> after.records().size() == 100);
      }
    }
    assertThat(lost).as("PutRecords answers lost").isGreaterThanOrEqualTo(2);
  }

  /**
   * Sends batches {@code from..to} of {@code KEYS} × 4 records, each batch awaited before the next.
   */
  private static void sendBatches(
      Producer<String, String> producer, int from, int to, Map<String, List<String>> perKey)
      throws Exception {
    for (int b = from; b < to; b++) {
      List<CompletableFuture<?>> sent = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        for (int k = 0; k < KEYS; k++) {
          String key = "key-" + k;
          String value = key + "#" + (b * 4 + i);
          perKey.computeIfAbsent(key, x -> new ArrayList<>()).add(value);
          sent.add(producer.send(key, value));
        }
      }
      CompletableFuture.allOf(sent.toArray(new CompletableFuture<?>[0])).get(60, TimeUnit.SECONDS);
    }
  }
}
