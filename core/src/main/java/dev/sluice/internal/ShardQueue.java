package dev.sluice.internal;

import dev.sluice.Position;
import dev.sluice.Record;
import dev.sluice.Shard;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The records of one shard waiting for the handler, and the worker that hands them over: one record
 * at a time per shard, shards in parallel. When more than {@code maxBufferedRecords} wait, the
 * driver is paused for the shard, and resumed once half have been taken.
 *
 * <p>Separate from the consumer because the queue has its own life cycle per shard (a worker
 * started when records arrive and ended when they run out, a close when the shard is revoked or its
 * handler failed for good) and its own lock; what is done with each record (the failure policy) and
 * what is checkpointed are other classes' business ({@link Handling}, {@link CheckpointTracker}).
 * Used only by consumers started with a handler; a pull consumer has a {@link PollBuffer}.
 */
final class ShardQueue implements HandlerQueue, HandlerInvoker.Attempts {
  /** Records the worker takes from the queue at once. */
  static final int CHUNK = 256;

  /** What the worker does with records; implemented by the consumer. */
  interface Handling {
    /** Runs {@code worker} on a worker thread; throws RejectedExecutionException once closed. */
    void execute(Runnable worker);

    /** Records queued for one shard at which its driver is paused. */
    int maxBufferedRecords();

    /** True once the consumer stopped handing records to the handler, for good. */
    boolean halted();

    /** Handles one record under the failure policy; false if the worker must stop. */
    boolean handle(Record<byte[], byte[]> record, HandlerInvoker.Attempts queue);

    /**
     * True if work of other shards waits for a pool thread: a worker then goes to the back of the
     * line instead of keeping its thread (the pool is bounded, shards may outnumber it).
     */
    boolean othersWaiting();

    /**
     * Every record of {@code shard} up to {@code position} is done with (handled, or skipped or
     * dead-lettered by the failure policy).
     */
    void processed(Shard shard, Position position);
  }

  private final Shard shard;
  private final CheckpointTracker checkpoints;
  private final Backpressure backpressure;
  private final Handling handling;

  /** Called, without this queue's lock, when the worker booked progress or stopped. */
  private final Runnable onProgress;

  /**
   * The delivered batches not yet taken by the worker, as the driver handed them over (kept whole,
   * not copied record by record), and how far into the first one the worker has taken.
   */
  private final ArrayDeque<List<Record<byte[], byte[]>>> batches = new ArrayDeque<>();

  private int takenOfFirst;

  /** Records in {@link #batches} not yet taken. */
  private int waiting;

  private boolean workerRunning;

  /** Revoked, or its handler failed for good: no record is queued or handled any more. */
  private volatile boolean closed;

  /** Paused by the application ({@code Consumer.pause}). */
  private volatile boolean pausedByApp;

  /**
   * Where each rewind (a redelivery from an earlier position) went back to, in order; their count
   * is {@link #rewinds}, read without the lock by the worker before each record.
   */
  private final List<Position> rewoundTo = new ArrayList<>();

  private volatile int rewinds;

  /**
   * How many times the application moved the shard ({@code Consumer.seek}); read without the lock
   * by the worker before each record: a chunk taken before a move is dropped, whatever positions.
   */
  private volatile int moves;

  ShardQueue(
      Shard shard,
      CheckpointTracker checkpoints,
      Backpressure backpressure,
      Runnable onProgress,
      Handling handling) {
    this.shard = shard;
    this.checkpoints = checkpoints;
    this.backpressure = backpressure;
    this.onProgress = onProgress;
    this.handling = handling;
  }

  /** Queues a delivered batch and starts the worker if it is idle. */
  @Override
  public void enqueue(List<Record<byte[], byte[]>> records) {
    boolean pause = false;
    boolean start = false;
    synchronized (this) {
      if (closed) {
        return;
      }
      Position first = records.get(0).position();
      if (checkpoints.isRedelivery(first)) {
        rewind(first);
      }
      checkpoints.received(records.get(records.size() - 1).position());
      batches.add(records);
      waiting += records.size();
      if (waiting >= handling.maxBufferedRecords()) {
        pause = backpressure.want(true);
      }
      if (!workerRunning && !pausedByApp) {
        workerRunning = start = true;
      }
    }
    if (pause) {
      backpressure.tellDriver();
    }
    if (start) {
      submit();
    }
  }

  /**
   * The backend delivers the shard again from {@code first}: the records waiting from there on are
   * dropped (they come again, or are gone from the shard), the tracker forgets positions from there
   * on, and the worker hands no record from there on of a chunk it took before. Holds this lock.
   */
  private void rewind(Position first) {
    List<Record<byte[], byte[]>> keep = new ArrayList<>();
    int from = takenOfFirst;
    for (List<Record<byte[], byte[]>> batch : batches) {
      for (Record<byte[], byte[]> r : batch.subList(from, batch.size())) {
        if (r.position().compareTo(first) < 0) {
          keep.add(r);
        }
      }
      from = 0;
    }
    batches.clear();
    takenOfFirst = 0;
    waiting = keep.size();
    if (!keep.isEmpty()) {
      batches.add(keep);
    }
    checkpoints.rewind(first);
    rewoundTo.add(first);
    rewinds = rewoundTo.size();
  }

  /**
   * True if {@code position}, of a chunk taken when there had been {@code rewindsWhenTaken}
   * rewinds, was delivered again by a rewind since: its record is no longer the shard's.
   */
  private synchronized boolean rewoundSince(int rewindsWhenTaken, Position position) {
    for (int i = rewindsWhenTaken; i < rewoundTo.size(); i++) {
      if (position.compareTo(rewoundTo.get(i)) >= 0) {
        return true;
      }
    }
    return false;
  }

