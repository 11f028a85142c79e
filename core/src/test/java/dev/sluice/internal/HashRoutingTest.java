package dev.sluice.internal;

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
