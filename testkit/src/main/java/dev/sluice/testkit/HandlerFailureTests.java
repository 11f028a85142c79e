package dev.sluice.testkit;

import static dev.sluice.testkit.SluiceAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.ErrorCode;
import dev.sluice.FailurePolicy;
import dev.sluice.Position;
import dev.sluice.Producer;
import dev.sluice.Record;
import dev.sluice.SendResult;
import dev.sluice.Serde;
import dev.sluice.SluiceException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A handler (or deserializer) that throws: stop, retry, skip, or dead-letter, per the failure
 * policy.
 */
abstract class HandlerFailureTests extends ConformanceArea {
  @Test
  @DisplayName(
      "by default stop the consumer with HANDLER_FAILED, and the failed record is delivered again after a restart")
  void defaultPolicyStops() {
    String stream = stream(1);
    String group = group();
    sendValuesList(stream, List.of("ok1", "ok2", "poison", "ok3"));

    RecordCollector<String, String> c1 =
        collect(
            consumerOf(open(), stream).group(group),
            r -> {
              if (r.value().equals("poison")) {
                throw new IllegalStateException("cannot digest " + r.value());
              }
            });
    SluiceException stop = terminationError(c1.consumer());

    assertThat(stop).hasCode(ErrorCode.HANDLER_FAILED);
    assertThat(c1.records())
        .hasValuesInOrder(
            withRepeats(List.of("ok1", "ok2"), "poison", FailurePolicy.defaults().maxAttempts()));

    RecordCollector<String, String> c2 = collect(consumerOf(open(), stream).group(group));
    List<Record<String, String>> got =
        c2.await("poison and ok3", timeout(), rs -> collectorValues(rs).contains("ok3"));
    assertThat(got)
        .as("the failed record was not checkpointed, the ones before it were")
        .hasValuesInOrder("poison", "ok3");
  }

  @Test
  @DisplayName(
      "are retried in place: a record failing twice is seen three times, then later records in order")
  void retryThenSucceed() {
    String stream = stream(1);
    sendValuesList(stream, List.of("r1", "r2", "r3", "r4"));
    AtomicInteger failures = new AtomicInteger();

    RecordCollector<String, String> c =
        collect(
            consumerOf(stream)
                .failurePolicy(FailurePolicy.retry(3, Duration.ofMillis(1), Duration.ofMillis(10))),
            r -> {
              if (r.value().equals("r2") && failures.getAndIncrement() < 2) {
                throw new IllegalStateException("transient");
              }
            });

    assertThat(c.awaitCount(6, timeout())).hasValuesInOrder("r1", "r2", "r2", "r2", "r3", "r4");
    assertThat(c.consumer().termination()).isNotDone();
  }

  @Test
  @DisplayName("with SKIP, a record that keeps failing is skipped and the consumer goes on")
  void skip() {
    String stream = stream(1);
    sendValuesList(stream, List.of("ok1", "poison", "ok2", "ok3"));

    RecordCollector<String, String> c =
        collect(
            consumerOf(stream)
                .failurePolicy(
                    FailurePolicy.retry(2, Duration.ofMillis(1), Duration.ofMillis(1)).thenSkip()),
            r -> {
              if (r.value().equals("poison")) {
                throw new IllegalStateException("poison");
              }
            });

    assertThat(c.awaitCount(5, timeout()))
        .hasValuesInOrder("ok1", "poison", "poison", "ok2", "ok3");
    assertThat(c.consumer().termination()).isNotDone();
  }

  @Test
  @DisplayName("a value that cannot be deserialized goes through the policy: SKIP goes on")
  void deserializationFailureSkipped() {
    String stream = stream(1);
    sendRaw(stream, "{\"n\":1,\"text\":\"one\"}", "not json", "{\"n\":3,\"text\":\"three\"}");

    RecordCollector<String, Payload> c =
        collect(
            sluice()
                .consumer(stream, Serde.string(), Serde.json(Payload.class))
                .failurePolicy(FailurePolicy.retry(1, Duration.ZERO, Duration.ZERO).thenSkip()));

    List<Record<String, Payload>> got = c.awaitCount(2, timeout());
    assertThat(got.stream().map(r -> r.value().n)).containsExactly(1, 3);
    assertThat(c.consumer().termination()).isNotDone();
  }

