package dev.sluice.spi;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.HashKeyRange;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class HashRoutingTest {
  @Test
  void rangeIndexAgreesWithTheBigIntegerHashKey() {
    for (int shards : new int[] {1, 2, 3, 4, 7, 16, 100}) {
      List<HashKeyRange> ranges = HashRouting.evenRanges(shards);
      HashRouting.RangeIndex index = HashRouting.RangeIndex.of(ranges);
      for (int k = 0; k < 5000; k++) {
        byte[] key = ("key-" + k).getBytes(StandardCharsets.UTF_8);
        assertThat(index.indexOf(key)).isEqualTo(linear(ranges, key));
      }
    }
  }

  @Test
  void rangeIndexHandlesRangesInAnyOrderAndSplitOnes() {
    List<HashKeyRange> even = HashRouting.evenRanges(2);
    BigInteger mid = even.get(1).start().add(even.get(1).end()).shiftRight(1);
    List<HashKeyRange> ranges = new ArrayList<>();
    ranges.add(HashKeyRange.of(mid.add(BigInteger.ONE), even.get(1).end()));
    ranges.add(even.get(0));
    ranges.add(HashKeyRange.of(even.get(1).start(), mid));
    HashRouting.RangeIndex index = HashRouting.RangeIndex.of(ranges);
    SplittableRandom random = new SplittableRandom(7);
    for (int k = 0; k < 5000; k++) {
      byte[] key = new byte[1 + random.nextInt(40)];
      random.nextBytes(key);
      assertThat(index.indexOf(key)).isEqualTo(linear(ranges, key));
    }
  }

  @Test
  void aHashKeyOutsideEveryRangeIsMinusOne() {
    HashKeyRange low = HashRouting.evenRanges(2).get(0);
    HashRouting.RangeIndex index = HashRouting.RangeIndex.of(List.of(low));
    for (int k = 0; k < 200; k++) {
      byte[] key = ("key-" + k).getBytes(StandardCharsets.UTF_8);
      assertThat(index.indexOf(key)).isEqualTo(linear(List.of(low), key));
    }
  }

  @Test
  void keysSentAgainGetTheSameRangeAsTheFirstTime() {
    List<HashKeyRange> ranges = HashRouting.evenRanges(8);
    HashRouting.RangeIndex index = HashRouting.RangeIndex.of(ranges);
    SplittableRandom random = new SplittableRandom(11);
    List<byte[]> keys = new ArrayList<>();
    for (int k = 0; k < 20_000; k++) {
      // Many more keys than the index remembers, long and short, so sets fill and get replaced.
      byte[] key = new byte[random.nextInt(80)];
      random.nextBytes(key);
      keys.add(key);
    }
    for (int pass = 0; pass < 3; pass++) {
      for (int k = 0; k < keys.size(); k += 1 + pass) {
        byte[] key = keys.get(k);
        assertThat(index.indexOf(key)).isEqualTo(linear(ranges, key));
      }
    }
  }

  @Test
  void aCallerReusingItsKeyArrayGetsTheRangeOfTheNewBytes() {
    List<HashKeyRange> ranges = HashRouting.evenRanges(16);
    HashRouting.RangeIndex index = HashRouting.RangeIndex.of(ranges);
    byte[] reused = new byte[12];
    for (int k = 0; k < 5000; k++) {
      byte[] now = String.format("key-%08d", k % 700).getBytes(StandardCharsets.UTF_8);
      System.arraycopy(now, 0, reused, 0, 12);
      assertThat(index.indexOf(reused)).isEqualTo(linear(ranges, now));
    }
  }

  private static int linear(List<HashKeyRange> ranges, byte[] key) {
    BigInteger hash = HashRouting.hashKey(key);
    for (int i = 0; i < ranges.size(); i++) {
      if (ranges.get(i).contains(hash)) {
        return i;
      }
    }
    return -1;
  }
}
