package dev.sluice.internal;

import dev.sluice.Position;
import dev.sluice.Shard;
import dev.sluice.spi.ConsumerDriver;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;

/**
 * A shard this consumer owns now: its checkpoint positions, its backpressure, and with a handler
 * its queue; made when the shard is assigned (or its first records arrive) and dropped when it is
 * revoked or ends.
 *
 * <p>Separate from the pieces it holds because giving a shard up waits for all of them at once
 * ({@link #awaitFinished}: the queue idle and every record received processed), so this is where
 * they signal progress. Its lock is only for that wait: it is taken before the queue's or the
 * tracker's, never while holding them.
 */
final class OwnedShard {
  final Shard shard;
  final CheckpointTracker checkpoints;
  final Backpressure backpressure;

  /** The records waiting for the handler; null for a pull consumer (its records are polled). */
  final @Nullable HandlerQueue queue;

  /** The shard is being given up: no more records of it are taken. */
  private volatile boolean revoked;

  /** Makes the handler's queue of a shard; the consumer's choice of {@link HandlerQueue}. */
  interface QueueFactory {
    HandlerQueue newQueue(
        Shard shard, CheckpointTracker checkpoints, Backpressure backpressure, Runnable onProgress);
  }

  OwnedShard(
      Shard shard, boolean autoCheckpoint, ConsumerDriver driver, @Nullable QueueFactory queues) {
    this.shard = shard;
    this.checkpoints = new CheckpointTracker(shard, autoCheckpoint);
    this.backpressure = new Backpressure(driver, shard);
    this.queue =
        queues == null ? null : queues.newQueue(shard, checkpoints, backpressure, this::progressed);
  }

  /** Stops taking records of the shard and drops those queued; for good. */
  void revoke() {
    revoked = true;
    if (queue != null) {
      queue.close();
    }
    progressed();
  }

  boolean isRevoked() {
    return revoked;
  }

  /** Records up to {@code position} were processed (the poll after the one that returned them). */
  void processed(Position position) {
    checkpoints.processed(position);
    progressed();
  }

  /**
   * The application checkpointed {@code position}.
   *
   * @throws dev.sluice.SluiceException {@code INVALID_ARGUMENT} for a position not received yet
   */
  void mark(Position position) {
    checkpoints.mark(position);
    progressed();
  }

  /** Wakes whatever waits on the shard, so that a halt is seen at once. */
  void wake() {
    if (queue != null) {
      queue.wake();
    }
    progressed();
  }

  /** Wakes {@link #awaitFinished}; called after a piece changed, holding none of their locks. */
  synchronized void progressed() {
    notifyAll();
  }

  /** Waits, until the deadline, for the handler call in progress to finish. */
  boolean awaitIdle(long deadlineNanos) {
    return queue == null || queue.awaitIdle(deadlineNanos);
  }

  /**
   * Waits until every record received is processed (and, with manual checkpoints, marked): true if
   * so, false if the consumer halted or the shard was given up or stopped first.
   */
  synchronized boolean awaitFinished(BooleanSupplier halted) {
    while (!halted.getAsBoolean() && !revoked && !(queue != null && queue.isClosed())) {
      boolean idle = queue == null || queue.isIdle();
      if (idle && checkpoints.caughtUp()) {
        return true;
      }
      try {
        // Every change calls progressed(); the timeout is only a safety net.
        wait(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return false;
  }

  @Override
  public String toString() {
    return checkpoints.toString();
  }
}
