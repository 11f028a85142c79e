package dev.sluice.kinesis.internal;

import dev.sluice.Position;
import dev.sluice.Shard;
import java.math.BigInteger;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Aggregates that Kinesis stored on a shard other than the one they were built for: the stream was
 * resharded while they were sent. Readers of that shard drop a record of an aggregate whose hash
 * key the shard does not cover, so whether such an aggregate counts is known only once the shard
 * map is reloaded. Its records then go through routing again ({@link PutRecordsOutcome} sends them
 * back, the reload requeues them), and routing asks {@link #confirmed} first: a record is stored
 * for good where its aggregate landed if that shard covers every record of the aggregate and no
 * earlier record of its key is being sent again (confirming it then would put it before that one);
 * otherwise it is sent again, re-aggregated for the shard that now holds its key.
 *
 * <p>Guarded by the batcher's lock, like the queues; calls nothing out.
 */
final class LandedAggregates {
  /** Hash keys of records routed in the current pass over the inbox, while confirming. */
  private final Set<BigInteger> sentAgain = new HashSet<>();

  /** An aggregate landed elsewhere: the next pass over the inbox sorts out its records. */
  private boolean confirming;

  /**
   * Notes that an aggregate built for one shard was stored on {@code landed} at {@code sequence}:
   * its records carry where (each at its subsequence number) until routing looks at them again.
   */
  void landed(List<PendingRecord> members, Shard landed, String sequence) {
    Landed where = new Landed(landed, members);
    for (int j = 0; j < members.size(); j++) {
      PendingRecord p = members.get(j);
      p.landed = where;
      p.landedPosition = Position.of(sequence, j);
    }
    confirming = true;
  }

  /**
   * Called by routing for each record it takes from the inbox, in order: true if the record is
   * stored for good where its aggregate landed (its outcome is added to {@code outcomes}), false if
   * it is to be routed and sent as usual.
   */
  boolean confirmed(PendingRecord p, ShardMap map, List<Runnable> outcomes) {
    Landed where = p.landed;
    if (where != null) {
      Position position = p.landedPosition;
      p.landed = null;
      p.landedPosition = null;
      if (where.readable(map) && !sentAgain.contains(p.hashKey())) {
        Shard shard = where.shard;
        outcomes.add(() -> p.sent(shard, position));
        return true;
      }
    }
    if (confirming) {
      sentAgain.add(p.hashKey());
    }
    return false;
  }

  /** Routing has taken every record from the inbox: the landed aggregates are sorted out. */
  void passEnded() {
    sentAgain.clear();
    confirming = false;
  }

  /** An aggregate stored on a shard other than the one it was built for. */
  static final class Landed {
    final Shard shard;
    final List<PendingRecord> members;
    private @Nullable Boolean readable;

    Landed(Shard shard, List<PendingRecord> members) {
      this.shard = shard;
      this.members = members;
    }

    /** Whether readers of that shard keep it: the shard covers every record's hash key. */
    boolean readable(ShardMap map) {
      if (readable == null) {
        ShardMap.Entry entry = map.get(shard);
        boolean all = entry != null;
        for (int i = 0; all && i < members.size(); i++) {
          all = entry.range.contains(members.get(i).hashKey());
        }
        readable = all;
      }
      return readable;
    }
  }
}
