package dev.sluice.memory;

import dev.sluice.ErrorCode;
import dev.sluice.HashKeyRange;
import dev.sluice.Shard;
import dev.sluice.ShardDescription;
import dev.sluice.SluiceException;
import dev.sluice.StreamDescription;
import dev.sluice.StreamSpec.CleanupPolicy;
import dev.sluice.spi.HashRouting;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * One memory stream: its shards (open and closed), routing, resharding, consumer groups, and a
 * signal readers wait on for new records.
 */
final class MemoryStream {
  final String name;
  private volatile @Nullable Duration retention;

  /**
   * Kept and described, but memory never compacts: it keeps every record, superseded ones and
   * tombstones too. Kafka compacts when it likes, so a consumer of a compacted stream must already
   * expect to see them; what memory never does is drop the latest record of a key.
   */
  private final CleanupPolicy cleanupPolicy;

  private volatile List<MemoryShard> all;
  private volatile List<MemoryShard> open;

  /**
   * Routes keys over {@link #open}; replaced with it, so a reader sees the pair it was built on.
   */
  private volatile Router router;

  private int nextShardNumber;
  private final AtomicInteger roundRobin = new AtomicInteger();
  private final Map<String, MemoryGroup> groups = new ConcurrentHashMap<>();
  private volatile boolean deleted;
  private volatile long lastTrim;

  private final AtomicLong version = new AtomicLong();
  private final AtomicInteger waiters = new AtomicInteger();
  private final Object signal = new Object();

  MemoryStream(String name, int shards, @Nullable Duration retention, CleanupPolicy cleanupPolicy) {
    this.cleanupPolicy = cleanupPolicy;
    this.name = name;
    this.retention = retention;
    List<MemoryShard> initial = new ArrayList<>();
    for (HashKeyRange range : HashRouting.evenRanges(shards)) {
      initial.add(new MemoryShard(Shard.of(nextShardNumber++), range, List.of()));
    }
    this.all = List.copyOf(initial);
    this.open = this.all;
    this.router = new Router(this.open);
  }

  /** The open shards and an index of their hash-key ranges. */
  private static final class Router {
    final List<MemoryShard> shards;
    final HashRouting.RangeIndex index;

    Router(List<MemoryShard> shards) {
      this.shards = shards;
      List<HashKeyRange> ranges = new ArrayList<>(shards.size());
      shards.forEach(s -> ranges.add(s.range));
      this.index = HashRouting.RangeIndex.of(ranges);
    }
  }

  // ------------------------------------------------------------------ writing

  /** Routes by key (null: round robin) and appends; returns the shard and fills the offset. */
  MemoryShard append(
      byte @Nullable [] key,
      @Nullable Shard target,
      byte @Nullable [] value,
      dev.sluice.Headers headers,
      long timestamp,
      long[] offsetOut,
      java.util.function.@Nullable Function<Shard, dev.sluice.spi.StoredWriteId> ids) {
    checkNotDeleted();
    long now = System.currentTimeMillis();
    long ts = timestamp == dev.sluice.Record.NO_TIMESTAMP ? now : timestamp;
    while (true) {
      MemoryShard shard = target != null ? targetShard(target) : route(key);
      long offset = shard.append(key, value, headers, ts, now, ids);
      if (offset >= 0) {
        offsetOut[0] = offset;
        offsetOut[1] = ts;
        signalChange();
        maybeTrim(now);
        return shard;
      }
      if (target != null) {
        throw new SluiceException(
            ErrorCode.INVALID_ARGUMENT,
            "Shard " + target + " of stream '" + name + "' is closed (it was split or merged)");
      }
      // The shard closed between routing and appending: route again over the new shard set.
    }
  }

  MemoryShard route(byte @Nullable [] key) {
    Router r = router;
    List<MemoryShard> shards = r.shards;
    if (key == null) {
      return shards.get(Math.floorMod(roundRobin.getAndIncrement(), shards.size()));
    }
    if (shards.size() == 1) {
      return shards.get(0);
    }
    int i = r.index.indexOf(key);
    if (i < 0) {
      throw new IllegalStateException(
          "No open shard of " + name + " holds hash key " + HashRouting.hashKey(key));
    }
    return shards.get(i);
  }

  private MemoryShard targetShard(Shard target) {
    for (MemoryShard s : all) {
      if (s.shard.equals(target)) {
        return s;
      }
    }
    throw new SluiceException(
        ErrorCode.INVALID_ARGUMENT, "Stream '" + name + "' has no shard " + target);
  }

  private void maybeTrim(long now) {
    // A compacted stream keeps the latest record of every key however old (as Kafka's compact
    // policy, which does not delete by time).
    Duration keep = retention;
    // A retention longer than the time since the epoch deletes nothing (and would overflow).
    if (keep != null
        && cleanupPolicy == CleanupPolicy.DELETE
        && now - lastTrim > 1000
        && keep.compareTo(Duration.ofMillis(now)) < 0) {
      lastTrim = now;
      long cutoff = now - keep.toMillis();
      for (MemoryShard s : all) {
        s.trim(cutoff);
      }
    }
  }

  // ------------------------------------------------------------------ reading

  List<MemoryShard> shards() {
    return all;
  }

  MemoryShard shard(Shard id) {
    for (MemoryShard s : all) {
      if (s.shard.equals(id)) {
        return s;
      }
    }
    throw new SluiceException(ErrorCode.NOT_FOUND, "Stream '" + name + "' has no shard " + id);
  }

  long version() {
    return version.get();
  }

  /** Wakes readers: records arrived, shards changed, or the stream was deleted. */
  void signalChange() {
    version.incrementAndGet();
    if (waiters.get() > 0) {
      synchronized (signal) {
        signal.notifyAll();
      }
    }
  }

