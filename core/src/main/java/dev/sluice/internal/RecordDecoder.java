package dev.sluice.internal;

import dev.sluice.ErrorCode;
import dev.sluice.Record;
import dev.sluice.Serde;
import dev.sluice.SluiceException;

/**
 * Turns a received record of bytes into the application's key and value types with the consumer's
 * serdes. Its own class because both ways records reach the application, the handler ({@link
 * HandlerInvoker}) and {@code poll}, decode the same way and report a bad record the same way.
 */
final class RecordDecoder<K, V> {
  private final Serde<K> keySerde;
  private final Serde<V> valueSerde;

  /** Both serdes are bytes: the received record is handed over as it is. */
  private final boolean rawBytes;

  RecordDecoder(Serde<K> keySerde, Serde<V> valueSerde) {
    this.keySerde = keySerde;
    this.valueSerde = valueSerde;
    this.rawBytes = keySerde == Serde.bytes() && valueSerde == Serde.bytes();
  }

  /**
   * Decodes {@code r}.
   *
   * @throws SluiceException {@code SERIALIZATION} (or the serde's own code) naming the record
   */
  @SuppressWarnings("unchecked")
  Record<K, V> decode(Record<byte[], byte[]> r) {
    if (rawBytes) {
      return (Record<K, V>) (Record<?, ?>) r;
    }
    byte[] keyBytes = r.key();
    try {
      K key = keyBytes == null ? null : keySerde.deserialize(keyBytes);
      byte[] valueBytes = r.value();
      // A tombstone (no value) stays one: the serde never sees null.
      V value = valueBytes == null ? null : valueSerde.deserialize(valueBytes);
      return r.withKeyAndValue(key, value);
    } catch (SluiceException e) {
      throw new SluiceException(
          e.code(),
          "Cannot deserialize record at " + r.shard() + "/" + r.position() + ": " + e.getMessage(),
          e);
    } catch (RuntimeException e) {
      throw new SluiceException(
          ErrorCode.SERIALIZATION,
          "Cannot deserialize record at " + r.shard() + "/" + r.position() + ": " + e,
          e);
    }
  }
}
