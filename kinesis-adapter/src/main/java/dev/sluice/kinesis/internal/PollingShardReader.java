package dev.sluice.kinesis.internal;

import dev.sluice.HashKeyRange;
import dev.sluice.Shard;
import dev.sluice.StartPosition;
import java.time.Instant;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.services.kinesis.model.ExpiredIteratorException;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.GetShardIteratorRequest;
import software.amazon.awssdk.services.kinesis.model.GetShardIteratorResponse;

/**
 * Reads one shard with {@code GetShardIterator} and {@code GetRecords}: a chain of asynchronous
 * calls, at most one at a time. After a full batch the next read starts as soon as Kinesis allows
 * (a shard takes 5 {@code GetRecords} calls a second, so 200 ms after the previous call started: a
 * reader of small batches catching up would otherwise be throttled, and throttle the shard's other
 * readers with it), and {@code poll.interval.ms} (200 ms) after anything less. An expired iterator
 * ({@code ExpiredIteratorException}: five minutes unused on AWS, e.g. while the application pauses
 * the shard) is replaced by a new one from {@link #nextStart()}.
 */
final class PollingShardReader extends ShardReader {
  /** Kinesis allows 5 {@code GetRecords} calls a second per shard. */
  static final long MIN_READ_GAP_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

  private @Nullable String iterator;
  private long lastReadNanos = System.nanoTime() - MIN_READ_GAP_NANOS; // under this reader's lock

  PollingShardReader(
      StandaloneConsumer consumer, Shard shard, HashKeyRange range, StartPosition start) {
    super(consumer, shard, range, start);
  }

  /** Issues the next call unless paused or stopped. */
  @Override
  void step() {
    String current;
    GetShardIteratorRequest request = null;
    int movesNow;
    synchronized (this) {
      if (!mayRead()) {
        return;
      }
      current = iterator;
      movesNow = moves;
      if (current != null) {
        lastReadNanos = System.nanoTime();
      }
      if (current == null) {
        request = iteratorRequest(consumer.stream, shard.id(), nextStart());
      }
    }
    if (request != null) {
      consumer
          .kinesis
          .getShardIterator(request)
          .whenComplete((response, error) -> iteratorAcquired(response, error, movesNow));
    } else {
      consumer
          .kinesis
          .getRecords(b -> b.shardIterator(current).limit(consumer.batchLimit))
          .whenComplete((response, error) -> recordsRead(response, error, movesNow));
    }
  }

  /**
   * Takes an iterator at the new position now (so that {@code latest} means the records sent after
   * the seek returns), then, under this reader's lock, makes it the one the chain reads next and
   * tells the sink. The answer to a call in flight from before is dropped.
   */
  @Override
  void seek(StartPosition target) {
    Instant askedAt = Instant.now();
    GetShardIteratorRequest request;
    synchronized (this) {
      checkSeekable(consumer.reads(this));
      request = iteratorRequest(consumer.stream, shard.id(), startOf(target));
    }
    String moved;
    try {
      moved = consumer.kinesis.getShardIterator(request).join().shardIterator();
    } catch (CompletionException e) {
      throw KinesisErrors.translate(KinesisErrors.unwrap(e));
    }
    synchronized (this) {
      checkSeekable(consumer.reads(this));
      moved(target, askedAt);
      iterator = moved;
    }
  }

  static GetShardIteratorRequest iteratorRequest(String stream, String shardId, Start start) {
    return GetShardIteratorRequest.builder()
        .streamName(stream)
        .shardId(shardId)
        .shardIteratorType(start.type)
        .startingSequenceNumber(start.sequenceNumber)
        .timestamp(start.timestamp)
        .build();
  }

  private void iteratorAcquired(
      @Nullable GetShardIteratorResponse response, @Nullable Throwable error, int movesThen) {
    boolean end;
    synchronized (this) {
      if (stopped || consumer.isClosed()) {
        return;
      }
      if (movesThen != moves) {
        consumer.schedule(this::step, 0); // moved meanwhile: read from the move's iterator
        return;
      }
      if (error != null) {
        failedCall(error);
        return;
      }
      iterator = response.shardIterator();
      attempts = 0;
      end = iterator == null;
      ending = end;
    }
    if (end) {
      consumer.ended(this);
      return;
    }
    step();
  }

  private void recordsRead(
      @Nullable GetRecordsResponse response, @Nullable Throwable error, int movesThen) {
    boolean end;
    long delay;
    synchronized (this) {
      if (stopped || consumer.isClosed()) {
        return;
      }
      if (movesThen != moves) {
        consumer.schedule(this::step, 0); // moved meanwhile: read from the move's iterator
        return;
      }
      if (error != null) {
        failedCall(error);
        return;
      }
      attempts = 0;
      deliver(response.records(), response.millisBehindLatest());
      iterator = response.nextShardIterator();
      end = iterator == null;
      ending = end;
      delay =
          response.records().size() >= consumer.batchLimit
              ? ceilMillis(MIN_READ_GAP_NANOS - (System.nanoTime() - lastReadNanos))
              : consumer.pollInterval.toMillis();
    }
    if (end) {
      consumer.ended(this);
    } else {
      consumer.schedule(this::step, delay);
    }
  }

  /** Milliseconds to wait, rounded up: a gap rounded down would be shorter than Kinesis allows. */
  private static long ceilMillis(long nanos) {
    return nanos <= 0 ? 0 : (nanos + 999_999) / 1_000_000;
  }

  /** Under this reader's lock. */
  private void failedCall(Throwable error) {
    Throwable cause = KinesisErrors.unwrap(error);
    if (cause instanceof ExpiredIteratorException) {
      iterator = null;
      consumer.schedule(this::step, 0);
      return;
    }
    retryOrFail(cause);
  }
}
