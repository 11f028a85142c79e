package dev.sluice;

import java.util.List;
import java.util.concurrent.CompletableFuture;
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
 * before anything reaches the broker; nothing accepted is dropped silently.
 *
 * @param <K> key type
 * @param <V> value type
 */
public interface Producer<K, V> extends AutoCloseable {
  /** The stream this producer writes to. */
  String stream();

  /**
   * Sends a record with this key (null: no key; the backend spreads such records) and value.
   *
   * <p>The future completes on the backend client's I/O thread (Kafka's network thread, the AWS
   * SDK's event loop): chain blocking work with the {@code *Async} methods of {@link
   * CompletableFuture} and an executor of your own, or every send of this producer waits for it.
   */
  CompletableFuture<SendResult> send(@Nullable K key, V value);

  /** Sends a record with headers, a timestamp or an explicit target shard. */
  CompletableFuture<SendResult> send(Record<K, V> record);

  /**
   * Sends several records as one batch where the backend can. Each record has its own future, in
   * the order given; records with the same key keep that order.
   */
  List<CompletableFuture<SendResult>> sendAll(List<Record<K, V>> records);

  /**
   * The shard a record with this key goes to now, as the backend will route it.
   *
   * @throws SluiceException {@code NOT_FOUND} if the stream does not exist
   */
  Shard shardFor(K key);

  /** Blocks until every record sent before this call is stored or has failed. */
  void flush();

  /** The backend's own client, for what Sluice does not cover (e.g. Kafka's {@code Producer}). */
  <T> T unwrap(Class<T> type);

  /** Flushes and releases the producer; later sends fail with {@link ErrorCode#CLOSED}. */
  @Override
  void close();
}
