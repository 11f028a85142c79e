package dev.sluice.internal;

import dev.sluice.ErrorCode;
import dev.sluice.Position;
import dev.sluice.Shard;
import dev.sluice.SluiceException;
import org.jspecify.annotations.Nullable;

/**
 * The positions of one owned shard that decide what is checkpointed, each of which only moves
 * forward.
 *
 * <ul>
 *   <li><b>received</b>: the last record the driver handed to this consumer (queued for the
 *       handler, or waiting in the poll buffer). A checkpoint past it is refused.
 *   <li><b>processed</b>: the last record the handler returned on (or the failure policy skipped or
 *       dead-lettered), or, polling with automatic checkpoints, the last record of a poll the
 *       application then followed with another poll (or close).
 *   <li><b>marked</b>: the checkpoint to write, the position the group may resume after: what the
 *       application passed to {@code checkpoint}, or with automatic checkpoints the processed
 *       position.
 *   <li><b>committed</b>: the last marked position the backend confirmed it stored.
 * </ul>
 *
 * <p>Its own class so that these rules live in one place rather than in assignments spread over the
 * consumer, where one overwrite can erase a position unnoticed and let a checkpoint run ahead. A
 * position the consumer itself reports (received, processed) that goes backwards is a bug, and
 * fails with {@link IllegalStateException} instead of moving a checkpoint; an older position from
 * the application ({@code checkpoint} of an earlier record) or from a late backend confirmation
 * (two commits in flight, the later one confirmed first) is a normal event and leaves the position
 * where it is.
 *
 * <p>Thread-safe; it holds its own lock only while it runs and calls nothing, so callers may hold
 * theirs.
 */
final class CheckpointTracker {
  private final Shard shard;
  private final boolean autoCheckpoint;
  private @Nullable Position received;
  private @Nullable Position processed;
  private @Nullable Position marked;
  private @Nullable Position committed;

  CheckpointTracker(Shard shard, boolean autoCheckpoint) {
    this.shard = shard;
    this.autoCheckpoint = autoCheckpoint;
  }

  /** The driver handed this consumer records of the shard up to {@code position}. */
  synchronized void received(Position position) {
    received = forward("received", received, position);
  }

  /**
   * Records up to {@code position} were processed; with automatic checkpoints this marks them too.
   */
  synchronized void processed(Position position) {
    processed = forward("processed", processed, position);
    if (autoCheckpoint && (marked == null || position.compareTo(marked) > 0)) {
      marked = position;
    }
  }

  /**
   * The application checkpointed {@code position}: the group may resume after it.
   *
   * @throws SluiceException {@code INVALID_ARGUMENT} for a position not received yet
   */
  synchronized void mark(Position position) {
    if (received == null || position.compareTo(received) > 0) {
      throw new SluiceException(
          ErrorCode.INVALID_ARGUMENT,
          "Position "
              + position
              + " of shard "
              + shard
              + " has not been delivered to this consumer yet (last delivered: "
              + received
              + ")");
    }
    if (marked == null || position.compareTo(marked) > 0) {
      marked = position;
    }
  }

  /** The backend stored {@code position} as the shard's checkpoint. */
  synchronized void committed(Position position) {
    if (committed == null || position.compareTo(committed) > 0) {
      committed = position;
    }
  }

  /** The marked position if the backend has not stored it yet, else null. */
  synchronized @Nullable Position uncommitted() {
    if (marked == null || (committed != null && marked.compareTo(committed) <= 0)) {
      return null;
    }
    return marked;
  }

  /** True if records of the shard were processed after its last stored checkpoint. */
  synchronized boolean processedSinceCommit() {
    return processed != null && (committed == null || processed.compareTo(committed) > 0);
  }

  /**
   * True if every record received is done with: processed (automatic checkpoints) or marked
   * (manual), or nothing was received.
   */
  synchronized boolean caughtUp() {
    Position done = autoCheckpoint ? processed : marked;
    return received == null || (done != null && done.compareTo(received) >= 0);
  }

  private Position forward(String what, @Nullable Position from, Position to) {
    if (from != null && to.compareTo(from) < 0) {
      throw new IllegalStateException(
          "The " + what + " position of shard " + shard + " went back from " + from + " to " + to);
    }
    return to;
  }

  @Override
  public synchronized String toString() {
    return shard
        + "{received="
        + received
        + ", processed="
        + processed
        + ", marked="
        + marked
        + ", committed="
        + committed
        + "}";
  }
}
