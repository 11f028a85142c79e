package dev.sluice.internal;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The consumer-wide bound on records received and not yet behind a checkpoint, for the parallel
 * orderings: each {@link ParallelShardQueue} pauses its shard while the consumer is over the limit,
 * so memory and redelivery after a crash are bounded per consumer, not only per shard. Over once
 * the count reaches the limit, under again once it falls to half (so a shard is not paused and
 * resumed for every record); falling under tells every shard to reconsider.
 *
 * <p>Its lock is held only while counting; the shards are told without it (they take their own
 * locks, and a shard never calls {@link #release} holding its lock).
 */
final class InFlightLimit {
  private final int limit;
  private final Set<Runnable> onUnder = ConcurrentHashMap.newKeySet();
  private int count;
  private boolean over;

  InFlightLimit(int limit) {
    this.limit = limit;
  }

  synchronized void add(int records) {
    count += records;
    if (count >= limit) {
      over = true;
    }
  }

  synchronized boolean over() {
    return over;
  }

  /** {@code records} left the window; tells the shards if this brought the consumer under. */
  void release(int records) {
    boolean under;
    synchronized (this) {
      count -= records;
      under = over && count <= limit / 2;
      if (under) {
        over = false;
      }
    }
    if (under) {
      onUnder.forEach(Runnable::run);
    }
  }

  void subscribe(Runnable reconsider) {
    onUnder.add(reconsider);
  }

  void unsubscribe(Runnable reconsider) {
    onUnder.remove(reconsider);
  }

  synchronized int count() {
    return count;
  }
}
