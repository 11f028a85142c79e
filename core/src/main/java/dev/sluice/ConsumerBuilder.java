package dev.sluice;

import dev.sluice.internal.ConsumerSettings;
import dev.sluice.internal.SluiceRuntime;
import dev.sluice.internal.Validation;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * Configures a {@link Consumer}; made by {@link Sluice#consumer}. Finish with {@link #start} (a
 * handler called for each record) or {@link #open} (a {@link PullConsumer} the application polls).
 *
 * <pre>{@code
 * Consumer<String, String> consumer = sluice.consumer("orders", Serde.string(), Serde.string())
 *     .group("billing")
 *     .startPosition(StartPosition.earliest())
 *     .start(record -> bill(record.key(), record.value()));
 * }</pre>
 */
public final class ConsumerBuilder<K, V> {
  private final SluiceRuntime runtime;
  private final String stream;
  private final Serde<K> keySerde;
  private final Serde<V> valueSerde;
  private @Nullable String group;
  private StartPosition startPosition = StartPosition.earliest();
  private CheckpointMode checkpointMode = CheckpointMode.AUTO;
  private Duration checkpointInterval = Duration.ofSeconds(1);
  private ShardListener listener = new ShardListener() {};
  private FailurePolicy failurePolicy = FailurePolicy.defaults();
  private int maxBufferedRecords = 10_000;
  private int maxPollRecords = 500;
  private Duration revocationTimeout = Duration.ofSeconds(30);

  ConsumerBuilder(SluiceRuntime runtime, String stream, Serde<K> keySerde, Serde<V> valueSerde) {
    this.runtime = runtime;
    this.stream = stream;
    this.keySerde = keySerde;
    this.valueSerde = valueSerde;
  }

  /**
   * Joins this consumer group: shards are shared with the group's other consumers and checkpoints
   * are stored by the backend. Without a group the consumer is standalone and reads every shard.
   *
   * @param group the consumer group's name
   * @return this builder
   */
  public ConsumerBuilder<K, V> group(String group) {
    this.group = Validation.notNull(group, "group");
    return this;
  }

  /**
   * Where shards without a checkpoint start; earliest by default.
   *
   * @param startPosition where to start in a shard with no checkpoint
   * @return this builder
   */
  public ConsumerBuilder<K, V> startPosition(StartPosition startPosition) {
    this.startPosition = Validation.notNull(startPosition, "startPosition");
    return this;
  }

  /**
   * Automatic (default) or manual checkpoints.
   *
   * @param mode when checkpoints are written
   * @return this builder
   */
  public ConsumerBuilder<K, V> checkpointing(CheckpointMode mode) {
    this.checkpointMode = Validation.notNull(mode, "mode");
    return this;
  }

  /**
   * How often checkpoints are written to the backend; 1 s by default.
   *
   * @param interval the interval
   * @return this builder
   */
  public ConsumerBuilder<K, V> checkpointInterval(Duration interval) {
    Validation.notNull(interval, "interval");
    if (interval.isNegative() || interval.isZero()) {
      throw new SluiceException(ErrorCode.INVALID_ARGUMENT, "checkpointInterval must be positive");
    }
    this.checkpointInterval = interval;
    return this;
  }

  /**
   * Told when shards are assigned and revoked.
   *
   * @param listener told of shard assignments
   * @return this builder
   */
  public ConsumerBuilder<K, V> listener(ShardListener listener) {
    this.listener = Validation.notNull(listener, "listener");
    return this;
  }

  /**
   * What happens when the handler throws; {@link FailurePolicy#defaults()} by default.
   *
   * @param policy the failure policy
   * @return this builder
   */
  public ConsumerBuilder<K, V> failurePolicy(FailurePolicy policy) {
    this.failurePolicy = Validation.notNull(policy, "policy");
    return this;
  }

  /**
   * How many records may wait per shard before the shard is paused (backpressure); 10,000 by
   * default. A paused shard is resumed once half of them are handled. For a pull consumer, the
   * limit applies to all shards together. For a consumer with a handler it also caps the batch it
   * fetches at once.
   *
   * <p>Memory: up to this many records per shard, on top of what the backend's client buffers. The
   * default is about one fetch of small records (Kafka fetches up to 1 MiB per partition, some
   * 8,000 records of 100 bytes; Kinesis returns up to 10,000 per call): with a limit below one
   * fetch, a fast handler pauses its shard after every fetch and then waits for a fetch round trip
   * each time it is resumed. Lower it for large records.
   *
   * @param records the records, in send order
   * @return this builder
   */
  public ConsumerBuilder<K, V> maxBufferedRecords(int records) {
    if (records < 1) {
      throw new SluiceException(ErrorCode.INVALID_ARGUMENT, "maxBufferedRecords must be >= 1");
    }
    this.maxBufferedRecords = records;
    return this;
  }

  /**
   * The most records one {@link PullConsumer#poll} returns; 500 by default. For pull consumers
   * only: a consumer with a handler fetches batches of up to 5000 records (or {@link
   * #maxBufferedRecords} if smaller).
   *
   * @param records the records, in send order
   * @return this builder
   */
  public ConsumerBuilder<K, V> maxPollRecords(int records) {
    if (records < 1) {
      throw new SluiceException(ErrorCode.INVALID_ARGUMENT, "maxPollRecords must be >= 1");
    }
    this.maxPollRecords = records;
    return this;
  }

  /**
   * How long giving up a shard waits for its handler in progress before the shard is let go anyway
   * (its record then counts as unprocessed); 30 s by default.
   *
   * @param timeout how long to wait at most
   * @return this builder
   */
  public ConsumerBuilder<K, V> revocationTimeout(Duration timeout) {
    this.revocationTimeout = Validation.notNull(timeout, "timeout");
    return this;
  }

  /**
   * Starts consuming: {@code handler} is called for each record.
   *
   * @param handler called with each record
   * @return the running consumer
   * @throws SluiceException {@code NOT_FOUND} if the stream does not exist (a backend that learns
   *     it only later stops the consumer with that error instead, through {@link
   *     Consumer#termination()}); {@code INVALID_ARGUMENT} for a start position that does not fit
   *     the stream
   */
  public Consumer<K, V> start(RecordHandler<K, V> handler) {
    Validation.notNull(handler, "handler");
    return runtime.startConsumer(settings(), handler);
  }

  /**
   * Opens a pull consumer: call {@link PullConsumer#poll} in a loop. With automatic checkpointing,
   * the records of a poll count as processed when {@code poll} is called again or the consumer is
   * closed (not when a rebalance takes their shard away first).
   *
   * @return the pull consumer
   * @throws SluiceException as for {@link #start}
   */
  public PullConsumer<K, V> open() {
    return runtime.startConsumer(settings(), null);
  }

  private ConsumerSettings<K, V> settings() {
    if (startPosition.kind() == StartPosition.Kind.AT_TIMESTAMP
        && startPosition.timestamp().isAfter(java.time.Instant.now())) {
      throw new SluiceException(
          ErrorCode.INVALID_ARGUMENT,
          "Start timestamp "
              + startPosition.timestamp()
              + " is in the future; use StartPosition.latest() to read only new records");
    }
    return new ConsumerSettings<>(
        stream,
        group,
        keySerde,
        valueSerde,
        startPosition,
        checkpointMode,
        checkpointInterval,
        listener,
        failurePolicy,
        maxBufferedRecords,
        maxPollRecords,
        revocationTimeout);
  }
}
