package dev.sluice.kinesis.internal;

import dev.sluice.HashKeyRange;
import dev.sluice.Shard;
import dev.sluice.spi.HashRouting;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;

/**
 * A snapshot of a stream's shards and their hash-key ranges, for routing the way Kinesis does: a
 * record goes to the open shard whose range holds the MD5 of its partition key's UTF-8 bytes (or
 * its explicit hash key). Immutable.
 */
final class ShardMap {
  /** One shard as ListShards reports it. */
  static final class Entry {
    final Shard shard;
    final HashKeyRange range;
    final boolean open;

    Entry(Shard shard, HashKeyRange range, boolean open) {
      this.shard = shard;
      this.range = range;
      this.open = open;
    }

    @Override
    public String toString() {
      return shard + (open ? "" : "(closed)");
    }
  }

  private final List<Entry> open;
  private final Map<Shard, Entry> byShard;

  ShardMap(List<Entry> entries) {
    List<Entry> openShards = new ArrayList<>();
    Map<Shard, Entry> all = new HashMap<>();
    for (Entry e : entries) {
      all.put(e.shard, e);
      if (e.open) {
        openShards.add(e);
      }
    }
    openShards.sort(Comparator.comparing(e -> e.range.start()));
    this.open = Collections.unmodifiableList(openShards);
    this.byShard = Collections.unmodifiableMap(all);
  }

  /** The 128-bit hash key Kinesis computes for a partition key. */
  static BigInteger hashKey(String partitionKey) {
    return HashRouting.hashKey(partitionKey.getBytes(StandardCharsets.UTF_8));
  }

  /** A uniformly random hash key, to spread records that have no key. */
  static BigInteger randomHashKey() {
    byte[] bytes = new byte[16];
    ThreadLocalRandom.current().nextBytes(bytes);
    return new BigInteger(1, bytes);
  }

  /** The open shard whose range holds this hash key, or null if no open shard does. */
  @Nullable Shard route(BigInteger hashKey) {
    int low = 0;
    int high = open.size() - 1;
    while (low <= high) {
      int mid = (low + high) >>> 1;
      HashKeyRange range = open.get(mid).range;
      if (hashKey.compareTo(range.start()) < 0) {
        high = mid - 1;
      } else if (hashKey.compareTo(range.end()) > 0) {
        low = mid + 1;
      } else {
        return open.get(mid).shard;
      }
    }
    return null;
  }

  @Nullable Entry get(Shard shard) {
    return byShard.get(shard);
  }

  boolean isEmpty() {
    return open.isEmpty();
  }

  List<Entry> openShards() {
    return open;
  }

  @Override
  public String toString() {
    return "ShardMap" + open;
  }
}
