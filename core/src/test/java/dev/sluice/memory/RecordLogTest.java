package dev.sluice.memory;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Headers;
import dev.sluice.Position;
import dev.sluice.Record;
import dev.sluice.Shard;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class RecordLogTest {
  private static final Shard SHARD = Shard.of(0);

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  private static Record<byte[], byte[]> read(RecordLog log, long offset) {
    return log.read("s", SHARD, offset);
  }

  @Test
  @DisplayName(
      "reads back what was appended: key or none, empty values, headers, timestamps, positions")
  void roundTrip() {
    RecordLog log = new RecordLog();
    Headers h = Headers.builder().add("h", bytes("v")).build();
    assertThat(log.append(bytes("k1"), bytes("one"), Headers.empty(), 10, 100)).isZero();
    assertThat(log.append(null, bytes("two"), h, 20, 200)).isEqualTo(1);
    assertThat(log.append(bytes("k3"), new byte[0], Headers.empty(), 30, 300)).isEqualTo(2);

    Record<byte[], byte[]> first = read(log, 0);
    assertThat(text(first.key())).isEqualTo("k1");
    assertThat(text(first.value())).isEqualTo("one");
    assertThat(first.timestampMillis()).isEqualTo(10);
    assertThat(first.position()).isEqualTo(Position.of(0));
    assertThat(first.shard()).isEqualTo(SHARD);
    Record<byte[], byte[]> second = read(log, 1);
    assertThat(second.key()).isNull();
    assertThat(text(second.value())).isEqualTo("two");
    assertThat(second.headers()).isEqualTo(h);
    assertThat(read(log, 2).value()).isEmpty();
    assertThat(log.endOffset()).isEqualTo(3);
  }

  @Test
  @DisplayName(
      "copies in and out: the caller's arrays and a reader's copy can change without changing the log")
  void copies() {
    RecordLog log = new RecordLog();
    byte[] key = bytes("key");
    byte[] value = bytes("value");
    log.append(key, value, Headers.empty(), 1, 1);
    key[0] = 'X';
    value[0] = 'X';
    read(log, 0).value()[1] = 'Y';
    assertThat(text(read(log, 0).key())).isEqualTo("key");
    assertThat(text(read(log, 0).value())).isEqualTo("value");
  }

  @Test
  @DisplayName("records larger than a slab, and many records across slabs, read back intact")
  void acrossSlabs() {
    RecordLog log = new RecordLog();
    byte[] big = new byte[RecordLog.SLAB_BYTES * 2 + 3];
    big[big.length - 1] = 7;
    int n = 10_000;
    for (int i = 0; i < n; i++) {
      log.append(bytes("k" + i), i == 5000 ? big : bytes("v" + i), Headers.empty(), i, i);
    }
    for (int i = 0; i < n; i++) {
      Record<byte[], byte[]> r = read(log, i);
      assertThat(text(r.key())).isEqualTo("k" + i);
      if (i == 5000) {
        assertThat(r.value()).hasSize(big.length).endsWith(7);
      } else {
        assertThat(text(r.value())).isEqualTo("v" + i);
      }
    }
  }

  @Test
  @DisplayName("retention trims from the front; offsets stay, appending and reading go on")
  void trim() {
    RecordLog log = new RecordLog();
    byte[] value = new byte[1000];
    for (int i = 0; i < 2000; i++) {
      value[0] = (byte) i;
      log.append(null, value, Headers.empty(), i, i);
    }
    log.trimArrivedBefore(1500);
    assertThat(log.startOffset()).isEqualTo(1500);
    assertThat(log.endOffset()).isEqualTo(2000);
    assertThat(read(log, 1500).value()[0]).isEqualTo((byte) 1500);
    assertThat(log.offsetForTimestamp(1700)).isEqualTo(1700);
    assertThat(log.offsetForTimestamp(10)).isEqualTo(1500);
    assertThat(log.offsetForTimestamp(5000)).isEqualTo(2000);
    for (int i = 2000; i < 3000; i++) {
      value[0] = (byte) i;
      log.append(null, value, Headers.empty(), i, i);
    }
    for (long o = 1500; o < 3000; o++) {
      assertThat(read(log, o).value()[0]).isEqualTo((byte) o);
    }
    log.trimArrivedBefore(Long.MAX_VALUE);
    assertThat(log.startOffset()).isEqualTo(3000);
    assertThat(log.endOffset()).isEqualTo(3000);
    log.append(bytes("k"), bytes("after"), Headers.empty(), 1, 1);
    assertThat(text(read(log, 3000).value())).isEqualTo("after");
  }

  @Test
  @DisplayName(
      "an empty key stays empty, not absent; each record keeps its own headers when the log packs")
  void emptyKeysAndHeadersAcrossPacking() {
    RecordLog log = new RecordLog();
    for (int i = 0; i < 200; i++) {
      Headers h = Headers.builder().add("n", bytes(Integer.toString(i))).build();
      log.append(i % 2 == 0 ? new byte[0] : null, bytes("v" + i), h, i, i);
    }
    log.trimArrivedBefore(150); // frees more than half the columns: the next appends pack them
    for (int i = 200; i < 400; i++) {
      Headers h = Headers.builder().add("n", bytes(Integer.toString(i))).build();
      log.append(i % 2 == 0 ? new byte[0] : null, bytes("v" + i), h, i, i);
    }
    for (long o = 150; o < 400; o++) {
      Record<byte[], byte[]> r = read(log, o);
      if (o % 2 == 0) {
        assertThat(r.key()).isEmpty();
      } else {
        assertThat(r.key()).isNull();
      }
      assertThat(r.headers().lastString("n")).isEqualTo(Long.toString(o));
      assertThat(text(r.value())).isEqualTo("v" + o);
    }
  }

  @Test
  @DisplayName(
      "trimming in steps through a record with a slab of its own, then appending, reads right")
  void trimInStepsThroughALargeRecord() {
    RecordLog log = new RecordLog();
    byte[] big = new byte[RecordLog.SLAB_BYTES + 1];
    for (int i = 0; i < 300; i++) {
      byte[] value = i == 100 ? big : new byte[2000];
      value[0] = (byte) i;
      log.append(null, value, Headers.empty(), i, i);
    }
    log.trimArrivedBefore(50);
    log.trimArrivedBefore(100);
    assertThat(read(log, 100).value()).hasSize(big.length);
    log.trimArrivedBefore(101);
    log.trimArrivedBefore(250);
    log.append(null, bytes("late"), Headers.empty(), 300, 300);
    for (long o = 250; o < 300; o++) {
      assertThat(read(log, o).value()[0]).isEqualTo((byte) o);
    }
    assertThat(text(read(log, 300).value())).isEqualTo("late");
  }
}
