package dev.sluice.internal;

import dev.sluice.HashKeyRange;
import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;

/**
 * Kinesis's routing: a key's hash key is the MD5 of its bytes read as an unsigned 128-bit number,
 * and the record goes to the open shard whose range holds it. The memory backend routes the same
 * way, so a shard split or merge behaves alike on both.
 */
public final class HashRouting {
  private static final ThreadLocal<MessageDigest> MD5 =
      ThreadLocal.withInitial(
          () -> {
            try {
              return MessageDigest.getInstance("MD5");
            } catch (NoSuchAlgorithmException e) {
              throw new IllegalStateException("Every JVM has MD5", e);
            }
          });

  private HashRouting() {}

  /** The 128-bit hash key of these bytes. */
  public static BigInteger hashKey(byte[] key) {
    return new BigInteger(1, MD5.get().digest(key));
  }

  /**
   * {@code count} contiguous ranges that split the whole hash-key space evenly, as Kinesis does.
   */
  public static List<HashKeyRange> evenRanges(int count) {
    List<HashKeyRange> ranges = new ArrayList<>(count);
    BigInteger size = HashKeyRange.MAX.add(BigInteger.ONE).divide(BigInteger.valueOf(count));
    BigInteger start = BigInteger.ZERO;
    for (int i = 0; i < count; i++) {
      BigInteger end = i == count - 1 ? HashKeyRange.MAX : start.add(size).subtract(BigInteger.ONE);
      ranges.add(HashKeyRange.of(start, end));
      start = end.add(BigInteger.ONE);
    }
    return ranges;
  }
}
