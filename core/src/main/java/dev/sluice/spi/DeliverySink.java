package dev.sluice.spi;

import dev.sluice.Position;
import dev.sluice.Record;
import dev.sluice.Shard;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Where a {@link ConsumerDriver} delivers records and assignment changes. Implemented by core. */
public interface DeliverySink {
  /** These shards are now owned; their records follow. */
  void assigned(Set<Shard> shards);

  /**
   * These shards are being given up. Blocks until handlers in progress for them have finished
   * (bounded), drops their queued records, and returns the checkpoints the driver must write before
   * letting the shards go: empty if {@code lost} (another owner already has them).
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
   */
  boolean shardEnded(Shard shard);

  /** The driver cannot go on (e.g. a fatal client error). The consumer stops with this error. */
  void failed(Throwable error);
}
