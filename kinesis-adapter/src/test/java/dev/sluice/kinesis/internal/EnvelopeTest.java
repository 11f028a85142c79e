package dev.sluice.kinesis.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Headers;
import dev.sluice.Record;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The header envelope")
class EnvelopeTest {

  @Test
  @DisplayName("a record without headers is its value, byte for byte")
  void noHeadersNoEnvelope() {
    byte[] value = "plain".getBytes(StandardCharsets.UTF_8);
    assertThat(Envelope.encode(Headers.empty(), value, Record.NO_TIMESTAMP)).isSameAs(value);
    Envelope.Body body = Envelope.decode(value);
    assertThat(body.headers.isEmpty()).isTrue();
    assertThat(body.value).isEqualTo(value);
  }

  @Test
  @DisplayName(
      "a value that begins with the envelope or the KPL aggregate magic is wrapped, and reads back"
          + " unchanged with no headers")
  void valuesThatLookLikeFramingAreWrapped() {
    byte[][] values = {
      {(byte) 0xC1, 'S', 'L', 'U', 1, 0, 1, 1, 'k', 0, 0, 0, 1, 'v', 9}, // a real envelope
      {(byte) 0xC1, 'S', 'L', 'U', 1, 1, 1, 2, 3, 4, 5, 6, 7, 8, 0, 9}, // one with a timestamp
      Envelope.MAGIC.clone(),
      Envelope.KPL_MAGIC.clone(),
      {(byte) 0xF3, (byte) 0x89, (byte) 0x9A, (byte) 0xC2, 0x0A, 1, 'k'},
    };
    for (byte[] value : values) {
      byte[] data = Envelope.encode(Headers.empty(), value, Record.NO_TIMESTAMP);
      assertThat(data).as(Arrays.toString(value)).isNotSameAs(value).startsWith(Envelope.MAGIC);
      assertThat(data.length).isEqualTo(Envelope.FIXED_OVERHEAD + value.length);
      assertThat(Envelope.overhead(Headers.empty(), value, Record.NO_TIMESTAMP))
          .isEqualTo(Envelope.FIXED_OVERHEAD);
      Envelope.Body body = Envelope.decode(data);
      assertThat(body.headers.isEmpty()).isTrue();
      assertThat(body.timestampMillis).isEqualTo(Record.NO_TIMESTAMP);
      assertThat(body.value).isEqualTo(value);
    }
    // The wrapped magic alone, byte for byte: magic, version 1, no flags, no headers, the value.
    assertThat(Envelope.encode(Headers.empty(), Envelope.MAGIC, Record.NO_TIMESTAMP))
        .containsExactly(0xC1 - 256, 'S', 'L', 'U', 1, 0, 0, 0xC1 - 256, 'S', 'L', 'U');
  }

  @Test
  @DisplayName("a value that only begins with part of a magic, or has it later, is not wrapped")
  void partialMagicIsPlain() {
    byte[][] values = {
      {(byte) 0xC1, 'S', 'L'},
      {(byte) 0xC1},
      {(byte) 0xF3, (byte) 0x89, (byte) 0x9A},
      {(byte) 0xC1, 'S', 'L', 'V', 1, 0, 1},
      {0, (byte) 0xC1, 'S', 'L', 'U'},
    };
    for (byte[] value : values) {
      assertThat(Envelope.encode(Headers.empty(), value, Record.NO_TIMESTAMP))
          .as(Arrays.toString(value))
          .isSameAs(value);
      assertThat(Envelope.overhead(Headers.empty(), value, Record.NO_TIMESTAMP)).isZero();
      assertThat(Envelope.decode(value).value).isEqualTo(value);
    }
  }

  @Test
  @DisplayName("headers and value survive a round trip, repeated names and empty values included")
  void roundTrip() {
    Headers headers =
        Headers.builder()
            .add("trace-id", "abc")
            .add("trace-id", "def")
            .add("empty", new byte[0])
            .add("ünïcode", new byte[] {0, (byte) 0xFF, 7})
            .build();
    byte[] value = {1, 2, 3};
    byte[] data = Envelope.encode(headers, value, Record.NO_TIMESTAMP);
    int names = 8 + 8 + 5 + "ünïcode".getBytes(StandardCharsets.UTF_8).length;
    int values = 3 + 3 + 0 + 3;
    assertThat(data.length)
        .isEqualTo(
            value.length + Envelope.overhead(headers, value, Record.NO_TIMESTAMP) + names + values);
    assertThat(Envelope.size(headers, value, Record.NO_TIMESTAMP)).isEqualTo(data.length);
    assertThat(Envelope.size(headers, value, 42L))
        .isEqualTo(Envelope.encode(headers, value, 42L).length);
    assertThat(Envelope.size(Headers.empty(), value, Record.NO_TIMESTAMP)).isEqualTo(3);
    Envelope.Body body = Envelope.decode(data);
    assertThat(body.headers).isEqualTo(headers);
    assertThat(body.value).isEqualTo(value);
  }

