package dev.sluice.kinesis.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Consumer;
import dev.sluice.Producer;
import dev.sluice.SendResult;
import dev.sluice.Serde;
import dev.sluice.Sluice;
import dev.sluice.StartPosition;
import dev.sluice.StreamSpec;
import dev.sluice.kinesis.KinesisTestBrokers;
import dev.sluice.testbrokers.DynamoDbEmulator;
import dev.sluice.testbrokers.KinesisEmulator;
import dev.sluice.testbrokers.KinesisEmulatorExtension;
import dev.sluice.testbrokers.KinesisFaultProxy;
import dev.sluice.testkit.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A consumer without a group catching up in small batches reads a shard no faster than Kinesis
 * allows: 5 {@code GetRecords} calls a second per shard. Faster, AWS answers {@code
 * ProvisionedThroughputExceededException}, to this reader and to every other reader of the shard.
 * The loopback proxy counts the calls; the emulator itself has no such limit.
 */
@ExtendWith(KinesisEmulatorExtension.class)
@DisplayName("Kinesis standalone consumer: read rate per shard")
class ReadRateIT {
  private static final int BATCH = 5;
  private static final int RECORDS = 100; // 20 full batches

  @Test
  @DisplayName(
      "a backlog read in full batches of 5 records takes at most 5 GetRecords calls a second")
  void fullBatchesKeepToFiveReadsASecond(KinesisEmulator kinesis, DynamoDbEmulator dynamo)
      throws Exception {
    try (KinesisFaultProxy proxy = new KinesisFaultProxy(kinesis.endpoint());
        Sluice sluice =
            Sluice.builder()
                .ignoreEnvironment()
                .properties(
                    KinesisTestBrokers.viaProxy(kinesis, dynamo, proxy.endpoint())
                        .maxBatchRecords(BATCH)
                        .build()
                        .toMap())
                .open()) {
      String stream = "read-rate-" + UUID.randomUUID().toString().substring(0, 8);
      sluice.admin().createStream(stream, StreamSpec.withShards(1));
      try (Producer<String, String> producer =
          sluice.producer(stream, Serde.string(), Serde.string())) {
        List<CompletableFuture<SendResult>> acks = new ArrayList<>();
        for (int i = 0; i < RECORDS; i++) {
          acks.add(producer.send("k", Integer.toString(i)));
        }
        CompletableFuture.allOf(acks.toArray(new CompletableFuture<?>[0]))
            .get(60, TimeUnit.SECONDS);
      }
      List<String> received = new CopyOnWriteArrayList<>();
      int callsBefore = proxy.calls("GetRecords");
      long started = System.nanoTime();
      try (Consumer<String, String> consumer =
          sluice
              .consumer(stream, Serde.string(), Serde.string())
              .startPosition(StartPosition.earliest())
              .start(r -> received.add(r.value()))) {
        Await.until(
            "every record received", Duration.ofSeconds(60), () -> received.size() >= RECORDS);
        double seconds = (System.nanoTime() - started) / 1e9;
        int calls = proxy.calls("GetRecords") - callsBefore;
        System.out.printf(
            "read rate: %d GetRecords calls for %d records in %.2f s%n", calls, RECORDS, seconds);
        assertThat(calls).as("reads of the backlog").isGreaterThanOrEqualTo(RECORDS / BATCH);
        // The first call is free; each later one waits for 200 ms after the one before began.
        assertThat((calls - 1) / seconds)
            .as("GetRecords calls a second (%d in %.2f s)", calls, seconds)
            .isLessThanOrEqualTo(5.0);
      }
      assertThat(received).hasSize(RECORDS).doesNotHaveDuplicates();
    }
  }
}
