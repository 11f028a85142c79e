package dev.sluice;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * Reads records from one stream, in one of two modes chosen when it is built:
 *
 * <ul>
 *   <li><b>group</b> ({@link ConsumerBuilder#group(String)}): consumers with the same group share
 *       the shards, one owner per shard at a time; checkpoints are stored by the backend and a
 *       restarted group resumes after them (Kafka consumer groups, KCL leases).
 *   <li><b>standalone</b> (no group): the consumer reads every shard; the application keeps its
 *       positions ({@link #processedPositions()}) and passes them back with {@link
 *       StartPosition#after(Map)} when it restarts.
 * </ul>
 *
 * <p>And in one of two styles, each its own type so neither can be used the other's way: a {@link
 * RecordHandler} ({@link ConsumerBuilder#start} returns a {@code Consumer}) called sequentially for
 * the records of one shard and in parallel across shards; or pull ({@link ConsumerBuilder#open}
 * returns a {@link PullConsumer}, whose {@link PullConsumer#poll} the application calls).
 *
 * <p>Delivery is at least once: after a failure or a rebalance, records after the last checkpoint
 * are delivered again.
 *
 * @param <K> key type
 * @param <V> value type
 */
public interface Consumer<K, V> extends AutoCloseable {
  /**
   * The stream this consumer reads.
   *
   * @return the stream's name
   */
  String stream();

  /**
   * The consumer group, or null for a standalone consumer.
   *
   * @return the consumer group, or null for a standalone consumer
   */
  @Nullable String group();

  /**
   * The shards this consumer owns now.
   *
   * @return the shards this consumer owns now
   */
  Set<Shard> assignment();

  /**
   * Marks {@code record} as processed: the group resumes after it. Written to the backend within
   * the checkpoint interval, on {@link #commitCheckpoints()}, when the shard is revoked, and on
   * close.
   *
   * @param record the record
   * @throws SluiceException {@code INVALID_ARGUMENT} for a record not delivered to this consumer
   */
  void checkpoint(Record<?, ?> record);

  /**
   * Marks everything up to and including {@code position} of {@code shard} as processed.
   *
   * @param shard the shard
   * @param position the position
   */
  void checkpoint(Shard shard, Position position);

  /**
   * Writes all marked checkpoints to the backend now; the future completes when stored.
   *
   * @return a future that completes when it is done
   */
  CompletableFuture<Void> commitCheckpoints();

  /**
   * The position of the last processed record of each shard this consumer has read.
   *
   * @return the position of the last processed record of each shard this consumer has read
   */
  Map<Shard, Position> processedPositions();

  /**
   * Stops delivering records of these shards until {@link #resume}; the shards stay owned.
   *
   * @param shards the shards
   */
  void pause(Shard... shards);

  /**
   * Delivers records of these shards again after {@link #pause}, from where delivery stopped.
   *
   * @param shards the shards to resume
   */
  void resume(Shard... shards);

  /**
   * Moves the reading of {@code shard}, which this consumer owns now, to {@code position}, without
   * a restart: replay from the earliest record or from a timestamp, skip to the latest, or go to a
   * given position. Returns once the move took effect.
   *
   * <pre>{@code
   * consumer.seek(shard, StartPosition.atTimestamp(Instant.parse("2026-01-01T00:00:00Z")));
   * consumer.seek(shard, StartPosition.at(shard, savedPosition));
   * }</pre>
   *
   * <p>The rules:
   *
   * <ul>
   *   <li><b>Where.</b> {@code position} is read as a start position for this shard ({@link
   *       StartPosition#forShard}): {@code earliest()} is the oldest record retained, {@code
   *       latest()} the first record sent after {@code seek} returns, {@code atTimestamp(t)} the
   *       first record stored at or after {@code t}, {@code at(shard, p)} the record at {@code p}
   *       and {@code after(Map.of(shard, p))} the one after it. A position start that does not name
   *       this shard moves it to its fallback.
   *   <li><b>What is dropped.</b> Records of the shard fetched or queued before the seek and not
   *       yet handed to the handler (or returned by {@code poll}) are discarded. A handler call in
   *       progress for the shard (the one calling {@code seek}, if it is the shard's own) finishes,
   *       but its record does not count as processed. The next handler call for the shard, or the
   *       next record of it that {@code poll} returns, is the first record at the new position.
   *   <li><b>Checkpoints follow the seek.</b> In a group, when {@code seek} returns the group's
   *       stored checkpoint of the shard is the new position, also when that is earlier than the
   *       old checkpoint: a member that takes the shard over (after a crash, a rebalance or {@link
   *       #close()}) resumes at the new position, or after the records processed since. Records
   *       delivered before the seek are no longer checkpointed: do not pass them to {@link
   *       #checkpoint(Record)} afterwards, as that could move the checkpoint past records the seek
   *       asked for. A standalone consumer forgets the shard's {@link #processedPositions()} entry
   *       until a record from the new position is processed.
   *   <li><b>Other state stays.</b> The shard stays owned and stays paused if it was; with {@code
   *       concurrency(n, ordering)}, records in progress of other shards are not touched.
   * </ul>
   *
   * <p>May be called from any thread, the shard's own handler included. On Kafka it is Kafka's
   * {@code seek} (and {@code offsetsForTimes}) on the poll thread, then a synchronous commit of the
   * new offset; on memory, a move of the shard's cursor (and of its group's checkpoint); on a
   * standalone Kinesis consumer, a new shard iterator (with {@code
   * sluice.kinesis.consumer.type=fanout}, a new subscription at the position, {@code latest} as the
   * moment of the seek; events of the old one are dropped). A Kinesis group consumer (the KCL,
   * which reads a leased shard with its own iterator and only moves its checkpoint forward) cannot
   * be moved: {@code UNSUPPORTED}; reset the stopped group with {@link GroupAdmin#resetGroup}.
   *
   * @param shard a shard this consumer owns now ({@link #assignment()})
   * @param position where to read from
   * @throws SluiceException {@code INVALID_ARGUMENT} for a shard this consumer does not own (or
   *     gave up before the move took effect), a timestamp in the future, or a position past the end
   *     of the shard; {@code FAILED_PRECONDITION} for a shard already read to its end (split or
   *     merged away); {@code UNSUPPORTED} if the backend cannot move a consumer of this mode
   *     ({@link Capabilities.Capability#SEEK}, {@link Capabilities.Capability#SEEK_IN_GROUP});
   *     {@code TIMEOUT} if the backend did not move within 30 s; {@code CLOSED} after close
   */
  void seek(Shard shard, StartPosition position);

  /**
   * Completes when the consumer has stopped: normally after {@link #close()}, exceptionally with a
   * {@link SluiceException} when it stopped on its own (a handler that failed past the failure
   * policy, a lost connection it could not recover).
   *
   * @return a future that completes when it is done
   */
  CompletableFuture<Void> termination();

  /**
   * The backend's own client (e.g. Kafka's {@code Consumer}), for what Sluice does not cover.
   *
   * @param <T> the type
   * @param type the client's class
   * @return the backend's own client, as {@code type}
   */
  <T> T unwrap(Class<T> type);

  /**
   * Stops at once, and gives up the shards promptly. Once {@code close()} is called no handler call
   * starts: the calls in progress (at most one per shard) finish, and records already fetched or
   * buffered but not yet handed to the handler are not handled here: the group's next owner gets
   * them. Then the checkpoints of what was handled are written and the shards given up (Kinesis:
   * the leases are released), so a new member of the group resumes just after the last record
   * handled. A handler call still running after {@link ConsumerBuilder#revocationTimeout} is left
   * behind, and its record counts as unprocessed. Calls on the consumer fail with {@code CLOSED}
   * from the moment close begins. Returns when the handler calls in progress have finished and the
   * backend has given the shards up (the kit checks 10 s on every backend; Kafka and memory take
   * milliseconds, a Kinesis group the KCL's graceful shutdown, a few seconds).
   */
  @Override
  void close();

  /**
   * Waits for the consumer to stop; true if it stopped within the timeout.
   *
   * @param timeout how long to wait at most
   * @return true if it stopped within the timeout
   */
  default boolean awaitTermination(Duration timeout) {
    dev.sluice.internal.Validation.notNull(timeout, "timeout");
    try {
      termination().get(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
      return true;
    } catch (java.util.concurrent.TimeoutException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (java.util.concurrent.ExecutionException e) {
      return true;
    }
  }
}
