package dev.sluice.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Consumer;
import dev.sluice.ErrorCode;
import dev.sluice.FailurePolicy;
import dev.sluice.Producer;
import dev.sluice.Record;
import dev.sluice.Serde;
import dev.sluice.Sluice;
import dev.sluice.SluiceException;
import dev.sluice.StreamSpec;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class MetricsAndFailureTest {
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private Sluice sluice;
  private String stream;

  @BeforeEach
  void open() {
    sluice =
        Sluice.builder()
            .ignoreEnvironment()
            .set("sluice.memory.namespace", "metrics-test")
            .meterRegistry(registry)
            .open();
    stream = "m-" + UUID.randomUUID();
    sluice.admin().createStream(stream, StreamSpec.withShards(2));
  }

  @AfterEach
  void close() {
    sluice.close();
  }

  @Test
  @DisplayName("send, receive, handler, checkpoint and rebalance meters move as records flow")
  void metersMove() {
    try (Producer<String, String> p = sluice.producer(stream, Serde.string(), Serde.string())) {
      for (int i = 0; i < 20; i++) {
        p.send("k" + i, "v" + i).join();
      }
      p.send(Record.of("k", "x".repeat(2 * 1024 * 1024))).exceptionally(e -> null).join();
    }
    List<String> got = new CopyOnWriteArrayList<>();
    try (Consumer<String, String> c =
        sluice
            .consumer(stream, Serde.string(), Serde.string())
            .group("g")
            .start(r -> got.add(r.value()))) {
      await(() -> got.size() == 20);
      await(
          () ->
              registry.find("sluice.checkpoints").counter() != null
                  && registry.find("sluice.checkpoints").counter().count() >= 1);
      assertThat(registry.get("sluice.assigned.shards").gauge().value()).isEqualTo(2.0);
      assertThat(registry.get("sluice.consumer.lag.records").tag("shard", "0").gauge().value())
          .isZero();
    }
    assertThat(
            registry
                .get("sluice.send.records")
                .tag("backend", "memory")
                .tag("stream", stream)
                .counter()
                .count())
        .isEqualTo(20);
    assertThat(registry.get("sluice.send.bytes").counter().count()).isGreaterThan(40);
    assertThat(registry.get("sluice.send.latency").timer().count()).isEqualTo(20);
    assertThat(registry.get("sluice.send.errors").tag("code", "RECORD_TOO_LARGE").counter().count())
        .isEqualTo(1);
    assertThat(registry.get("sluice.receive.records").tag("group", "g").counters()).hasSize(2);
    double received =
        registry.get("sluice.receive.records").counters().stream()
            .mapToDouble(x -> x.count())
            .sum();
    assertThat(received).isEqualTo(20);
    assertThat(registry.get("sluice.handler.latency").timer().count()).isEqualTo(20);
    assertThat(registry.get("sluice.rebalances").tag("event", "assigned").counter().count())
        .isEqualTo(2);
    assertThat(registry.get("sluice.rebalances").tag("event", "revoked").counter().count())
        .isEqualTo(2);
  }

  @Test
  @DisplayName(
      "a poison record goes to the dead-letter stream with its origin, and later records are processed")
  void deadLetter() {
    String dlq = stream + ".dlq";
    sluice.admin().createStream(dlq, StreamSpec.withShards(1));
    try (Producer<String, String> p = sluice.producer(stream, Serde.string(), Serde.string())) {
      for (String v : List.of("a", "poison", "b")) {
        p.send("same-key", v).join();
      }
    }
    List<String> handled = new CopyOnWriteArrayList<>();
    try (Consumer<String, String> c =
        sluice
            .consumer(stream, Serde.string(), Serde.string())
            .group("g")
            .failurePolicy(
                FailurePolicy.retry(3, Duration.ofMillis(1), Duration.ofMillis(5))
                    .thenDeadLetter(dlq))
            .start(
                r -> {
                  if (r.value().equals("poison")) {
                    throw new IllegalStateException("cannot digest " + r.value());
                  }
                  handled.add(r.value());
                })) {
      await(() -> handled.size() == 2);
    }
    assertThat(handled).containsExactly("a", "b");
    List<Record<String, String>> dead = new CopyOnWriteArrayList<>();
    try (Consumer<String, String> c =
        sluice.consumer(dlq, Serde.string(), Serde.string()).start(dead::add)) {
      await(() -> dead.size() == 1);
    }
    Record<String, String> r = dead.get(0);
    assertThat(r.key()).isEqualTo("same-key");
    assertThat(r.value()).isEqualTo("poison");
    assertThat(r.headers().lastString(FailurePolicy.HEADER_SOURCE_STREAM)).isEqualTo(stream);
    assertThat(r.headers().lastString(FailurePolicy.HEADER_SOURCE_SHARD)).isNotBlank();
    assertThat(r.headers().lastString(FailurePolicy.HEADER_SOURCE_POSITION)).isEqualTo("1");
    assertThat(r.headers().lastString(FailurePolicy.HEADER_ERROR_CLASS))
        .isEqualTo(IllegalStateException.class.getName());
    assertThat(r.headers().lastString(FailurePolicy.HEADER_ERROR_MESSAGE))
        .isEqualTo("cannot digest poison");
    assertThat(r.headers().lastString(FailurePolicy.HEADER_ATTEMPTS)).isEqualTo("3");
    assertThat(registry.get("sluice.deadletter.records").tag("stream", stream).counter().count())
        .isEqualTo(1);
    assertThat(registry.get("sluice.handler.retries").tag("stream", stream).counter().count())
        .isEqualTo(2);
    assertThat(registry.get("sluice.handler.failures").tag("stream", stream).counter().count())
        .isEqualTo(3);
  }

  @Test
  @DisplayName(
      "by default a failing handler stops the consumer with HANDLER_FAILED and the record stays unprocessed")
  void defaultStops() {
    try (Producer<String, String> p = sluice.producer(stream, Serde.string(), Serde.string())) {
      p.send("k", "boom").join();
    }
    Consumer<String, String> c =
        sluice
            .consumer(stream, Serde.string(), Serde.string())
            .group("g")
            .start(
                r -> {
                  throw new IllegalArgumentException("nope");
                });
    assertThat(c.awaitTermination(Duration.ofSeconds(10))).isTrue();
    assertThat(c.termination())
        .isCompletedExceptionally()
        .failsWithin(Duration.ZERO)
        .withThrowableOfType(java.util.concurrent.ExecutionException.class)
        .havingCause()
        .isInstanceOfSatisfying(
            SluiceException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.HANDLER_FAILED))
        .withMessageContaining("after 3 attempt(s)");
    List<String> again = new CopyOnWriteArrayList<>();
    try (Consumer<String, String> c2 =
        sluice
            .consumer(stream, Serde.string(), Serde.string())
            .group("g")
            .start(r -> again.add(r.value()))) {
      await(() -> again.size() == 1);
    }
    assertThat(again).containsExactly("boom");
  }

  @Test
  @DisplayName(
      "a record whose dead-letter send fails is not skipped: the consumer stops with HANDLER_FAILED"
          + " and the group gets the record again")
  void failedDeadLetterSendDoesNotSkip() {
    try (Producer<String, String> p = sluice.producer(stream, Serde.string(), Serde.string())) {
      for (String v : List.of("a", "poison", "b")) {
        p.send("same-key", v).join();
      }
    }
    sluice.admin().createStream(stream + ".dlq", StreamSpec.withShards(1));
    Producer<byte[], byte[]> deadLetters =
        sluice.producer(stream + ".dlq", Serde.bytes(), Serde.bytes());
    List<String> handled = new CopyOnWriteArrayList<>();
    Consumer<String, String> c =
        sluice
            .consumer(stream, Serde.string(), Serde.string())
            .group("g")
            .failurePolicy(FailurePolicy.stopOnFailure().thenDeadLetter(deadLetters))
            .start(
                r -> {
                  if (r.value().equals("poison")) {
                    deadLetters.close(); // its dead-letter send fails with CLOSED
                    throw new IllegalStateException("cannot digest " + r.value());
                  }
                  handled.add(r.value());
                });
    assertThat(c.awaitTermination(Duration.ofSeconds(10))).isTrue();
    assertThat(c.termination())
        .failsWithin(Duration.ZERO)
        .withThrowableOfType(java.util.concurrent.ExecutionException.class)
        .havingCause()
        .isInstanceOfSatisfying(
            SluiceException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.HANDLER_FAILED))
        .withMessageContaining("sending it to the dead-letter stream failed");
    assertThat(handled).containsExactly("a");
    assertThat(registry.get("sluice.deadletter.records").tag("stream", stream).counter().count())
        .isZero();
    List<String> again = new CopyOnWriteArrayList<>();
    try (Consumer<String, String> c2 =
        sluice
            .consumer(stream, Serde.string(), Serde.string())
            .group("g")
            .start(r -> again.add(r.value()))) {
      await(() -> again.size() == 2);
    }
    assertThat(again).containsExactly("poison", "b");
  }

  private static void await(BooleanSupplier condition) {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within 10 s");
      }
      // Park between checks: spinning would take a core from the consumer threads being awaited.
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
    }
  }
}
