package dev.sluice.kinesis.internal;

import dev.sluice.ErrorCode;
import dev.sluice.HashKeyRange;
import dev.sluice.Position;
import dev.sluice.Record;
import dev.sluice.Shard;
import dev.sluice.SluiceException;
import dev.sluice.StartPosition;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.kinesis.retrieval.AggregatorUtil;
import software.amazon.kinesis.retrieval.KinesisClientRecord;

/**
 * One shard read by a {@link StandaloneConsumer}, whether by polling ({@link PollingShardReader})
 * or by enhanced fan-out ({@link FanOutShardReader}): what both share is where to (re)start, how
 * Kinesis records become delivered Sluice records, and pausing.
 *
 * <p>Where to start: after the last Kinesis record received, once one was (a response or event is
 * delivered whole, and a KPL aggregate is one Kinesis record, so nothing is lost or repeated); if
 * none was yet, the original start, except that {@code latest} becomes {@code AT_TIMESTAMP} of the
 * moment it was first asked for: a new {@code LATEST} would skip what was written in between.
 *
 * <p>Subclasses guard their state with the reader's monitor, as this class does.
 */
abstract class ShardReader {
  private static final Logger LOG = LoggerFactory.getLogger(ShardReader.class);

  /**
   * Where a read starts: an iterator type, with a sequence number or a timestamp if it needs one.
   */
  static final class Start {
    final ShardIteratorType type;
    final @Nullable String sequenceNumber;
    final @Nullable Instant timestamp;

    private Start(
        ShardIteratorType type, @Nullable String sequenceNumber, @Nullable Instant timestamp) {
      this.type = type;
      this.sequenceNumber = sequenceNumber;
      this.timestamp = timestamp;
    }
  }

  final StandaloneConsumer consumer;
  final Shard shard;
  final HashKeyRange range;

  /** Where the shard is read from: the start position, or the last seek's. */
  private StartPosition start;

  private final AggregatorUtil aggregator = new AggregatorUtil();

  /** The sequence number of the last Kinesis record received (delivered or skipped). */
  @Nullable String lastReceived;

  /** When the first {@code LATEST} start was asked for; where to restart if nothing came since. */
  private @Nullable Instant latestAskedAt;

  /** Records at or before this (or before it, if {@link #skipInclusive} is false) are skipped. */
  private @Nullable Position skip;

  private boolean skipInclusive;

  /** The application paused the shard. */
  boolean paused;

  /** Reading waits for {@link #resume} (it was paused when the next read was due). */
  boolean parked;

  /** Stopped for good (closed, failed, or read to its end). */
  boolean stopped;

  /** Read to its end: {@link StandaloneConsumer#ended} is or will be called; seeking fails. */
  boolean ending;

  /** Failed attempts in a row, for the backoff. */
  int attempts;

  /**
   * How many times the application moved the shard ({@link #seek}): the answer to a call made
   * before a move is dropped, and reading goes on from where the move set.
   */
  int moves;

  ShardReader(StandaloneConsumer consumer, Shard shard, HashKeyRange range, StartPosition start) {
    this.consumer = consumer;
    this.shard = shard;
    this.range = range;
    this.start = start;
  }

  /** Starts reading, or goes on after a pause or a failure. */
  abstract void step();

  /**
   * Moves the shard ({@code Consumer.seek}). Fails with {@code INVALID_ARGUMENT} if the reader no
   * longer reads the shard, {@code FAILED_PRECONDITION} if the shard was read to its end.
   *
   * @param target where to read from next
   */
  abstract void seek(StartPosition target);

  /**
   * Under this reader's lock: throws unless the shard may be moved now.
   *
   * @param current whether the consumer still has this reader for the shard
   */
  final void checkSeekable(boolean current) {
    if (stopped || consumer.isClosed() || !current) {
      throw new SluiceException(
          ErrorCode.INVALID_ARGUMENT,
          "Shard " + shard + " of '" + consumer.stream + "' is not assigned to this consumer");
    }
    if (ending) {
      throw new SluiceException(
          ErrorCode.FAILED_PRECONDITION,
          "Shard " + shard + " of '" + consumer.stream + "' was read to its end");
    }
  }