  @Test
  @DisplayName(
      "a value that cannot be deserialized goes through the policy: STOP ends with HANDLER_FAILED")
  void deserializationFailureStops() {
    String stream = stream(1);
    sendRaw(stream, "{\"n\":1,\"text\":\"one\"}", "not json", "{\"n\":3,\"text\":\"three\"}");

    RecordCollector<String, Payload> c =
        collect(
            sluice()
                .consumer(stream, Serde.string(), Serde.json(Payload.class))
                .failurePolicy(FailurePolicy.stopOnFailure()));

    assertThat(terminationError(c.consumer())).hasCode(ErrorCode.HANDLER_FAILED);
    assertThat(c.records().stream().map(r -> r.value().n)).containsExactly(1);
  }

  @Test
  @DisplayName(
      "with a dead-letter stream, a poison record lands there with headers naming its origin and error, and later records are processed")
  void deadLetter() {
    String stream = stream(2);
    String deadLetters = stream(1);
    sendValuesList(stream, List.of("ok1", "poison", "ok2"));
    Position poisonAt;
    try (Producer<String, String> p = strings(stream)) {
      poisonAt = await(p.send(Record.of("same-key", "poison2"))).position();
      await(p.send(Record.of("same-key", "ok3")));
    }

    RecordCollector<String, String> c =
        collect(
            consumerOf(stream)
                .group(group())
                .failurePolicy(
                    FailurePolicy.retry(2, Duration.ofMillis(1), Duration.ofMillis(5))
                        .thenDeadLetter(deadLetters)),
            r -> {
              if (r.value().startsWith("poison")) {
                throw new IllegalStateException("cannot digest " + r.value());
              }
            });
    c.await(
        "ok1, ok2 and ok3 handled",
        timeout(),
        rs -> collectorValues(rs).containsAll(List.of("ok1", "ok2", "ok3")));

    RecordCollector<String, String> dead = collect(consumerOf(deadLetters));
    List<Record<String, String>> got = dead.awaitCount(2, timeout());
    assertThat(collectorValues(got)).containsExactlyInAnyOrder("poison", "poison2");
    Record<String, String> second =
        got.stream().filter(r -> r.value().equals("poison2")).findFirst().orElseThrow();
    assertThat(second.key()).isEqualTo("same-key");
    assertThat(second.headers().lastString(FailurePolicy.HEADER_SOURCE_STREAM)).isEqualTo(stream);
    assertThat(second.headers().lastString(FailurePolicy.HEADER_SOURCE_POSITION))
        .isEqualTo(poisonAt.toString());
    assertThat(second.headers().lastString(FailurePolicy.HEADER_SOURCE_SHARD)).isNotBlank();
    assertThat(second.headers().lastString(FailurePolicy.HEADER_ERROR_CLASS))
        .isEqualTo(IllegalStateException.class.getName());
    assertThat(second.headers().lastString(FailurePolicy.HEADER_ERROR_MESSAGE))
        .isEqualTo("cannot digest poison2");
    assertThat(second.headers().lastString(FailurePolicy.HEADER_ATTEMPTS)).isEqualTo("2");
    assertThat(c.consumer().termination()).isNotDone();
  }

  @Test
  @DisplayName(
      "a dead-letter stream that does not exist fails the consumer's start with NOT_FOUND naming it,"
          + " before any record is handled")
  void missingDeadLetterStream() {
    String stream = stream(1);
    String missing = harnessNow().missingStreamName();
    sendValuesList(stream, List.of("poison"));
    FailurePolicy policy =
        FailurePolicy.retry(1, Duration.ZERO, Duration.ZERO).thenDeadLetter(missing);
    List<String> handled = new CopyOnWriteArrayList<>();

    SluiceException e =
        thrown(
            () ->
                track(
                    consumerOf(stream)
                        .group(group())
                        .failurePolicy(policy)
                        .start(r -> handled.add(r.value()))));
    assertThat(e).hasCode(ErrorCode.NOT_FOUND);
    assertThat(e.getMessage()).contains(missing);
    SluiceException pull = thrown(() -> track(consumerOf(stream).failurePolicy(policy).open()));
    assertThat(pull).hasCode(ErrorCode.NOT_FOUND);
    assertThat(pull.getMessage()).contains(missing);
    Producer<byte[], byte[]> toMissing = track(sluice().producer(missing));
    SluiceException own =
        thrown(
            () ->
                track(
                    consumerOf(stream)
                        .group(group())
                        .failurePolicy(
                            FailurePolicy.retry(1, Duration.ZERO, Duration.ZERO)
                                .thenDeadLetter(toMissing))
                        .start(r -> handled.add(r.value()))));
    assertThat(own).hasCode(ErrorCode.NOT_FOUND);
    assertThat(own.getMessage()).contains(missing);
    assertThat(handled).isEmpty();
  }

