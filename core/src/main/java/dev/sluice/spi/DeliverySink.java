package dev.sluice.spi;

import dev.sluice.Position;
import dev.sluice.Record;
import dev.sluice.Shard;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Where a {@link ConsumerDriver} delivers records and assignment changes. Implemented by core. */
public interface DeliverySink {
  /**
   * These shards are now owned; their records follow.
   *
   * @param shards the shards
   */
  void assigned(Set<Shard> shards);

  /**
   * These shards are being given up. Blocks until handlers in progress for them have finished
   * (bounded), drops their queued records, and returns the checkpoints the driver must write before
   * letting the shards go: empty if {@code lost} (another owner already has them).
   *
   * @param shards the shards
   * @param lost true if the shards were lost without a chance to checkpoint
   * @return the checkpoints to write before letting the shards go; empty if {@code lost}
   */
  Map<Shard, Position> revoked(Set<Shard> shards, boolean lost);

  /**
   * Records of one shard, in order. Never blocks for long: backpressure comes back as {@link
   * ConsumerDriver#pause}. Records carry stream, shard and position ({@link Record#received}). The
   * sink keeps the list as it is: the driver must not change it afterwards.
   *
   * @param millisBehindLatest how far the shard's newest record is ahead of the last one here, in
   *     time, or -1 if unknown
   * @param recordsBehindLatest how many records the shard has after the last one here, or -1 if
   *     unknown
   * @param shard the shard
   * @param records the records, in send order
   */
  void deliver(
      Shard shard,
      List<Record<byte[], byte[]>> records,
      long millisBehindLatest,
      long recordsBehindLatest);

  /**
   * The shard was read to its end (it was split or merged away). Blocks until every record
   * delivered for it has been processed; returns true if so, or false if the consumer is closing
   * first. After true, the driver may checkpoint the shard's end so its children can start, and
   * must treat the shard as given up (no {@link #revoked} call follows for it).
   *
   * @param shard the shard
   * @return the shard was read to its end (it was split or merged away)
   */
  boolean shardEnded(Shard shard);

  /**
   * The driver cannot go on (e.g. a fatal client error). The consumer stops with this error.
   *
   * @param error the failure
   */
  void failed(Throwable error);
}
