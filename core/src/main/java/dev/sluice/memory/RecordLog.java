package dev.sluice.memory;

import dev.sluice.Headers;
import dev.sluice.Position;
import dev.sluice.Record;
import dev.sluice.Shard;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The records of one shard, indexed by offset and trimmed from the front by retention. Not
 * thread-safe; {@link MemoryShard} guards it.
 *
 * <p>Stored column by column: keys and values packed into large byte slabs, everything else in
 * primitive arrays. The log is the store, so every record outlives the young generation: kept as
 * three small objects per record (key, value, entry), each collection copied the newest records
 * once more, and the collector did as much work as the producer (a profile of the memory
 * benchmark). Packed, a collection copies a few large arrays. Appending copies the caller's bytes
 * in, and reading copies them out: a caller may reuse its arrays, and a reader changing what it got
 * cannot change what others read.
 */
final class RecordLog {
  /**
   * Bytes per slab once a shard has data; a larger record gets a slab of its own. A shard's first
   * slab is small and each next one twice the last, so many small streams (a test suite's) stay
   * small.
   */
  static final int SLAB_BYTES = 256 * 1024;

  private static final int FIRST_SLAB_BYTES = 1024;

  private static final int INITIAL_CAPACITY = 64;

  // Record i of the log (offset startOffset + i) is at index head + i of every column.
  private long[] timestamps = new long[INITIAL_CAPACITY];
  private long[] arrivals = new long[INITIAL_CAPACITY];

  /** Slab number in the high 32 bits, the key's (then the value's) start in that slab below. */
  private long[] locations = new long[INITIAL_CAPACITY];

  /** -1: no key. */
  private int[] keyLengths = new int[INITIAL_CAPACITY];

  /** -1: no value (a tombstone). */
  private int[] valueLengths = new int[INITIAL_CAPACITY];

  private Headers[] headers = new Headers[INITIAL_CAPACITY];
  private int head;
  private int size;

  /** The offset of the record at {@code head}. */
  private long startOffset;

  /** Slab number {@code firstSlab + i} is {@code slabs.get(i)}; the last one is being filled. */
  private final List<byte[]> slabs = new ArrayList<>();

  private long firstSlab;
  private int slabUsed;

  long startOffset() {
    return startOffset;
  }

  /** The offset the next record gets. */
  long endOffset() {
    return startOffset + size;
  }

  /** Appends a copy of the record; returns its offset. */
  long append(
      byte @Nullable [] key,
      byte @Nullable [] value,
      Headers recordHeaders,
      long timestamp,
      long arrival) {
    int keyLength = key == null ? 0 : key.length;
    int valueLength = value == null ? 0 : value.length;
    int bytes = keyLength + valueLength;
    byte[] slab = slabs.isEmpty() ? null : slabs.get(slabs.size() - 1);
    if (slab == null || slab.length - slabUsed < bytes) {
      int next = slab == null ? FIRST_SLAB_BYTES : Math.min(SLAB_BYTES, slab.length * 2);
      slab = new byte[Math.max(next, bytes)];
      slabs.add(slab);
      slabUsed = 0;
    }
    long slabNumber = firstSlab + slabs.size() - 1;
    if (key != null) {
      System.arraycopy(key, 0, slab, slabUsed, keyLength);
    }
    if (value != null) {
      System.arraycopy(value, 0, slab, slabUsed + keyLength, valueLength);
    }
    if (head + size == timestamps.length) {
      makeRoom();
    }
    int i = head + size;
    timestamps[i] = timestamp;
    arrivals[i] = arrival;
    locations[i] = (slabNumber << 32) | slabUsed;
    keyLengths[i] = key == null ? -1 : keyLength;
    valueLengths[i] = value == null ? -1 : valueLength;
    headers[i] = recordHeaders;
    slabUsed += bytes;
    size++;
    return startOffset + size - 1;
  }

  /** The record at {@code offset}, which must be in [startOffset, endOffset), as read. */
  Record<byte[], byte[]> read(String stream, Shard shard, long offset) {
    int i = head + (int) (offset - startOffset);
    long location = locations[i];
    byte[] slab = slabs.get((int) ((location >>> 32) - firstSlab));
    int at = (int) location;
    int keyLength = keyLengths[i];
    byte[] key = null;
    if (keyLength >= 0) {
      key = Arrays.copyOfRange(slab, at, at + keyLength);
      at += keyLength;
    }
    int valueLength = valueLengths[i];
    byte[] value = valueLength < 0 ? null : Arrays.copyOfRange(slab, at, at + valueLength);
    return Record.received(
        stream, shard, Position.of(offset), key, value, headers[i], timestamps[i]);
  }

  /** Drops records that arrived before {@code arrivalCutoff}, and the slabs only they used. */
  void trimArrivedBefore(long arrivalCutoff) {
    int dropped = 0;
    while (size > 0 && arrivals[head] < arrivalCutoff) {
      headers[head] = null;
      head++;
      size--;
      startOffset++;
      dropped++;
    }
    if (dropped == 0) {
      return;
    }
    if (size == 0) {
      // All gone: keep no slab either (a shard closed by a split never appends again).
      firstSlab += slabs.size();
      slabs.clear();
      slabUsed = 0;
      return;
    }
    // Slabs before the first kept record's are unused now.
    long keepFrom = locations[head] >>> 32;
    int unused = (int) (keepFrom - firstSlab);
    if (unused > 0) {
      slabs.subList(0, unused).clear();
      firstSlab = keepFrom;
    }
  }

  /** The first offset whose record's timestamp is at or after {@code timestamp}, or the end. */
  long offsetForTimestamp(long timestamp) {
    for (int i = 0; i < size; i++) {
      if (timestamps[head + i] >= timestamp) {
        return startOffset + i;
      }
    }
    return endOffset();
  }

  /** Moves the records to the front of the columns if trimming freed half, else grows them. */
  private void makeRoom() {
    int capacity = timestamps.length;
    if (head > capacity / 2) {
      System.arraycopy(timestamps, head, timestamps, 0, size);
      System.arraycopy(arrivals, head, arrivals, 0, size);
      System.arraycopy(locations, head, locations, 0, size);
      System.arraycopy(keyLengths, head, keyLengths, 0, size);
      System.arraycopy(valueLengths, head, valueLengths, 0, size);
      System.arraycopy(headers, head, headers, 0, size);
      Arrays.fill(headers, size, head + size, null);
      head = 0;
    } else {
      int grown = capacity * 2;
      timestamps = Arrays.copyOf(timestamps, grown);
      arrivals = Arrays.copyOf(arrivals, grown);
      locations = Arrays.copyOf(locations, grown);
      keyLengths = Arrays.copyOf(keyLengths, grown);
      valueLengths = Arrays.copyOf(valueLengths, grown);
      headers = Arrays.copyOf(headers, grown);
    }
  }
}
