package dev.sluice.internal;

import dev.sluice.Position;
import dev.sluice.Shard;
import dev.sluice.spi.ConsumerDriver;
import dev.sluice.spi.DeliverySink;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * A driver for tests of the consumer's pieces: delivers nothing by itself, stores every commit at
 * once, and ignores pauses; tests feed the pieces directly and override what they watch.
 */
class IdleConsumerDriver implements ConsumerDriver {
  @Override
  public void start(DeliverySink sink) {}

  @Override
  public void pause(Shard shard) {}

  @Override
  public void resume(Shard shard) {}

  @Override
  public CompletableFuture<Void> commit(Map<Shard, Position> checkpoints) {
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public void close() {}

  @Override
  public <T> T unwrap(Class<T> type) {
    throw new UnsupportedOperationException();
  }
}
