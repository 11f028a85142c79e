package dev.sluice.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Consumer;
import dev.sluice.Ordering;
import dev.sluice.Producer;
import dev.sluice.Record;
import dev.sluice.Serde;
import dev.sluice.Sluice;
import dev.sluice.StreamSpec;
import dev.sluice.testbrokers.KafkaBroker;
import dev.sluice.testbrokers.KafkaBrokerExtension;
import dev.sluice.testkit.Await;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * One consumer owning 1,000 shards: every record arrives, the threads it starts stay under a fixed
 * number set by its concurrency (not by the shards), and its heap per owned shard is reported.
 *
 * <p>The documented bound: a consumer with a handler runs at most {@code concurrency} handler
 * threads, plus one checkpoint timer and its driver's threads (Kafka: the client's poll and
 * heartbeat threads; memory: one delivery thread); {@link #EXTRA_THREADS} covers the latter.
 */
@Tag("reliability")
@ExtendWith(KafkaBrokerExtension.class)
@DisplayName("One consumer on 1,000 shards")
class ManyShardsIT {
  static final int SHARDS = 1_000;
  static final int CONCURRENCY = 32;

  /** Threads a consumer may start besides its handler pool: timer, driver, client. */
  static final int EXTRA_THREADS = 16;

  private final KafkaBroker broker;

  ManyShardsIT(KafkaBroker broker) {
    this.broker = broker;
  }

  @Test
  @DisplayName("memory: 1,000 shards, key mode, every record received on a fixed pool")
  void memory() {
    try (Sluice sluice =
        Sluice.builder()
            .ignoreEnvironment()
            .backend("memory")
            .set("sluice.memory.namespace", "many-" + UUID.randomUUID())
            .open()) {
      run("memory", sluice, 10);
    }
  }

  @Test
  @DisplayName("kafka: 1,000 partitions, key mode, every record received on a fixed pool")
  void kafka() {
    try (Sluice sluice =
        Sluice.builder()
            .ignoreEnvironment()
            .backend("kafka")
            .set("sluice.kafka.bootstrap.servers", broker.bootstrapServers())
            .open()) {
      run("kafka", sluice, 5);
    }
  }

  private void run(String backend, Sluice sluice, int perShard) {
    String stream = "many-" + UUID.randomUUID().toString().substring(0, 8);
    sluice.admin().createStream(stream, StreamSpec.withShards(SHARDS));
    int records = SHARDS * perShard;
    List<CompletableFuture<?>> sends = new ArrayList<>();
    try (Producer<String, String> p = sluice.producer(stream, Serde.string(), Serde.string())) {
      for (int i = 0; i < records; i++) {
        sends.add(p.send(Record.of("key-" + i, "v" + i)));
      }
      CompletableFuture.allOf(sends.toArray(new CompletableFuture<?>[0])).join();
    }
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    System.gc();
    long heapBefore = memory.getHeapMemoryUsage().getUsed();
    int threadsBefore = threads.getThreadCount();
    threads.resetPeakThreadCount();

    Set<String> received = ConcurrentHashMap.newKeySet();
    try (Consumer<String, String> consumer =
        sluice
            .consumer(stream, Serde.string(), Serde.string())
            .group("many-" + UUID.randomUUID())
            .concurrency(CONCURRENCY, Ordering.PER_KEY)
            .start(r -> received.add(r.value()))) {
      Await.until("every record received", Duration.ofMinutes(3), () -> received.size() == records);
      Await.until(
          "every shard assigned",
          Duration.ofMinutes(1),
          () -> consumer.assignment().size() == SHARDS);
      System.gc();
      long heapPerShard = (memory.getHeapMemoryUsage().getUsed() - heapBefore) / SHARDS;
      int peak = threads.getPeakThreadCount() - threadsBefore;
      System.out.printf(
          Locale.ROOT,
          "%s: %,d shards, %,d records: peak threads started %d (bound %d), heap per owned shard"
              + " %,d bytes%n",
          backend,
          SHARDS,
          records,
          peak,
          CONCURRENCY + EXTRA_THREADS,
          heapPerShard);
      assertThat(peak)
          .as("threads started by one consumer of %d shards", SHARDS)
          .isLessThanOrEqualTo(CONCURRENCY + EXTRA_THREADS);
    }
    sluice.admin().deleteStream(stream);
  }
}
