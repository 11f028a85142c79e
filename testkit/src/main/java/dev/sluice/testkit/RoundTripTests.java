package dev.sluice.testkit;

import static dev.sluice.testkit.SluiceAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Headers;
import dev.sluice.Producer;
import dev.sluice.Record;
import dev.sluice.SendResult;
import dev.sluice.Serde;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** What a record keeps between send and receive: key, value bytes, headers, timestamp, serdes. */
abstract class RoundTripTests extends ConformanceArea {
  @Test
  @DisplayName(
      "is what it was when send returned: the sender may reuse its arrays at once, and a reader"
          + " changing what it got does not change what another reader gets")
  void arraysAreNotShared() {
    String stream = stream(1);
    byte[] key = "key".getBytes(StandardCharsets.UTF_8);
    byte[] value = "value".getBytes(StandardCharsets.UTF_8);
    Producer<byte[], byte[]> producer = track(sluice().producer(stream));
    CompletableFuture<SendResult> sent = producer.send(key, value);
    Arrays.fill(key, (byte) 'x');
    Arrays.fill(value, (byte) 'x');
    await(sent);

    Record<byte[], byte[]> first = bytesCollector(stream).awaitCount(1, timeout()).get(0);
    Arrays.fill(first.key(), (byte) 'y');
    Arrays.fill(first.value(), (byte) 'y');
    Record<byte[], byte[]> second = bytesCollector(stream).awaitCount(1, timeout()).get(0);

    assertThat(new String(second.key(), StandardCharsets.UTF_8)).isEqualTo("key");
    assertThat(new String(second.value(), StandardCharsets.UTF_8)).isEqualTo("value");
  }

  @Test
  @DisplayName("keeps its key, its headers (repeated names, in order) and every byte value")
  void keyHeadersAndBinaryValue() {
    String stream = stream(1);
    byte[] value = new byte[256];
    for (int i = 0; i < value.length; i++) {
      value[i] = (byte) i;
    }
    byte[] key = "kéy-1".getBytes(StandardCharsets.UTF_8);
    Headers headers =
        Headers.builder()
            .add("trace", "t1")
            .add("binary", new byte[] {0, (byte) 0x80, (byte) 0xff})
            .add("trace", "t2")
            .add("empty", new byte[0])
            .add("trace", "t3")
            .build();
    Producer<byte[], byte[]> producer = track(sluice().producer(stream));
    await(producer.send(Record.builder(key, value).headers(headers).build()));

    Record<byte[], byte[]> got = bytesCollector(stream).awaitCount(1, timeout()).get(0);

    assertThat(got.key()).isEqualTo(key);
    assertThat(got.value()).isEqualTo(value);
    assertThat(got.headers()).isEqualTo(headers);
    assertThat(got.headers().all("trace"))
        .extracting(b -> new String(b, StandardCharsets.UTF_8))
        .containsExactly("t1", "t2", "t3");
    assertThat(got.stream()).isEqualTo(stream);
  }

  @Test
  @DisplayName("keeps the timestamp it was sent with")
  void explicitTimestamp() {
    String stream = stream(1);
    Instant when = Instant.now().minus(1, ChronoUnit.HOURS).truncatedTo(ChronoUnit.MILLIS);
    Producer<String, String> producer = strings(stream);
    SendResult sent =
        await(producer.send(Record.<String, String>builder("k", "v").timestamp(when).build()));

    Record<String, String> got = collect(consumerOf(stream)).awaitCount(1, timeout()).get(0);

    assertThat(got.timestamp()).isEqualTo(when);
    if (sent.timestampMillis() != Record.NO_TIMESTAMP) {
      assertThat(sent.timestampMillis()).isEqualTo(when.toEpochMilli());
    }
  }

