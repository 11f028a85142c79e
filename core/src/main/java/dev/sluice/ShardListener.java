package dev.sluice;

import java.util.Map;
import java.util.Set;

/**
 * Told when a consumer gains or loses shards (a group rebalance, a new shard after a split, the
 * consumer closing). Called from Sluice's threads; keep it short.
 */
public interface ShardListener {
  /**
   * Shards were assigned to this consumer; their records follow.
   *
   * @param event the shards and their stream
   */
  default void onAssigned(Assigned event) {}

  /**
   * Shards were taken away. Records of these shards that were in progress have finished; queued
   * ones were dropped and will be delivered to the next owner after the last checkpoint.
   *
   * @param event the shards and their stream
   */
  default void onRevoked(Revoked event) {}

  /** The parameter of {@link #onAssigned}. */
  interface Assigned {
    /**
     * The shards just assigned.
     *
     * @return the shards just assigned
     */
    Set<Shard> shards();

    /**
     * Every shard the consumer owns now.
     *
     * @return every shard the consumer owns now
     */
    Set<Shard> assignment();
  }

  /** The parameter of {@link #onRevoked}. */
  interface Revoked {
    /**
     * The shards just taken away.
     *
     * @return the shards just taken away
     */
    Set<Shard> shards();

    /**
     * True if the shards were lost without a chance to checkpoint (another owner took them, the
     * session expired); false if they were handed over cleanly and checkpoints were written.
     *
     * @return true if the shards were lost without a chance to checkpoint (another owner took them,
     *     the session expired); false if they were handed over cleanly and checkpoints were written
     */
    boolean lost();

    /**
     * The checkpoints written for these shards as they were given up (empty if lost).
     *
     * @return the checkpoints written for these shards as they were given up (empty if lost)
     */
    Map<Shard, Position> checkpointed();
  }
}
