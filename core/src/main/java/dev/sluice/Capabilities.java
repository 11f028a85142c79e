package dev.sluice;

import dev.sluice.internal.Validation;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Set;
import java.util.function.ToLongFunction;
import org.jspecify.annotations.Nullable;

/**
 * What a backend can do. Every backend declares these honestly; an application can require some
 * when it opens Sluice and fail at start rather than degrade later:
 *
 * <pre>{@code
 * Sluice sluice = Sluice.builder().require(Capability.NATIVE_HEADERS).open();
 * }</pre>
 */
public final class Capabilities {
  /** A yes/no feature an application can require. */
  public enum Capability {
    /** Headers travel in the broker's own record format (else in a Sluice envelope). */
    NATIVE_HEADERS,
    /**
     * Records written to one or more streams can be committed atomically ({@link
     * Sluice#transactionalProducer}): consumers see all of them once the transaction commits and
     * none if it aborts. A processor ({@link Sluice#processor}) with {@link
     * ProcessingGuarantee#EXACTLY_ONCE} commits its outputs and its input checkpoints in one
     * transaction on such a backend.
     */
    TRANSACTIONS,
    /**
     * Records carry write ids that a deduplicating consumer uses to drop a second copy of a write
     * (a send retried after a lost acknowledgement, a processor's outputs re-sent after a restart):
     * effectively-once delivery without transactions. A processor with {@link
     * ProcessingGuarantee#EXACTLY_ONCE} on such a backend gives its outputs deterministic ids, so
     * its downstream consumers in deduplicating mode see each output once.
     */
    DEDUPLICATION,
    /**
     * A send the producer retries never lands behind a later send of its key: the stream holds each
     * key's records of one producer in send order, retries included, so every consumer reads them
     * in that order (Kafka: the idempotent producer, on unless {@code acks} is weaker than {@code
     * all} or idempotence is turned off). Without it (Kinesis), a {@code PutRecords} call that
     * fails part-way is sent again from its first failed entry on, so the stream may hold an early
     * copy of a later record before the earlier one (B, A, B): every record sent is still stored,
     * and the copies whose sends were acknowledged are in send order, but a consumer reads B's
     * early copy first, and a deduplicating consumer keeps that first copy.
     */
    ORDERED_RETRIES,
    /** The shard count of a stream can be lowered. */
    SHRINK_SHARDS,
    /** Single shards can be split and pairs merged, with parent-before-child ordering. */
    SPLIT_AND_MERGE,
    /** Consumers can start at a timestamp. */
    SEEK_BY_TIMESTAMP,
    /**
     * A running standalone consumer can be moved to another position of a shard it reads ({@link
     * Consumer#seek}). Without it, {@code seek} fails with {@code UNSUPPORTED}.
     */
    SEEK,
    /**
     * A running group consumer can be moved to another position of a shard it owns ({@link
     * Consumer#seek}), and the group's checkpoint follows. Without it, {@code seek} on a group
     * consumer fails with {@code UNSUPPORTED}.
     */
    SEEK_IN_GROUP,
    /** Records can be retained forever. */
    UNLIMITED_RETENTION,
    /**
     * A record with a key and a null value (a tombstone) can be sent, and is received with {@code
     * value() == null}, distinct from an empty value. Without it, sending one fails with {@code
     * UNSUPPORTED}.
     */
    TOMBSTONES,
    /**
     * Streams can be created with {@link StreamSpec.CleanupPolicy#COMPACT}: the backend keeps the
     * latest record of each key whatever its age, and may drop older records of a key and, after a
     * while, keys whose latest record is a tombstone. When it does is the backend's choice (memory
     * never does: it keeps every record), so a consumer may see superseded records and tombstones.
     */
    COMPACTION
  }

  /** How far the ordering guarantee reaches. */
  public enum OrderingScope {
    /** Records are ordered within a shard (so within a key, while the shard set is unchanged). */
    SHARD
  }

  private final Set<Capability> features;
  private final int maxRecordBytes;
  private final int recordOverheadBytes;
  private final int headerOverheadBytes;
  private final @Nullable ToLongFunction<Record<byte[], byte[]>> recordSize;
  private final int maxKeyBytes;
  private final int maxHeaders;
  private final int maxHeaderNameBytes;
  private final @Nullable Duration minRetention;
  private final @Nullable Duration maxRetention;
  private final OrderingScope orderingScope;
  private final Instant minTimestamp;
  private final Instant maxTimestamp;
  private final @Nullable Duration maxTimestampAhead;

