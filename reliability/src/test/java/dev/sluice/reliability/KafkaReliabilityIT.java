package dev.sluice.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.CheckpointMode;
import dev.sluice.Consumer;
import dev.sluice.ErrorCode;
import dev.sluice.Producer;
import dev.sluice.SendResult;
import dev.sluice.Serde;
import dev.sluice.Shard;
import dev.sluice.ShardListener;
import dev.sluice.Sluice;
import dev.sluice.SluiceException;
import dev.sluice.StreamSpec;
import dev.sluice.kafka.KafkaOptions;
import dev.sluice.testbrokers.KafkaBroker;
import dev.sluice.testbrokers.KafkaBrokerExtension;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@Tag("reliability")
@ExtendWith(KafkaBrokerExtension.class)
@DisplayName("Reliability on Kafka")
class KafkaReliabilityIT {
  private final KafkaBroker shared;

  KafkaReliabilityIT(KafkaBroker shared) {
    this.shared = shared;
  }

  static Map<String, String> settings(String bootstrap) {
    return KafkaOptions.builder()
        .bootstrapServers(bootstrap)
        .sessionTimeout(Duration.ofSeconds(6))
        .set("consumer.heartbeat.interval.ms", "300")
        .set("metadata.max.age.ms", "1000")
        .build()
        .asMap();
  }

  static Sluice open(String bootstrap, Map<String, String> extra) {
    return Sluice.builder()
        .ignoreEnvironment()
        .properties(settings(bootstrap))
        .properties(extra)
        .open();
  }

