package dev.sluice;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;
import org.jspecify.annotations.Nullable;

/**
 * Sends records to one stream. Thread-safe; share one producer per stream in a service.
 *
 * <pre>{@code
 * try (Producer<String, String> producer = sluice.producer("orders", Serde.string(), Serde.string())) {
 *   SendResult sent = producer.send("customer-7", "order #1").join();
 *   System.out.println("stored in " + sent.shard() + " at " + sent.position());
 * }
 * }</pre>
 *
 * <p>Records with the same key go to the same shard and are stored in the order they were sent,
 * also when the backend retries after a throttle or a broker failure. Bad input (a null value, an
 * oversized record, a bad header) fails the returned future with a typed {@link SluiceException}
 * before anything reaches the broker; nothing accepted is dropped silently. A send takes what it
 * needs of the record before it returns: the caller may reuse its key and value arrays at once.
 *
 * @param <K> key type
 * @param <V> value type
 */
public interface Producer<K, V> extends AutoCloseable {
  /**
   * The stream this producer writes to.
   *
   * @return the stream this producer writes to
   */
  String stream();

  /**
   * Sends a record with this key (null: no key; the backend spreads such records) and value. A null
   * value with a key sends a tombstone, which deletes the key on a compacted stream; it fails with
   * {@code UNSUPPORTED} on a backend without {@link Capabilities.Capability#TOMBSTONES}, and with
   * {@code INVALID_ARGUMENT} without a key.
   *
   * <p>The future completes on the backend client's I/O thread (Kafka's network thread, the AWS
   * SDK's event loop): chain blocking work with the {@code *Async} methods of {@link
   * CompletableFuture} and an executor of your own, or every send of this producer waits for it.
   *
   * @param key the record's key, or null
   * @param value the record's value, or null
   * @return a future completed with where the record was stored, or failed with a {@link
   *     SluiceException}
   */
  CompletableFuture<SendResult> send(@Nullable K key, @Nullable V value);

  /**
   * Sends a record with headers, a timestamp or an explicit target shard.
   *
   * @param record the record
   * @return a future completed with where the record was stored, or failed with a {@link
   *     SluiceException}
   */
  CompletableFuture<SendResult> send(Record<K, V> record);

  /**
   * Sends a record and reports its outcome to {@code onComplete} rather than through a future: the
   * cheapest way to send many records, as {@code KafkaProducer.send(record, callback)} is for
   * Kafka. Exactly one call per send: {@code (result, null)} once the record is stored, or {@code
   * (null, error)} with a {@link SluiceException} (the errors the future of {@link #send(Record)}
   * would fail with).
   *
   * <p>It runs on the backend client's I/O thread, like the future's completion, so keep it short;
   * or on the calling thread before this method returns: always on the memory backend, and on every
   * backend for errors found before the record leaves (invalid record, closed producer). So do not
   * hold a lock the callback needs while calling {@code send}. A {@code RuntimeException} thrown by
   * {@code onComplete} is logged and ignored.
   *
   * <p>Without a meter registry, a send made with the same {@code onComplete} object as the last
   * allocates nothing for it in Sluice: keep one callback in a field (a method reference such as
   * {@code this::done} is a new object at each evaluation).
   *
   * <p>The default implementation completes {@link #send(Record)}'s future into {@code onComplete}.
   *
   * @param record the record
   * @param onComplete called with the result, or with the failure
   * @throws SluiceException {@code INVALID_ARGUMENT} if {@code onComplete} is null
   */
  default void send(
      Record<K, V> record, BiConsumer<? super SendResult, ? super Throwable> onComplete) {
    if (onComplete == null) {
      throw new SluiceException(ErrorCode.INVALID_ARGUMENT, "onComplete must not be null");
    }
    send(record).whenComplete(onComplete);
  }

  /**
   * Sends a record with this key and value and reports its outcome to {@code onComplete}; see
   * {@link #send(Record, BiConsumer)}.
   *
   * @param key the record's key, or null
   * @param value the record's value, or null
   * @param onComplete called with the result, or with the failure
   */
  default void send(
      @Nullable K key,
      @Nullable V value,
      BiConsumer<? super SendResult, ? super Throwable> onComplete) {
    send(Record.of(key, value), onComplete);
  }

  /**
   * Sends several records as one batch where the backend can. Each record has its own future, in
   * the order given; records with the same key keep that order.
   *
   * @param records the records, in send order
   * @return one future per record, in the records' order
   */
  List<CompletableFuture<SendResult>> sendAll(List<Record<K, V>> records);

  /**
   * The shard a record with this key goes to now, as the backend will route it.
   *
   * @param key the record's key, or null
   * @return the shard a record with this key goes to now, as the backend will route it
   * @throws SluiceException {@code NOT_FOUND} if the stream does not exist
   */
  Shard shardFor(K key);

  /** Blocks until every record sent before this call is stored or has failed. */
  void flush();

  /**
   * The backend's own client, for what Sluice does not cover (e.g. Kafka's {@code Producer}).
   *
   * @param <T> the type
   * @param type the client's class
   * @return the backend's own client, as {@code type}
   */
  <T> T unwrap(Class<T> type);

  /** Flushes and releases the producer; later sends fail with {@link ErrorCode#CLOSED}. */
  @Override
  void close();
}
