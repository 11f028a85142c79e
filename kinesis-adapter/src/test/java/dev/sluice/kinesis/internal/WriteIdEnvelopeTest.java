package dev.sluice.kinesis.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Headers;
import dev.sluice.Position;
import dev.sluice.Record;
import dev.sluice.Shard;
import dev.sluice.spi.StoredWriteId;
import dev.sluice.spi.WriteId;
import dev.sluice.spi.WriteIdChain;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The envelope's write ids (version 2)")
class WriteIdEnvelopeTest {
  private static final byte[] VALUE_100 = new byte[100];

  @Test
  @DisplayName("a producer's id reads back with its link to the previous count, byte for byte")
  void producerIdBytes() {
    StoredWriteId id =
        new StoredWriteId(
            new WriteId("AAAAAAAAAAAA", Position.of(5), 0),
            new WriteId("AAAAAAAAAAAA", Position.of(4), 0));
    byte[] data = Envelope.encode(Headers.empty(), new byte[] {9}, Record.NO_TIMESTAMP, id);
    byte[] expected = new byte[4 + 1 + 1 + 1 + 12 + 2 + 1 + 1 + 1];
    int i = 0;
    for (byte b : Envelope.MAGIC) {
      expected[i++] = b;
    }
    expected[i++] = 2; // version
    expected[i++] = 0x0A; // write id, previous = count - 1
    expected[i++] = 12;
    for (int k = 0; k < 12; k++) {
      expected[i++] = 'A';
    }
    expected[i++] = 0; // offset tag
    expected[i++] = 5;
    expected[i++] = 0; // index
    expected[i++] = 0; // header count
    expected[i] = 9;
    assertThat(data).containsExactly(expected);
    Envelope.Body body = Envelope.decode(data);
    assertThat(body.writeId).isEqualTo(id);
    assertThat(body.value).containsExactly(9);
  }

  @Test
  @DisplayName(
      "a processor's id (a Kinesis input position) with headers and a timestamp reads back whole")
  void processorIdRoundTrip() {
    String sequence = "49651234567890123456789012345678901234567890123456789012";
    StoredWriteId id =
        new StoredWriteId(
            new WriteId("g/in/shardId-000000000001", Position.of(sequence, 3), 2),
            new WriteId("g/in/shardId-000000000001", Position.of(sequence, 1), 0));
    Headers headers = Headers.builder().add("k", "v".getBytes(StandardCharsets.UTF_8)).build();
    byte[] data = Envelope.encode(headers, new byte[] {1, 2}, 1234L, id);
    Envelope.Body body = Envelope.decode(data);
    assertThat(body.writeId).isEqualTo(id);
    assertThat(body.timestampMillis).isEqualTo(1234L);
    assertThat(body.headers.last("k")).containsExactly('v');
    assertThat(body.value).containsExactly(1, 2);

    StoredWriteId first = new StoredWriteId(id.id(), null);
    assertThat(Envelope.decode(Envelope.encode(headers, new byte[0], 1L, first)).writeId)
        .isEqualTo(first);
  }

  @Test
  @DisplayName("a record without an id is version 1 or plain, as before; a cut id reads as plain")
  void withoutIdUnchangedAndCutIsPlain() {
    assertThat(Envelope.encode(Headers.empty(), VALUE_100, Record.NO_TIMESTAMP, null))
        .isSameAs(VALUE_100);
    StoredWriteId id = new StoredWriteId(new WriteId("w", Position.of(0), 0), null);
    byte[] data = Envelope.encode(Headers.empty(), new byte[] {7}, Record.NO_TIMESTAMP, id);
    byte[] cut = Arrays.copyOf(data, 8); // magic, version, flags, writer length, 'w'
    Envelope.Body body = Envelope.decode(cut);
    assertThat(body.writeId).isNull();
    assertThat(body.value).isEqualTo(cut);
  }

  @Test
  @DisplayName("a 100-byte record of a producer grows by 23 bytes for its first 128 records")
  void overheadPer100ByteRecord() {
    WriteIdChain chain = new WriteIdChain();
    Shard shard = Shard.of("shardId-000000000000");
    int[] sizes = new int[20_000];
    for (int n = 0; n < sizes.length; n++) {
      byte[] data =
          Envelope.encode(Headers.empty(), VALUE_100, Record.NO_TIMESTAMP, chain.next(shard, null));
      assertThat(Envelope.decode(data).writeId.id().position()).isEqualTo(Position.of(n));
      sizes[n] = data.length - VALUE_100.length;
    }
    assertThat(sizes[0]).isEqualTo(23);
    assertThat(sizes[127]).isEqualTo(23);
    assertThat(sizes[128]).isEqualTo(24);
    assertThat(sizes[16_383]).isEqualTo(24);
    assertThat(sizes[16_384]).isEqualTo(25);
  }

  @Test
  @DisplayName(
      "Envelope.size counts a write id: exact for the id's length, and a producer's own id at its"
          + " largest bounds what encode writes, so the record-size check holds with ids on")
  void sizeCountsTheWriteId() {
    Headers headers =
        Headers.builder().add("trace", "abc".getBytes(StandardCharsets.UTF_8)).build();
    WriteIdChain chain = new WriteIdChain();
    Shard shard = Shard.of("shardId-000000000000");
    for (int n = 0; n < 3; n++) {
      StoredWriteId id = chain.next(shard, null);
      int idBytes = WriteIds.encode(id).length;
      for (long ts : new long[] {Record.NO_TIMESTAMP, 42L}) {
        for (Headers h : new Headers[] {Headers.empty(), headers}) {
          int encoded = Envelope.encode(h, VALUE_100, ts, id).length;
          assertThat(Envelope.size(h, VALUE_100, ts, idBytes)).isEqualTo(encoded);
          assertThat(Envelope.size(h, VALUE_100, ts, WriteIds.OWN_ID_MAX_BYTES))
              .isGreaterThanOrEqualTo(encoded);
        }
      }
    }
    StoredWriteId far =
        new StoredWriteId(
            new WriteId(chain.producerWriter(), Position.of(Long.MAX_VALUE), 0),
            new WriteId(chain.producerWriter(), Position.of(Long.MAX_VALUE - 1), 0));
    // The largest counter a producer can reach still fits the bound (a 9-byte varint of 10).
    assertThat((long) Envelope.encode(Headers.empty(), VALUE_100, Record.NO_TIMESTAMP, far).length)
        .isLessThanOrEqualTo(
            Envelope.size(
                Headers.empty(), VALUE_100, Record.NO_TIMESTAMP, WriteIds.OWN_ID_MAX_BYTES));
  }
}
