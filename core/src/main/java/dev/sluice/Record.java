package dev.sluice;

import dev.sluice.internal.Validation;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * A record: an optional key, a value, headers and a timestamp. A record with a key and no value
 * (null) is a tombstone: on a compacted stream it deletes its key (backends with {@link
 * Capabilities.Capability#TOMBSTONES} only). On the consumer side it also tells the stream, the
 * {@link Shard} it came from and its {@link Position} there. Immutable.
 *
 * <pre>{@code
 * producer.send(Record.of("user-42", "clicked"));
 * producer.send(Record.builder("user-42", "clicked").header("source", "web").build());
 * producer.send(Record.builder((String) null, "broadcast").shard(Shard.of("0")).build());
 * }</pre>
 *
 * @param <K> key type
 * @param <V> value type
 */
public final class Record<K, V> {
  /**
   * The timestamp of a record that has none yet; the producer or broker stamps it. It is {@code
   * Long.MIN_VALUE}, which no record can carry as a timestamp, so every other millisecond (-1, 0,
   * {@code Long.MAX_VALUE}) is a timestamp of its own; which of them a backend stores is its {@link
   * Capabilities#minTimestamp()} to {@link Capabilities#maxTimestamp()}.
   */
  public static final long NO_TIMESTAMP = Long.MIN_VALUE;

  private final @Nullable String stream;
  private final @Nullable K key;
  private final @Nullable V value;
  private final Headers headers;
  private final long timestampMillis;
  private final @Nullable Shard shard;
  private final @Nullable Position position;

  private Record(
      @Nullable String stream,
      @Nullable K key,
      @Nullable V value,
      Headers headers,
      long timestampMillis,
      @Nullable Shard shard,
      @Nullable Position position) {
    this.stream = stream;
    this.key = key;
    this.value = value;
    this.headers = headers;
    this.timestampMillis = timestampMillis;
    this.shard = shard;
    this.position = position;
  }

  /**
   * A record to send with this key (may be null: the backend then spreads records) and value (null
   * for a tombstone, which needs a key).
   *
   * @param <K> the key type
   * @param <V> the value type
   * @param key the record's key, or null
   * @param value the record's value, or null
   * @return a record to send with this key (may be null: the backend then spreads records) and
   *     value (null for a tombstone, which needs a key)
   */
  public static <K, V> Record<K, V> of(@Nullable K key, @Nullable V value) {
    return new Record<>(null, key, value, Headers.empty(), NO_TIMESTAMP, null, null);
  }

  /**
   * A builder for a record to send, to add headers, a timestamp or a target shard.
   *
   * @param <K> the key type
   * @param <V> the value type
   * @param key the record's key, or null
   * @param value the record's value, or null
   * @return a builder for a record to send, to add headers, a timestamp or a target shard
   */
  public static <K, V> Builder<K, V> builder(@Nullable K key, @Nullable V value) {
    return new Builder<>(key, value);
  }

  /**
   * A record as a consumer receives it. Backends and tests build these; applications receive them.
   *
   * @param <K> the key type
   * @param <V> the value type
   * @param stream the stream's name
   * @param shard the shard
   * @param position the position
   * @param key the record's key, or null
   * @param value the record's value, or null
   * @param headers the headers
   * @param timestampMillis milliseconds since the epoch
   * @return a record as a consumer receives it
   */
  public static <K, V> Record<K, V> received(
      String stream,
      Shard shard,
      Position position,
      @Nullable K key,
      @Nullable V value,
      Headers headers,
      long timestampMillis) {
    return new Record<>(
        Validation.notNull(stream, "stream"),
        key,
        value,
        Validation.notNull(headers, "headers"),
        timestampMillis,
        Validation.notNull(shard, "shard"),
        Validation.notNull(position, "position"));
  }

  /**
   * This record with another key and value and everything else the same (used by serdes).
   *
   * @param <K2> the new key type
   * @param <V2> the new value type
   * @param newKey the new key
   * @param newValue the new value
   * @return this record with another key and value and everything else the same (used by serdes)
   */
  public <K2, V2> Record<K2, V2> withKeyAndValue(@Nullable K2 newKey, @Nullable V2 newValue) {
    return new Record<>(stream, newKey, newValue, headers, timestampMillis, shard, position);
  }

  /**
   * This record with other headers and everything else the same.
   *
   * @param newHeaders the headers of the new record
   * @return this record with other headers and everything else the same
   */
  public Record<K, V> withHeaders(Headers newHeaders) {
    return new Record<>(
        stream,
        key,
        value,
        Validation.notNull(newHeaders, "newHeaders"),
        timestampMillis,
        shard,
        position);
  }

  /**
   * The stream a received record came from; null on a record being sent.
   *
   * @return the stream a received record came from; null on a record being sent
   */
  public @Nullable String stream() {
    return stream;
  }

  /**
   * The key, or null if the record has none.
   *
   * @return the key, or null if the record has none
   */
  public @Nullable K key() {
    return key;
  }

  /**
   * The value; null only on a tombstone (a record sent with a key and no value, on a backend with
   * {@link Capabilities.Capability#TOMBSTONES}). An empty value is not a tombstone.
   *
   * @return the value; null only on a tombstone (a record sent with a key and no value, on a
   *     backend with {@link Capabilities.Capability#TOMBSTONES})
   */
  public @Nullable V value() {
    return value;
  }

  /**
   * True if this record has no value: it deletes its key on a compacted stream.
   *
   * @return true if this record has no value: it deletes its key on a compacted stream
   */
  public boolean isTombstone() {
    return value == null;
  }

  /**
   * The record's headers.
   *
   * @return the headers, empty when the record has none
   */
  public Headers headers() {
    return headers;
  }

  /**
   * The timestamp in epoch milliseconds, or {@link #NO_TIMESTAMP}.
   *
   * @return the timestamp in epoch milliseconds, or {@link #NO_TIMESTAMP}
   */
  public long timestampMillis() {
    return timestampMillis;
  }

  /**
   * The timestamp, or null if the record has none yet.
   *
   * @return the timestamp, or null if the record has none yet
   */
  public @Nullable Instant timestamp() {
    return timestampMillis == NO_TIMESTAMP ? null : Instant.ofEpochMilli(timestampMillis);
  }

  /**
   * On a received record, the shard it came from. On a record being sent, the shard it must go to,
   * or null to route it by key.
   *
   * @return the shard
   */
  public @Nullable Shard shard() {
    return shard;
  }

  /**
   * On a received record, its position in its shard; null on a record being sent.
   *
   * @return the position
   */
  public @Nullable Position position() {
    return position;
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("Record{");
    if (stream != null) {
      sb.append("stream=").append(stream).append(", ");
    }
    if (shard != null) {
      sb.append("shard=").append(shard).append(", ");
    }
    if (position != null) {
      sb.append("position=").append(position).append(", ");
    }
    sb.append("key=").append(show(key)).append(", value=").append(show(value));
    if (!headers.isEmpty()) {
      sb.append(", headers=").append(headers);
    }
    return sb.append('}').toString();
  }

  private static String show(@Nullable Object o) {
    if (o instanceof byte[]) {
      return "byte[" + ((byte[]) o).length + "]";
    }
    return String.valueOf(o);
  }

  /** Builds a record to send. */
  public static final class Builder<K, V> {
    private final @Nullable K key;
    private final @Nullable V value;
    private Headers headers = Headers.empty();
    private long timestampMillis = NO_TIMESTAMP;
    private @Nullable Shard shard;

    private Builder(@Nullable K key, @Nullable V value) {
      this.key = key;
      this.value = value;
    }

    /**
     * The record's headers, replacing any set before.
     *
     * @param headers the headers
     * @return this builder
     */
    public Builder<K, V> headers(Headers headers) {
      this.headers = Validation.notNull(headers, "headers");
      return this;
    }

    /**
     * Adds a header with a UTF-8 text value.
     *
     * @param name the name
     * @param value the record's value, or null
     * @return this builder
     */
    public Builder<K, V> header(String name, String value) {
      this.headers = headers.toBuilder().add(name, value).build();
      return this;
    }

    /**
     * Adds a header.
     *
     * @param name the name
     * @param value the record's value, or null
     * @return this builder
     */
    public Builder<K, V> header(String name, byte[] value) {
      this.headers = headers.toBuilder().add(name, value).build();
      return this;
    }

    /**
     * The record's timestamp, kept as it is (to the millisecond); without one the producer stamps
     * the time of sending. A send fails with {@code INVALID_ARGUMENT} if the timestamp is outside
     * the backend's {@link Capabilities#minTimestamp()} to {@link Capabilities#maxTimestamp()}.
     *
     * @param timestamp the timestamp
     * @return this builder
     * @throws SluiceException {@code INVALID_ARGUMENT} if the instant is not a millisecond count
     *     after {@code Long.MIN_VALUE} (the years before -292,275,055 or after 292,278,994)
     */
    public Builder<K, V> timestamp(Instant timestamp) {
      Validation.notNull(timestamp, "timestamp");
      long millis;
      try {
        millis = timestamp.toEpochMilli();
      } catch (ArithmeticException e) {
        millis = NO_TIMESTAMP;
      }
      if (millis == NO_TIMESTAMP) {
        throw new SluiceException(
            ErrorCode.INVALID_ARGUMENT,
            "Timestamp "
                + timestamp
                + " does not fit a record: a timestamp is a count of milliseconds from "
                + Instant.ofEpochMilli(NO_TIMESTAMP + 1)
                + " to "
                + Instant.ofEpochMilli(Long.MAX_VALUE));
      }
      this.timestampMillis = millis;
      return this;
    }

    /**
     * Sends the record to this shard instead of routing it by key.
     *
     * @param shard the shard
     * @return this builder
     */
    public Builder<K, V> shard(Shard shard) {
      this.shard = Validation.notNull(shard, "shard");
      return this;
    }

    /**
     * A record with what was set.
     *
     * @return the record
     */
    public Record<K, V> build() {
      return new Record<>(null, key, value, headers, timestampMillis, shard, null);
    }
  }
}
