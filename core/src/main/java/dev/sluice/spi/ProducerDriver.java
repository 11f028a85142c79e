package dev.sluice.spi;

import dev.sluice.Record;
import dev.sluice.Shard;
import java.time.Duration;

/**
 * Writes records of one stream. Thread-safe.
 *
 * <p>Contract: records given to {@link #send} with the same key (or the same target shard) must be
 * stored in the order of the calls, also when the driver retries internally. Every send must end in
 * exactly one call of its callback, also when the driver is closed. A driver may batch records (it
 * should: the Kinesis driver packs {@code PutRecords} calls); core never retries a send.
 */
public interface ProducerDriver extends AutoCloseable {
  /**
   * Sends one record: key and value are bytes; headers, timestamp ({@link Record#NO_TIMESTAMP} for
   * "now") and target shard ({@code null}: route by key) as given. The record has been validated
   * against the backend's {@code Capabilities}: a null value (a tombstone, always with a key) comes
   * only to a backend declaring {@code TOMBSTONES}, and must be stored as one and received with a
   * null value; a timestamp is in the declared range and must be stored as it is. Must not block
   * for long (it may block while the driver's buffer is full).
   *
   * @param record the record
   * @param callback told of the outcome, once
   */
  void send(Record<byte[], byte[]> record, SendCallback callback);

  /**
   * Sends one record as {@link #send(Record, SendCallback)}, named by {@code id} so that a
   * deduplicating consumer can drop a second copy. A backend that stores write ids (declares {@code
   * Capability.DEDUPLICATION}) must store it with the record; the default ignores it.
   *
   * @param record the record
   * @param id identifies the write, for deduplication
   * @param callback told of the outcome, once
   */
  default void send(Record<byte[], byte[]> record, WriteId id, SendCallback callback) {
    send(record, callback);
  }

  /**
   * The shard records with this key are routed to now. May fetch stream metadata.
   *
   * @param key the record's key, or null
   * @return the shard records with this key are routed to now
   * @throws RuntimeException if the stream does not exist (translated by core)
   */
  Shard shardFor(byte[] key);

  /**
   * Blocks until every record sent before the call is stored or failed.
   *
   * @throws InterruptedException if the thread is interrupted while waiting
   */
  void flush() throws InterruptedException;

  /**
   * The native client of this type, or an {@code UNSUPPORTED} {@code SluiceException}.
   *
   * @param <T> the type
   * @param type the native client's class
   * @return the native client of this type, or an {@code UNSUPPORTED} {@code SluiceException}
   */
  <T> T unwrap(Class<T> type);

  /**
   * Flushes (up to {@code timeout}) and releases. Sends still pending after the timeout must fail
   * their callbacks.
   *
   * @param timeout how long to wait at most
   */
  void close(Duration timeout);

  @Override
  default void close() {
    close(Duration.ofSeconds(30));
  }
}
