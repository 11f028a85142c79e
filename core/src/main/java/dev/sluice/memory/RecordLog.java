package dev.sluice.memory;

import dev.sluice.Headers;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * The records of one shard: an append-only array indexed by offset, trimmed from the front by
 * retention. Not thread-safe; {@link MemoryShard} guards it.
 */
final class RecordLog {
  /** One stored record. Arrays are owned by the log: never handed out for writing. */
  static final class Entry {
    final byte @Nullable [] key;
    final byte[] value;
    final Headers headers;
    final long timestamp;
    final long arrival;

    Entry(byte @Nullable [] key, byte[] value, Headers headers, long timestamp, long arrival) {
      this.key = key;
      this.value = value;
      this.headers = headers;
      this.timestamp = timestamp;
      this.arrival = arrival;
    }
  }

  private Entry[] entries = new Entry[64];
  private int head;
  private int size;

  /** The offset of {@code entries[head]}. */
  private long startOffset;

  long startOffset() {
    return startOffset;
  }

  /** The offset the next record gets. */
  long endOffset() {
    return startOffset + size;
  }

  long append(Entry entry) {
    if (head + size == entries.length) {
      if (head > entries.length / 2) {
        System.arraycopy(entries, head, entries, 0, size);
        Arrays.fill(entries, size, head + size, null);
        head = 0;
      } else {
        entries = Arrays.copyOf(entries, entries.length * 2);
      }
    }
    entries[head + size] = entry;
    size++;
    return startOffset + size - 1;
  }

  /** The record at {@code offset}, which must be in [startOffset, endOffset). */
  Entry get(long offset) {
    return entries[head + (int) (offset - startOffset)];
  }

  /** Drops records that arrived before {@code arrivalCutoff}. */
  void trimArrivedBefore(long arrivalCutoff) {
    while (size > 0 && entries[head].arrival < arrivalCutoff) {
      entries[head] = null;
      head++;
      size--;
      startOffset++;
    }
  }

  /** The first offset whose record's timestamp is at or after {@code timestamp}, or the end. */
  long offsetForTimestamp(long timestamp) {
    for (int i = 0; i < size; i++) {
      if (entries[head + i].timestamp >= timestamp) {
        return startOffset + i;
      }
    }
    return endOffset();
  }
}
