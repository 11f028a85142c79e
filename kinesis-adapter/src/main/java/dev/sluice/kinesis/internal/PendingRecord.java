package dev.sluice.kinesis.internal;

import dev.sluice.Headers;
import dev.sluice.Position;
import dev.sluice.Record;
import dev.sluice.Shard;
import dev.sluice.spi.SendCallback;
import dev.sluice.spi.WriteId;
import dev.sluice.spi.WriteIdChain;
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

  /** The record's data; null until routed when it gets a write id ({@link #encodeFor}). */
  byte @Nullable [] data;

  private @Nullable Headers headers; // until encoded
  private byte @Nullable [] value; // until encoded
  private final @Nullable WriteId givenId;
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

  /**
   * Where its aggregate landed when that was not the shard it was built for, until routing sorts it
   * out ({@link LandedAggregates}).
   */
  LandedAggregates.@Nullable Landed landed;

  @Nullable Position landedPosition;

  private boolean done;

  /**
   * @param givenId the write id the caller named (a processor's output), or null
   * @param writeIds gives write ids once the record's shard is known; null if write ids are off
   */
  PendingRecord(
      Record<byte[], byte[]> record,
      @Nullable WriteId givenId,
      @Nullable WriteIdChain writeIds,
      SendCallback callback,
      long deadlineNanos,
      Consumer<PendingRecord> onOutcome) {
    this.partitionKey = PartitionKeys.toPartitionKey(record.key());
    this.givenId = givenId;
    int keyBytes = partitionKey.getBytes(StandardCharsets.UTF_8).length;
    if (writeIds != null) {
      // Encoded once routed: the id's link depends on the shard. The caller may reuse its arrays
      // once send returns, so keep a copy of the value.
      byte[] value = record.value();
      this.headers = record.headers();
      this.value = value == null ? null : value.clone();
      this.data = null;
      this.size =
          (int)
                  Envelope.size(
                      record.headers(),
                      value,
                      record.timestampMillis(),
                      WriteIds.maxBytes(givenId, writeIds.producerWriter()))
              + keyBytes;
    } else {
      byte[] encoded = Envelope.encode(record.headers(), record.value(), record.timestampMillis());
      // A plain record's data is its value itself; the record waits here for its batch, and the
      // caller may reuse its array once send returns (as with Kafka and memory): keep a copy.
      this.data = encoded == record.value() ? encoded.clone() : encoded;
      this.size = data.length + keyBytes;
    }
    this.timestampMillis = record.timestampMillis();
    this.target = record.shard();
    this.callback = callback;
    this.onOutcome = onOutcome;
    this.deadlineNanos = deadlineNanos;
    this.queuedNanos = System.nanoTime();
    if (record.key() == null && record.shard() == null) {
      this.explicitHashKey = ShardMap.randomHashKey();
    }
  }

  /** Encodes the record with its write id for {@code shard}. */
  void encodeFor(Shard shard, WriteIdChain chain) {
    data = Envelope.encode(headers, value, timestampMillis, chain.next(shard, givenId));
    headers = null;
    value = null;
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
