package dev.sluice.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Consumer;
import dev.sluice.Ordering;
import dev.sluice.Producer;
import dev.sluice.SendResult;
import dev.sluice.Serde;
import dev.sluice.Sluice;
import dev.sluice.StreamSpec;
import dev.sluice.testbrokers.KafkaBroker;
import dev.sluice.testbrokers.KafkaBrokerExtension;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A key-mode consumer at concurrency 64 killed with {@code kill -9} mid-stream: nothing lost, each
 * key in order, and redelivery bounded by the documented window (records past the completed prefix,
 * at most {@code max(4 × maxBufferedRecords, 16 × 64)} = 2,000 here) plus what it completed since
 * its last checkpoint write (200 ms interval; counted as what it handled in the last 1.2 s).
 */
@Tag("reliability")
@ExtendWith(KafkaBrokerExtension.class)
@DisplayName("Concurrency 64, key mode, kill -9 on Kafka")
class ConcurrentKillIT {
  static final int WINDOW = 2_000;

  private final KafkaBroker broker;

  ConcurrentKillIT(KafkaBroker broker) {
    this.broker = broker;
  }

  @Test
  @DisplayName(
      "a key-mode member killed with kill -9: every record received, per-key order, duplicates"
          + " within the window plus one checkpoint interval")
  void killedMidStream() throws Exception {
    String stream = "ckill-" + UUID.randomUUID().toString().substring(0, 8);
    String group = "ckill-g-" + UUID.randomUUID().toString().substring(0, 8);
    Ledger ledger = new Ledger();
    ConcurrentLinkedDeque<Long> victimTimes = new ConcurrentLinkedDeque<>();
    Set<String> victimShards = ConcurrentHashMap.newKeySet();
    AtomicLong victimReceived = new AtomicLong();
    try (Sluice sluice =
        Sluice.builder()
            .ignoreEnvironment()
            .backend("kafka")
            .set("sluice.kafka.bootstrap.servers", broker.bootstrapServers())
            .open()) {
      sluice.admin().createStream(stream, StreamSpec.withShards(4));
      Process victim = start(stream, group);
      Thread reader =
          new Thread(
              () -> {
                try (BufferedReader in =
                    new BufferedReader(
                        new InputStreamReader(victim.getInputStream(), StandardCharsets.UTF_8))) {
                  for (String line; (line = in.readLine()) != null; ) {
                    if (line.startsWith("R ")) {
                      ledger.received(line.substring(2));
                      victimTimes.add(System.nanoTime());
                      victimReceived.incrementAndGet();
                    } else if (line.startsWith("ASSIGNED ")) {
                      victimShards.add(line);
                    }
                  }
                } catch (java.io.IOException ignored) {
                  // Killed.
                }
              },
              "victim-reader");
      reader.setDaemon(true);
      reader.start();
      Consumer<String, String> survivor = null;
      try {
        KafkaReliabilityIT.await(
            "the victim owns shards", Duration.ofSeconds(60), () -> !victimShards.isEmpty());
        survivor =
            sluice
                .consumer(stream, Serde.string(), Serde.string())
                .group(group)
                .concurrency(64, Ordering.PER_KEY)
                .start(r -> ledger.received(r.value()));
        long killedAt = 0;
        try (Producer<String, String> producer =
            sluice.producer(stream, Serde.string(), Serde.string())) {
          int keys = 200;
          int perKey = Scale.times(60);
          for (int seq = 0; seq < perKey; seq++) {
            if (seq == perKey / 2) {
              KafkaReliabilityIT.await(
                  "the victim is consuming",
                  Duration.ofSeconds(30),
                  () -> victimReceived.get() > 500);
              killedAt = System.nanoTime();
              victim.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            List<CompletableFuture<SendResult>> batch = new ArrayList<>();
            for (int k = 0; k < keys; k++) {
              batch.add(ledger.send(producer, "k" + k, seq, 40));
            }
            CompletableFuture.allOf(batch.toArray(new CompletableFuture<?>[0])).join();
          }
        }
        KafkaReliabilityIT.await(
            "every record received", Duration.ofSeconds(90), () -> ledger.missingCount() == 0);
        long cutoff = killedAt - TimeUnit.MILLISECONDS.toNanos(1_200);
        long lastInterval = victimTimes.stream().filter(t -> t > cutoff).count();
        System.out.printf(
            "kafka kill -9 at concurrency 64, key mode: %s; victim handled %d, %d of them in the"
                + " last 1.2 s; bound on duplicates %d%n",
            ledger, victimReceived.get(), lastInterval, WINDOW + lastInterval);
        assertThat(ledger.failedCount()).isZero();
        assertThat(ledger.disorder()).as("per-key order").isEmpty();
        assertThat(ledger.duplicateCount())
            .as("redelivered: at most the window past the completed prefix plus one interval")
            .isLessThanOrEqualTo(WINDOW + lastInterval);
      } finally {
        if (survivor != null) {
          survivor.close();
        }
        victim.destroyForcibly();
      }
    }
  }

  private Process start(String stream, String group) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx128m");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(KillableConsumer.class.getName());
    KafkaReliabilityIT.settings(broker.bootstrapServers())
        .forEach((k, v) -> command.add(k + "=" + v));
    command.add("--stream");
    command.add(stream);
    command.add("--group");
    command.add(group);
    command.add("--concurrency");
    command.add("64");
    return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
  }
}
