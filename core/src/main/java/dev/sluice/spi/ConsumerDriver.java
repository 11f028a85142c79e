package dev.sluice.spi;

import dev.sluice.Position;
import dev.sluice.Shard;
import dev.sluice.StartPosition;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Reads records of one stream and hands them to a {@link DeliverySink}; core does the rest (handler
 * threads, per-shard order, checkpoint bookkeeping, backpressure, metrics).
 *
 * <p>Contract:
 *
 * <ul>
 *   <li>Group mode ({@link ConsumerSpec#isGroup()}): the driver must take part in the backend's
 *       group protocol so that each shard has one owner at a time; it must call {@link
 *       DeliverySink#assigned} before delivering a shard's records and {@link DeliverySink#revoked}
 *       before giving a shard up, and write the checkpoints {@code revoked} returns (unless lost).
 *       A shard resumes just after its last checkpoint; without one it starts at {@link
 *       ConsumerSpec#startPosition()}.
 *   <li>Standalone mode: the driver owns every shard; nothing is stored in the backend.
 *   <li>Records of one shard must be delivered in order, each exactly once per assignment.
 *   <li>After a split or merge, a child shard's records must not be delivered before {@link
 *       DeliverySink#shardEnded} returned for every parent the driver read.
 *   <li>The sink may be called from any driver thread, but calls for one shard must not overlap.
 * </ul>
 */
public interface ConsumerDriver extends AutoCloseable {
  /**
   * Starts reading. Called once; must return promptly (work happens on the driver's threads).
   *
   * @param sink where records and shard events are delivered
   */
  void start(DeliverySink sink);

  /**
   * Stops fetching records of this shard until {@link #resume}. Thread-safe; may take effect after
   * a batch already fetched is delivered. Must not give the shard up.
   *
   * @param shard the shard
   */
  void pause(Shard shard);

  /**
   * Fetches records of this shard again after {@link #pause}. Thread-safe.
   *
   * @param shard the shard
   */
  void resume(Shard shard);

  /**
   * Stores checkpoints: for each shard, the position of the last processed record; reading resumes
   * after it. Thread-safe; the future completes when stored. In standalone mode it completes at
   * once and stores nothing. Checkpoints of shards no longer owned may be ignored.
   *
   * @param checkpoints the position to store, per shard
   * @return a future that completes when it is done
   */
  CompletableFuture<Void> commit(Map<Shard, Position> checkpoints);

  /**
   * Moves the reading of an owned shard to {@code position}, for {@code Consumer.seek}. Core has
   * checked that the consumer owns the shard and narrowed {@code position} to it ({@link
   * StartPosition#forShard}: never a position start naming only other shards). Thread-safe; may
   * block briefly, the caller waits on the future. The driver must, in this order:
   *
   * <ol>
   *   <li>resolve the position now: {@code latest} means after the records stored when this is
   *       called, not when the next read happens to run;
   *   <li>in group mode, store the new position as the shard's checkpoint (so that a new owner
   *       resumes exactly there), replacing the stored one also when it is earlier, and after every
   *       checkpoint passed to {@link #commit} before this call (core passes none of the shard's
   *       from this call until the future completes);
   *   <li>call {@link DeliverySink#moved} in turn with the shard's deliveries (on the thread that
   *       delivers them, or under the lock they are made under), and deliver nothing read from the
   *       old position after it;
   *   <li>complete the future.
   * </ol>
   *
   * <p>If it cannot move (the shard is not owned, or no longer; the position is invalid for the
   * shard; the backend cannot do it), it completes the future exceptionally without calling {@code
   * moved} and goes on reading where it was. The default fails with {@code UNSUPPORTED}: a backend
   * that implements it declares {@code Capability.SEEK} (standalone) and {@code
   * Capability.SEEK_IN_GROUP} (group).
   *
   * @param shard a shard the consumer owns
   * @param position where to read from, for this shard
   * @return completes after {@link DeliverySink#moved} returned, or exceptionally if not moved
   */
  default CompletableFuture<Void> seek(Shard shard, StartPosition position) {
    return CompletableFuture.failedFuture(
        new dev.sluice.SluiceException(
            dev.sluice.ErrorCode.UNSUPPORTED, "This backend cannot move a running consumer"));
  }

  /**
   * Runs {@code work} where this consumer's group membership cannot change while it runs, for a
   * transaction that commits the consumer's checkpoints ({@link
   * TransactionDriver#sendCheckpoints}): committed with the membership it was made under, such a
   * commit is refused only if the consumer really lost its shards, not because a rebalance that
   * kept them was under way. Kafka runs it on the poll thread between polls (as Kafka Streams
   * commits), so no rebalance completes meanwhile. Thread-safe; may run {@code work} on the calling
   * thread, which the default does.
   *
   * @param work what to run; what it throws fails the returned future
   * @return completes when {@code work} has run, or exceptionally if it threw or the consumer
   *     closed before it could run
   */
  default CompletableFuture<Void> runBetweenPolls(Runnable work) {
    try {
      work.run();
      return CompletableFuture.completedFuture(null);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * Gives up every shard (calling {@link DeliverySink#revoked} with {@code lost=false} and writing
   * what it returns), leaves the group promptly, and releases resources. Idempotent.
   */
  @Override
  void close();

  /**
   * The native client of this type, or an {@code UNSUPPORTED} {@code SluiceException}.
   *
   * @param <T> the type
   * @param type the native client's class
   * @return the native client of this type, or an {@code UNSUPPORTED} {@code SluiceException}
   */
  <T> T unwrap(Class<T> type);
}
