package dev.sluice.internal;

import dev.sluice.Position;
import dev.sluice.Record;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The records of one shard received and not yet behind its checkpoint, in shard order, each marked
 * when done with: what a parallel shard may checkpoint is the last record of the contiguous prefix
 * of done records, never a record after one still in progress. One slow record therefore holds the
 * checkpoint (and, through backpressure, the shard) but loses nothing on a crash.
 *
 * <p>Not thread-safe: guarded by its {@link ParallelShardQueue}'s lock. Completing is amortised
 * O(1): each record leaves the front once.
 */
final class CompletedPrefix {
  /** One received record and whether it is done with. */
  static final class Entry {
    final Record<byte[], byte[]> record;
    boolean done;

    /** Handed to the handler (it may still be there). */
    boolean started;

    /**
     * Dropped by {@link #dropFrom}: the shard was delivered again from this record or an earlier
     * one, so this record is no longer the shard's; it is not started, and its end books nothing.
     */
    boolean stale;

    Entry(Record<byte[], byte[]> record) {
      this.record = record;
    }
  }

  private final ArrayDeque<Entry> entries = new ArrayDeque<>();
  private @Nullable Position last;

  /** Appends a received record, in shard order. */
  Entry add(Record<byte[], byte[]> record) {
    Entry e = new Entry(record);
    entries.add(e);
    return e;
  }

  /**
   * Marks {@code entry} done; returns how many records left the front (0 if an earlier record is
   * still in progress). {@link #last} is then the position to checkpoint.
   */
  int complete(Entry entry) {
    entry.done = true;
    int n = 0;
    Entry head;
    while ((head = entries.peekFirst()) != null && head.done) {
      entries.pollFirst();
      last = head.record.position();
      n++;
    }
    return n;
  }

  /**
   * The shard is delivered again from {@code first}: drops the records at or after it (the last
   * ones, as records are added in shard order), marks them {@link Entry#stale stale}, and returns
   * them. Those before it stay and complete as before.
   */
  List<Entry> dropFrom(Position first) {
    List<Entry> dropped = new ArrayList<>();
    Entry tail;
    while ((tail = entries.peekLast()) != null && tail.record.position().compareTo(first) >= 0) {
      entries.pollLast();
      tail.stale = true;
      dropped.add(tail);
    }
    if (last != null && last.compareTo(first) >= 0) {
      last = null;
    }
    return dropped;
  }

  /** The last record of the completed prefix; null before any. */
  @Nullable Position last() {
    return last;
  }

  /** Records received and not in the completed prefix: in progress, waiting or done out of turn. */
  int size() {
    return entries.size();
  }
}