  /** Waits up to {@code millis} for a change after {@code seen}. */
  void awaitChange(long seen, long millis) throws InterruptedException {
    waiters.incrementAndGet();
    try {
      synchronized (signal) {
        if (version.get() == seen) {
          signal.wait(millis);
        }
      }
    } finally {
      waiters.decrementAndGet();
    }
  }

  MemoryGroup group(String group) {
    return groups.computeIfAbsent(group, g -> new MemoryGroup(this, g));
  }

  /** The group if it exists (has been joined or reset), else null. */
  @Nullable MemoryGroup existingGroup(String group) {
    return groups.get(group);
  }

  /** The names of the groups that have checkpoints or members, sorted. */
  List<String> groupNames() {
    List<String> names = new ArrayList<>();
    groups.forEach(
        (n, g) -> {
          if (g.isInUse()) {
            names.add(n);
          }
        });
    names.sort(null);
    return names;
  }

  /** Forgets a group with no members. */
  void deleteGroup(MemoryGroup group) {
    group.whileEmpty("delete", () -> groups.remove(group.name(), group));
    group.shutdown();
  }

  boolean isDeleted() {
    return deleted;
  }

  void markDeleted() {
    deleted = true;
    signalChange();
    groups.values().forEach(MemoryGroup::shutdown);
  }

  private void checkNotDeleted() {
    if (deleted) {
      throw new SluiceException(ErrorCode.NOT_FOUND, "Stream '" + name + "' was deleted");
    }
  }

  // ------------------------------------------------------------------ admin

  /** Records older than the new retention go at the next trim (within a second of a send). */
  synchronized void setRetention(Duration retention) {
    this.retention = retention;
  }

  synchronized StreamDescription describe() {
    List<ShardDescription> shards = new ArrayList<>();
    for (MemoryShard s : all) {
      shards.add(s.describe());
    }
    return StreamDescription.of(name, shards, retention, cleanupPolicy);
  }

  synchronized void split(Shard id) {
    MemoryShard parent = openShard(id);
    BigInteger start = parent.range.start();
    BigInteger end = parent.range.end();
    if (start.equals(end)) {
      throw new SluiceException(
          ErrorCode.INVALID_ARGUMENT, "Shard " + id + " owns a single hash key and cannot split");
    }
    BigInteger mid = start.add(end).shiftRight(1);
    MemoryShard low =
        new MemoryShard(Shard.of(nextShardNumber++), HashKeyRange.of(start, mid), List.of(id));
    MemoryShard high =
        new MemoryShard(
            Shard.of(nextShardNumber++),
            HashKeyRange.of(mid.add(BigInteger.ONE), end),
            List.of(id));
    replace(List.of(parent), List.of(low, high));
  }

  synchronized void merge(Shard a, Shard b) {
    MemoryShard first = openShard(a);
    MemoryShard second = openShard(b);
    MemoryShard lower = first.range.start().compareTo(second.range.start()) < 0 ? first : second;
    MemoryShard upper = lower == first ? second : first;
    if (!lower.range.end().add(BigInteger.ONE).equals(upper.range.start())) {
      throw new SluiceException(
          ErrorCode.INVALID_ARGUMENT,
          "Shards " + a + " and " + b + " of '" + name + "' are not adjacent and cannot be merged");
    }
    MemoryShard child =
        new MemoryShard(
            Shard.of(nextShardNumber++),
            HashKeyRange.of(lower.range.start(), upper.range.end()),
            List.of(lower.shard, upper.shard));
    replace(List.of(lower, upper), List.of(child));
  }

  /**
   * Replaces every open shard by {@code count} new ones with even ranges (Kinesis's uniform
   * scaling).
   */
  synchronized void setShardCount(int count) {
    if (count == open.size()) {
      return;
    }
    List<MemoryShard> parents = open;
    List<MemoryShard> children = new ArrayList<>();
    for (HashKeyRange range : HashRouting.evenRanges(count)) {
      List<Shard> overlapping = new ArrayList<>();
      for (MemoryShard p : parents) {
        if (p.range.start().compareTo(range.end()) <= 0
            && range.start().compareTo(p.range.end()) <= 0) {
          overlapping.add(p.shard);
        }
      }
      children.add(new MemoryShard(Shard.of(nextShardNumber++), range, overlapping));
    }
    replace(parents, children);
  }

  private MemoryShard openShard(Shard id) {
    for (MemoryShard s : open) {
      if (s.shard.equals(id)) {
        return s;
      }
    }
    for (MemoryShard s : all) {
      if (s.shard.equals(id)) {
        throw new SluiceException(
            ErrorCode.INVALID_ARGUMENT, "Shard " + id + " of '" + name + "' is closed already");
      }
    }
    throw new SluiceException(ErrorCode.NOT_FOUND, "Stream '" + name + "' has no shard " + id);
  }

  private void replace(List<MemoryShard> parents, List<MemoryShard> children) {
    // Children are visible before parents close, so an appender that finds its shard closed
    // always finds an open shard for its key on the next routing.
    List<MemoryShard> newAll = new ArrayList<>(all);
    newAll.addAll(children);
    List<MemoryShard> newOpen = new ArrayList<>(open);
    newOpen.removeAll(parents);
    newOpen.addAll(children);
    newOpen.sort((x, y) -> x.range.start().compareTo(y.range.start()));
    all = List.copyOf(newAll);
    open = List.copyOf(newOpen);
    router = new Router(open);
    for (MemoryShard p : parents) {
      p.close();
    }
    signalChange();
    groups.values().forEach(MemoryGroup::shardsChanged);
  }
}
