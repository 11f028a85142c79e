package dev.sluice.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Headers;
import dev.sluice.Position;
import dev.sluice.Record;
import dev.sluice.Shard;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class CompletedPrefixTest {
  private static Record<byte[], byte[]> at(long offset) {
    return Record.received(
        "s", Shard.of(0), Position.of(offset), null, new byte[0], Headers.empty(), 0);
  }

  @Test
  @DisplayName("the checkpointable position never passes a record still in progress")
  void heldBySlowRecord() {
    CompletedPrefix prefix = new CompletedPrefix();
    List<CompletedPrefix.Entry> entries = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      entries.add(prefix.add(at(i)));
    }
    assertThat(prefix.complete(entries.get(0))).isEqualTo(1);
    assertThat(prefix.last()).isEqualTo(Position.of(0));
    // 1 is slow: 2, 3 and 4 finish first, and the position stays at 0.
    assertThat(prefix.complete(entries.get(3))).isZero();
    assertThat(prefix.complete(entries.get(2))).isZero();
    assertThat(prefix.complete(entries.get(4))).isZero();
    assertThat(prefix.last()).isEqualTo(Position.of(0));
    assertThat(prefix.size()).isEqualTo(4);
    // 1 finishes: the whole run up to 4 is done at once.
    assertThat(prefix.complete(entries.get(1))).isEqualTo(4);
    assertThat(prefix.last()).isEqualTo(Position.of(4));
    assertThat(prefix.size()).isZero();
  }

  @Test
  @DisplayName(
      "a rewind drops the records from its position on: one of them finishing later moves nothing")
  void dropFrom() {
    CompletedPrefix prefix = new CompletedPrefix();
    List<CompletedPrefix.Entry> entries = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      entries.add(prefix.add(at(i)));
    }
    prefix.complete(entries.get(0));
    prefix.complete(entries.get(4)); // done out of turn

    List<CompletedPrefix.Entry> dropped = prefix.dropFrom(Position.of(3));

    assertThat(dropped).extracting(e -> e.record.position().offset()).containsExactly(5L, 4L, 3L);
    assertThat(dropped).allMatch(e -> e.stale);
    assertThat(prefix.size()).isEqualTo(2); // 1 and 2
    CompletedPrefix.Entry again = prefix.add(at(3));
    assertThat(prefix.complete(entries.get(1))).isEqualTo(1);
    assertThat(prefix.complete(entries.get(2))).isEqualTo(1);
    assertThat(prefix.last()).isEqualTo(Position.of(2));
    assertThat(prefix.complete(again)).isEqualTo(1);
    assertThat(prefix.last()).isEqualTo(Position.of(3));
  }

  @Test
  @DisplayName(
      "the consumer-wide limit is over at the limit and under again at half, telling the shards once")
  void limitHysteresis() {
    InFlightLimit limit = new InFlightLimit(10);
    AtomicInteger told = new AtomicInteger();
    limit.subscribe(told::incrementAndGet);
    limit.add(9);
    assertThat(limit.over()).isFalse();
    limit.add(1);
    assertThat(limit.over()).isTrue();
    limit.release(4);
    assertThat(limit.over()).as("6 left: still over until half").isTrue();
    assertThat(told.get()).isZero();
    limit.release(1);
    assertThat(limit.over()).isFalse();
    assertThat(told.get()).isEqualTo(1);
    limit.release(5);
    assertThat(told.get()).isEqualTo(1);
  }
}
