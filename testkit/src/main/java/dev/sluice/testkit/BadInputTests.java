package dev.sluice.testkit;

import static dev.sluice.testkit.SluiceAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Capabilities;
import dev.sluice.Consumer;
import dev.sluice.ErrorCode;
import dev.sluice.Headers;
import dev.sluice.Producer;
import dev.sluice.Record;
import dev.sluice.SendResult;
import dev.sluice.Serde;
import dev.sluice.Shard;
import dev.sluice.SluiceException;
import dev.sluice.StreamSpec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Records, names and limits a backend refuses: a typed error before the record reaches the broker.
 */
abstract class BadInputTests extends ConformanceArea {
  @Test
  @DisplayName("a record one byte over maxRecordBytes fails with RECORD_TOO_LARGE")
  void oversizedRecord() {
    String stream = stream(1);
    Producer<byte[], byte[]> producer = track(sluice().producer(stream));

    SluiceException e = failureOf(producer.send(null, new byte[caps().maxRecordBytes() + 1]));

    assertThat(e).hasCode(ErrorCode.RECORD_TOO_LARGE).isNotRetryable();
  }

  @Test
  @DisplayName("headers count towards maxRecordBytes")
  void headersCountTowardsTheLimit() {
    String stream = stream(1);
    Producer<byte[], byte[]> producer = track(sluice().producer(stream));
    byte[] value = new byte[caps().maxRecordBytes() - 10];
    Record<byte[], byte[]> record =
        Record.<byte[], byte[]>builder(null, value).header("padding", new byte[64]).build();

    assertThat(failureOf(producer.send(record))).hasCode(ErrorCode.RECORD_TOO_LARGE);
  }

  @Test
  @DisplayName("a record of exactly maxRecordBytes (key + value) is accepted and readable")
  void recordAtTheLimit() {
    String stream = stream(1);
    Producer<byte[], byte[]> producer = track(sluice().producer(stream));
    byte[] key = "k".getBytes(StandardCharsets.UTF_8);
    byte[] value = filledToTheLimit(Record.of(key, new byte[0]));

    await(producer.send(key, value));

    Record<byte[], byte[]> got = bytesCollector(stream).awaitCount(1, timeout()).get(0);
    assertThat(got.value()).hasSize(value.length).isEqualTo(value);
  }

  @Test
  @DisplayName(
      "the size limit is counted as the backend counts it: a record with a binary key, headers and"
          + " a timestamp at exactly maxRecordBytes is stored and read back whole, one byte more"
          + " fails with RECORD_TOO_LARGE")
  void recordWithHeadersAtTheExactLimit() {
    String stream = stream(1);
    Producer<byte[], byte[]> producer = track(sluice().producer(stream));
    byte[] key = {(byte) 0xFF, 0, 1, 2, 3};
    Instant timestamp = Instant.now().minusSeconds(60).truncatedTo(ChronoUnit.MILLIS);
    Record<byte[], byte[]> empty =
        Record.<byte[], byte[]>builder(key, new byte[0])
            .header("trace", "abc")
            .header("ünïcode", new byte[] {1, 2, 3})
            .timestamp(timestamp)
            .build();
    byte[] value = filledToTheLimit(empty);
    Record<byte[], byte[]> atLimit = empty.withKeyAndValue(key, value);
    assertThat(caps().recordSize(atLimit)).isEqualTo(caps().maxRecordBytes());
    byte[] tooBig = Arrays.copyOf(value, value.length + 1);

    assertThat(failureOf(producer.send(empty.withKeyAndValue(key, tooBig))))
        .hasCode(ErrorCode.RECORD_TOO_LARGE)
        .isNotRetryable();
    await(producer.send(atLimit));

    Record<byte[], byte[]> got = bytesCollector(stream).awaitCount(1, timeout()).get(0);
    assertThat(got.key()).isEqualTo(key);
    assertThat(got.value()).hasSize(value.length).isEqualTo(value);
    assertThat(got.headers().lastString("trace")).isEqualTo("abc");
    assertThat(got.timestamp()).isEqualTo(timestamp);
  }

