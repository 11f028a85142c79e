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
