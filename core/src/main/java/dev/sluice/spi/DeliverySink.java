package dev.sluice.spi;

import dev.sluice.Position;
import dev.sluice.Record;
import dev.sluice.Shard;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

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
   * Records of one shard with the write ids they were stored with, for a consumer that deduplicates
   * ({@link ConsumerSpec#deduplicate()}): {@code ids} has one entry per record, null for a record
   * stored without one (another producer's). Otherwise as {@link #deliver(Shard, List, long,
   * long)}; a driver of a backend that declares {@code Capability.DEDUPLICATION} must deliver this
   * way when the spec asks to deduplicate.
   *
   * @param shard the shard
   * @param records the records, in send order
   * @param ids the records' write ids, one per record (null where a record has none)
   * @param millisBehindLatest how far behind the newest record of the shard, in time (-1: unknown)
   * @param recordsBehindLatest how many records behind the newest of the shard (-1: unknown)
   */
  default void deliver(
      Shard shard,
      List<Record<byte[], byte[]>> records,
      List<? extends @Nullable StoredWriteId> ids,
      long millisBehindLatest,
      long recordsBehindLatest) {
    deliver(shard, records, millisBehindLatest, recordsBehindLatest);
  }

  /**
   * For a consumer that deduplicates: the state the driver stored with the shard's checkpoint (what
   * {@link #deduplicationState} returned), or null if none. The driver must call it after {@link
   * #assigned} and before delivering the shard's records.
   *
   * @param shard the shard
   * @param state the stored state, or null
   */
  default void restoreDeduplication(Shard shard, byte @Nullable [] state) {}

  /**
   * For a consumer that deduplicates: the state to store with the checkpoint {@code position} of
   * the shard, in the same atomic write, for {@link #restoreDeduplication} after a restart or a
   * hand-over. The driver must call it for each checkpoint it writes, with the position it writes,
   * in the order it writes them. Null: store none (and remove what was stored).
   *
   * @param shard the shard
   * @param position the checkpoint being written
   * @return the state to store with it, or null
   */
  default byte @Nullable [] deduplicationState(Shard shard, Position position) {
    return null;
  }

  /**
   * The driver moved the reading of {@code shard} ({@link ConsumerDriver#seek}): what it delivered
   * of the shard before is void (the records not yet handled are dropped, a handler call in
   * progress does not count), and the records it delivers of the shard from now on are read from
   * the new position. Called in turn with the shard's deliveries, never during one. Implemented by
   * core; the default does nothing.
   *
   * @param shard the shard
   */
  default void moved(Shard shard) {}

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
