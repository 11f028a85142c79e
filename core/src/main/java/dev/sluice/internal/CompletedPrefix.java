package dev.sluice.internal;

import dev.sluice.Position;
import dev.sluice.Record;
import java.util.ArrayDeque;
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

  /** The last record of the completed prefix; null before any. */
  @Nullable Position last() {
    return last;
  }

  /** Records received and not in the completed prefix: in progress, waiting or done out of turn. */
  int size() {
    return entries.size();
  }
}
