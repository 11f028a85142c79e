package dev.sluice;

import dev.sluice.internal.Validation;
import java.math.BigInteger;

/**
 * The range of 128-bit hash keys a shard owns (Kinesis and memory): a record goes to the shard
 * whose range holds the MD5 hash of its key. Both ends are inclusive.
 */
public final class HashKeyRange {
  /** The largest hash key, 2^128 - 1. */
  public static final BigInteger MAX = BigInteger.ONE.shiftLeft(128).subtract(BigInteger.ONE);

  private final BigInteger start;
  private final BigInteger end;

  private HashKeyRange(BigInteger start, BigInteger end) {
    this.start = start;
    this.end = end;
  }

  /**
   * A range of hash keys, both ends included.
   *
   * @param start the lowest hash key of the range
   * @param end the highest hash key of the range
   * @return the range
   */
  public static HashKeyRange of(BigInteger start, BigInteger end) {
    Validation.notNull(start, "start");
    Validation.notNull(end, "end");
    if (start.signum() < 0 || end.compareTo(MAX) > 0 || start.compareTo(end) > 0) {
      throw new SluiceException(
          ErrorCode.INVALID_ARGUMENT, "Not a hash key range: " + start + ".." + end);
    }
    return new HashKeyRange(start, end);
  }

  /**
   * The lowest hash key in the range.
   *
   * @return the start, included
   */
  public BigInteger start() {
    return start;
  }

  /**
   * The highest hash key in the range.
   *
   * @return the end, included
   */
  public BigInteger end() {
    return end;
  }

  /**
   * Whether a hash key lies in the range.
   *
   * @param hashKey the hash key
   * @return true if {@code start <= hashKey <= end}
   */
  public boolean contains(BigInteger hashKey) {
    Validation.notNull(hashKey, "hashKey");
    return start.compareTo(hashKey) <= 0 && hashKey.compareTo(end) <= 0;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof HashKeyRange
        && ((HashKeyRange) o).start.equals(start)
        && ((HashKeyRange) o).end.equals(end);
  }

  @Override
  public int hashCode() {
    return start.hashCode() * 31 + end.hashCode();
  }

  @Override
  public String toString() {
    return start + ".." + end;
  }
}