  static String fresh(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  @Test
  @DisplayName(
      "a sustained run of 1,000,000 records, 4 producers, a group of 3: exact counts, per-key order, no heap growth")
  void sustainedLoad() throws Exception {
    LoadRun run = new LoadRun(4, 50, Scale.times(5000), 3, 8);
    try (Sluice sluice = open(shared.bootstrapServers(), Map.of())) {
      run.run(sluice, fresh("load"), fresh("group"), Duration.ofMinutes(3));
    }
    System.out.println(run.summary("kafka"));
    assertThat(run.ledger.failedCount()).isZero();
    assertThat(run.ledger.ackedCount()).isEqualTo(run.total());
    assertThat(run.ledger.missingCount()).isZero();
    assertThat(run.ledger.disorder()).isEmpty();
    assertThat(run.ledger.duplicateCount()).isZero();
    assertThat(run.heapRetainedMib()).as("heap retained after the run, MiB").isLessThan(64);
  }

  @Test
  @DisplayName(
      "broker stopped and restarted mid-stream: every acknowledged record received, per-key order kept, no send hangs")
  void brokerRestart() throws Exception {
    try (KafkaBroker broker = KafkaBroker.startNew()) {
      Map<String, String> timeouts =
          Map.of(
              "sluice.kafka.delivery.timeout.ms", "30000",
              "sluice.kafka.request.timeout.ms", "5000",
              "sluice.kafka.max.block.ms", "30000");
      Ledger ledger = new Ledger();
      String stream = fresh("restart");
      int keys = 20;
      int perKey = Scale.times(600);
      List<CompletableFuture<SendResult>> sends = new ArrayList<>();
      long restartedAt;
      long firstAckAfterRestart;
      try (Sluice sluice = open(broker.bootstrapServers(), timeouts)) {
        sluice.admin().createStream(stream, StreamSpec.withShards(4));
        try (Consumer<String, String> consumer =
                sluice
                    .consumer(stream, Serde.string(), Serde.string())
                    .group(fresh("g"))
                    .start(r -> ledger.received(r.value()));
            Producer<String, String> producer =
                sluice.producer(stream, Serde.string(), Serde.string())) {
          AtomicLong lastAck = new AtomicLong();
          AtomicLong upAgainAt = new AtomicLong();
          AtomicBoolean down = new AtomicBoolean();
          AtomicLong sentWhileDown = new AtomicLong();
          AtomicReference<Throwable> outageFailure = new AtomicReference<>();
          // The outage runs on its own thread, as a real one would: while the broker is down,
          // Kafka's send() may block the sending thread on metadata (up to max.block.ms).
          Thread outage =
              new Thread(
                  () -> {
                    try {
                      await(
                          "a third of the records acknowledged",
                          Duration.ofSeconds(60),
                          () -> ledger.ackedCount() >= (long) keys * perKey / 3);
                      down.set(true);
                      broker.stop();
                      TimeUnit.SECONDS.sleep(2); // the broker stays down while sends queue up
                      down.set(false);
                      broker.start();
                      upAgainAt.set(System.nanoTime());
                    } catch (Throwable e) {
                      outageFailure.set(e);
                    }
                  },
                  "broker-outage");
          outage.start();
          for (int seq = 0; seq < perKey; seq++) {
            for (int k = 0; k < keys; k++) {
              String key = "k" + k;
              if (down.get()) {
                sentWhileDown.incrementAndGet();
              }
              CompletableFuture<SendResult> f = ledger.send(producer, key, seq, 60);
              f.thenRun(() -> lastAck.set(System.nanoTime()));
              sends.add(f);
            }
            TimeUnit.MILLISECONDS.sleep(10); // ~6 s of sending: the outage falls inside it
          }
          outage.join(TimeUnit.SECONDS.toMillis(90));
          assertThat(outageFailure.get()).as("the outage thread").isNull();
          assertThat(upAgainAt.get()).as("the broker was stopped and started").isPositive();
          assertThat(sentWhileDown.get()).as("records sent while the broker was down").isPositive();
          System.out.println(
              "kafka broker restart: " + sentWhileDown.get() + " records sent while it was down");
          restartedAt = upAgainAt.get();
          // No future may hang: each completes, or fails with a typed error, within the delivery
          // timeout.
          CompletableFuture.allOf(sends.toArray(new CompletableFuture<?>[0]))
              .exceptionally(e -> null)
              .get(60, TimeUnit.SECONDS);
          for (CompletableFuture<SendResult> f : sends) {
            f.handle((ok, e) -> e == null ? null : SluiceException.from(e))
                .thenAccept(
                    e -> {
                      if (e != null) {
                        assertThat(e.code()).isIn(ErrorCode.TIMEOUT, ErrorCode.UNAVAILABLE);
                      }
                    })
                .join();
          }
          firstAckAfterRestart = lastAck.get();
          await(
              "every acknowledged record received",
              Duration.ofSeconds(60),
              () -> ledger.missingCount() == 0);
        }
      }
      System.out.printf(
          "kafka broker restart: %s; last acknowledgement %.1f s after the broker was up again%n",
          ledger, (firstAckAfterRestart - restartedAt) / 1e9);
      assertThat(ledger.ackedCount()).isGreaterThan(0);
      assertThat(ledger.ackedCount() + ledger.failedCount()).isEqualTo(ledger.sentCount());
      assertThat(ledger.missingCount()).isZero();
      assertThat(ledger.disorder()).isEmpty();
    }
  }

  @Test
  @DisplayName(
      "a group member killed with kill -9: its shards go to the survivors in bounded time; every record received; duplicates bounded by what it had not checkpointed")
  void memberKilled() throws Exception {
    String stream = fresh("kill");
    String group = fresh("g");
    Ledger ledger = new Ledger();
    Map<Shard, String> owners = new ConcurrentHashMap<>();
    try (Sluice sluice = open(shared.bootstrapServers(), Map.of())) {
      sluice.admin().createStream(stream, StreamSpec.withShards(6));
      Process victim = startKillable(stream, group);
      AtomicLong victimReceived = new AtomicLong();
      AtomicLong victimCommitted = new AtomicLong();
      Set<String> victimShards = ConcurrentHashMap.newKeySet();
      Thread reader =
          new Thread(
              () -> {
                try (BufferedReader in =
                    new BufferedReader(
                        new InputStreamReader(victim.getInputStream(), StandardCharsets.UTF_8))) {
                  for (String line; (line = in.readLine()) != null; ) {
                    if (line.startsWith("R ")) {
                      ledger.received(line.substring(2));
                      victimReceived.incrementAndGet();
                    } else if (line.startsWith("C ")) {
                      victimCommitted.set(Long.parseLong(line.substring(2)));
                    } else if (line.startsWith("ASSIGNED ")) {
                      victimShards.clear();
                      String list =
                          line.substring("ASSIGNED ".length()).replaceAll("[\\[\\] ]", "");
                      if (!list.isEmpty()) {
                        victimShards.addAll(List.of(list.split(",")));
                      }
                    }
                  }
                } catch (java.io.IOException ignored) {
                  // The process was killed.
                }
              },
              "victim-reader");
      reader.setDaemon(true);
      reader.start();
      List<Consumer<String, String>> survivors = new ArrayList<>();
      try {
        for (int i = 0; i < 2; i++) {
          String name = "survivor-" + i;
          survivors.add(
              sluice
                  .consumer(stream, Serde.string(), Serde.string())
                  .group(group)
                  .listener(
                      new ShardListener() {
                        @Override
                        public void onAssigned(Assigned event) {
                          event.shards().forEach(s -> owners.put(s, name));
                        }

                        @Override
                        public void onRevoked(Revoked event) {
                          event.shards().forEach(s -> owners.remove(s, name));
                        }
                      })
                  .start(r -> ledger.received(r.value())));
        }
        await("the victim owns shards", Duration.ofSeconds(60), () -> !victimShards.isEmpty());
        try (Producer<String, String> producer =
            sluice.producer(stream, Serde.string(), Serde.string())) {
          int keys = 30;
          int perKey = Scale.times(400);
          for (int seq = 0; seq < perKey; seq++) {
            if (seq == perKey / 2) {
              await(
                  "the victim is consuming",
                  Duration.ofSeconds(30),
                  () -> victimReceived.get() > 100);
              victim.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            List<CompletableFuture<SendResult>> batch = new ArrayList<>();
            for (int k = 0; k < keys; k++) {
              String key = "k" + k;
              batch.add(ledger.send(producer, key, seq, 60));
            }
            CompletableFuture.allOf(batch.toArray(new CompletableFuture<?>[0])).join();
          }
        }
        long killedAt = System.nanoTime();
        await("the survivors own all 6 shards", Duration.ofSeconds(45), () -> owners.size() == 6);
        double takeover = (System.nanoTime() - killedAt) / 1e9;
        await("every record received", Duration.ofSeconds(60), () -> ledger.missingCount() == 0);
        long uncheckpointed = victimReceived.get() - victimCommitted.get();
        System.out.printf(
            "kafka kill -9: %s; victim received %d, checkpointed %d; shards re-owned %.1f s after the last send%n",
            ledger, victimReceived.get(), victimCommitted.get(), takeover);
        assertThat(ledger.failedCount()).isZero();
        assertThat(ledger.disorder()).isEmpty();
        assertThat(ledger.duplicateCount())
            .as("duplicates are bounded by what the killed member had not checkpointed")
            .isLessThanOrEqualTo(uncheckpointed);
      } finally {
        survivors.forEach(Consumer::close);
        victim.destroyForcibly();
      }
    }
  }

  @Test
  @DisplayName(
      "a group member that closes without checkpointing: the survivors get its records again, nothing lost")
  void memberClosedWithoutCheckpoint() throws Exception {
    String stream = fresh("nocommit");
    String group = fresh("g");
    Ledger ledger = new Ledger();
    try (Sluice sluice = open(shared.bootstrapServers(), Map.of())) {
      sluice.admin().createStream(stream, StreamSpec.withShards(4));
      AtomicLong lazyReceived = new AtomicLong();
      Consumer<String, String> lazy =
          sluice
              .consumer(stream, Serde.string(), Serde.string())
              .group(group)
              .checkpointing(CheckpointMode.MANUAL)
              .start(
                  r -> {
                    ledger.received(r.value());
                    lazyReceived.incrementAndGet();
                  });
      List<Consumer<String, String>> others = new ArrayList<>();
      try {
        for (int i = 0; i < 2; i++) {
          others.add(
              sluice
                  .consumer(stream, Serde.string(), Serde.string())
                  .group(group)
                  .start(r -> ledger.received(r.value())));
        }
        await(
            "the lazy member owns a shard",
            Duration.ofSeconds(30),
            () -> !lazy.assignment().isEmpty());
        try (Producer<String, String> producer =
            sluice.producer(stream, Serde.string(), Serde.string())) {
          for (int seq = 0; seq < Scale.times(200); seq++) {
            for (int k = 0; k < 20; k++) {
              String key = "k" + k;
              ledger.send(producer, key, seq, 40);
            }
          }
          producer.flush();
        }
        await("the lazy member got records", Duration.ofSeconds(30), () -> lazyReceived.get() > 0);
        long before = lazyReceived.get();
        lazy.close();
        await("every record received", Duration.ofSeconds(60), () -> ledger.missingCount() == 0);
        System.out.printf(
            "kafka close without checkpoint: %s; the closed member had %d%n", ledger, before);
        assertThat(ledger.disorder()).isEmpty();
        assertThat(ledger.duplicateCount()).isLessThanOrEqualTo(lazyReceived.get());
      } finally {
        lazy.close();
        others.forEach(Consumer::close);
      }
    }
  }

  @Test
  @DisplayName(
      "a broker that cannot be reached at start: a clear UNAVAILABLE error within the configured timeout, no hang, no thread left behind")
  void unreachableAtStart() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    LeftoverThreads threads = new LeftoverThreads("ForkJoinPool");
    long start = System.nanoTime();
    SluiceException error;
    try (Sluice sluice =
        open(
            "127.0.0.1:" + port,
            Map.of(
                "sluice.kafka.default.api.timeout.ms", "3000",
                "sluice.kafka.request.timeout.ms", "2000",
                "sluice.kafka.max.block.ms", "3000"))) {
      try {
        sluice.admin().listStreams();
        throw new AssertionError("listStreams succeeded against a closed port");
      } catch (SluiceException e) {
        error = e;
      }
      try (Producer<String, String> p = sluice.producer("any", Serde.string(), Serde.string())) {
        SluiceException sendError =
            SluiceException.from(p.send("k", "v").handle((ok, e) -> e).get(15, TimeUnit.SECONDS));
        assertThat(sendError.code()).isEqualTo(ErrorCode.UNAVAILABLE);
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.printf("kafka unreachable: %s after %.1f s%n", error.getMessage(), seconds);
    assertThat(error.code()).isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(error.isRetryable()).isTrue();
    assertThat(error.getMessage()).contains("127.0.0.1:" + port);
    assertThat(seconds).isLessThan(20);
    threads.awaitNone(Duration.ofSeconds(10));
  }

  private Process startKillable(String stream, String group) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx128m");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(KillableConsumer.class.getName());
    settings(shared.bootstrapServers()).forEach((k, v) -> command.add(k + "=" + v));
    command.add("--stream");
    command.add(stream);
    command.add("--group");
    command.add(group);
    return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
  }

  static void await(String what, Duration timeout, BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("Timed out after " + timeout + " waiting until " + what);
      }
      TimeUnit.MILLISECONDS.sleep(20);
    }
  }
}
