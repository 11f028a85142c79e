package dev.sluice.kinesis.internal;

import dev.sluice.ErrorCode;
import dev.sluice.Record;
import dev.sluice.Shard;
import dev.sluice.SluiceException;
import dev.sluice.spi.ProducerDriver;
import dev.sluice.spi.ProducerSpec;
import dev.sluice.spi.SendCallback;
import dev.sluice.spi.Unwrap;
import dev.sluice.spi.WriteId;
import dev.sluice.spi.WriteIdChain;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;

/**
 * Writes one stream with {@code PutRecords}; batching, KPL aggregation (when enabled) and retries
 * are {@link RecordBatcher}'s.
 */
final class KinesisProducer implements ProducerDriver {
  private final KinesisAsyncClient kinesis;
  private final String stream;
  private final RecordBatcher batcher;
  private volatile @Nullable ShardMap routingMap;
  private volatile long routingMapNanos;

  KinesisProducer(KinesisAsyncClient kinesis, ProducerSpec spec, KinesisSettings settings) {
    this.kinesis = kinesis;
    this.stream = spec.stream();
    this.batcher =
        new RecordBatcher(
            spec.stream(),
            kinesis::putRecords,
            () -> KinesisAdmin.shardMap(kinesis, spec.stream()),
            new BatcherSettings(
                settings.linger,
                settings.deliveryTimeout,
                settings.retryBackoff,
                settings.retryBackoffMax,
                settings.bufferMaxBytes,
                settings.aggregation ? settings.aggregationMaxBytes : 0),
            spec.clientId() + "-batcher",
            settings.writeIds ? new WriteIdChain() : null);
  }

  @Override
  public void send(Record<byte[], byte[]> record, SendCallback callback) {
    batcher.send(record, null, callback);
  }

  /** Stores {@code id} in the record's envelope (unless write ids are off). */
  @Override
  public void send(Record<byte[], byte[]> record, WriteId id, SendCallback callback) {
    batcher.send(record, id, callback);
  }

  /**
   * The open shard whose hash-key range holds the MD5 of the key's partition key: where Kinesis
   * puts the record while the shards stay as they are.
   */
  @Override
  public Shard shardFor(byte[] key) {
    String partitionKey = PartitionKeys.toPartitionKey(key);
    Shard shard = routingMap().route(ShardMap.hashKey(partitionKey));
    if (shard == null) {
      throw new SluiceException(
          ErrorCode.UNAVAILABLE, "Stream '" + stream + "' has no open shard for this key now");
    }
    return shard;
  }

  /**
   * A shard map at most 100 ms old, so that an answer given just after a reshard is already about
   * the new shards (the batcher's own map is refreshed when a write lands elsewhere).
   */
  private ShardMap routingMap() {
    ShardMap map = routingMap;
    if (map == null || System.nanoTime() - routingMapNanos > 100_000_000L) {
      map = KinesisAdmin.shardMap(kinesis, stream);
      routingMap = map;
      routingMapNanos = System.nanoTime();
    }
    return map;
  }

  @Override
  public void flush() throws InterruptedException {
    batcher.flush();
  }

  @Override
  public <T> T unwrap(Class<T> type) {
    return Unwrap.as(type, kinesis, "A Kinesis producer", "KinesisAsyncClient");
  }

  @Override
  public void close(Duration timeout) {
    batcher.close(timeout);
  }
}