  private Capabilities(Builder b) {
    this.features = Set.copyOf(b.features);
    this.maxRecordBytes = b.maxRecordBytes;
    this.recordOverheadBytes = b.recordOverheadBytes;
    this.headerOverheadBytes = b.headerOverheadBytes;
    this.recordSize = b.recordSize;
    this.maxKeyBytes = b.maxKeyBytes;
    this.maxHeaders = b.maxHeaders;
    this.maxHeaderNameBytes = b.maxHeaderNameBytes;
    this.minRetention = b.minRetention;
    this.maxRetention = b.maxRetention;
    this.orderingScope = b.orderingScope;
    this.minTimestamp = b.minTimestamp;
    this.maxTimestamp = b.maxTimestamp;
    this.maxTimestampAhead = b.maxTimestampAhead;
  }

  /**
   * A builder, for backends describing themselves.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Whether the backend has a feature.
   *
   * @param capability the feature
   * @return true if the backend supports it
   */
  public boolean supports(Capability capability) {
    Validation.notNull(capability, "capability");
    return features.contains(capability);
  }

  /**
   * Every feature the backend has.
   *
   * @return the features
   */
  public Set<Capability> features() {
    return features;
  }

  /**
   * Whether the broker stores headers itself (else Sluice carries them in an envelope).
   *
   * @return true if {@link Capability#NATIVE_HEADERS} is supported
   */
  public boolean nativeHeaders() {
    return supports(Capability.NATIVE_HEADERS);
  }

  /**
   * Whether the backend has transactions.
   *
   * @return true if {@link Capability#TRANSACTIONS} is supported
   */
  public boolean transactions() {
    return supports(Capability.TRANSACTIONS);
  }

  /**
   * Whether a stream's shard count can go down.
   *
   * @return true if {@link Capability#SHRINK_SHARDS} is supported
   */
  public boolean canShrinkShards() {
    return supports(Capability.SHRINK_SHARDS);
  }

  /**
   * Whether shards can be split and merged.
   *
   * @return true if {@link Capability#SPLIT_AND_MERGE} is supported
   */
  public boolean canSplitAndMerge() {
    return supports(Capability.SPLIT_AND_MERGE);
  }

  /**
   * Whether a consumer can start at a timestamp.
   *
   * @return true if {@link Capability#SEEK_BY_TIMESTAMP} is supported
   */
  public boolean canSeekByTimestamp() {
    return supports(Capability.SEEK_BY_TIMESTAMP);
  }

  /**
   * The largest record the backend stores, in bytes, as the backend counts them: see {@link
   * #recordSize}. A record larger than this fails with {@code RECORD_TOO_LARGE} before it reaches
   * the broker, and one of exactly this size is stored.
   *
   * @return the broker's own limit (Kinesis: 1,048,576, data plus partition key)
   */
  public int maxRecordBytes() {
    return maxRecordBytes;
  }

  /**
   * The most bytes the backend adds to a record besides its key, value and headers (Kinesis: the
   * envelope's fixed part and a timestamp, written only when a record has headers or a timestamp).
   *
   * @return bytes per record, 0 if none
   */
  public int recordOverheadBytes() {
    return recordOverheadBytes;
  }

  /**
   * The bytes the backend counts per header besides its UTF-8 name and its value (Kafka: 4, the
   * Kafka rule Sluice applies by default; Kinesis: the envelope's 5, a name length and a value
   * length).
   *
   * @return bytes per header
   */
  public int headerOverheadBytes() {
    return headerOverheadBytes;
  }

  /**
   * The size of a serialized record as the backend counts it against {@link #maxRecordBytes()}.
   * Unless the backend says otherwise: key + value + for each header its UTF-8 name, its value and
   * {@link #headerOverheadBytes()}. Kinesis counts what it stores instead: the partition key the
   * key becomes (a binary key grows by base64) and the data, envelope included.
   *
   * @param record a serialized record; its header names are valid
   * @return its size in bytes
   */
  public long recordSize(Record<byte[], byte[]> record) {
    Validation.notNull(record, "record");
    if (recordSize != null) {
      return recordSize.applyAsLong(record);
    }
    byte[] key = record.key();
    byte[] value = record.value();
    long size = (key == null ? 0 : key.length) + (value == null ? 0 : value.length);
    for (Headers.Header h : record.headers()) {
      size +=
          h.name().getBytes(StandardCharsets.UTF_8).length + h.valueLength() + headerOverheadBytes;
    }
    return size;
  }