  /**
   * Under this reader's lock, which every delivery of the shard holds: makes {@code target} where
   * reading goes on, forgets what was received before, and tells the sink, so that nothing read
   * before the move is delivered after it.
   *
   * @param target the new position
   * @param latestAt for {@code latest}, the moment the seek was asked for (a later restart reads
   *     from it); else ignored
   */
  final void moved(StartPosition target, Instant latestAt) {
    moves++;
    start = target;
    latestAskedAt = target.kind() == StartPosition.Kind.LATEST ? latestAt : null;
    lastReceived = null;
    attempts = 0;
    skip = null;
    if (target.kind() == StartPosition.Kind.POSITIONS) {
      skip = target.positions().get(shard);
      skipInclusive = !target.isInclusive();
    }
    consumer.sink().moved(shard);
  }

  /** Where the next read starts. Under this reader's lock. */
  final Start nextStart() {
    if (lastReceived != null) {
      return new Start(ShardIteratorType.AFTER_SEQUENCE_NUMBER, lastReceived, null);
    }
    switch (start.kind()) {
      case LATEST:
        if (latestAskedAt != null) {
          // Nothing arrived since the first start: read from when it was made.
          return new Start(ShardIteratorType.AT_TIMESTAMP, null, latestAskedAt);
        }
        latestAskedAt = Instant.now();
        return startOf(start);
      case POSITIONS:
        skip = start.positions().get(shard);
        skipInclusive = !start.isInclusive();
        return startOf(start);
      default:
        return startOf(start);
    }
  }

  /** Where reading from {@code position} starts, with {@code latest} as {@code LATEST}. */
  final Start startOf(StartPosition position) {
    switch (position.kind()) {
      case LATEST:
        return new Start(ShardIteratorType.LATEST, null, null);
      case AT_TIMESTAMP:
        return new Start(ShardIteratorType.AT_TIMESTAMP, null, position.timestamp());
      case POSITIONS:
        Position p = position.positions().get(shard);
        return new Start(ShardIteratorType.AT_SEQUENCE_NUMBER, p.sequenceNumber(), null);
      case EARLIEST:
      default:
        return new Start(ShardIteratorType.TRIM_HORIZON, null, null);
    }
  }

  /**
   * Deaggregates what one read returned, drops what the start position skips, and delivers the
   * rest. Under this reader's lock.
   */
  final void deliver(
      List<software.amazon.awssdk.services.kinesis.model.Record> received,
      @Nullable Long millisBehindLatest) {
    List<KinesisClientRecord> raw = new ArrayList<>(received.size());
    for (software.amazon.awssdk.services.kinesis.model.Record r : received) {
      raw.add(KinesisClientRecord.fromRecord(r));
    }
    List<KinesisClientRecord> records = aggregator.deaggregate(raw, range.start(), range.end());
    List<Record<byte[], byte[]>> batch = new ArrayList<>(records.size());
    for (KinesisClientRecord r : records) {
      Position position = Records.position(r);
      if (skip != null) {
        int c = position.compareTo(skip);
        if (c < 0 || (c == 0 && skipInclusive)) {
          continue;
        }
        skip = null;
      }
      batch.add(Records.toSluice(consumer.stream, shard, r));
    }
    if (!received.isEmpty()) {
      lastReceived = received.get(received.size() - 1).sequenceNumber();
    }
    if (!batch.isEmpty()) {
      consumer
          .sink()
          .deliver(shard, batch, millisBehindLatest == null ? -1 : millisBehindLatest, -1);
    }
  }

  /**
   * A call failed: retries after a backoff if the error is retryable, else stops the consumer.
   * Under this reader's lock.
   *
   * @return true if it will be retried
   */
  final boolean retryOrFail(Throwable cause) {
    SluiceException portable = KinesisErrors.translate(cause);
    if (portable.isRetryable()) {
      attempts++;
      if (attempts == 10) {
        LOG.warn(
            "Reading shard {} of '{}' keeps failing; still retrying: {}",
            shard,
            consumer.stream,
            portable.getMessage());
      }
      consumer.schedule(this::step, StandaloneConsumer.backoffMillis(attempts));
      return true;
    }
    stopped = true;
    consumer.sink().failed(cause);
    return false;
  }

  /** Whether a read may go on now; if paused, remembers to go on at {@link #resume}. */
  final boolean mayRead() {
    if (stopped || consumer.isClosed()) {
      return false;
    }
    if (paused) {
      parked = true;
      return false;
    }
    return true;
  }

  synchronized void pause() {
    paused = true;
  }

  void resume() {
    boolean restart;
    synchronized (this) {
      paused = false;
      restart = parked;
      parked = false;
    }
    if (restart) {
      consumer.schedule(this::step, 0);
    }
  }

  /** Stops for good; waits for a delivery in progress. */
  synchronized void stop() {
    stopped = true;
  }
}
