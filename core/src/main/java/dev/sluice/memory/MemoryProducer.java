package dev.sluice.memory;

import dev.sluice.ErrorCode;
import dev.sluice.Position;
import dev.sluice.Record;
import dev.sluice.Shard;
import dev.sluice.SluiceException;
import dev.sluice.spi.ProducerDriver;
import dev.sluice.spi.SendCallback;
import dev.sluice.spi.Unwrap;
import dev.sluice.spi.WriteId;
import dev.sluice.spi.WriteIdChain;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * Appends synchronously: a send is stored (and its callback called) before {@code send} returns.
 */
final class MemoryProducer implements ProducerDriver {
  private final MemoryBroker broker;
  private final String stream;
  private volatile boolean closed;

  private final WriteIdChain chain = new WriteIdChain();

  MemoryProducer(MemoryBroker broker, String stream) {
    this.broker = broker;
    this.stream = stream;
  }

  @Override
  public void send(Record<byte[], byte[]> record, SendCallback callback) {
    send(record, null, callback);
  }

  /**
   * Stores the id with the record. Only ids core gives (a processor's outputs) are kept: a memory
   * send is stored before it returns and never reported failed after, so a plain producer's records
   * cannot be sent twice by a retry and need none.
   */
  @Override
  public void send(Record<byte[], byte[]> record, @Nullable WriteId id, SendCallback callback) {
    if (closed) {
      callback.failed(new SluiceException(ErrorCode.CLOSED, "The producer is closed"));
      return;
    }
    MemoryShard shard;
    long[] stored = new long[2];
    try {
      // The shard's log copies key and value in: a caller may reuse its arrays after send returns.
      shard =
          broker.stream(stream)
              .append(
                  record.key(),
                  record.shard(),
                  record.value(),
                  record.headers(),
                  record.timestampMillis(),
                  stored,
                  id == null ? null : shardId -> chain.next(shardId, id));
    } catch (RuntimeException e) {
      callback.failed(e);
      return;
    }
    callback.sent(shard.shard, Position.of(stored[0]), stored[1]);
  }

  @Override
  public Shard shardFor(byte[] key) {
    return broker.stream(stream).route(key).shard;
  }

  @Override
  public void flush() {
    // Every send is stored before it returns.
  }

  @Override
  public <T> T unwrap(Class<T> type) {
    throw Unwrap.unsupported(type, "A memory producer", "none: it runs in this JVM");
  }

  @Override
  public void close(Duration timeout) {
    closed = true;
  }
}
