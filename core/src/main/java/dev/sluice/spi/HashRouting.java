package dev.sluice.spi;

import dev.sluice.HashKeyRange;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.math.BigInteger;
import java.nio.ByteOrder;
import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Kinesis's routing: a key's hash key is the MD5 of its bytes read as an unsigned 128-bit number,
 * and the record goes to the open shard whose range holds it. The memory backend routes the same
 * way, so a shard split or merge behaves alike on both.
 *
 * <p>Part of the SPI so that every driver that routes by hash key computes the same hash key and
 * the same even split of the key space as the others: a driver may use it, and must not copy it.
 */
public final class HashRouting {
  private static final VarHandle LONG_BE =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

  /** One digest and one output buffer per thread: routing a key allocates nothing. */
  private static final class Md5 {
    final MessageDigest digest;
    final byte[] out = new byte[16];

    Md5() {
      try {
        digest = MessageDigest.getInstance("MD5");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("Every JVM has MD5", e);
      }
    }

    /** Digests {@code key} into {@link #out}. */
    byte[] digest(byte[] key) {
      digest.update(key);
      try {
        digest.digest(out, 0, 16);
      } catch (DigestException e) {
        throw new IllegalStateException("MD5 writes 16 bytes", e);
      }
      return out;
    }
  }

  private static final ThreadLocal<Md5> MD5 = ThreadLocal.withInitial(Md5::new);

  private HashRouting() {}

  /**
   * The 128-bit hash key of these bytes.
   *
   * @param key the record's key, or null
   * @return the 128-bit hash key of these bytes
   */
  public static BigInteger hashKey(byte[] key) {
    return new BigInteger(1, MD5.get().digest(key));
  }

  /**
   * {@code count} contiguous ranges that split the whole hash-key space evenly, as Kinesis does.
   *
   * @param count how many
   * @return {@code count} ranges splitting the hash key space evenly
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

  /**
   * Which of a fixed list of hash-key ranges holds a key's hash key, found without allocating: the
   * hash key is compared as two unsigned 64-bit halves, by binary search over the ranges sorted by
   * start. Same answer as {@code hashKey(key)} and {@link HashKeyRange#contains}. Thread-safe.
   *
   * <p>Keys come back: a user id, a device id, an order id sent again and again. MD5 is most of the
   * cost of routing one (a profile of the memory backend's producer: 40% of its thread), so the
   * index remembers the answer for keys it routed recently, in a small two-way set-associative
   * table of its own key copies. A key seen again costs a hash and a compare.
   */
  public static final class RangeIndex {
    /** Slots of the table of recent keys: 2048 sets of two (16 KiB of references). */
    private static final int SLOTS = 4096;

    /** Longer keys are not remembered: hashing and comparing them would cost as much as MD5. */
    private static final int MAX_REMEMBERED_KEY_BYTES = 64;

    /** A key routed, copied (callers may reuse their arrays), and where it went. Immutable. */
    private static final class Routed {
      final byte[] key;
      final int index;

      Routed(byte[] key, int index) {
        this.key = key;
        this.index = index;
      }
    }

    /**
     * Racy by design: threads read and replace whole immutable entries (final fields publish them
     * safely), so a race only costs an MD5.
     */
    private final @Nullable Routed[] recent = new Routed[SLOTS];

    /** Misses seen, to replace a full set's entries only now and then (see indexOf). */
    private int misses;

    /** Range positions in the list given, sorted by range start. */
    private final int[] order;

    private final long[] startHi;
    private final long[] startLo;
    private final long[] endHi;
    private final long[] endLo;

    private RangeIndex(List<HashKeyRange> ranges) {
      int n = ranges.size();
      Integer[] sorted = new Integer[n];
      for (int i = 0; i < n; i++) {
        sorted[i] = i;
      }
      Arrays.sort(sorted, (a, b) -> ranges.get(a).start().compareTo(ranges.get(b).start()));
      order = new int[n];
      startHi = new long[n];
      startLo = new long[n];
      endHi = new long[n];
      endLo = new long[n];
      for (int i = 0; i < n; i++) {
        HashKeyRange r = ranges.get(sorted[i]);
        order[i] = sorted[i];
        startHi[i] = r.start().shiftRight(64).longValue();
        startLo[i] = r.start().longValue();
        endHi[i] = r.end().shiftRight(64).longValue();
        endLo[i] = r.end().longValue();
      }
    }

    /**
     * An index of these ranges (copied); positions answered are positions in this list.
     *
     * @param ranges the ranges, each hash key in exactly one
     * @return an index of these ranges (copied); positions answered are positions in this list
     */
    public static RangeIndex of(List<HashKeyRange> ranges) {
      return new RangeIndex(List.copyOf(ranges));
    }

    /**
     * The position, in the list given, of the range holding this key's hash key, or -1.
     *
     * @param key the record's key, or null
     * @return the position, in the list given, of the range holding this key's hash key, or -1
     */
    public int indexOf(byte[] key) {
      if (key.length > MAX_REMEMBERED_KEY_BYTES) {
        return search(key);
      }
      int h = Arrays.hashCode(key);
      int slot = ((h ^ (h >>> 11) ^ (h >>> 22)) & (SLOTS - 1)) & ~1;
      Routed a = recent[slot];
      if (a != null && Arrays.equals(a.key, key)) {
        return a.index;
      }
      Routed b = recent[slot + 1];
      if (b != null && Arrays.equals(b.key, key)) {
        return b.index;
      }
      int index = search(key);
      if (a == null) {
        recent[slot] = new Routed(key.clone(), index);
      } else if (b == null) {
        recent[slot + 1] = new Routed(key.clone(), index);
      } else if ((++misses & 7) == 0) {
        // A full set is replaced on one miss in eight, alternating its two slots: keys that come
        // back take their place soon enough, while a stream of ever-new keys (a UUID per record)
        // does not pay a copy on every send.
        recent[slot + ((misses >>> 3) & 1)] = new Routed(key.clone(), index);
      }
      return index;
    }

    private int search(byte[] key) {
      byte[] digest = MD5.get().digest(key);
      long hi = (long) LONG_BE.get(digest, 0);
      long lo = (long) LONG_BE.get(digest, 8);
      // The last range starting at or before the hash key.
      int low = 0;
      int high = order.length - 1;
      int found = -1;
      while (low <= high) {
        int mid = (low + high) >>> 1;
        if (compare(startHi[mid], startLo[mid], hi, lo) <= 0) {
          found = mid;
          low = mid + 1;
        } else {
          high = mid - 1;
        }
      }
      if (found < 0 || compare(hi, lo, endHi[found], endLo[found]) > 0) {
        return -1;
      }
      return order[found];
    }

    private static int compare(long aHi, long aLo, long bHi, long bLo) {
      int c = Long.compareUnsigned(aHi, bHi);
      return c != 0 ? c : Long.compareUnsigned(aLo, bLo);
    }
  }
}