  /**
   * The longest key in bytes (Kinesis partition keys: 256).
   *
   * @return the longest key in bytes (Kinesis partition keys: 256)
   */
  public int maxKeyBytes() {
    return maxKeyBytes;
  }

  /**
   * The most headers one record may carry.
   *
   * @return the most headers one record may carry
   */
  public int maxHeaders() {
    return maxHeaders;
  }

  /**
   * The longest header name in UTF-8 bytes.
   *
   * @return the longest header name in UTF-8 bytes
   */
  public int maxHeaderNameBytes() {
    return maxHeaderNameBytes;
  }

  /**
   * The shortest retention a stream can have, at creation or through {@link
   * StreamAdmin#setRetention}, or null if there is no lower bound; a shorter one fails with {@code
   * INVALID_ARGUMENT} before it reaches the broker.
   *
   * @return the shortest retention a stream can have, at creation or through {@link
   *     StreamAdmin#setRetention}, or null if there is no lower bound; a shorter one fails with
   *     {@code INVALID_ARGUMENT} before it reaches the broker
   */
  public @Nullable Duration minRetention() {
    return minRetention;
  }

  /**
   * The longest retention a stream can have, or null if records can be kept forever; see {@link
   * #minRetention()}.
   *
   * @return the longest retention a stream can have, or null if records can be kept forever; see
   *     {@link #minRetention()}
   */
  public @Nullable Duration maxRetention() {
    return maxRetention;
  }

  /**
   * The scope within which records keep their send order.
   *
   * @return the ordering scope
   */
  public OrderingScope orderingScope() {
    return orderingScope;
  }

  /**
   * The earliest timestamp a record sent with one keeps exactly (Kafka: the epoch, as Kafka has no
   * negative timestamps). An earlier one fails the send with {@code INVALID_ARGUMENT} before it
   * reaches the broker; a timestamp in range is never replaced.
   *
   * @return the earliest timestamp a record sent with one keeps exactly (Kafka: the epoch, as Kafka
   *     has no negative timestamps)
   */
  public Instant minTimestamp() {
    return minTimestamp;
  }

  /**
   * The latest timestamp a record sent with one keeps exactly; see {@link #minTimestamp()}.
   *
   * @return the latest timestamp a record sent with one keeps exactly; see {@link #minTimestamp()}
   */
  public Instant maxTimestamp() {
    return maxTimestamp;
  }

  /**
   * How far after the time of sending a record's timestamp may be, or null if only {@link
   * #maxTimestamp()} limits it. Kafka 4 brokers refuse timestamps more than an hour ahead by
   * default ({@code message.timestamp.after.max.ms}); a later one fails the send with {@code
   * INVALID_ARGUMENT} before it reaches the broker.
   *
   * @return how far after the time of sending a record's timestamp may be, or null if only {@link
   *     #maxTimestamp()} limits it
   */
  public @Nullable Duration maxTimestampAhead() {
    return maxTimestampAhead;
  }

  @Override
  public String toString() {
    return "Capabilities{features="
        + features
        + ", maxRecordBytes="
        + maxRecordBytes
        + ", overhead="
        + recordOverheadBytes
        + "+"
        + headerOverheadBytes
        + "/header"
        + ", maxKeyBytes="
        + maxKeyBytes
        + ", maxHeaders="
        + maxHeaders
        + ", retention="
        + (minRetention == null ? "0" : minRetention)
        + ".."
        + (maxRetention == null ? "unlimited" : maxRetention)
        + ", ordering="
        + orderingScope
        + ", timestamps="
        + minTimestamp
        + ".."
        + maxTimestamp
        + (maxTimestampAhead == null ? "" : " and at most now + " + maxTimestampAhead)
        + "}";
  }

  /** Builds {@link Capabilities}; for backends. */
  public static final class Builder {
    private final Set<Capability> features = EnumSet.noneOf(Capability.class);
    private int maxRecordBytes = 1024 * 1024;
    private int recordOverheadBytes;
    private int headerOverheadBytes = 4;
    private @Nullable ToLongFunction<Record<byte[], byte[]>> recordSize;
    private int maxKeyBytes = Integer.MAX_VALUE;
    private int maxHeaders = Integer.MAX_VALUE;
    private int maxHeaderNameBytes = Integer.MAX_VALUE;
    private @Nullable Duration minRetention;
    private @Nullable Duration maxRetention;
    private OrderingScope orderingScope = OrderingScope.SHARD;
    private Instant minTimestamp = Instant.ofEpochMilli(Record.NO_TIMESTAMP + 1);
    private Instant maxTimestamp = Instant.ofEpochMilli(Long.MAX_VALUE);
    private @Nullable Duration maxTimestampAhead;

