package dev.sluice;

import dev.sluice.internal.Validation;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What a stream description says about one shard: its id, its parents (after a split or merge), the
 * hash keys it owns (Kinesis and memory; null on Kafka) and whether it still takes writes.
 */
public final class ShardDescription {
  private final Shard shard;
  private final List<Shard> parents;
  private final @Nullable HashKeyRange hashKeyRange;
  private final boolean open;

  private ShardDescription(
      Shard shard, List<Shard> parents, @Nullable HashKeyRange hashKeyRange, boolean open) {
    this.shard = shard;
    this.parents = parents;
    this.hashKeyRange = hashKeyRange;
    this.open = open;
  }

  /**
   * A description, for backends.
   *
   * @param shard the shard
   * @param parents the shards it was split or merged from, if any
   * @param hashKeyRange the hash keys it owns, or null where the backend has none
   * @param open whether it still takes records
   * @return the description
   */
  public static ShardDescription of(
      Shard shard, List<Shard> parents, @Nullable HashKeyRange hashKeyRange, boolean open) {
    return new ShardDescription(
        Validation.notNull(shard, "shard"),
        List.copyOf(Validation.notNull(parents, "parents")),
        hashKeyRange,
        open);
  }

  /**
   * The shard described.
   *
   * @return the shard
   */
  public Shard shard() {
    return shard;
  }

  /**
   * The shards this one was split or merged from; empty for an original shard.
   *
   * @return the shards this one was split or merged from; empty for an original shard
   */
  public List<Shard> parents() {
    return parents;
  }

  /**
   * The hash keys this shard owns, or null where the backend routes differently (Kafka).
   *
   * @return the hash keys this shard owns, or null where the backend routes differently (Kafka)
   */
  public @Nullable HashKeyRange hashKeyRange() {
    return hashKeyRange;
  }

  /**
   * True if the shard takes new records; false once it was split or merged away.
   *
   * @return true if the shard takes new records; false once it was split or merged away
   */
  public boolean isOpen() {
    return open;
  }

  @Override
  public String toString() {
    return shard
        + (parents.isEmpty() ? "" : " parents=" + parents)
        + (hashKeyRange == null ? "" : " range=" + hashKeyRange)
        + (open ? "" : " closed");
  }
}
