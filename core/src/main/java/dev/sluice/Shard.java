package dev.sluice;

import dev.sluice.internal.Validation;

/**
 * One shard of a stream: a Kafka partition or a Kinesis shard. Records with the same key land on
 * the same shard while the shard set is unchanged, and are read back in order within a shard.
 *
 * <p>The id is the backend's own name for it: {@code "0"}, {@code "1"} ... for a Kafka partition,
 * {@code "shardId-000000000001"} for a Kinesis shard. Shards sort by the number in their id.
 */
public final class Shard implements Comparable<Shard> {
  private final String id;
  private final long number;

  /**
   * Shards 0 to 1023, made once: a Kafka send result names its partition with {@link #of(int)} on
   * the producer's single I/O thread, once per record.
   */
  private static final Shard[] NUMBERED = new Shard[1024];

  static {
    for (int i = 0; i < NUMBERED.length; i++) {
      NUMBERED[i] = new Shard(Integer.toString(i));
    }
  }

  private Shard(String id) {
    this.id = id;
    this.number = trailingNumber(id);
  }

  /**
   * The shard with this id.
   *
   * @param id the shard's id (a Kinesis shard id)
   * @return the shard with this id
   */
  public static Shard of(String id) {
    Validation.notNull(id, "id");
    if (id.isEmpty()) {
      throw new SluiceException(ErrorCode.INVALID_ARGUMENT, "A shard id must not be empty");
    }
    return new Shard(id);
  }

  /**
   * The shard with this number as its id, as Kafka names partitions.
   *
   * @param number the shard number (a Kafka partition), 0 or more
   * @return the shard with this number as its id, as Kafka names partitions
   */
  public static Shard of(int number) {
    if (number >= 0 && number < NUMBERED.length) {
      return NUMBERED[number];
    }
    return new Shard(Integer.toString(number));
  }

  /**
   * The backend's id for the shard.
   *
   * @return the backend's id for the shard
   */
  public String id() {
    return id;
  }

  /**
   * The number at the end of the id (the Kafka partition, the Kinesis shard counter), or -1 if the
   * id does not end in digits.
   *
   * @return the number at the end of the id (the Kafka partition, the Kinesis shard counter), or -1
   *     if the id does not end in digits
   */
  public long number() {
    return number;
  }

  @Override
  public int compareTo(Shard other) {
    int byNumber = Long.compare(number, other.number);
    return byNumber != 0 ? byNumber : id.compareTo(other.id);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Shard && ((Shard) o).id.equals(id);
  }

  @Override
  public int hashCode() {
    return id.hashCode();
  }

  @Override
  public String toString() {
    return id;
  }

  private static long trailingNumber(String id) {
    int i = id.length();
    while (i > 0 && Character.isDigit(id.charAt(i - 1))) {
      i--;
    }
    if (i == id.length() || id.length() - i > 18) {
      return -1;
    }
    return Long.parseLong(id.substring(i));
  }
}
