package dev.sluice.spi;

import dev.sluice.Position;
import dev.sluice.Shard;

/** How a {@link ProducerDriver} reports the outcome of one send: exactly one call, any thread. */
public interface SendCallback {
  /** The record is stored durably (as the backend defines it) at this shard and position. */
  void sent(Shard shard, Position position, long timestampMillis);

  /** The record was not stored; the error is native (core translates it). */
  void failed(Throwable error);
}
