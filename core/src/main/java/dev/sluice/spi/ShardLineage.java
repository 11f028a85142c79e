package dev.sluice.spi;

import dev.sluice.Shard;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A stream's shards and their parents, for a driver that follows resharding itself (the memory
 * backend; Kinesis without a group, where no KCL does it): which shards it may read next.
 *
 * <p>After a split or merge the keys of a parent continue in its children. A driver must read a
 * child only once every parent it reads was read to its end and {@link DeliverySink#shardEnded}
 * returned true, or a key's newer records would be delivered before its older ones.
 */
public final class ShardLineage {
  private final Map<Shard, List<Shard>> parents;

  private ShardLineage(Map<Shard, List<Shard>> parents) {
    this.parents = parents;
  }

  /**
   * The lineage of a stream's shards, as its backend lists them.
   *
   * @param parents every shard the stream lists, each with its parents: none for a shard the stream
   *     was created with, one after a split, two after a merge. A parent may be a shard the stream
   *     no longer lists (on Kinesis, aged out of retention).
   * @return the lineage of a stream's shards, as its backend lists them
   */
  public static ShardLineage of(Map<Shard, ? extends Collection<Shard>> parents) {
    Map<Shard, List<Shard>> copy = new TreeMap<>();
    parents.forEach((shard, ps) -> copy.put(shard, List.copyOf(ps)));
    return new ShardLineage(copy);
  }

  /**
   * Whether the stream lists this shard.
   *
   * @param shard the shard
   * @return true if the stream lists this shard
   */
  public boolean contains(Shard shard) {
    return parents.containsKey(shard);
  }

  /**
   * The shards the stream lists, in order.
   *
   * @return the shards the stream lists, in order
   */
  public Set<Shard> shards() {
    return parents.keySet();
  }

  /**
   * The listed shards that may be read now, in order: not done themselves, and every parent done or
   * no longer listed (a parent that aged out has nothing left to read first). The caller drops
   * those it already reads.
   *
   * @param done shards read to their end whose records were processed, and shards not to be read at
   *     all (the ancestors of a shard the start position places the consumer in, say)
   * @return the readable shards, in ordered shards that may be read now, in order: not done
   *     themselves, and every parent done or no longer listed (a parent that aged out has nothing
   *     left to read first)
   */
  public SortedSet<Shard> readable(Set<Shard> done) {
    SortedSet<Shard> readable = new TreeSet<>();
    for (Map.Entry<Shard, List<Shard>> e : parents.entrySet()) {
      if (done.contains(e.getKey())) {
        continue;
      }
      boolean ready = true;
      for (Shard parent : e.getValue()) {
        if (parents.containsKey(parent) && !done.contains(parent)) {
          ready = false;
          break;
        }
      }
      if (ready) {
        readable.add(e.getKey());
      }
    }
    return readable;
  }

  /**
   * Every ancestor of these shards: their parents, the parents' parents, and so on. A consumer told
   * to start inside a shard has got past all of them, so it does not read them.
   *
   * @param shards the shards
   * @return every ancestor of these shards: their parents, the parents' parents, and so on
   */
  public Set<Shard> ancestors(Collection<Shard> shards) {
    Set<Shard> ancestors = new HashSet<>();
    List<Shard> todo = new ArrayList<>();
    for (Shard shard : shards) {
      todo.addAll(parents.getOrDefault(shard, List.of()));
    }
    while (!todo.isEmpty()) {
      Shard ancestor = todo.remove(todo.size() - 1);
      if (ancestors.add(ancestor)) {
        todo.addAll(parents.getOrDefault(ancestor, List.of()));
      }
    }
    return ancestors;
  }
}
