package dev.sluice;

import org.jspecify.annotations.Nullable;

/**
 * Where a {@link ProcessorFunction} emits its outputs: zero or more records, to any of the
 * processor's declared output streams ({@link ProcessorBuilder#output}).
 *
 * <p>Outputs are sent once the function returns, so a function that throws has sent nothing and can
 * be retried by the failure policy without duplicating its outputs. Valid only during the call it
 * was given to.
 */
public interface Outputs {
  /**
   * Emits {@code record} to {@code to}.
   *
   * @param <K> the key type
   * @param <V> the value type
   * @param to the stream to send to, with its serdes
   * @param record the record
   * @throws SluiceException {@code INVALID_ARGUMENT} if {@code to} is not one of the processor's
   *     outputs or the record is invalid; {@code SERIALIZATION} if a serde fails
   */
  <K, V> void send(Destination<K, V> to, Record<K, V> record);

  /**
   * Emits a record with this key and value to {@code to}.
   *
   * @param <K> the key type
   * @param <V> the value type
   * @param to the stream to send to, with its serdes
   * @param key the record's key, or null
   * @param value the record's value, or null
   */
  default <K, V> void send(Destination<K, V> to, @Nullable K key, @Nullable V value) {
    send(to, Record.of(key, value));
  }
}
