package dev.sluice.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Consumer;
import dev.sluice.Ordering;
import dev.sluice.Producer;
import dev.sluice.SendResult;
import dev.sluice.Serde;
import dev.sluice.Sluice;
import dev.sluice.StreamSpec;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A key-mode group member at concurrency {@code n} in a child JVM ({@link KillableConsumer}),
 * killed with {@code kill -9} mid-stream while a second member of the group (in this JVM) consumes
 * too; the survivor takes the victim's shards over. Asserts: nothing lost, each key in order, and
 * redelivery bounded by the documented window (records past the completed prefix, at most {@code
 * max(4 × maxBufferedRecords, 16 × n)}) plus what the victim completed since its last checkpoint
 * write (200 ms interval; counted as what it handled in the last 1.2 s). The same run for every
 * backend, sized per backend.
 */
final class ConcurrentKill {
  /** The backend's name for the report. */
  final String backend;

  /** {@code key=value} settings that open the backend, for the child JVM. */
  final Map<String, String> settings;

  int shards = 4;
  int keys = 200;
  int perKey = 60;
  int concurrency = 64;
  int maxBufferedRecords = 500;

  /** Records the victim must have handled before it is killed. */
  int handledBeforeKill = 500;

  /** How long the victim may take to own shards (a KCL worker starts slowly). */
  Duration startTimeout = Duration.ofSeconds(60);

  /** How long the survivor may take to take over and receive every record. */
  Duration catchUpTimeout = Duration.ofSeconds(90);

  ConcurrentKill(String backend, Map<String, String> settings) {
    this.backend = backend;
    this.settings = settings;
  }

  /** The bound on records a crash redelivers, besides the last checkpoint interval. */
  int window() {
    return Math.max(4 * maxBufferedRecords, 16 * concurrency);
  }

  void run(Sluice sluice) throws Exception {
    String stream = "ckill-" + UUID.randomUUID().toString().substring(0, 8);
    String group = "ckill-g-" + UUID.randomUUID().toString().substring(0, 8);
    Ledger ledger = new Ledger();
    ConcurrentLinkedDeque<Long> victimTimes = new ConcurrentLinkedDeque<>();
    Set<String> victimShards = ConcurrentHashMap.newKeySet();
    AtomicLong victimReceived = new AtomicLong();
    sluice.admin().createStream(stream, StreamSpec.withShards(shards));
    long begin = System.nanoTime();
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
                  } else if (line.startsWith("ASSIGNED ") && !line.equals("ASSIGNED []")) {
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
          "the victim owns shards", startTimeout, () -> !victimShards.isEmpty());
      survivor =
          sluice
              .consumer(stream, Serde.string(), Serde.string())
              .group(group)
              .concurrency(concurrency, Ordering.PER_KEY)
              .start(r -> ledger.received(r.value()));
      long owned = System.nanoTime();
      long killedAt = 0;
      try (Producer<String, String> producer =
          sluice.producer(stream, Serde.string(), Serde.string())) {
        for (int seq = 0; seq < perKey; seq++) {
          if (seq == perKey / 2) {
            KafkaReliabilityIT.await(
                "the victim is consuming",
                catchUpTimeout,
                () -> victimReceived.get() > handledBeforeKill);
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
          "every record received", catchUpTimeout, () -> ledger.missingCount() == 0);
      long done = System.nanoTime();
      long cutoff = killedAt - TimeUnit.MILLISECONDS.toNanos(1_200);
      long lastInterval = victimTimes.stream().filter(t -> t > cutoff).count();
      System.out.printf(
          "%s kill -9 at concurrency %d, key mode, %d shards: %s; victim handled %d, %d of them in"
              + " the last 1.2 s; bound on duplicates %d; the victim owned shards %.1f s after"
              + " its start, was killed %.1f s later, all records received %.1f s after that%n",
          backend,
          concurrency,
          shards,
          ledger,
          victimReceived.get(),
          lastInterval,
          window() + lastInterval,
          (owned - begin) / 1e9,
          (killedAt - owned) / 1e9,
          (done - killedAt) / 1e9);
      assertThat(ledger.failedCount()).isZero();
      assertThat(ledger.disorder()).as("per-key order").isEmpty();
      assertThat(ledger.duplicateCount())
          .as("redelivered: at most the window past the completed prefix plus one interval")
          .isLessThanOrEqualTo(window() + lastInterval);
    } finally {
      if (survivor != null) {
        survivor.close();
      }
      victim.destroyForcibly();
    }
  }

  private Process start(String stream, String group) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx128m");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(KillableConsumer.class.getName());
    settings.forEach((k, v) -> command.add(k + "=" + v));
    command.add("--stream");
    command.add(stream);
    command.add("--group");
    command.add(group);
    command.add("--concurrency");
    command.add(Integer.toString(concurrency));
    command.add("--max-buffered");
    command.add(Integer.toString(maxBufferedRecords));
    return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
  }
}
