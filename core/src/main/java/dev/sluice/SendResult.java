package dev.sluice;

import dev.sluice.internal.Validation;

/** Where a sent record was stored: its shard, its position there and its timestamp. */
public final class SendResult {
  private final Shard shard;
  private final Position position;
  private final long timestampMillis;

  private SendResult(Shard shard, Position position, long timestampMillis) {
    this.shard = shard;
    this.position = position;
    this.timestampMillis = timestampMillis;
  }

  /**
   * A result, for backends.
   *
   * @param shard the shard the record was stored in
   * @param position its position there
   * @param timestampMillis its timestamp, in milliseconds since the epoch
   * @return the result
   */
  public static SendResult of(Shard shard, Position position, long timestampMillis) {
    return new SendResult(
        Validation.notNull(shard, "shard"),
        Validation.notNull(position, "position"),
        timestampMillis);
  }

  /**
   * The shard the record was stored in.
   *
   * @return the shard
   */
  public Shard shard() {
    return shard;
  }

  /**
   * The record's position in its shard.
   *
   * @return the position
   */
  public Position position() {
    return position;
  }

  /**
   * The record's timestamp in epoch milliseconds as stored, or {@link Record#NO_TIMESTAMP}.
   *
   * @return the record's timestamp in epoch milliseconds as stored, or {@link Record#NO_TIMESTAMP}
   */
  public long timestampMillis() {
    return timestampMillis;
  }

  @Override
  public String toString() {
    return "SendResult{shard=" + shard + ", position=" + position + "}";
  }
}
