package dev.sluice.kinesis.internal;

import dev.sluice.Position;
import dev.sluice.Record;
import dev.sluice.Shard;
import dev.sluice.spi.SendCallback;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;

/**
 * One record on its way through the {@link RecordBatcher}, encoded as it will be sent; its callback
 * fires once. The fields the batcher changes ({@link #seq}, {@link #lastError}, where an earlier
 * attempt stored it) are guarded by the batcher's lock.
 */
final class PendingRecord {
  private static final Logger LOG = LoggerFactory.getLogger(PendingRecord.class);

  final String partitionKey;
  final byte[] data;
  final int size;
  final @Nullable Shard target;
  final long deadlineNanos;
  final long queuedNanos;
  final long timestampMillis;
  private final SendCallback callback;

  /** Called once the callback has run, whatever the outcome. */
  private final Consumer<PendingRecord> onOutcome;

  @Nullable BigInteger explicitHashKey;
  long seq = -1;
  @Nullable Throwable lastError;

  /**
   * Where an attempt stored it while it is sent again behind a failed record, to keep key order.
   */
  @Nullable Shard storedShard;

  @Nullable Position storedPosition;
  private boolean done;

  PendingRecord(
      Record<byte[], byte[]> record,
      SendCallback callback,
      long deadlineNanos,
      Consumer<PendingRecord> onOutcome) {
    this.partitionKey = PartitionKeys.toPartitionKey(record.key());
    byte[] encoded = Envelope.encode(record.headers(), record.value(), record.timestampMillis());
    // A plain record's data is its value itself; the record waits here for its batch, and the
    // caller may reuse its array once send returns (as with Kafka and memory): keep a copy.
    this.data = encoded == record.value() ? encoded.clone() : encoded;
    this.timestampMillis = record.timestampMillis();
    this.size = data.length + partitionKey.getBytes(StandardCharsets.UTF_8).length;
    this.target = record.shard();
    this.callback = callback;
    this.onOutcome = onOutcome;
    this.deadlineNanos = deadlineNanos;
    this.queuedNanos = System.nanoTime();
    if (record.key() == null && record.shard() == null) {
      this.explicitHashKey = ShardMap.randomHashKey();
    }
  }

  BigInteger hashKey() {
    return explicitHashKey != null ? explicitHashKey : ShardMap.hashKey(partitionKey);
  }

  PutRecordsRequestEntry entry() {
    PutRecordsRequestEntry.Builder b =
        PutRecordsRequestEntry.builder()
            .partitionKey(partitionKey)
            .data(SdkBytes.fromByteArrayUnsafe(data));
    if (explicitHashKey != null) {
      b.explicitHashKey(explicitHashKey.toString());
    }
    return b.build();
  }

  /**
   * Reports the record stored, with its own timestamp if it had one (it travels in the envelope),
   * else none: Kinesis stamps the record on arrival and PutRecords does not say when that was.
   */
  void sent(Shard shard, Position position) {
    synchronized (this) {
      if (done) {
        return;
      }
      done = true;
    }
    try {
      callback.sent(shard, position, timestampMillis);
    } catch (RuntimeException e) {
      LOG.warn("A send callback threw", e);
    } finally {
      onOutcome.accept(this);
    }
  }

  void fail(Throwable error) {
    synchronized (this) {
      if (done) {
        return;
      }
      done = true;
    }
    try {
      callback.failed(error);
    } catch (RuntimeException e) {
      LOG.warn("A send callback threw", e);
    } finally {
      onOutcome.accept(this);
    }
  }
}
