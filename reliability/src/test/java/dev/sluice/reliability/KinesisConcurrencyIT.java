package dev.sluice.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Consumer;
import dev.sluice.Ordering;
import dev.sluice.Producer;
import dev.sluice.Record;
import dev.sluice.Serde;
import dev.sluice.Sluice;
import dev.sluice.StreamSpec;
import dev.sluice.kinesis.KinesisOptions;
import dev.sluice.testbrokers.DynamoDbEmulator;
import dev.sluice.testbrokers.KinesisEmulator;
import dev.sluice.testbrokers.KinesisEmulatorExtension;
import dev.sluice.testkit.Await;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.ThreadMXBean;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Key-ordered concurrency on Kinesis (emulator): a crash of a group member ({@code kill -9}) and
 * one consumer on the most shards the emulator serves in reasonable time.
 */
@Tag("reliability")
@ExtendWith(KinesisEmulatorExtension.class)
@DisplayName("Concurrency on Kinesis (emulator)")
class KinesisConcurrencyIT {
  /**
   * Shards of the scale run: {@code -Dsluice.kinesis.scale.shards=200}. The build's size keeps the
   * run under a minute on 2 cores; see README "Concurrency" for the sizes measured.
   */
  static final int SHARDS = Integer.getInteger("sluice.kinesis.scale.shards", 50);

  static final int CONCURRENCY = 32;

  private final KinesisEmulator kinesis;
  private final DynamoDbEmulator dynamo;

  KinesisConcurrencyIT(KinesisEmulator kinesis, DynamoDbEmulator dynamo) {
    this.kinesis = kinesis;
    this.dynamo = dynamo;
  }

  private Map<String, String> settings(URI kinesisEndpoint, String http) {
    return KinesisOptions.builder()
        .region(kinesis.region())
        .endpoint(kinesisEndpoint)
        .dynamoDbEndpoint(dynamo.endpoint())
        .staticCredentials(kinesis.accessKeyId(), kinesis.secretAccessKey())
        .fastGroupTimingsForTests()
        .httpProtocol(http)
        .build()
        .toMap();
  }

  private static Sluice open(Map<String, String> settings) {
    return Sluice.builder().ignoreEnvironment().properties(settings).open();
  }

  @Test
  @DisplayName(
      "a key-mode member at concurrency 16 killed with kill -9: the survivor takes its leases"
          + " over, every record received, per-key order, duplicates within the window plus one"
          + " checkpoint interval")
  void killedMidStream() throws Exception {
    Map<String, String> settings = settings(kinesis.endpoint(), "http2");
    ConcurrentKill run = new ConcurrentKill("kinesis", settings);
    // The emulator slows as a stream grows: 1,500 records, and a window (max(4 × 50, 16 × 16) =
    // 256) well under them, so the bound says something.
    run.keys = 25;
    run.perKey = Scale.times(60);
    run.concurrency = 16;
    run.maxBufferedRecords = 50;
    run.handledBeforeKill = 100;
    run.startTimeout = Duration.ofSeconds(90);
    run.catchUpTimeout = Duration.ofSeconds(120);
    try (Sluice sluice = open(settings)) {
      run.run(sluice);
    }
  }

  @Test
  @DisplayName(
      "one key-mode consumer on a stream of many shards: every record received; threads and heap"
          + " per shard reported")
  void manyShards() throws Exception {
    try (KinesisEmulator big = KinesisEmulator.builder().shardLimit(SHARDS + 10).start();
        // At 100 shards on a loaded 2-core machine the emulator did not keep up: over HTTP/2 it
        // reset the one connection carrying every shard's reads, over HTTP/1.1 reads timed out;
        // the KCL's shard initialisation kept failing and not every record arrived in 5 min.
        Sluice sluice = open(settings(big.endpoint(), "http2"))) {
      String stream = "many-" + UUID.randomUUID().toString().substring(0, 8);
      long t0 = System.nanoTime();
      sluice.admin().createStream(stream, StreamSpec.withShards(SHARDS));
      int perShard = 4;
      int records = SHARDS * perShard;
      List<CompletableFuture<?>> sends = new ArrayList<>();
      try (Producer<String, String> p = sluice.producer(stream, Serde.string(), Serde.string())) {
        for (int i = 0; i < records; i++) {
          sends.add(p.send(Record.of("key-" + i, "v" + i)));
        }
        CompletableFuture.allOf(sends.toArray(new CompletableFuture<?>[0])).join();
      }
      double sent = (System.nanoTime() - t0) / 1e9;
      ThreadMXBean threads = ManagementFactory.getThreadMXBean();
      MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
      System.gc();
      long heapBefore = memory.getHeapMemoryUsage().getUsed();
      int threadsBefore = threads.getThreadCount();
      threads.resetPeakThreadCount();
      long t1 = System.nanoTime();
      Set<String> received = ConcurrentHashMap.newKeySet();
      try (Consumer<String, String> consumer =
          sluice
              .consumer(stream, Serde.string(), Serde.string())
              .group("many-" + UUID.randomUUID().toString().substring(0, 8))
              .concurrency(CONCURRENCY, Ordering.PER_KEY)
              .start(r -> received.add(r.value()))) {
        Await.until(
            "every record received", Duration.ofMinutes(5), () -> received.size() == records);
        double consumed = (System.nanoTime() - t1) / 1e9;
        Await.until(
            "every shard assigned",
            Duration.ofMinutes(1),
            () -> consumer.assignment().size() == SHARDS);
        System.gc();
        long heapPerShard = (memory.getHeapMemoryUsage().getUsed() - heapBefore) / SHARDS;
        int peak = threads.getPeakThreadCount() - threadsBefore;
        System.out.printf(
            Locale.ROOT,
            "kinesis: %d shards, %,d records: created and filled in %.1f s, all received %.1f s"
                + " after the consumer started; peak threads started %d (handler pool %d), heap"
                + " per owned shard %,d bytes%n",
            SHARDS,
            records,
            sent,
            consumed,
            peak,
            CONCURRENCY,
            heapPerShard);
        assertThat(received).hasSize(records);
      }
    }
  }
}
