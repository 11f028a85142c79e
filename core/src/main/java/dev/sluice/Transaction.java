package dev.sluice;

import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * One open transaction of a {@link TransactionalProducer}: records sent through it, to any number
 * of streams, become visible to consumers together when it commits, and never if it aborts.
 *
 * <p>Sends may come from several threads; records of one key sent to one stream keep their order. A
 * send's future completes once the backend has written the record, which on some backends (memory)
 * is only at commit: do not wait for it before committing. Bad input fails the future with a typed
 * {@link SluiceException} at once, and a failed send makes {@link #commit()} fail: a transaction
 * never commits with a record missing.
 */
public interface Transaction {
  /**
   * Sends a record to {@code to} within this transaction.
   *
   * @param <K> the key type
   * @param <V> the value type
   * @param to the stream to send to, with its serdes
   * @param record the record
   * @return a future completed with where the record was stored, or failed with a {@link
   *     SluiceException}
   */
  <K, V> CompletableFuture<SendResult> send(Destination<K, V> to, Record<K, V> record);

  /**
   * Sends a record with this key and value to {@code to} within this transaction.
   *
   * @param <K> the key type
   * @param <V> the value type
   * @param to the stream to send to, with its serdes
   * @param key the record's key, or null
   * @param value the record's value, or null
   * @return a future completed with where the record was stored, or failed with a {@link
   *     SluiceException}
   */
  default <K, V> CompletableFuture<SendResult> send(
      Destination<K, V> to, @Nullable K key, @Nullable V value) {
    return send(to, Record.of(key, value));
  }

  /**
   * Commits: every record sent is written and becomes visible to consumers (Kafka: to {@code
   * read_committed} consumers, Sluice's default), or, if any could not be written, none does and
   * this throws.
   *
   * @throws SluiceException the reason the transaction was aborted instead ({@link
   *     ErrorCode#FENCED} if another producer took over this transactional identity)
   */
  void commit();

  /** Aborts: no record sent in this transaction becomes visible. Idempotent. */
  void abort();
}