  @Override
  public void moved() {
    boolean resume;
    synchronized (this) {
      batches.clear();
      waiting = takenOfFirst = 0;
      moves++;
      checkpoints.moved();
      resume = !closed && backpressure.want(false);
      notifyAll();
    }
    if (resume) {
      backpressure.tellDriver();
    }
    onProgress.run();
  }

  @Override
  public void pauseByApp() {
    pausedByApp = true;
  }

  /** Lifts the application's pause and starts the worker if records wait. */
  @Override
  public void resumeByApp() {
    pausedByApp = false;
    boolean start = false;
    synchronized (this) {
      if (!workerRunning && waiting > 0 && !closed) {
        workerRunning = start = true;
      }
    }
    if (start) {
      submit();
    }
  }

  /** Drops what waits and stops the worker after its record in progress; for good. */
  @Override
  public void close() {
    synchronized (this) {
      closed = true;
      batches.clear();
      waiting = takenOfFirst = 0;
      notifyAll();
    }
    onProgress.run();
  }

  @Override
  public boolean isClosed() {
    return closed;
  }

  /** True if no worker runs and no record waits. */
  @Override
  public synchronized boolean isIdle() {
    return !workerRunning && waiting == 0;
  }

  /** Interrupts a retry backoff, so that a halt is prompt. */
  @Override
  public synchronized void wake() {
    notifyAll();
  }

  /** Waits, until the deadline, for the worker to finish its record in progress. */
  @Override
  public synchronized boolean awaitIdle(long deadlineNanos) {
    while (workerRunning) {
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
   * Sleeps a retry backoff on the worker; false if the queue closed or the consumer halted
   * meanwhile.
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

  private void submit() {
    try {
      handling.execute(this::work);
    } catch (RejectedExecutionException e) {
      workerStopped();
    }
  }

  private void workerStopped() {
    synchronized (this) {
      workerRunning = false;
      notifyAll();
    }
    onProgress.run();
  }

  /** The worker: takes chunks and hands their records to the handler until none wait. */
  private void work() {
    // Gathers a chunk from several small batches (a backend that delivers a few records at a
    // time), so the per-chunk work is not paid per batch.
    List<Record<byte[], byte[]>> gathered = null;
    try {
      while (true) {
        boolean resume = false;
        List<Record<byte[], byte[]>> chunk;
        int rewindsWhenTaken;
        int movesWhenTaken;
        synchronized (this) {
          rewindsWhenTaken = rewinds;
          movesWhenTaken = moves;
          if (closed || pausedByApp || handling.halted() || waiting == 0) {
            workerRunning = false;
            notifyAll();
            break;
          }
          List<Record<byte[], byte[]>> first = batches.peekFirst();
          if (first.size() - takenOfFirst >= CHUNK || batches.size() == 1) {
            // A view of the first batch: the driver does not touch a batch once delivered.
            chunk = first.subList(takenOfFirst, Math.min(takenOfFirst + CHUNK, first.size()));
            take(chunk.size());
          } else {
            if (gathered == null) {
              gathered = new ArrayList<>(CHUNK);
            }
            gathered.clear();
            while (gathered.size() < CHUNK && waiting > 0) {
              List<Record<byte[], byte[]>> next = batches.peekFirst();
              int n = Math.min(next.size() - takenOfFirst, CHUNK - gathered.size());
              gathered.addAll(next.subList(takenOfFirst, takenOfFirst + n));
              take(n);
            }
            chunk = gathered;
          }
          if (waiting <= handling.maxBufferedRecords() / 2) {
            resume = backpressure.want(false);
          }
        }
        if (resume) {
          backpressure.tellDriver();
        }
        Record<byte[], byte[]> last = null;
        for (Record<byte[], byte[]> r : chunk) {
          if (closed || handling.halted()) {
            break;
          }
          if (moves != movesWhenTaken
              || (rewinds != rewindsWhenTaken && rewoundSince(rewindsWhenTaken, r.position()))) {
            break;
          }
          if (!handling.handle(r, this)) {
            break;
          }
          last = r;
        }
        // Once per chunk, not per record: revocation and shard ends wait for this worker to go
        // idle, and it books the chunk's progress before it does.
        if (last != null && bookProcessed(last.position(), rewindsWhenTaken, movesWhenTaken)) {
          onProgress.run();
        }
        if (handling.othersWaiting()) {
          // More shards than pool threads: let the others have a turn; this worker stays
          // "running" (it is queued) and goes on where it stopped.
          submit();
          return;
        }
      }
    } catch (RuntimeException | Error e) {
      workerStopped();
      throw e;
    }
    onProgress.run();
  }

  /**
   * Books the chunk's records up to {@code p} as processed, unless a rewind since it was taken
   * delivers {@code p} again (then they count for nothing: their positions are the new records'),
   * or the application moved the shard since (then they are records it moved away from). Under the
   * lock, also what the consumer reports as processed, so a move cannot come in between.
   */
  private synchronized boolean bookProcessed(Position p, int rewindsWhenTaken, int movesWhenTaken) {
    if (moves != movesWhenTaken || rewoundSince(rewindsWhenTaken, p)) {
      return false;
    }
    checkpoints.processed(p);
    handling.processed(shard, p);
    return true;
  }

  /** Marks {@code n} records of the first queued batches as taken; holds this lock. */
  private void take(int n) {
    waiting -= n;
    takenOfFirst += n;
    if (takenOfFirst == batches.peekFirst().size()) {
      batches.pollFirst();
      takenOfFirst = 0;
    }
  }
}
