package dev.sluice;

import dev.sluice.internal.Validation;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import org.jspecify.annotations.Nullable;

/**
 * How far a group got in one shard ({@link GroupDescription#shards()}): who reads it, the last
 * checkpoint, the shard's latest record, and how far behind the group is, in records and in time,
 * where the backend knows.
 */
public final class ShardProgress {
  private final Shard shard;
  private final @Nullable String owner;
  private final @Nullable Position checkpoint;
  private final @Nullable Position latest;
  private final long lagRecords;
  private final @Nullable Duration lagTime;

  private ShardProgress(Builder b) {
    this.shard = b.shard;
    this.owner = b.owner;
    this.checkpoint = b.checkpoint;
    this.latest = b.latest;
    this.lagRecords = b.lagRecords;
    this.lagTime = b.lagTime;
  }

  /**
   * Starts a progress entry (for backends).
   *
   * @param shard the shard
   * @return a builder
   */
  public static Builder builder(Shard shard) {
    return new Builder(Validation.notNull(shard, "shard"));
  }

  /**
   * The shard.
   *
   * @return the shard
   */
  public Shard shard() {
    return shard;
  }

  /**
   * The member reading the shard now.
   *
   * @return its id, or empty if nobody owns the shard or the backend does not say
   */
  public Optional<String> owner() {
    return Optional.ofNullable(owner);
  }

  /**
   * The position of the last record the group checkpointed; a new owner starts after it.
   *
   * @return the position, or empty if the group has none for this shard (it then starts where its
   *     start position or last reset says)
   */
  public Optional<Position> checkpoint() {
    return Optional.ofNullable(checkpoint);
  }

  /**
   * The position of the shard's latest record.
   *
   * @return the position, or empty if the shard is empty or the backend cannot tell cheaply
   *     (Kinesis)
   */
  public Optional<Position> latest() {
    return Optional.ofNullable(latest);
  }

  /**
   * The records after the checkpoint, still to read.
   *
   * @return the count, or empty where the backend cannot count them (Kinesis)
   */
  public OptionalLong lagRecords() {
    return lagRecords < 0 ? OptionalLong.empty() : OptionalLong.of(lagRecords);
  }

  /**
   * How old the oldest record still to read is (zero when caught up).
   *
   * @return the lag in time, or empty if unknown
   */
  public Optional<Duration> lagTime() {
    return Optional.ofNullable(lagTime);
  }

  @Override
  public String toString() {
    return shard
        + " owner="
        + owner
        + " checkpoint="
        + checkpoint
        + " latest="
        + latest
        + " lag="
        + (lagRecords < 0 ? "?" : Long.toString(lagRecords))
        + (lagTime == null ? "" : " lagTime=" + lagTime);
  }

  /** Builds a {@link ShardProgress}. */
  public static final class Builder {
    private final Shard shard;
    private @Nullable String owner;
    private @Nullable Position checkpoint;
    private @Nullable Position latest;
    private long lagRecords = -1;
    private @Nullable Duration lagTime;

    private Builder(Shard shard) {
      this.shard = shard;
    }

    /**
     * Sets the owner.
     *
     * @param owner the member reading the shard, or null
     * @return this builder
     */
    public Builder owner(@Nullable String owner) {
      this.owner = owner;
      return this;
    }

    /**
     * Sets the checkpoint.
     *
     * @param checkpoint the last checkpointed position, or null
     * @return this builder
     */
    public Builder checkpoint(@Nullable Position checkpoint) {
      this.checkpoint = checkpoint;
      return this;
    }

    /**
     * Sets the latest position.
     *
     * @param latest the position of the shard's latest record, or null
     * @return this builder
     */
    public Builder latest(@Nullable Position latest) {
      this.latest = latest;
      return this;
    }

    /**
     * Sets the lag in records.
     *
     * @param records the records still to read; negative for unknown
     * @return this builder
     */
    public Builder lagRecords(long records) {
      this.lagRecords = records < 0 ? -1 : records;
      return this;
    }

    /**
     * Sets the lag in time.
     *
     * @param lag the age of the oldest record still to read, or null
     * @return this builder
     */
    public Builder lagTime(@Nullable Duration lag) {
      this.lagTime = lag == null || lag.isNegative() ? (lag == null ? null : Duration.ZERO) : lag;
      return this;
    }

    /**
     * Builds it.
     *
     * @return the progress entry
     */
    public ShardProgress build() {
      return new ShardProgress(this);
    }
  }
}
