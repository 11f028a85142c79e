package dev.sluice.internal;

import dev.sluice.CheckpointMode;
import dev.sluice.ErrorCode;
import dev.sluice.Position;
import dev.sluice.Record;
import dev.sluice.Shard;
import dev.sluice.SluiceException;
import dev.sluice.spi.ConsumerDriver;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * What {@code PullConsumer.poll} reads: the records of all owned shards in the order they arrived,
 * and, with automatic checkpoints, the positions of the last poll's records, which become processed
 * on the next poll (or on close), as with Kafka's auto-commit. When more than {@code
 * maxBufferedRecords} wait, the driver is paused for the shard that filled it, and every shard so
 * paused resumes once half have been polled.
 *
 * <p>Separate from the consumer because one lock (this buffer's) covers the records, the last
 * poll's positions and the backpressure decisions of all shards at once, and the poll wait and its
 * wake-ups belong with them. A consumer started with a handler has a {@link ShardQueue} per shard
 * instead.
 */
final class PollBuffer {
  private final Object lock = new Object();
  private final ArrayDeque<Record<byte[], byte[]>> records = new ArrayDeque<>();

  /** Shards whose driver this buffer paused because it was full. */
  private final Set<Shard> pausedWhileFull = new HashSet<>();

  /** Positions of the records the last poll returned, per shard; processed on the next poll. */
  private final Map<Shard, Position> returnedByLastPoll = new HashMap<>();

  private final ConsumerDriver driver;
  private final int maxBufferedRecords;
  private final int maxPollRecords;
  private final boolean autoCheckpoint;
  private final Function<Shard, @Nullable OwnedShard> owned;
  private final BiConsumer<Shard, Position> processed;

  /**
   * @param owned the shard this consumer owns now, or null
   * @param processed books records of a shard up to a position as processed
   */
  PollBuffer(
      ConsumerSettings<?, ?> settings,
      ConsumerDriver driver,
      Function<Shard, @Nullable OwnedShard> owned,
      BiConsumer<Shard, Position> processed) {
    this.driver = driver;
    this.maxBufferedRecords = settings.maxBufferedRecords();
    this.maxPollRecords = settings.maxPollRecords();
    this.autoCheckpoint = settings.checkpointMode() == CheckpointMode.AUTO;
    this.owned = owned;
    this.processed = processed;
  }

  /**
   * Adds a delivered batch unless its shard is being given up; {@code countReceived} runs under
   * this buffer's lock as the records enter, so that an application that sees the meter move finds
   * them here.
   */
  void add(OwnedShard shard, List<Record<byte[], byte[]>> batch, Runnable countReceived) {
    boolean pause;
    synchronized (lock) {
      if (shard.isRevoked()) {
        return;
      }
      Position first = batch.get(0).position();
      if (shard.checkpoints.isRedelivery(first)) {
        rewind(shard, first);
      }
      shard.checkpoints.received(batch.get(batch.size() - 1).position());
      countReceived.run();
      records.addAll(batch);
      pause = records.size() >= maxBufferedRecords && pausedWhileFull.add(shard.shard);
      if (pause) {
        shard.backpressure.want(true);
      }
      lock.notifyAll();
    }
    if (pause) {
      shard.backpressure.tellDriver();
    }
  }

  /**
   * The backend delivers {@code shard} again from {@code first} (see {@link CheckpointTracker}):
   * its buffered records from there on are dropped, and the last poll's records are not booked as
   * processed if they reach there (their positions are the new records'). Holds the lock.
   */
  private void rewind(OwnedShard shard, Position first) {
    records.removeIf(r -> r.shard().equals(shard.shard) && r.position().compareTo(first) >= 0);
    Position returned = returnedByLastPoll.get(shard.shard);
    if (returned != null && returned.compareTo(first) >= 0) {
      returnedByLastPoll.remove(shard.shard);
    }
    shard.checkpoints.rewind(first);
  }

  /**
   * The driver moved {@code shard} ({@code Consumer.seek}): its buffered records are dropped, so
   * that the next of its records a poll returns is the first from the new position; the last poll's
   * records of it are not booked as processed (the application moved away from them); the tracker
   * forgets its positions, under this buffer's lock so that no poll books an older record after it;
   * and the shard is resumed if this buffer had paused it.
   */
  void moved(OwnedShard shard) {
    boolean resume;
    synchronized (lock) {
      records.removeIf(r -> r.shard().equals(shard.shard));
      returnedByLastPoll.remove(shard.shard);
      shard.checkpoints.moved();
      resume = pausedWhileFull.remove(shard.shard) && shard.backpressure.want(false);
    }
    if (resume) {
      shard.backpressure.tellDriver();
    }
  }

  /**
   * Returns up to {@code maxPollRecords}, waiting up to {@code timeout} for at least one; with
   * automatic checkpoints, first books the previous poll's records as processed.
   *
   * @throws SluiceException {@code CLOSED} if interrupted
   */
  List<Record<byte[], byte[]>> poll(Duration timeout, BooleanSupplier closing) {
    List<Record<byte[], byte[]>> batch = new ArrayList<>();
    List<Shard> resumeNotOwned = new ArrayList<>();
    List<Backpressure> resume = new ArrayList<>();
    synchronized (lock) {
      if (autoCheckpoint) {
        returnedByLastPoll.forEach(processed);
      }
      returnedByLastPoll.clear();
      long deadline = System.nanoTime() + timeout.toNanos();
      while (records.isEmpty() && !closing.getAsBoolean()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          break;
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(lock, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new SluiceException(ErrorCode.CLOSED, "Interrupted while polling", e);
        }
      }
      while (!records.isEmpty() && batch.size() < maxPollRecords) {
        Record<byte[], byte[]> r = records.poll();
        batch.add(r);
        returnedByLastPoll.put(r.shard(), r.position());
      }
      if (!pausedWhileFull.isEmpty() && records.size() <= maxBufferedRecords / 2) {
        for (Shard s : pausedWhileFull) {
          OwnedShard shard = owned.apply(s);
          if (shard != null) {
            shard.backpressure.want(false);
            resume.add(shard.backpressure);
          } else {
            resumeNotOwned.add(s);
          }
        }
        pausedWhileFull.clear();
      }
    }
    resume.forEach(Backpressure::tellDriver);
    resumeNotOwned.forEach(driver::resume);
    return batch;
  }

  /** Drops the records of shards being given up; those of the last poll are not processed. */
  void dropShards(Set<Shard> revoked) {
    synchronized (lock) {
      Iterator<Record<byte[], byte[]>> it = records.iterator();
      while (it.hasNext()) {
        if (revoked.contains(it.next().shard())) {
          it.remove();
        }
      }
      pausedWhileFull.removeAll(revoked);
      for (Shard s : revoked) {
        // Records of the last poll may still be in the application's hands: not processed.
        returnedByLastPoll.remove(s);
      }
    }
  }

  /**
   * Wakes a waiting poll as the consumer closes; with automatic checkpoints and {@code
   * lastPollProcessed}, books the last poll's records as processed first.
   */
  void close(boolean lastPollProcessed) {
    synchronized (lock) {
      if (autoCheckpoint && lastPollProcessed) {
        // As with Kafka's auto-commit: closing says the records of the last poll were handled.
        returnedByLastPoll.forEach(processed);
      }
      returnedByLastPoll.clear();
      lock.notifyAll();
    }
  }
}