  @Test
  @DisplayName(
      "keeps edge timestamps exactly: the backend's declared minimum and maximum, the epoch and"
          + " -1 ms where they are in range")
  void edgeTimestamps() {
    String stream = stream(1);
    Instant min = caps().minTimestamp();
    Instant max = latestTimestamp();
    List<Instant> edges = new ArrayList<>();
    edges.add(min);
    for (Instant t : List.of(Instant.ofEpochMilli(-1), Instant.EPOCH, Instant.ofEpochMilli(1))) {
      if (!t.isBefore(min) && !t.isAfter(max) && !edges.contains(t)) {
        edges.add(t);
      }
    }
    // The latest last, and in the same shard: on Kafka a shard whose newest timestamp is the
    // epoch could be deleted at once by time-based retention.
    edges.add(max);
    Producer<String, String> producer = strings(stream);
    List<SendResult> sent = new ArrayList<>();
    for (Instant t : edges) {
      sent.add(
          await(
              producer.send(
                  Record.<String, String>builder("k", t.toString()).timestamp(t).build())));
    }

    List<Record<String, String>> got =
        collect(consumerOf(stream)).awaitCount(edges.size(), timeout());

    assertThat(got.stream().map(Record::value).collect(Collectors.toList()))
        .as("every record arrives, in order")
        .containsExactlyElementsOf(
            edges.stream().map(Instant::toString).collect(Collectors.toList()));
    assertThat(got.stream().map(Record::timestamp).collect(Collectors.toList()))
        .as("each with the timestamp it was sent with")
        .containsExactlyElementsOf(edges);
    for (int i = 0; i < edges.size(); i++) {
      if (sent.get(i).timestampMillis() != Record.NO_TIMESTAMP) {
        assertThat(sent.get(i).timestampMillis())
            .as("the stored timestamp the send reports")
            .isEqualTo(edges.get(i).toEpochMilli());
      }
    }
  }

  @Test
  @DisplayName("sent without a timestamp is stamped with the time it was sent")
  void stampedTimestamp() {
    String stream = stream(1);
    Instant before = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    await(strings(stream).send("k", "v"));
    Instant after = Instant.now();

    Record<String, String> got = collect(consumerOf(stream)).awaitCount(1, timeout()).get(0);

    assertThat(got.timestamp()).isNotNull().isBetween(before.minusSeconds(1), after.plusSeconds(1));
  }

  @Test
  @DisplayName("without a key arrives without a key")
  void nullKey() {
    String stream = stream(2);
    await(strings(stream).send(null, "no key"));

    Record<String, String> got = collect(consumerOf(stream)).awaitCount(1, timeout()).get(0);

    assertThat(got.key()).isNull();
    assertThat(got.value()).isEqualTo("no key");
  }

  @Test
  @DisplayName("with an empty value arrives with an empty value")
  void emptyValue() {
    String stream = stream(1);
    await(track(sluice().producer(stream)).send("k".getBytes(StandardCharsets.UTF_8), new byte[0]));

    Record<byte[], byte[]> got = bytesCollector(stream).awaitCount(1, timeout()).get(0);

    assertThat(got.value()).isEmpty();
  }

  @Test
  @DisplayName("goes through the key and value serdes both ways (text and JSON)")
  void typedSerdes() {
    String stream = stream(1);
    Producer<String, Payload> producer =
        track(sluice().producer(stream, Serde.string(), Serde.json(Payload.class)));
    await(producer.send("ü-key", new Payload(42, "zweiundvierzig")));

    Record<String, Payload> got =
        collect(sluice().consumer(stream, Serde.string(), Serde.json(Payload.class)))
            .awaitCount(1, timeout())
            .get(0);

    assertThat(got.key()).isEqualTo("ü-key");
    assertThat(got.value().n).isEqualTo(42);
    assertThat(got.value().text).isEqualTo("zweiundvierzig");
  }

  @Test
  @DisplayName("keeps its headers whether or not the backend has native headers")
  void headersWithOrWithoutNativeSupport() {
    String stream = stream(1);
    // Plenty of headers, a non-ASCII name, a value with every byte: the envelope (or the native
    // format) must carry all of it.
    Headers.Builder b = Headers.builder().add("ñame", "välue");
    byte[] all = new byte[256];
    for (int i = 0; i < all.length; i++) {
      all[i] = (byte) i;
    }
    b.add("all-bytes", all);
    for (int i = 0; i < Math.min(10, caps().maxHeaders() - 2); i++) {
      b.add("h" + i, "v" + i);
    }
    Headers headers = b.build();
    await(strings(stream).send(Record.<String, String>builder("k", "v").headers(headers).build()));

    Record<String, String> got = collect(consumerOf(stream)).awaitCount(1, timeout()).get(0);

    assertThat(got.headers()).isEqualTo(headers);
    assertThat(got.value()).as("the value is not polluted by the headers").isEqualTo("v");
  }

