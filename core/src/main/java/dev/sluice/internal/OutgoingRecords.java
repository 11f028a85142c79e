package dev.sluice.internal;

import dev.sluice.Capabilities;
import dev.sluice.Destination;
import dev.sluice.ErrorCode;
import dev.sluice.Position;
import dev.sluice.Record;
import dev.sluice.SendResult;
import dev.sluice.Serde;
import dev.sluice.Shard;
import dev.sluice.SluiceException;
import dev.sluice.spi.SendCallback;
import java.util.concurrent.CompletableFuture;

/**
 * Serializes and checks records sent to a {@link Destination}, for the writers that name a stream
 * per send (transactions, processors) rather than per producer.
 */
final class OutgoingRecords {
  private OutgoingRecords() {}

  /**
   * The record as bytes, checked against the backend's capabilities.
   *
   * @throws SluiceException {@code INVALID_ARGUMENT} for a bad record, {@code SERIALIZATION} if a
   *     serde fails
   */
  @SuppressWarnings("unchecked")
  static <K, V> Record<byte[], byte[]> bytes(
      Destination<K, V> to, Record<K, V> record, Capabilities caps) {
    Validation.notNull(to, "to");
    Validation.notNull(record, "record");
    Record<byte[], byte[]> raw;
    if (to.keySerde() == Serde.bytes() && to.valueSerde() == Serde.bytes()) {
      raw = (Record<byte[], byte[]>) (Record<?, ?>) record;
    } else {
      K key = record.key();
      V value = record.value();
      raw =
          record.withKeyAndValue(
              key == null ? null : serialize(to.keySerde(), key, "key"),
              value == null ? null : serialize(to.valueSerde(), value, "value"));
    }
    Validation.record(raw, caps);
    return raw;
  }

  private static <T> byte[] serialize(Serde<T> serde, T value, String what) {
    byte[] bytes;
    try {
      bytes = serde.serialize(value);
    } catch (SluiceException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new SluiceException(
          ErrorCode.SERIALIZATION, "Cannot serialize the " + what + " with " + serde + ": " + e, e);
    }
    if (bytes == null) {
      throw new SluiceException(
          ErrorCode.SERIALIZATION, serde + " returned null for a non-null " + what);
    }
    return bytes;
  }

  /** A send's future that is also the driver's callback, errors translated. */
  static final class SendFuture extends CompletableFuture<SendResult> implements SendCallback {
    private final SluiceRuntime runtime;

    SendFuture(SluiceRuntime runtime) {
      this.runtime = runtime;
    }

    @Override
    public void sent(Shard shard, Position position, long timestampMillis) {
      complete(SendResult.of(shard, position, timestampMillis));
    }

    @Override
    public void failed(Throwable error) {
      completeExceptionally(runtime.translate(error));
    }
  }
}
