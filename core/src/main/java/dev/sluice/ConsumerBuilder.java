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
  private int concurrency = ConsumerSettings.DEFAULT_CONCURRENCY;
  private Ordering ordering = Ordering.PER_SHARD;
  private boolean deduplicate;

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
   * How many handler calls may run at once, and which records may run together. By default {@code
   * concurrency(64, Ordering.PER_SHARD)}: one record at a time per shard, up to 64 shards at once.
   *
   * <pre>{@code
   * sluice.consumer("orders", Serde.string(), Serde.string())
   *     .group("billing")
   *     .concurrency(64, Ordering.PER_KEY) // 64 records at once, each key in order
   *     .start(record -> bill(record.key(), record.value()));
   * }</pre>
   *
   * <p>The handler runs on a pool of at most {@code n} threads per consumer, whatever the number of
   * shards it owns (threads are started when there is work and end after 30 s idle). With {@link
   * Ordering#PER_KEY} or {@link Ordering#UNORDERED}, the records of a shard between its checkpoint
   * and the last one received are at most {@link #maxBufferedRecords} (the shard is paused there),
   * and at most {@code max(4 × maxBufferedRecords, 16 × n)} for the consumer as a whole (so a shard
   * held by a failing record fills at most a quarter of it): a crash or a lost shard redelivers at
   * most those, plus what was completed since the last checkpoint write ({@link
   * #checkpointInterval}). The failure policy, dead letters, metrics and {@code pause}/{@code
   * resume} work the same in every mode.
   *
   * @param n the most handler calls at once, 1 to 4096
   * @param ordering which records may be handled at the same time
   * @return this builder
   * @throws SluiceException {@code INVALID_ARGUMENT} for {@code n} out of range
   */
  public ConsumerBuilder<K, V> concurrency(int n, Ordering ordering) {
    Validation.notNull(ordering, "ordering");
    if (n < 1 || n > ConsumerSettings.MAX_CONCURRENCY) {
      throw new SluiceException(
          ErrorCode.INVALID_ARGUMENT,
          "concurrency must be between 1 and " + ConsumerSettings.MAX_CONCURRENCY + ", not " + n);
    }
    this.concurrency = n;
    this.ordering = ordering;
    return this;
  }

  /**
   * Drops second copies of writes (effectively-once delivery without transactions): a record whose
   * write id this consumer's group has already passed on its shard is not delivered. Second copies
   * come from a send the producer retried after an acknowledgement was lost (the record was stored
   * but reported failed), or from a processor that processed its input again after a crash. Each
   * record a Sluice producer or processor writes carries a write id on a backend that declares
   * {@link Capabilities.Capability#DEDUPLICATION}; records written without one (by other producers)
   * are all delivered. What the group has passed is stored with each checkpoint in one atomic
   * write, so it survives restarts and hand-overs; dropped records are counted in the metric {@code
   * sluice.duplicates.dropped}.
   *
   * <p>For group consumers only. Checked when the consumer starts: {@code UNSUPPORTED} without a
   * group, or on a backend that does not declare {@code DEDUPLICATION}.
   *
   * @return this builder
   */
  public ConsumerBuilder<K, V> deduplicate() {
    this.deduplicate = true;
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
   *     the stream, or for manual checkpoints with an ordering other than {@link
   *     Ordering#PER_SHARD} (a checkpoint there is the completed prefix, kept by the consumer);
   *     {@code UNSUPPORTED} for {@link #deduplicate()} without a group or on a backend without
   *     {@code DEDUPLICATION}
   */
  public Consumer<K, V> start(RecordHandler<K, V> handler) {
    Validation.notNull(handler, "handler");
    if (ordering != Ordering.PER_SHARD && checkpointMode == CheckpointMode.MANUAL) {
      throw new SluiceException(
          ErrorCode.INVALID_ARGUMENT,
          "Manual checkpoints need Ordering.PER_SHARD: with "
              + ordering
              + " records complete out of order, and the consumer checkpoints their completed"
              + " prefix itself");
    }
    return runtime.startConsumer(settings().withConcurrency(concurrency, ordering), handler);
  }

  /**
   * Opens a pull consumer: call {@link PullConsumer#poll} in a loop. With automatic checkpointing,
   * the records of a poll count as processed when {@code poll} is called again or the consumer is
   * closed (not when a rebalance takes their shard away first).
   *
   * @return the pull consumer
   * @throws SluiceException as for {@link #start}; {@code INVALID_ARGUMENT} if an ordering other
   *     than {@link Ordering#PER_SHARD} was chosen (the application decides what runs in parallel
   *     with the records it polls)
   */
  public PullConsumer<K, V> open() {
    if (ordering != Ordering.PER_SHARD) {
      throw new SluiceException(
          ErrorCode.INVALID_ARGUMENT,
          "concurrency(n, " + ordering + ") is for consumers started with a handler");
    }
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
        revocationTimeout,
        deduplicate);
  }
}
