package dev.sluice.reliability;

import static dev.sluice.reliability.KafkaReliabilityIT.await;
import static dev.sluice.reliability.KafkaReliabilityIT.fresh;
import static dev.sluice.reliability.KafkaReliabilityIT.open;
import static dev.sluice.reliability.KafkaReliabilityIT.settings;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Consumer;
import dev.sluice.Destination;
import dev.sluice.ProcessingGuarantee;
import dev.sluice.Processor;
import dev.sluice.Producer;
import dev.sluice.SendResult;
import dev.sluice.Serde;
import dev.sluice.Sluice;
import dev.sluice.StreamSpec;
import dev.sluice.testbrokers.KafkaBroker;
import dev.sluice.testbrokers.KafkaBrokerExtension;
import dev.sluice.testkit.Await;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Exactly-once processing on Kafka when a member dies or comes back from the dead. The processor
 * copies each input (a {@link Ledger} value) to an output stream; a downstream consumer reads the
 * output as Sluice's defaults make it ({@code read_committed}) into the ledger, which checks that
 * every input's output arrives once and in per-key order.
 */
@Tag("reliability")
@ExtendWith(KafkaBrokerExtension.class)
@DisplayName("Exactly-once processors on Kafka")
class KafkaProcessorReliabilityIT {
  private static final int KEYS = 30;

  private final KafkaBroker shared;

  KafkaProcessorReliabilityIT(KafkaBroker shared) {
    this.shared = shared;
  }

  @Test
  @DisplayName(
      "a member killed with kill -9 mid-stream: the other member takes its shards over, and"
          + " downstream every output arrives exactly once, in per-key order")
  void memberKilled() throws Exception {
    String input = fresh("eos-in");
    String output = fresh("eos-out");
    String group = fresh("eos-g");
    Ledger ledger = new Ledger();
    try (Sluice sluice = open(shared.bootstrapServers(), Map.of())) {
      sluice.admin().createStream(input, StreamSpec.withShards(6));
      sluice.admin().createStream(output, StreamSpec.withShards(6));
      ProcessorChild victim =
          ProcessorChild.start(
              settings(shared.bootstrapServers()), input, output, group, "192m", null);
      try (Consumer<String, String> downstream = downstream(sluice, output, ledger)) {
        await("the victim owns shards", Duration.ofSeconds(60), victim::ownsShards);
        try (Processor survivor = copier(sluice, input, output, group)) {
          await(
              "both members own shards",
              Duration.ofSeconds(60),
              () -> victim.ownsShards() && !survivor.assignment().isEmpty());
          int perKey = Scale.times(700); // 21,000 records
          try (Producer<String, String> producer =
              sluice.producer(input, Serde.string(), Serde.string())) {
            for (int seq = 0; seq < perKey; seq++) {
              if (seq == perKey / 2) {
                await(
                    "the victim is processing",
                    Duration.ofSeconds(60),
                    () -> victim.processed.get() >= 2_000);
                victim.process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
              }
              sendRound(ledger, producer, seq);
            }
          }
          long killedAt = System.nanoTime();
          await("every output received", Duration.ofSeconds(120), () -> ledger.missingCount() == 0);
          double seconds = (System.nanoTime() - killedAt) / 1e9;
          KafkaReliabilityIT.await(
              "the survivor owns all 6 shards",
              Duration.ofSeconds(30),
              () -> survivor.assignment().size() == 6);
          Await.holdsFor(
              "no late duplicate arrives",
              Duration.ofSeconds(3),
              () -> ledger.duplicateCount() == 0);
          System.out.printf(
              "kafka EOS kill -9: %s; victim processed %d (committed or not); all outputs %.1f s"
                  + " after the last send%n",
              ledger, victim.processed.get(), seconds);
          assertThat(ledger.failedCount()).isZero();
          assertThat(ledger.duplicateCount()).as("duplicates downstream").isZero();
          assertThat(ledger.disorder()).as("per-key order downstream").isEmpty();
        }
      } finally {
        victim.process.destroyForcibly();
      }
    }
  }