  @Test
  @DisplayName(
      "keeps a value that looks like a backend's own framing (the Kinesis header envelope, a KPL"
          + " aggregate), byte for byte, with no headers and its own timestamp")
  void valuesThatLookLikeFraming() {
    String stream = stream(1);
    // Binary payloads (protobuf, compressed, encrypted) may begin with any bytes, including the
    // magic numbers a backend uses to recognise its own framing in a record's data.
    List<byte[]> values =
        List.of(
            // The envelope that carries header k=v and value 09.
            hexBytes("C1534C55 01 00 01 01 6B 00000001 76 09"),
            // The envelope that carries a timestamp and value 09.
            hexBytes("C1534C55 01 01 0102030405060708 00 09"),
            hexBytes("C1534C55"),
            hexBytes("C1534C"),
            hexBytes("C1"),
            hexBytes("F3899AC2"),
            hexBytes("F3899A"),
            // A well-formed KPL aggregate (protobuf: key table ["k"], one record with key 0 and
            // data 09) and one holding no record at all.
            kplAggregate(hexBytes("0A 01 6B 1A 05 08 00 1A 01 09")),
            kplAggregate(hexBytes("0A 01 6B")));
    Producer<byte[], byte[]> producer = track(sluice().producer(stream));
    byte[] key = "k".getBytes(StandardCharsets.UTF_8);
    Instant before = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    for (byte[] value : values) {
      await(producer.send(key, value));
    }
    Instant after = Instant.now();
    // A last plain record marks the end, so a value lost (or split in two) shows as a difference
    // in what arrived rather than as a timeout.
    byte[] end = "end".getBytes(StandardCharsets.UTF_8);
    await(producer.send(key, end));

    List<Record<byte[], byte[]>> got =
        new ArrayList<>(
            bytesCollector(stream)
                .await(
                    "the end marker",
                    timeout(),
                    rs -> !rs.isEmpty() && Arrays.equals(rs.get(rs.size() - 1).value(), end)));
    got.remove(got.size() - 1);

    HexFormat hex = HexFormat.of().withUpperCase();
    assertThat(got.stream().map(r -> hex.formatHex(r.value())).collect(Collectors.toList()))
        .containsExactlyElementsOf(
            values.stream().map(hex::formatHex).collect(Collectors.toList()));
    for (Record<byte[], byte[]> r : got) {
      String which = hex.formatHex(r.value());
      assertThat(r.key()).as(which).isEqualTo(key);
      assertThat(r.headers().isEmpty()).as("no headers on " + which).isTrue();
      assertThat(r.timestamp()).as(which).isBetween(before.minusSeconds(1), after.plusSeconds(1));
    }
  }

  /**
   * The latest timestamp a record sent now keeps: maxTimestamp, or a minute short of now + ahead.
   */
  private Instant latestTimestamp() {
    Duration ahead = caps().maxTimestampAhead();
    if (ahead == null) {
      return caps().maxTimestamp();
    }
    Instant soon =
        Instant.now().plus(ahead).minus(Duration.ofMinutes(1)).truncatedTo(ChronoUnit.MILLIS);
    return soon.isBefore(caps().maxTimestamp()) ? soon : caps().maxTimestamp();
  }

  /** Bytes from hex digits; spaces are ignored. */
  private static byte[] hexBytes(String hex) {
    return HexFormat.of().parseHex(hex.replace(" ", ""));
  }

  /** A KPL aggregate's data: magic, the protobuf message, then the message's MD5. */
  private static byte[] kplAggregate(byte[] message) {
    byte[] magic = hexBytes("F3899AC2");
    byte[] digest;
    try {
      digest = java.security.MessageDigest.getInstance("MD5").digest(message);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    byte[] data = Arrays.copyOf(magic, magic.length + message.length + digest.length);
    System.arraycopy(message, 0, data, magic.length, message.length);
    System.arraycopy(digest, 0, data, magic.length + message.length, digest.length);
    return data;
  }
}
