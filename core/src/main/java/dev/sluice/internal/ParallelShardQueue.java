package dev.sluice.internal;

import dev.sluice.Position;
import dev.sluice.Record;
import dev.sluice.Shard;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The records of one shard handled several at a time, for {@code Ordering.PER_KEY} and {@code
 * UNORDERED}: records are put in lanes (one per key, or one per record when unordered), a lane runs
 * its records one after another on the consumer's bounded pool, and lanes run in parallel. What is
 * checkpointed is the {@link CompletedPrefix}: never past a record still in progress.
 *
 * <p>Backpressure pauses the shard while the records between its checkpoint and the last one
 * received reach {@code maxBufferedRecords} (one slow record holds that window, so this is also the
 * bound on what a crash redelivers), or while the consumer as a whole is over its {@link
 * InFlightLimit}.
 *
 * <p>A backend may deliver the shard again from an earlier position ({@link #rewind}): the records
 * from there on are dropped from the window and handled again as they come, a key's after its call
 * in progress.
 *
 * <p>A lane whose record keeps failing retries under the failure policy on its own pool thread;
 * other lanes go on. Everything here is guarded by this object's lock; the handler runs without it;
 * the checkpoint tracker is told under it (its positions must move forward, and two lanes finishing
 * at once would otherwise report out of order).
 */
final class ParallelShardQueue implements HandlerQueue, HandlerInvoker.Attempts {
  /** The lane of records without a key: handled in order among themselves. */
  private static final Object NO_KEY = new Object();

  private final Shard shard;
  private final CheckpointTracker checkpoints;
  private final Backpressure backpressure;
  private final Runnable onProgress;
  private final ShardQueue.Handling handling;
  private final InFlightLimit limit;
  private final boolean byKey;
  private final Runnable reconsider = this::reconsider;

  /** Replaced when the application moves the shard: the records in it are the old position's. */
  private CompletedPrefix prefix = new CompletedPrefix();

  /**
   * How many times the application moved the shard ({@code Consumer.seek}): a lane made before a
   * move hands no more records to the handler, and what it finishes books nothing.
   */
  private int moves;

  /** Key mode: the lanes with records waiting or in progress. */
  private final Map<Object, Lane> lanes = new HashMap<>();

  /** Lanes with records that were not started because the application paused the shard. */
  private final ArrayDeque<Lane> held = new ArrayDeque<>();

  private int waiting;
  private int running;

  /** Records counted in {@link #limit} and not yet released. */
  private int counted;

  /** Paused for its own window (with hysteresis: until it falls to half). */
  private boolean windowFull;

  private volatile boolean closed;
  private volatile boolean pausedByApp;

  /** Records of one key (or one record) handled one after another. */
  private final class Lane implements Runnable {
    final Object key;
    final int movesWhenMade = moves;
    final ArrayDeque<CompletedPrefix.Entry> records = new ArrayDeque<>(2);
    boolean scheduled;
    boolean isHeld;

    Lane(Object key) {
      this.key = key;
    }

    @Override
    public void run() {
      runLane(this);
    }
  }

  ParallelShardQueue(
      Shard shard,
      CheckpointTracker checkpoints,
      Backpressure backpressure,
      Runnable onProgress,
      ShardQueue.Handling handling,
      InFlightLimit limit,
      boolean byKey) {
    this.shard = shard;
    this.checkpoints = checkpoints;
    this.backpressure = backpressure;
    this.onProgress = onProgress;
    this.handling = handling;
    this.limit = limit;
    this.byKey = byKey;
    limit.subscribe(reconsider);
  }

  @Override
  public void enqueue(List<Record<byte[], byte[]>> records) {
    List<Lane> start = new ArrayList<>();
    boolean tell;
    int dropped = 0;
    synchronized (this) {
      if (closed) {
        return;
      }
      Position first = records.get(0).position();
      if (checkpoints.isRedelivery(first)) {
        dropped = rewind(first);
      }
      checkpoints.received(records.get(records.size() - 1).position());
      limit.add(records.size());
      counted += records.size();
      for (Record<byte[], byte[]> r : records) {
        CompletedPrefix.Entry e = prefix.add(r);
        waiting++;
        Lane lane;
        if (byKey) {
          Object key = r.key() == null ? NO_KEY : ByteBuffer.wrap(r.key());
          lane = lanes.get(key);
          if (lane == null) {
            lane = new Lane(key);
            lanes.put(key, lane);
          }
        } else {
          lane = new Lane(NO_KEY);
        }
        lane.records.add(e);
        if (!lane.scheduled) {
          if (pausedByApp || handling.halted()) {
            hold(lane);
          } else {
            lane.scheduled = true;
            start.add(lane);
          }
        }
      }
      tell = wantPaused();
    }
    if (dropped > 0) {
      limit.release(dropped);
    }
    if (tell) {
      backpressure.tellDriver();
    }
    for (Lane lane : start) {
      submit(lane);
    }
  }

  /**
   * The backend delivers the shard again from {@code first} (see {@link CheckpointTracker}): the
   * records received from there on are no longer the shard's. Those waiting are not started (their
   * lanes skip them); those in the handler finish, but their end books nothing, so the completed
   * prefix cannot run past a redelivered record not handled yet; and a key's redelivered records
   * join its lane behind its call in progress, so the key keeps its order. Records before {@code
   * first} are handled and checkpointed as before. Holds this lock; returns how many records to
   * release from the consumer's limit (without the lock).
   */
  private int rewind(Position first) {
    List<CompletedPrefix.Entry> dropped = prefix.dropFrom(first);
    for (CompletedPrefix.Entry e : dropped) {
      if (!e.started) {
        waiting--;
      }
    }
    checkpoints.rewind(first);
    int release = Math.min(dropped.size(), counted);
    counted -= release;
    return release;
  }

  @Override
  public void moved() {
    int release;
    boolean tell;
    synchronized (this) {
      moves++;
      for (Lane lane : lanes.values()) {
        lane.records.clear();
      }
      for (Lane lane : held) {
        lane.records.clear();
        lane.isHeld = false;
      }
      lanes.clear();
      held.clear();
      waiting = 0;
      prefix = new CompletedPrefix();
      release = counted;
      counted = 0;
      checkpoints.moved();
      tell = wantPaused();
      notifyAll();
    }
    limit.release(release);
    if (tell) {
      backpressure.tellDriver();
    }
    onProgress.run();
  }

  @Override
  public void pauseByApp() {
    pausedByApp = true;
  }

  @Override
  public void resumeByApp() {
    pausedByApp = false;
    List<Lane> start = new ArrayList<>();
    synchronized (this) {
      Lane lane;
      while ((lane = held.pollFirst()) != null) {
        lane.isHeld = false;
        if (!closed && !lane.scheduled && !lane.records.isEmpty()) {
          lane.scheduled = true;
          start.add(lane);
        }
      }
    }
    for (Lane lane : start) {
      submit(lane);
    }
  }

  @Override
  public void close() {
    int release;
    synchronized (this) {
      closed = true;
      lanes.clear();
      held.clear();
      waiting = 0;
      release = counted;
      counted = 0;
      notifyAll();
    }
    limit.unsubscribe(reconsider);
    limit.release(release);
    onProgress.run();
  }

  @Override
  public boolean isClosed() {
    return closed;
  }

  @Override
  public synchronized boolean isIdle() {
    return running == 0 && waiting == 0;
  }

  @Override
  public synchronized void wake() {
    notifyAll();
  }

  @Override
  public synchronized boolean awaitIdle(long deadlineNanos) {
    while (running > 0) {
      long left = deadlineNanos - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      try {
        TimeUnit.NANOSECONDS.timedWait(this, left);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return true;
  }

  /**
   * Sleeps a retry backoff on a lane's thread; false if the shard closed or the consumer halted.
   */
  @Override
  public synchronized boolean sleepBackoff(Duration backoff) {
    long deadline = System.nanoTime() + backoff.toNanos();
    while (!closed && !handling.halted()) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return true;
      }
      try {
        TimeUnit.NANOSECONDS.timedWait(this, left);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return false;
  }

  private void submit(Lane lane) {
    try {
      handling.execute(lane);
    } catch (RejectedExecutionException e) {
      synchronized (this) {
        lane.scheduled = false;
        notifyAll();
      }
      onProgress.run();
    }
  }

  /** Keeps a lane with records for {@link #resumeByApp}; holds this lock. */
  private void hold(Lane lane) {
    if (!lane.isHeld) {
      lane.isHeld = true;
      held.add(lane);
    }
  }

  /** A pool thread: handles the lane's records one after another, yielding when others wait. */
  private void runLane(Lane lane) {
    while (true) {
      CompletedPrefix.Entry e;
      synchronized (this) {
        if (lane.movesWhenMade != moves) {
          // Made before a move (an unordered lane queued on the pool): its record is void.
          lane.records.clear();
          lane.scheduled = false;
          notifyAll();
          break;
        }
        skipStale(lane);
        if (closed || pausedByApp || handling.halted() || lane.records.isEmpty()) {
          lane.scheduled = false;
          if (!closed && !lane.records.isEmpty()) {
            hold(lane);
          } else {
            forget(lane);
          }
          notifyAll();
          break;
        }
        e = lane.records.pollFirst();
        e.started = true;
        waiting--;
        running++;
      }
      boolean done = false;
      int released = 0;
      boolean tell;
      boolean more;
      try {
        done = handling.handle(e.record, this);
      } finally {
        synchronized (this) {
          running--;
          boolean current = lane.movesWhenMade == moves;
          if (done && current && !e.stale) {
            released = prefix.complete(e);
            if (released > 0) {
              Position p = prefix.last();
              checkpoints.processed(p);
              handling.processed(shard, p);
              released = Math.min(released, counted);
              counted -= released;
            }
          }
          skipStale(lane);
          more = done && current && !closed && !lane.records.isEmpty();
          if (!more) {
            lane.scheduled = false;
            forget(lane);
          }
          tell = wantPaused();
          notifyAll();
        }
      }
      if (released > 0) {
        limit.release(released);
      }
      if (tell) {
        backpressure.tellDriver();
      }
      onProgress.run();
      if (!more) {
        return;
      }
      if (handling.othersWaiting()) {
        // Other lanes or shards wait for a thread: go to the back of the line.
        submit(lane);
        return;
      }
    }
    onProgress.run();
  }

  /** Drops the lane's first records while a rewind made them stale; holds this lock. */
  private static void skipStale(Lane lane) {
    CompletedPrefix.Entry head;
    while ((head = lane.records.peekFirst()) != null && head.stale) {
      lane.records.pollFirst();
    }
  }

  /** Key mode: removes a lane left without records from the map; holds this lock. */
  private void forget(Lane lane) {
    if (lane.records.isEmpty() && byKey && lanes.get(lane.key) == lane) {
      lanes.remove(lane.key);
    }
  }

  /** Whether the shard should be paused now; true if that changed the wish. Holds this lock. */
  private boolean wantPaused() {
    int size = prefix.size();
    int max = handling.maxBufferedRecords();
    if (size >= max) {
      windowFull = true;
    } else if (size <= max / 2) {
      windowFull = false;
    }
    return backpressure.want(!closed && (windowFull || limit.over()));
  }

  /** The consumer fell under its limit: resume the shard unless its own window is full. */
  private void reconsider() {
    boolean tell;
    synchronized (this) {
      tell = wantPaused();
    }
    if (tell) {
      backpressure.tellDriver();
    }
  }
}
