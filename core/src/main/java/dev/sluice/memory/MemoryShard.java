package dev.sluice.memory;

import dev.sluice.HashKeyRange;
import dev.sluice.Headers;
import dev.sluice.Record;
import dev.sluice.Shard;
import dev.sluice.ShardDescription;
import dev.sluice.spi.ShardLineage;
import dev.sluice.spi.StoredWriteId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/** One shard of a memory stream: its log, hash-key range, parents and whether it is still open. */
final class MemoryShard {
  /** Write ids of the records sent with one (a processor's outputs), by offset. */
  private final java.util.TreeMap<Long, StoredWriteId> writeIds = new java.util.TreeMap<>();

  private static final int READ_CHUNK = 256;

  final Shard shard;
  final HashKeyRange range;
  final List<Shard> parents;
  private final RecordLog log = new RecordLog();
  private boolean open = true;

  MemoryShard(Shard shard, HashKeyRange range, List<Shard> parents) {
    this.shard = shard;
    this.range = range;
    this.parents = List.copyOf(parents);
  }

  /** These shards by id, with their parents: which of them a consumer may read next. */
  static ShardLineage lineage(List<MemoryShard> shards) {
    Map<Shard, List<Shard>> parents = new TreeMap<>();
    for (MemoryShard s : shards) {
      parents.put(s.shard, s.parents);
    }
    return ShardLineage.of(parents);
  }

  /**
   * Appends; returns the offset, or -1 if the shard was closed meanwhile (caller re-routes). {@code
   * ids}, if given, names the record's write id once the shard is known, under this shard's lock so
   * that a writer's links follow the order of its appends.
   */
  synchronized long append(
      byte @Nullable [] key,
      byte @Nullable [] value,
      Headers headers,
      long timestamp,
      long now,
      @Nullable Function<Shard, StoredWriteId> ids) {
    if (!open) {
      return -1;
    }
    long offset = log.append(key, value, headers, timestamp, now);
    if (ids != null) {
      writeIds.put(offset, ids.apply(shard));
    }
    return offset;
  }

  /** The write id stored with the record at {@code offset}, or null. */
  synchronized @Nullable StoredWriteId writeId(long offset) {
    return writeIds.isEmpty() ? null : writeIds.get(offset);
  }

  synchronized boolean isOpen() {
    return open;
  }

  synchronized void close() {
    open = false;
  }

  synchronized long startOffset() {
    return log.startOffset();
  }

  synchronized long endOffset() {
    return log.endOffset();
  }

  /** True if the shard is closed and {@code offset} is past its last record. */
  synchronized boolean isEndedAt(long offset) {
    return !open && offset >= log.endOffset();
  }

  synchronized long offsetForTimestamp(long timestamp) {
    return log.offsetForTimestamp(timestamp);
  }

  synchronized void trim(long arrivalCutoff) {
    log.trimArrivedBefore(arrivalCutoff);
    if (!writeIds.isEmpty()) {
      long start = log.startOffset();
      writeIds.headMap(start).clear();
    }
  }

  /**
   * Reads up to {@code max} records from {@code offset} (moved up to the start if retention trimmed
   * past it) into {@code out}; returns the next offset to read.
   */
  long read(String stream, long offset, int max, List<Record<byte[], byte[]>> out) {
    // A few hundred records per hold of the lock, not a whole batch: a producer appending to this
    // shard waits for one chunk's copies at most, not for thousands.
    long next = offset;
    int left = max;
    while (left > 0) {
      int chunk = Math.min(left, READ_CHUNK);
      synchronized (this) {
        long from = Math.max(next, log.startOffset());
        long to = Math.min(log.endOffset(), from + chunk);
        for (long o = from; o < to; o++) {
          out.add(log.read(stream, shard, o));
        }
        left -= (int) (to - from);
        next = to;
        if (to - from < chunk) {
          break;
        }
      }
    }
    return next;
  }

  synchronized ShardDescription describe() {
    return ShardDescription.of(shard, parents, range, open);
  }

  static List<Shard> ids(List<MemoryShard> shards) {
    List<Shard> out = new ArrayList<>(shards.size());
    shards.forEach(s -> out.add(s.shard));
    return out;
  }
}
