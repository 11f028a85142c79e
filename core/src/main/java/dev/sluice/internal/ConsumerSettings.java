package dev.sluice.internal;

import dev.sluice.CheckpointMode;
import dev.sluice.FailurePolicy;
import dev.sluice.Ordering;
import dev.sluice.Serde;
import dev.sluice.ShardListener;
import dev.sluice.StartPosition;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/** A snapshot of what a {@code ConsumerBuilder} was told. */
public final class ConsumerSettings<K, V> {
  private final String stream;
  private final @Nullable String group;
  private final Serde<K> keySerde;
  private final Serde<V> valueSerde;
  private final StartPosition startPosition;
  private final CheckpointMode checkpointMode;
  private final Duration checkpointInterval;
  private final ShardListener listener;
  private final FailurePolicy failurePolicy;
  private final int maxBufferedRecords;
  private final int maxPollRecords;
  private final Duration revocationTimeout;
  private int concurrency = DEFAULT_CONCURRENCY;
  private Ordering ordering = Ordering.PER_SHARD;

  /** Handler threads of a consumer that was not given a concurrency. */
  public static final int DEFAULT_CONCURRENCY = 64;

  /** The most handler threads one consumer may have. */
  public static final int MAX_CONCURRENCY = 4096;

  private final boolean deduplicate;

  public ConsumerSettings(
      String stream,
      @Nullable String group,
      Serde<K> keySerde,
      Serde<V> valueSerde,
      StartPosition startPosition,
      CheckpointMode checkpointMode,
      Duration checkpointInterval,
      ShardListener listener,
      FailurePolicy failurePolicy,
      int maxBufferedRecords,
      int maxPollRecords,
      Duration revocationTimeout) {
    this(
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
        false);
  }

  public ConsumerSettings(
      String stream,
      @Nullable String group,
      Serde<K> keySerde,
      Serde<V> valueSerde,
      StartPosition startPosition,
      CheckpointMode checkpointMode,
      Duration checkpointInterval,
      ShardListener listener,
      FailurePolicy failurePolicy,
      int maxBufferedRecords,
      int maxPollRecords,
      Duration revocationTimeout,
      boolean deduplicate) {
    this.deduplicate = deduplicate;
    this.stream = stream;
    this.group = group;
    this.keySerde = keySerde;
    this.valueSerde = valueSerde;
    this.startPosition = startPosition;
    this.checkpointMode = checkpointMode;
    this.checkpointInterval = checkpointInterval;
    this.listener = listener;
    this.failurePolicy = failurePolicy;
    this.maxBufferedRecords = maxBufferedRecords;
    this.maxPollRecords = maxPollRecords;
    this.revocationTimeout = revocationTimeout;
  }

  public String stream() {
    return stream;
  }

  public @Nullable String group() {
    return group;
  }

  public Serde<K> keySerde() {
    return keySerde;
  }

  public Serde<V> valueSerde() {
    return valueSerde;
  }

  public StartPosition startPosition() {
    return startPosition;
  }

  public CheckpointMode checkpointMode() {
    return checkpointMode;
  }

  public Duration checkpointInterval() {
    return checkpointInterval;
  }

  public ShardListener listener() {
    return listener;
  }

  public FailurePolicy failurePolicy() {
    return failurePolicy;
  }

  public int maxBufferedRecords() {
    return maxBufferedRecords;
  }

  public int maxPollRecords() {
    return maxPollRecords;
  }

  public Duration revocationTimeout() {
    return revocationTimeout;
  }

  /** This snapshot with a concurrency and ordering (the constructor keeps the defaults). */
  public ConsumerSettings<K, V> withConcurrency(int concurrency, Ordering ordering) {
    ConsumerSettings<K, V> copy =
        new ConsumerSettings<>(
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
    copy.concurrency = concurrency;
    copy.ordering = ordering;
    return copy;
  }

  /** The most handler calls at once (and handler threads) of the consumer. */
  public int concurrency() {
    return concurrency;
  }

  public Ordering ordering() {
    return ordering;
  }

  /** True if second copies of writes are dropped ({@code ConsumerBuilder.deduplicate()}). */
  public boolean deduplicate() {
    return deduplicate;
  }
}
