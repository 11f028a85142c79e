package dev.sluice.kinesis.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The size an aggregate reports is the size Kinesis counts (its data plus its partition key), so
 * the bound it keeps is the one the broker checks.
 */
@DisplayName("A KPL aggregate's size")
class KplAggregateTest {
  private static final BigInteger HASH = BigInteger.valueOf(42);

  private static long counted(KplAggregate a) {
    return a.toBytes().length + a.partitionKey().getBytes(StandardCharsets.UTF_8).length;
  }

  @Test
  @DisplayName(
      "is its data plus its partition key after every record, across varint lengths, repeated"
          + " and multi-byte partition keys and explicit hash keys")
  void sizeIsWhatKinesisCounts() {
    KplAggregate a = new KplAggregate(KplAggregate.MAX_BYTES);
    int[] lengths = {0, 1, 126, 127, 128, 129, 16_383, 16_384, 16_385, 70_000};
    for (int i = 0; i < 40; i++) {
      String key = i % 3 == 0 ? "clé-" + (i % 7) : "k" + "x".repeat(i * 6);
      BigInteger explicit = i % 4 == 1 ? BigInteger.TWO.pow(127).add(BigInteger.valueOf(i)) : null;
      assertThat(a.tryAdd(key, explicit, HASH, new byte[lengths[i % lengths.length]])).isTrue();
      assertThat(a.size()).as("after record %d", i).isEqualTo(counted(a));
    }
  }

  @Test
  @DisplayName(
      "stays within the bound up to the last byte: the largest second record that fits fills it"
          + " within two bytes, one byte more is refused")
  void filledToTheBoundAndNoFurther() {
    String key = "p".repeat(256); // the longest partition key Kinesis takes
    for (int bound : new int[] {KplAggregate.MAX_BYTES, 16 * 1024, 1_000}) {
      int low = 0;
      int high = bound;
      // The largest data length of a second record that the aggregate still takes.
      while (low < high) {
        int mid = (low + high + 1) >>> 1;
        if (withSecond(bound, key, mid) != null) {
          low = mid;
        } else {
          high = mid - 1;
        }
      }
      KplAggregate full = withSecond(bound, key, low);
      assertThat(full).as("bound %d", bound).isNotNull();
      assertThat(counted(full)).isEqualTo(full.size()).isBetween(bound - 2L, (long) bound);
      assertThat(withSecond(bound, key, low + 1)).isNull();
    }
  }

  @Test
  @DisplayName("takes a first record larger than the bound (the batcher sends such a record alone)")
  void firstRecordAlwaysGoesIn() {
    KplAggregate a = new KplAggregate(300);
    assertThat(a.tryAdd("k", null, HASH, new byte[1_000])).isTrue();
    assertThat(a.tryAdd("k", null, HASH, new byte[1])).isFalse();
    assertThat(a.count()).isEqualTo(1);
  }

  /** An aggregate of a 10-byte record and one of {@code length}, or null if it refuses it. */
  private static KplAggregate withSecond(int bound, String key, int length) {
    KplAggregate a = new KplAggregate(bound);
    a.tryAdd(key, null, HASH, new byte[10]);
    return a.tryAdd(key + "2", null, HASH, new byte[length]) ? a : null;
  }
}