  @Test
  @DisplayName(
      "a member frozen past its session (a zombie) and resumed is fenced (FENCED), and no output"
          + " arrives twice")
  void zombieFenced() throws Exception {
    String input = fresh("zombie-in");
    String output = fresh("zombie-out");
    String group = fresh("zombie-g");
    Ledger ledger = new Ledger();
    // Kept under target/ (not deleted): the zombie's whole story when the test fails in CI.
    Path log = Files.createDirectories(Path.of("target", "zombie-logs")).resolve(group + ".log");
    try (Sluice sluice = open(shared.bootstrapServers(), Map.of())) {
      sluice.admin().createStream(input, StreamSpec.withShards(3));
      sluice.admin().createStream(output, StreamSpec.withShards(3));
      ProcessorChild zombie =
          ProcessorChild.start(
              settings(shared.bootstrapServers()), input, output, group, "192m", log.toFile());
      AtomicBoolean sending = new AtomicBoolean(true);
      AtomicLong rounds = new AtomicLong();
      try (Consumer<String, String> downstream = downstream(sluice, output, ledger);
          Producer<String, String> producer =
              sluice.producer(input, Serde.string(), Serde.string())) {
        await("the zombie-to-be owns shards", Duration.ofSeconds(60), zombie::ownsShards);
        // Input keeps coming, so the member is frozen with outputs in an open transaction.
        CompletableFuture<Void> feeder =
            CompletableFuture.runAsync(
                () -> {
                  for (int seq = 0; sending.get() || seq < 100; seq++) {
                    sendRound(ledger, producer, seq);
                    rounds.set(seq + 1);
                  }
                });
        await(
            "the zombie-to-be is processing",
            Duration.ofSeconds(60),
            () -> zombie.processed.get() >= 1_000);
        signal(zombie.process, "STOP");
        try (Processor successor = copier(sluice, input, output, group)) {
          await(
              "the successor owns all 3 shards (the frozen member's session expired)",
              Duration.ofSeconds(60),
              () -> successor.assignment().size() == 3);
          int frozenLog = read(log).length(); // a frozen process writes nothing
          signal(zombie.process, "CONT");
          // What its operator sees: the processor's first failure after the freeze says FENCED
          // (not a failed checkpoint, or an internal error, followed by a silent restart).
          Pattern failure =
              Pattern.compile(
                  "Processor of "
                      + Pattern.quote(input)
                      + " \\(group "
                      + Pattern.quote(group)
                      + "\\)(?: stopped)?: ([A-Z_]+):");
          try {
            await(
                "the resumed member's processor reports a failure",
                Duration.ofSeconds(60),
                () -> failure.matcher(read(log)).find(frozenLog));
          } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; " + tail(log), e);
          }
          Matcher first = failure.matcher(read(log));
          assertThat(first.find(frozenLog)).isTrue();
          assertThat(first.group(1))
              .as("the code the resumed member's processor first failed with; %s", tail(log))
              .isEqualTo("FENCED");
          sending.set(false);
          feeder.get(60, TimeUnit.SECONDS);
          await("every output received", Duration.ofSeconds(120), () -> ledger.missingCount() == 0);
          Await.holdsFor(
              "no late duplicate arrives",
              Duration.ofSeconds(3),
              () -> ledger.duplicateCount() == 0);
          String fenced =
              read(log).lines().filter(l -> l.contains("FENCED")).findFirst().orElse("");
          System.out.printf(
              "kafka EOS zombie: %s; %d rounds; fenced: %s%n", ledger, rounds.get(), fenced);
          assertThat(ledger.failedCount()).isZero();
          assertThat(ledger.duplicateCount()).as("duplicates downstream").isZero();
          assertThat(ledger.disorder()).as("per-key order downstream").isEmpty();
        }
      } finally {
        sending.set(false);
        zombie.process.destroyForcibly();
      }
    }
  }

  private static void sendRound(Ledger ledger, Producer<String, String> producer, int seq) {
    List<CompletableFuture<SendResult>> batch = new ArrayList<>();
    for (int k = 0; k < KEYS; k++) {
      batch.add(ledger.send(producer, "k" + k, seq, 40));
    }
    CompletableFuture.allOf(batch.toArray(new CompletableFuture<?>[0])).join();
  }

  private static Consumer<String, String> downstream(Sluice sluice, String output, Ledger ledger) {
    return sluice
        .consumer(output, Serde.string(), Serde.string())
        .start(r -> ledger.received(r.value()));
  }

  private static Processor copier(Sluice sluice, String input, String output, String group) {
    Destination<String, String> to = Destination.of(output, Serde.string(), Serde.string());
    return sluice
        .processor(input, Serde.string(), Serde.string())
        .group(group)
        .output(to)
        .guarantee(ProcessingGuarantee.EXACTLY_ONCE)
        .start((in, out) -> out.send(to, in.key(), in.value()));
  }

  private static void signal(Process process, String signal) throws Exception {
    int exit =
        new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).start().waitFor();
    assertThat(exit).as("kill -%s", signal).isZero();
  }

  /** The end of the zombie's log, for a failure message (CI keeps those). */
  private static String tail(Path log) {
    String text = read(log);
    return "zombie log " + log + " (tail):\n" + text.substring(Math.max(0, text.length() - 6000));
  }

  private static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }
}