  /** A value that brings the record to exactly maxRecordBytes as the backend counts it. */
  private byte[] filledToTheLimit(Record<byte[], byte[]> withEmptyValue) {
    long rest = caps().maxRecordBytes() - caps().recordSize(withEmptyValue);
    byte[] value = new byte[(int) rest];
    Arrays.fill(value, (byte) 7);
    return value;
  }

  @Test
  @DisplayName(
      "unwrap to a type the backend has no client of fails with UNSUPPORTED naming that type, for"
          + " Sluice, a producer and a consumer")
  void unwrapToAnUnknownType() {
    String stream = stream(1);
    Producer<byte[], byte[]> producer = track(sluice().producer(stream));
    Consumer<String, String> consumer = track(consumerOf(stream).start(r -> {}));

    for (ThrowingCallable unwrap :
        List.<ThrowingCallable>of(
            () -> sluice().unwrap(StringBuilder.class),
            () -> producer.unwrap(StringBuilder.class),
            () -> consumer.unwrap(StringBuilder.class))) {
      assertThat(thrown(unwrap))
          .hasCode(ErrorCode.UNSUPPORTED)
          .hasMessageContaining(StringBuilder.class.getName());
    }
  }

  @Test
  @DisplayName(
      "a timestamp outside the backend's declared range fails with INVALID_ARGUMENT naming it and"
          + " the range, before the broker (even for a stream that does not exist)")
  void timestampOutOfRange() {
    Instant min = caps().minTimestamp();
    Instant max = caps().maxTimestamp();
    Duration ahead = caps().maxTimestampAhead();
    Producer<String, String> producer =
        track(sluice().producer(harnessNow().missingStreamName(), Serde.string(), Serde.string()));
    List<Instant> outside = new ArrayList<>();
    if (min.toEpochMilli() > Record.NO_TIMESTAMP + 1) {
      outside.add(min.minusMillis(1));
    }
    if (max.toEpochMilli() < Long.MAX_VALUE) {
      outside.add(max.plusMillis(1));
    }
    for (Instant t : outside) {
      assertThat(
              failureOf(
                  producer.send(Record.<String, String>builder("k", "v").timestamp(t).build())))
          .as("a send at %s", t)
          .hasCode(ErrorCode.INVALID_ARGUMENT)
          .hasMessageContaining(t.toString())
          .hasMessageContaining(min.toString())
          .hasMessageContaining(max.toString());
    }
    if (ahead != null) {
      Instant t =
          Instant.now().plus(ahead).plus(Duration.ofMinutes(5)).truncatedTo(ChronoUnit.MILLIS);
      assertThat(
              failureOf(
                  producer.send(Record.<String, String>builder("k", "v").timestamp(t).build())))
          .as("a send at %s, more than %s ahead", t, ahead)
          .hasCode(ErrorCode.INVALID_ARGUMENT)
          .hasMessageContaining(t.toString())
          .hasMessageContaining(ahead.toString());
    }
    // What no record can carry, whatever the backend: refused by the builder.
    for (Instant t : List.of(Instant.ofEpochMilli(Record.NO_TIMESTAMP), Instant.MAX, Instant.MIN)) {
      assertThat(thrown(() -> Record.<String, String>builder("k", "v").timestamp(t)))
          .as("a record at %s", t)
          .hasCode(ErrorCode.INVALID_ARGUMENT)
          .hasMessageContaining(t.toString());
    }
  }

  @Test
  @DisplayName(
      "a null value without a key fails with INVALID_ARGUMENT (only a record with a key can be a"
          + " tombstone)")
  void nullValue() {
    String stream = stream(1);
    Producer<String, String> producer = strings(stream);
    String nothing = nullString();

    assertThat(failureOf(producer.send(null, nothing)))
        .hasCode(ErrorCode.INVALID_ARGUMENT)
        .hasMessageContaining("key");
    assertThat(failureOf(producer.send(Record.of(null, nothing))))
        .hasCode(ErrorCode.INVALID_ARGUMENT);
  }

