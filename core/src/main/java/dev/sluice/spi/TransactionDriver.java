package dev.sluice.spi;

import dev.sluice.Position;
import dev.sluice.Record;
import dev.sluice.Shard;
import java.time.Duration;
import java.util.Map;

/**
 * Writes records to any streams of a backend inside transactions, one open at a time; made by
 * {@link Backend#transactions} on a backend that declares {@code TRANSACTIONS}. Core serialises
 * {@link #begin}, {@link #commit} and {@link #abort}; sends may come from several threads between
 * them.
 *
 * <p>Contract:
 *
 * <ul>
 *   <li>Records sent between {@link #begin} and {@link #commit} must become visible to consumers
 *       (those that read committed records: Sluice's default) only when {@code commit} returns, all
 *       of them, and never if the transaction aborts. Records of one key sent to one stream must be
 *       stored in send order.
 *   <li>Checkpoints given to {@link #sendCheckpoints} must be stored in the consumer's group with
 *       the transaction: visible to the group's next owner of the shard if and only if the
 *       transaction commits. The backend must refuse the commit ({@code commit} throws, nothing is
 *       visible) if the consumer no longer owns a shard it checkpoints, so a member that lost its
 *       shards (a zombie) cannot commit over its successor.
 *   <li>Opening a driver with the {@link TransactionSpec#transactionalId()} of another fences that
 *       one: its next {@code commit} must fail.
 *   <li>Every send must end in exactly one call of its callback; after an abort, the callbacks of
 *       records not yet reported must fail.
 * </ul>
 */
public interface TransactionDriver extends AutoCloseable {
  /** Opens a transaction. */
  void begin();

  /**
   * Sends one record to {@code stream} within the open transaction, as {@link
   * ProducerDriver#send(Record, WriteId, SendCallback)} (validated by core; {@code id} may be
   * ignored by a backend whose transactions make it needless). Must fail the callback with a
   * not-found error if the stream does not exist, without blocking for long.
   *
   * @param stream the stream's name
   * @param record the record
   * @param id identifies the write, for deduplication
   * @param callback told of the outcome, once
   */
  void send(String stream, Record<byte[], byte[]> record, WriteId id, SendCallback callback);

  /**
   * Adds consumer checkpoints to the open transaction: for each shard of {@code consumer}'s stream,
   * the position of the last processed record. {@code consumer} is a group-mode driver this backend
   * made.
   *
   * @param consumer the consumer whose group's checkpoints these are
   * @param checkpoints the position to store, per shard
   */
  void sendCheckpoints(ConsumerDriver consumer, Map<Shard, Position> checkpoints);

  /**
   * Commits the open transaction: blocks until every record sent is written and the transaction
   * committed.
   *
   * @throws RuntimeException (native; translated by core) if it could not commit; the transaction
   *     is then to be aborted
   */
  void commit();

  /** Aborts the open transaction; nothing of it becomes visible. Blocks until done. */
  void abort();

  /**
   * The shard records of {@code stream} with this key are routed to now.
   *
   * @param stream the stream's name
   * @param key the record's key, or null
   * @return the shard records of {@code stream} with this key are routed to now
   */
  Shard shardFor(String stream, byte[] key);

  /**
   * The native client of this type, or an {@code UNSUPPORTED} {@code SluiceException}.
   *
   * @param <T> the type
   * @param type the native client's class
   * @return the native client of this type, or an {@code UNSUPPORTED} {@code SluiceException}
   */
  <T> T unwrap(Class<T> type);

  /**
   * Aborts an open transaction (up to {@code timeout}) and releases the driver.
   *
   * @param timeout how long to wait at most
   */
  void close(Duration timeout);

  @Override
  default void close() {
    close(Duration.ofSeconds(30));
  }
}
