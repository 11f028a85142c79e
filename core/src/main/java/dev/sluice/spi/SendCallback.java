package dev.sluice.spi;

import dev.sluice.Position;
import dev.sluice.Shard;

/** How a {@link ProducerDriver} reports the outcome of one send: exactly one call, any thread. */
public interface SendCallback {
  /**
   * The record is stored durably (as the backend defines it) at this shard and position. The
   * timestamp is the one stored, or {@code Record.NO_TIMESTAMP} where the backend does not report
   * it (Kinesis stamps arrival time but {@code PutRecords} does not return it).
   *
   * @param shard the shard
   * @param position the position
   * @param timestampMillis milliseconds since the epoch
   */
  void sent(Shard shard, Position position, long timestampMillis);

  /**
   * The record was not stored; the error is native (core translates it).
   *
   * @param error the failure
   */
  void failed(Throwable error);
}