  @Test
  @DisplayName("the byte layout is the documented one")
  void layout() {
    byte[] data =
        Envelope.encode(
            Headers.builder().add("k", "v").build(), new byte[] {9}, Record.NO_TIMESTAMP);
    assertThat(data)
        .containsExactly(0xC1 - 256, 'S', 'L', 'U', 1, 0, 1, 1, 'k', 0, 0, 0, 1, 'v', 9);
    byte[] stamped = Envelope.encode(Headers.empty(), new byte[] {9}, 0x0102030405060708L);
    assertThat(stamped)
        .containsExactly(0xC1 - 256, 'S', 'L', 'U', 1, 1, 1, 2, 3, 4, 5, 6, 7, 8, 0, 9);
    Envelope.Body body = Envelope.decode(stamped);
    assertThat(body.timestampMillis).isEqualTo(0x0102030405060708L);
    assertThat(body.headers.isEmpty()).isTrue();
    assertThat(body.value).containsExactly(9);
  }

  @Test
  @DisplayName("the most headers and the longest names the capabilities promise fit")
  void limits() {
    Headers.Builder b = Headers.builder();
    String name = "n".repeat(Envelope.MAX_HEADER_NAME_BYTES);
    for (int i = 0; i < Envelope.MAX_HEADERS; i++) {
      b.add(name, "v" + i);
    }
    Headers headers = b.build();
    Envelope.Body body = Envelope.decode(Envelope.encode(headers, new byte[0], 1L));
    assertThat(body.headers).isEqualTo(headers);
    assertThat(body.value).isEmpty();
  }

  @Test
  @DisplayName("data that starts with the magic but is malformed is read as a plain value")
  void malformedPassesThrough() {
    byte[] good =
        Envelope.encode(
            Headers.builder().add("name", "value").build(), new byte[] {5}, Record.NO_TIMESTAMP);
    byte[][] bad = {
      Arrays.copyOf(Envelope.MAGIC, 4), // magic only
      Arrays.copyOf(good, 5), // cut after the version
      Arrays.copyOf(good, 10), // cut inside the first name
      Arrays.copyOf(good, 14), // cut inside the value length
      withByte(good, 4, (byte) 3), // unknown version
      withByte(good, 4, (byte) 2), // version 2 without a write id
      withByte(good, 5, (byte) 4), // unknown flag
      new byte[] {(byte) 0xC1, 'S', 'L', 'U', 1, 1, 0, 0, 0}, // timestamp cut short
      withByte(good, 7, (byte) 0), // zero-length name
      withByte(good, 15, (byte) 0x7F), // value length beyond the data
      withByte(good, 8, (byte) 0xFF), // name not UTF-8
    };
    for (byte[] data : bad) {
      Envelope.Body body = Envelope.decode(data);
      assertThat(body.headers.isEmpty()).as(Arrays.toString(data)).isTrue();
      assertThat(body.value).isEqualTo(data);
    }
  }

  @Test
  @DisplayName("random data never throws")
  void randomData() {
    Random random = new Random(42);
    for (int i = 0; i < 10_000; i++) {
      byte[] data = new byte[random.nextInt(40)];
      random.nextBytes(data);
      if (data.length >= 4 && random.nextBoolean()) {
        System.arraycopy(Envelope.MAGIC, 0, data, 0, 4);
        if (data.length > 4) {
          data[4] = 1;
        }
      }
      Envelope.Body body = Envelope.decode(data);
      assertThat(body.value).isNotNull();
    }
  }

  private static byte[] withByte(byte[] data, int index, byte value) {
    byte[] copy = data.clone();
    ByteBuffer.wrap(copy).put(index, value);
    return copy;
  }
}