  @Test
  @DisplayName("invalid stream names fail with INVALID_ARGUMENT everywhere a name is taken")
  void invalidStreamNames() {
    List<String> names =
        List.of("", "has space", "slash/name", "..", "ünïcödé", "x".repeat(129), "tab\tname");
    for (String name : names) {
      assertThat(thrown(() -> sluice().admin().createStream(name, StreamSpec.withShards(1))))
          .as("createStream(%s)", name)
          .hasCode(ErrorCode.INVALID_ARGUMENT);
      assertThat(thrown(() -> sluice().admin().describeStream(name)))
          .as("describeStream(%s)", name)
          .hasCode(ErrorCode.INVALID_ARGUMENT);
      assertThat(thrown(() -> sluice().producer(name)))
          .as("producer(%s)", name)
          .hasCode(ErrorCode.INVALID_ARGUMENT);
      assertThat(thrown(() -> sluice().consumer(name)))
          .as("consumer(%s)", name)
          .hasCode(ErrorCode.INVALID_ARGUMENT);
    }
    assertThat(sluice().admin().listStreams()).doesNotContainAnyElementsOf(names);
  }

  @Test
  @DisplayName("an empty header name or one with a control character fails with INVALID_ARGUMENT")
  void badHeaderNames() {
    String stream = stream(1);
    Producer<String, String> producer = strings(stream);

    assertThat(
            failureOf(
                producer.send(Record.<String, String>builder("k", "v").header("", "x").build())))
        .hasCode(ErrorCode.INVALID_ARGUMENT);
    assertThat(
            failureOf(
                producer.send(
                    Record.<String, String>builder("k", "v").header("a\nb", "x").build())))
        .hasCode(ErrorCode.INVALID_ARGUMENT);
  }

  @Test
  @DisplayName("a key longer than maxKeyBytes, or more headers than maxHeaders, is refused")
  void keyAndHeaderLimits() {
    String stream = stream(1);
    Producer<byte[], byte[]> producer = track(sluice().producer(stream));
    int maxKey = caps().maxKeyBytes();
    if (maxKey < caps().maxRecordBytes()) {
      SluiceException e = failureOf(producer.send(new byte[maxKey + 1], new byte[1]));
      assertThat(e.code()).isIn(ErrorCode.INVALID_ARGUMENT, ErrorCode.RECORD_TOO_LARGE);
      await(producer.send(new byte[maxKey], new byte[1]));
    }
    int maxHeaders = caps().maxHeaders();
    if (maxHeaders < 10_000) {
      Headers.Builder b = Headers.builder();
      for (int i = 0; i <= maxHeaders; i++) {
        b.add("h", new byte[0]);
      }
      Record<byte[], byte[]> tooMany =
          Record.<byte[], byte[]>builder(null, new byte[1]).headers(b.build()).build();
      assertThat(failureOf(producer.send(tooMany))).hasCode(ErrorCode.INVALID_ARGUMENT);
    }
  }

  @Test
  @DisplayName(
      "a batch with one record over maxRecordBytes fails that record only: the others are stored")
  void batchWithOneOversizedRecord() {
    String stream = stream(1);
    Producer<String, String> producer = strings(stream);

    List<CompletableFuture<SendResult>> sends =
        producer.sendAll(
            List.of(
                Record.of("k", "batch-ok-1"),
                Record.of("k", "x".repeat(caps().maxRecordBytes() + 1)),
                Record.of("k", "batch-ok-2")));

    await(sends.get(0));
    await(sends.get(2));
    assertThat(failureOf(sends.get(1))).hasCode(ErrorCode.RECORD_TOO_LARGE).message().isNotBlank();
    assertThat(collect(consumerOf(stream)).awaitCount(2, timeout()))
        .hasValuesInOrder("batch-ok-1", "batch-ok-2");
  }