    private Builder() {}

    /**
     * Adds features the backend has.
     *
     * @param capabilities the features
     * @return this builder
     */
    public Builder supports(Capability... capabilities) {
      for (Capability c : Validation.notNull(capabilities, "capabilities")) {
        features.add(Validation.notNull(c, "capabilities"));
      }
      return this;
    }

    /**
     * See {@link Capabilities#maxRecordBytes()}.
     *
     * @param bytes the largest record, in bytes
     * @return this builder
     */
    public Builder maxRecordBytes(int bytes) {
      this.maxRecordBytes = bytes;
      return this;
    }

    /**
     * See {@link Capabilities#recordOverheadBytes()}; default 0.
     *
     * @param bytes the most bytes added per record
     * @return this builder
     */
    public Builder recordOverheadBytes(int bytes) {
      this.recordOverheadBytes = bytes;
      return this;
    }

    /**
     * See {@link Capabilities#headerOverheadBytes()}; default 4, Kafka's count.
     *
     * @param bytes bytes per header besides name and value
     * @return this builder
     */
    public Builder headerOverheadBytes(int bytes) {
      this.headerOverheadBytes = bytes;
      return this;
    }

    /**
     * How the backend counts a record's size, when key + value + headers with {@link
     * #headerOverheadBytes} is not it; see {@link Capabilities#recordSize}. It must agree with what
     * the broker counts, so that a record within {@code maxRecordBytes} is stored.
     *
     * @param size the size of a serialized record as the broker counts it
     * @return this builder
     */
    public Builder recordSize(ToLongFunction<Record<byte[], byte[]>> size) {
      this.recordSize = Validation.notNull(size, "size");
      return this;
    }

    /**
     * See {@link Capabilities#maxKeyBytes()}.
     *
     * @param bytes the largest key, in bytes
     * @return this builder
     */
    public Builder maxKeyBytes(int bytes) {
      this.maxKeyBytes = bytes;
      return this;
    }

    /**
     * See {@link Capabilities#maxHeaders()}.
     *
     * @param count the most headers a record can carry
     * @return this builder
     */
    public Builder maxHeaders(int count) {
      this.maxHeaders = count;
      return this;
    }

    /**
     * See {@link Capabilities#maxHeaderNameBytes()}.
     *
     * @param bytes the longest header name, in bytes
     * @return this builder
     */
    public Builder maxHeaderNameBytes(int bytes) {
      this.maxHeaderNameBytes = bytes;
      return this;
    }

    /**
     * See {@link Capabilities#minRetention()} and {@link Capabilities#maxRetention()}.
     *
     * @param min the shortest retention, or null for no lower bound
     * @param max the longest retention, or null if records can be kept forever
     * @return this builder
     */
    public Builder retention(@Nullable Duration min, @Nullable Duration max) {
      this.minRetention = min;
      this.maxRetention = max;
      return this;
    }

    /**
     * See {@link Capabilities#orderingScope()}.
     *
     * @param scope the ordering scope
     * @return this builder
     */
    public Builder orderingScope(OrderingScope scope) {
      this.orderingScope = Validation.notNull(scope, "scope");
      return this;
    }

    /**
     * The timestamps the backend stores exactly, to the millisecond (default: every one a record
     * can carry, from {@code Record.NO_TIMESTAMP + 1} to {@code Long.MAX_VALUE} milliseconds).
     *
     * @param min the lower bound
     * @param max the upper bound
     * @return this builder
     */
    public Builder timestamps(Instant min, Instant max) {
      this.minTimestamp = Validation.notNull(min, "min");
      this.maxTimestamp = Validation.notNull(max, "max");
      return this;
    }

    /**
     * See {@link Capabilities#maxTimestampAhead()}; null (the default) for no such limit.
     *
     * @param ahead how far ahead of now a timestamp may be, or null
     * @return this builder
     */
    public Builder maxTimestampAhead(@Nullable Duration ahead) {
      this.maxTimestampAhead = ahead;
      return this;
    }

    /**
     * The capabilities set on this builder.
     *
     * @return the capabilities
     */
    public Capabilities build() {
      return new Capabilities(this);
    }
  }
}