  @Test
  @DisplayName(
      "a failing record first in its chunk is not checkpointed: the consumer stops, and a"
          + " restarted group gets it again")
  void failingRecordFirstInItsChunk() {
    String stream = stream(1);
    String group = group();
    List<SendResult> before = sendValuesList(stream, List.of("ok1", "ok2"));
    RecordCollector<String, String> c1 =
        collect(
            consumerOf(open(), stream)
                .group(group)
                .failurePolicy(FailurePolicy.retry(2, Duration.ofMillis(1), Duration.ofMillis(1))),
            r -> {
              if (r.value().equals("poison")) {
                throw new IllegalStateException("cannot digest " + r.value());
              }
            });
    SendResult ok2 = before.get(1);
    // Once ok2 is processed the worker has nothing queued: poison starts a chunk of its own.
    Await.until(
        "ok2 processed",
        timeout(),
        () -> ok2.position().equals(c1.consumer().processedPositions().get(ok2.shard())));
    sendValuesList(stream, List.of("poison", "ok3"));

    assertThat(terminationError(c1.consumer())).hasCode(ErrorCode.HANDLER_FAILED);
    RecordCollector<String, String> c2 = collect(consumerOf(open(), stream).group(group));
    List<Record<String, String>> got =
        c2.await("poison and ok3", timeout(), rs -> collectorValues(rs).contains("ok3"));
    assertThat(got).hasValuesInOrder("poison", "ok3");
  }

  @Test
  @DisplayName(
      "a dead-letter send that fails stops the consumer with HANDLER_FAILED: the record is not"
          + " skipped, a restarted group gets it again")
  void deadLetterSendFails() {
    String stream = stream(1);
    String deadLetters = stream(1);
    String group = group();
    sendValuesList(stream, List.of("ok1"));
    RecordCollector<String, String> c1 =
        collect(
            consumerOf(open(), stream)
                .group(group)
                .failurePolicy(
                    FailurePolicy.retry(1, Duration.ZERO, Duration.ZERO)
                        .thenDeadLetter(deadLetters)),
            r -> {
              if (r.value().equals("poison")) {
                throw new IllegalStateException("cannot digest " + r.value());
              }
            });
    c1.awaitCount(1, timeout());
    // The dead-letter stream goes away while the consumer runs, so sending to it fails.
    sluice().admin().deleteStream(deadLetters);
    sendValuesList(stream, List.of("poison", "ok2"));

    assertThat(terminationError(c1.consumer())).hasCode(ErrorCode.HANDLER_FAILED);
    assertThat(c1.values()).doesNotContain("ok2");
    RecordCollector<String, String> c2 = collect(consumerOf(open(), stream).group(group));
    List<Record<String, String>> got =
        c2.await("poison and ok2", timeout(), rs -> collectorValues(rs).contains("ok2"));
    assertThat(got).hasValuesInOrder("poison", "ok2");
  }

  private static List<String> withRepeats(List<String> head, String repeated, int times) {
    List<String> out = new ArrayList<>(head);
    for (int i = 0; i < times; i++) {
      out.add(repeated);
    }
    return out;
  }

  private void sendRaw(String stream, String... values) {
    Producer<byte[], byte[]> producer = track(sluice().producer(stream));
    for (String v : values) {
      await(
          producer.send("k".getBytes(StandardCharsets.UTF_8), v.getBytes(StandardCharsets.UTF_8)));
    }
  }
}
