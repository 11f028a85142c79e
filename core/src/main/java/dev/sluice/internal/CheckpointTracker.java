package dev.sluice.internal;

import dev.sluice.ErrorCode;
import dev.sluice.Position;
import dev.sluice.Shard;
import dev.sluice.SluiceException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * <p>The one way back is explicit: a backend may deliver a shard again from a position at or before
 * one already received (Kafka resets an offset that is out of range, after an unclean leader
 * election truncated the log or the topic was deleted and created again, to its oldest record). The
 * shard's records from there on are not the ones received before, so {@link #rewind} forgets every
 * position at or after it; the caller checks for it with {@link #isRedelivery} before it reports
 * the batch received.
 *
 * <p>The other way back is the application's: {@code Consumer.seek} moves the shard, and once the
 * driver did, {@link #moved} forgets every position (while the seek is under way, {@link #seeking}
 * holds the checkpoint back).
 *
 * <p>Thread-safe; it holds its own lock only while it runs and calls nothing, so callers may hold
 * theirs.
 */
final class CheckpointTracker {
  private static final Logger LOG = LoggerFactory.getLogger(CheckpointTracker.class);

  /**
   * A marked position handed to the backend to store, and how many rewinds the shard had then: a
   * confirmation that comes back after a rewind is of a position that no longer stands.
   */
  record ToCommit(Position position, long rewinds) {}

  private final Shard shard;
  private final boolean autoCheckpoint;
  private @Nullable Position received;
  private @Nullable Position processed;
  private @Nullable Position marked;
  private @Nullable Position committed;
  private long rewinds;

  /** Seeks asked of the driver and not yet applied or failed: nothing is committed meanwhile. */
  private int seeksPending;

  CheckpointTracker(Shard shard, boolean autoCheckpoint) {
    this.shard = shard;
    this.autoCheckpoint = autoCheckpoint;
  }

  /** The driver handed this consumer records of the shard up to {@code position}. */
  synchronized void received(Position position) {
    received = forward("received", received, position);
  }

  /**
   * True if a batch that starts at {@code first} goes back to, or before, a record already
   * received: the backend delivers the shard again from an earlier position.
   */
  synchronized boolean isRedelivery(Position first) {
    return received != null && first.compareTo(received) <= 0;
  }

  /**
   * The backend delivers the shard again from {@code first}, at or before a record already received
   * (see the class comment). Every position at or after {@code first} (received, processed, marked,
   * confirmed) is forgotten, so none of them becomes or blocks a checkpoint: the records there are
   * handled again, and their positions are checkpointed as they are processed, even where that
   * moves the stored checkpoint back. Positions before {@code first} stand.
   */
  synchronized void rewind(Position first) {
    LOG.warn(
        "Shard {} is delivered again from {}, at or before {} already received (the backend went"
            + " back, e.g. Kafka reset an out-of-range offset after its log was truncated): the"
            + " records from there are handled again",
        shard,
        first,
        received);
    received = before(first, received);
    processed = before(first, processed);
    marked = before(first, marked);
    committed = before(first, committed);
    rewinds++;
  }

  /**
   * The application asked for a seek ({@code Consumer.seek}): until the driver moved the shard (or
   * failed to), no checkpoint of the shard is handed out. A checkpoint taken now and written after
   * the driver stored the seek's position would move the group's checkpoint back over it.
   */
  synchronized void seeking() {
    seeksPending++;
  }

  /** The driver could not move the shard: its positions stand, and are committed again. */
  synchronized void seekFailed() {
    if (seeksPending > 0) {
      seeksPending--;
    }
  }

  /**
   * The driver moved the shard (and, in a group, stored the new position as its checkpoint): every
   * position is forgotten, as after a {@link #rewind} to before all of them, so the records read
   * from the new position are checkpointed as they are processed even where that is before what was
   * processed until now. A confirmation of an earlier commit that comes back later is ignored.
   */
  synchronized void moved() {
    received = null;
    processed = null;
    marked = null;
    committed = null;
    rewinds++;
    if (seeksPending > 0) {
      seeksPending--;
    }
  }

  private static @Nullable Position before(Position first, @Nullable Position position) {
    return position != null && position.compareTo(first) < 0 ? position : null;
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

  /**
   * The marked position if the backend has not stored it yet (with the rewinds so far), or null.
   */
  synchronized @Nullable ToCommit toCommit() {
    Position p = uncommitted();
    return p == null ? null : new ToCommit(p, rewinds);
  }

  /**
   * The backend stored what {@link #toCommit} returned; ignored if the shard was rewound since, as
   * that position no longer stands for the records now there.
   */
  synchronized void committed(ToCommit stored) {
    if (stored.rewinds() == rewinds) {
      committed(stored.position());
    }
  }

  /** The marked position if the backend has not stored it yet, else null. */
  synchronized @Nullable Position uncommitted() {
    if (seeksPending > 0
        || marked == null
        || (committed != null && marked.compareTo(committed) <= 0)) {
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
