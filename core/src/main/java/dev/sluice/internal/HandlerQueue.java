package dev.sluice.internal;

import dev.sluice.Record;
import java.util.List;

/**
 * The records of one owned shard on their way to the handler, as the consumer and {@link
 * OwnedShard} see them: {@link ShardQueue} (one at a time per shard) or {@link ParallelShardQueue}
 * (several at a time, per key or unordered). An interface so that the per-shard path keeps its own,
 * cheaper class rather than becoming a special case of the parallel one.
 */
interface HandlerQueue {
  /** Queues a delivered, non-empty batch and starts handling it. */
  void enqueue(List<Record<byte[], byte[]>> records);

  /** The application paused the shard: no new handler call starts until it resumes it. */
  void pauseByApp();

  /** Lifts the application's pause and starts handling what waits. */
  void resumeByApp();

  /**
   * The driver moved the shard ({@code Consumer.seek}): drops what waits, so that the next handler
   * call is the first record from the new position; the calls in progress finish but book nothing;
   * the tracker forgets its positions ({@link CheckpointTracker#moved}, under this queue's lock, so
   * that no booking of an older record lands after it); the shard's backpressure is lifted.
   */
  void moved();

  /** Drops what waits; the calls in progress finish and book their progress. For good. */
  void close();

  boolean isClosed();

  /** True if no handler call runs and no record waits. */
  boolean isIdle();

  /** Interrupts retry backoffs, so that a halt is prompt. */
  void wake();

  /** Waits, until the deadline, for the handler calls in progress to finish. */
  boolean awaitIdle(long deadlineNanos);
}
