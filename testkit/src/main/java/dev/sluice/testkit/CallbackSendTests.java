package dev.sluice.testkit;

import static dev.sluice.testkit.SluiceAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.ErrorCode;
import dev.sluice.Producer;
import dev.sluice.Record;
import dev.sluice.SendResult;
import dev.sluice.Serde;
import dev.sluice.Sluice;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Sends that report to a callback instead of a future. */
abstract class CallbackSendTests extends ConformanceArea {
  @Test
  @DisplayName(
      "each send calls its callback exactly once, with the shard and position the consumer sees")
  void reportsEachSend() {
    String stream = stream(3);
    Keyed batch = keyed("cb", 9, 20);
    Producer<String, String> producer = strings(stream);
    Map<String, SendResult> results = new ConcurrentHashMap<>();
    Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    List<Throwable> errors = new CopyOnWriteArrayList<>();

    for (Record<String, String> r : batch.records) {
      String value = r.value();
      producer.send(
          r.key(),
          value,
          (result, error) -> {
            calls.computeIfAbsent(value, v -> new AtomicInteger()).incrementAndGet();
            if (error != null) {
              errors.add(error);
            } else {
              results.put(value, result);
            }
          });
    }
    producer.flush();

    assertThat(errors).isEmpty();
    assertThat(calls).hasSize(batch.records.size());
    assertThat(calls.values()).allSatisfy(n -> assertThat(n.get()).isEqualTo(1));
    List<Record<String, String>> got =
        collect(consumerOf(stream)).awaitCount(batch.records.size(), timeout());
    assertThat(got).haveValuesInOrderPerKey(batch.perKey);
    for (Record<String, String> r : got) {
      SendResult s = results.get(r.value());
      assertThat(r.shard()).as("shard of %s", r.value()).isEqualTo(s.shard());
      assertThat(r.position()).as("position of %s", r.value()).isEqualTo(s.position());
    }
  }

  @Test
  @DisplayName("one callback shared by many sends is called once per send; every record arrives")
  void sharedCallback() {
    String stream = stream(2);
    Producer<String, String> producer = strings(stream);
    AtomicInteger succeeded = new AtomicInteger();
    List<Throwable> errors = new CopyOnWriteArrayList<>();
    java.util.function.BiConsumer<SendResult, Throwable> onComplete =
        (result, error) -> {
          if (error != null) {
            errors.add(error);
          } else if (result.shard() != null && result.position() != null) {
            succeeded.incrementAndGet();
          }
        };
    List<String> values = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      values.add("shared-" + i);
      producer.send(Record.of("k" + (i % 11), "shared-" + i), onComplete);
    }
    producer.flush();

    assertThat(errors).isEmpty();
    assertThat(succeeded).hasValue(400);
    List<Record<String, String>> got = collect(consumerOf(stream)).awaitCount(400, timeout());
    assertThat(got).hasNoDuplicateValues();
    assertThat(collectorValues(got)).containsExactlyInAnyOrderElementsOf(values);
  }

  @Test
  @DisplayName(
      "a record refused before it leaves (too large, producer closed) is reported on the calling"
          + " thread before send returns")
  void refusedBeforeItLeaves() {
    String stream = stream(1);
    Producer<String, String> producer = strings(stream);
    List<Throwable> errors = new ArrayList<>();
    Thread caller = Thread.currentThread();
    List<Thread> threads = new ArrayList<>();

    producer.send(
        "k",
        "x".repeat(caps().maxRecordBytes() + 1),
        (result, error) -> {
          threads.add(Thread.currentThread());
          errors.add(error);
        });
    producer.close();
    producer.send(
        "k",
        "v",
        (result, error) -> {
          threads.add(Thread.currentThread());
          errors.add(error);
        });

    assertThat(errors).hasSize(2);
    assertThat(threads).containsOnly(caller);
    assertThat(sluiceError(errors.get(0))).hasCode(ErrorCode.RECORD_TOO_LARGE);
    assertThat(sluiceError(errors.get(1))).hasCode(ErrorCode.CLOSED);
    assertThat(thrown(() -> producer.send(Record.of("k", "v"), null)))
        .hasCode(ErrorCode.INVALID_ARGUMENT);
  }

  @Test
  @DisplayName("a send to a missing stream reports NOT_FOUND to its callback")
  void missingStream() {
    Producer<String, String> producer = strings(harnessNow().missingStreamName());
    CompletableFuture<Throwable> reported = new CompletableFuture<>();

    producer.send("k", "v", (result, error) -> reported.complete(error));

    assertThat(sluiceError(reported.orTimeout(timeout().toMillis(), TimeUnit.MILLISECONDS).join()))
        .hasCode(ErrorCode.NOT_FOUND);
  }

  @Test
  @DisplayName("a callback that throws does not stop later sends or their callbacks")
  void throwingCallback() {
    String stream = stream(1);
    Producer<String, String> producer = strings(stream);
    AtomicInteger thrownFrom = new AtomicInteger();
    for (int i = 0; i < 20; i++) {
      producer.send(
          "k",
          "bad-callback-" + i,
          (result, error) -> {
            thrownFrom.incrementAndGet();
            throw new IllegalStateException("an application bug");
          });
    }
    CompletableFuture<SendResult> after = new CompletableFuture<>();
    producer.send(
        "k",
        "after",
        (result, error) -> {
          if (error != null) {
            after.completeExceptionally(error);
          } else {
            after.complete(result);
          }
        });

    await(after);
    assertThat(thrownFrom).hasValue(20);
    List<Record<String, String>> got = collect(consumerOf(stream)).awaitCount(21, timeout());
    assertThat(collectorValues(got)).hasSize(21).endsWith("after");
  }

  @Test
  @DisplayName("callback sends move the same send meters as future sends")
  void meters() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    Sluice metered = harnessNow().builder().meterRegistry(registry).open();
    opened.add(metered);
    String stream = stream(1);
    Producer<String, String> producer =
        track(metered.producer(stream, Serde.string(), Serde.string()));
    AtomicInteger reported = new AtomicInteger();

    for (int i = 0; i < 10; i++) {
      producer.send("k", "v" + i, (result, error) -> reported.incrementAndGet());
    }
    producer.send("k", "x".repeat(caps().maxRecordBytes() + 1), (r, e) -> {});
    producer.flush();

    Tags tags = Tags.of("backend", backend(), "stream", stream);
    assertThat(reported).hasValue(10);
    assertThat(registry.get("sluice.send.records").tags(tags).counter().count()).isEqualTo(10);
    assertThat(registry.get("sluice.send.latency").tags(tags).timer().count()).isEqualTo(10);
    assertThat(
            registry
                .get("sluice.send.errors")
                .tags(tags)
                .tag("code", "RECORD_TOO_LARGE")
                .counter()
                .count())
        .isEqualTo(1);
  }
}
