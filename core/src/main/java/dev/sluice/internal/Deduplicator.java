package dev.sluice.internal;

import dev.sluice.Position;
import dev.sluice.Record;
import dev.sluice.Shard;
import dev.sluice.spi.StoredWriteId;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A deduplicating consumer's filter: drops records whose write id the consumer's group has already
 * passed on a shard ({@link DedupState}), and gives the driver the state to store with each
 * checkpoint so that a restart or a hand-over goes on from exactly there.
 *
 * <p>Why two states per shard: the filter decides as records arrive, ahead of what is processed and
 * checkpointed, but the state stored with a checkpoint must be the one <i>at</i> that checkpoint. A
 * state ahead of it would, after a restart, take the records between the checkpoint and the state
 * for second copies and drop them unprocessed. So the records accepted since the last stored
 * checkpoint wait in a queue, and {@link #stateAt} feeds those up to the checkpoint to a second
 * state that stays at the checkpoint. The queue holds what the consumer has not checkpointed yet,
 * as its buffers do.
 *
 * <p>A restored state also names its checkpoint; records at or before it are dropped too. The
 * driver writes the state before (or with) its own checkpoint, so a crash between the two leaves
 * the state's checkpoint ahead of the backend's, and these records were processed already.
 *
 * <p>Thread-safe: each shard's part has its own lock.
 */
final class Deduplicator {
  private static final Logger LOG = LoggerFactory.getLogger(Deduplicator.class);

  private final String clientId;
  private final Map<Shard, ShardPart> shards = new ConcurrentHashMap<>();

  Deduplicator(String clientId) {
    this.clientId = clientId;
  }

  private static final class ShardPart {
    final DedupState live;
    DedupState stored;
    @Nullable Position storedAt;
    final @Nullable Position restoredAt;
    final ArrayDeque<Accepted> pending = new ArrayDeque<>();

    ShardPart(DedupState.@Nullable Restored restored) {
      this.stored = restored == null ? new DedupState() : restored.state();
      this.live = stored.copy();
      this.storedAt = restored == null ? null : restored.checkpoint();
      this.restoredAt = storedAt;
    }
  }

  private record Accepted(Position position, StoredWriteId id) {}

  /** The shard was assigned with this state stored beside its checkpoint (null: none). */
  void restore(Shard shard, byte @Nullable [] state) {
    DedupState.Restored restored = null;
    if (state != null) {
      restored = DedupState.decode(state);
      if (restored == null) {
        LOG.warn(
            "{}: the deduplication state stored for shard {} is unreadable; starting without it"
                + " (second copies of earlier writes may be delivered)",
            clientId,
            shard);
      }
    }
    shards.put(shard, new ShardPart(restored));
  }

  /**
   * The records of the batch that are not second copies, in order; {@code ids} has one entry per
   * record (null: no id, always kept).
   */
  List<Record<byte[], byte[]>> filter(
      Shard shard,
      List<Record<byte[], byte[]>> records,
      List<? extends @Nullable StoredWriteId> ids) {
    ShardPart part = shards.computeIfAbsent(shard, s -> new ShardPart(null));
    List<Record<byte[], byte[]>> kept = null;
    synchronized (part) {
      for (int i = 0; i < records.size(); i++) {
        Record<byte[], byte[]> r = records.get(i);
        StoredWriteId id = ids.get(i);
        Position position = r.position();
        boolean keep;
        if (part.restoredAt != null
            && position != null
            && position.compareTo(part.restoredAt) <= 0) {
          keep = false;
        } else if (id == null) {
          keep = true;
        } else {
          keep = part.live.accept(id);
          if (keep) {
            part.pending.add(new Accepted(position, id));
          }
        }
        if (!keep && kept == null) {
          kept = new ArrayList<>(records.subList(0, i));
        } else if (keep && kept != null) {
          kept.add(r);
        }
      }
    }
    return kept == null ? records : kept;
  }

  /**
   * The state to store with checkpoint {@code position} of the shard, or null if there is none to
   * store (a checkpoint older than one already taken: storing none lets second copies through
   * rather than dropping records).
   */
  byte @Nullable [] stateAt(Shard shard, Position position) {
    ShardPart part = shards.get(shard);
    if (part == null) {
      return null;
    }
    synchronized (part) {
      if (part.storedAt != null && position.compareTo(part.storedAt) < 0) {
        return null;
      }
      while (!part.pending.isEmpty() && part.pending.peek().position().compareTo(position) <= 0) {
        part.stored.accept(part.pending.poll().id());
      }
      part.storedAt = position;
      return part.stored.encode(position);
    }
  }

  /** The shard ended: nothing of it is needed any more. */
  void forget(Shard shard) {
    shards.remove(shard);
  }
}