  @Test
  @DisplayName(
      "a key or header name over its own limit fails with INVALID_ARGUMENT; with no limit of its"
          + " own, one too large for a record fails with RECORD_TOO_LARGE")
  void keyOrHeaderNameOverItsLimit() {
    String stream = stream(1);
    Producer<String, String> producer = strings(stream);
    Capabilities caps = caps();

    if (caps.maxKeyBytes() >= caps.maxRecordBytes()) {
      // No key limit of its own: a long key is just a large record.
      assertThat(failureOf(producer.send("k".repeat(caps.maxRecordBytes() + 1), "v")))
          .hasCode(ErrorCode.RECORD_TOO_LARGE)
          .message()
          .isNotBlank();
    } else {
      assertThat(failureOf(producer.send("k".repeat(caps.maxKeyBytes() + 1), "v")))
          .hasCode(ErrorCode.INVALID_ARGUMENT)
          .message()
          .isNotBlank();
    }
    int nameBytes = Math.min(caps.maxHeaderNameBytes(), caps.maxRecordBytes()) + 1;
    assertThat(
            failureOf(
                producer.send(
                    Record.<String, String>builder("k", "v")
                        .header("n".repeat(nameBytes), "x")
                        .build())))
        .hasCode(
            nameBytes > caps.maxHeaderNameBytes()
                ? ErrorCode.INVALID_ARGUMENT
                : ErrorCode.RECORD_TOO_LARGE)
        .message()
        .isNotBlank();
  }

  @Test
  @DisplayName("a value the serde cannot write fails with SERIALIZATION")
  void unwritableValue() {
    String stream = stream(1);
    Producer<String, Object> json =
        track(sluice().producer(stream, Serde.string(), Serde.json(Object.class)));

    assertThat(failureOf(json.send("k", new Object())))
        .hasCode(ErrorCode.SERIALIZATION)
        .message()
        .isNotBlank();
  }

  @Test
  @DisplayName(
      "after each refused record, admin call or consumer, the same producer sends again, and a new"
          + " consumer reads every record it accepted, in order")
  void producerGoesOnAfterRefusals() {
    String stream = stream(2);
    Producer<String, String> producer = strings(stream);
    List<String> accepted = new ArrayList<>();
    Runnable sendAnother =
        () -> {
          String value = "good-" + accepted.size();
          await(producer.send("k", value));
          accepted.add(value);
        };

    assertThat(failureOf(producer.send("k", "x".repeat(caps().maxRecordBytes() + 1))))
        .hasCode(ErrorCode.RECORD_TOO_LARGE);
    sendAnother.run();
    assertThat(failureOf(producer.send(null, nullString()))).hasCode(ErrorCode.INVALID_ARGUMENT);
    sendAnother.run();
    assertThat(
            failureOf(
                producer.send(Record.<String, String>builder("k", "v").header("", "x").build())))
        .hasCode(ErrorCode.INVALID_ARGUMENT);
    sendAnother.run();
    SluiceException noSuchShard =
        failureOf(
            producer.send(
                Record.<String, String>builder("k", "v")
                    .shard(Shard.of("shardId-999999999"))
                    .build()));
    assertThat(noSuchShard.code()).isIn(ErrorCode.INVALID_ARGUMENT, ErrorCode.NOT_FOUND);
    sendAnother.run();
    assertThat(thrown(() -> sluice().admin().createStream(stream, StreamSpec.withShards(2))))
        .hasCode(ErrorCode.ALREADY_EXISTS);
    sendAnother.run();
    assertThat(thrown(() -> track(consumerOf(stream).group("no spaces allowed").open())))
        .hasCode(ErrorCode.INVALID_ARGUMENT);
    sendAnother.run();

    List<Record<String, String>> got =
        collect(consumerOf(stream)).awaitCount(accepted.size(), timeout());
    assertThat(collectorValues(got)).containsExactlyElementsOf(accepted);
  }
}
