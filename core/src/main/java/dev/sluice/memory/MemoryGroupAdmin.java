package dev.sluice.memory;

import dev.sluice.ErrorCode;
import dev.sluice.GroupAdmin;
import dev.sluice.GroupDescription;
import dev.sluice.Position;
import dev.sluice.Record;
import dev.sluice.Shard;
import dev.sluice.ShardProgress;
import dev.sluice.SluiceException;
import dev.sluice.StartPosition;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Group admin over the memory groups of a namespace; every change takes effect at once. */
final class MemoryGroupAdmin implements GroupAdmin {
  private final MemoryBroker broker;

  MemoryGroupAdmin(MemoryBroker broker) {
    this.broker = broker;
  }

  @Override
  public List<String> listGroups(String stream) {
    return broker.stream(stream).groupNames();
  }

  @Override
  public GroupDescription describeGroup(String stream, String group) {
    MemoryStream s = broker.stream(stream);
    MemoryGroup g = existing(s, group);
    Map<Shard, String> owners = g.owners();
    Map<Shard, Long> next = g.nextOffsets();
    long now = System.currentTimeMillis();
    List<ShardProgress> shards = new ArrayList<>();
    for (MemoryShard ms : s.shards()) {
      Long at = next.get(ms.shard);
      long end = ms.endOffset();
      if (at == null && !ms.isOpen()) {
        continue; // a closed shard the group never read: nothing to show
      }
      ShardProgress.Builder b =
          ShardProgress.builder(ms.shard)
              .owner(owners.get(ms.shard))
              .latest(end > 0 ? Position.of(end - 1) : null);
      if (at != null) {
        long from = Math.max(at, ms.startOffset());
        b.checkpoint(at > 0 ? Position.of(at - 1) : null).lagRecords(Math.max(0, end - from));
        List<Record<byte[], byte[]>> oldest = new ArrayList<>(1);
        ms.read(stream, from, 1, oldest);
        b.lagTime(
            oldest.isEmpty()
                ? Duration.ZERO
                : Duration.ofMillis(Math.max(0, now - oldest.get(0).timestampMillis())));
      }
      shards.add(b.build());
    }
    return GroupDescription.of(stream, group, g.memberIds(), shards);
  }

  @Override
  public void resetGroup(String stream, String group, StartPosition to) {
    MemoryStream s = broker.stream(stream);
    for (Shard named : to.positions().keySet()) {
      if (s.shards().stream().noneMatch(ms -> ms.shard.equals(named))) {
        throw new SluiceException(
            ErrorCode.INVALID_ARGUMENT, "Stream '" + stream + "' has no shard " + named);
      }
    }
    MemoryGroup g = s.group(group);
    g.whileEmpty(
        "reset",
        () -> {
          Map<Shard, Long> next = new HashMap<>();
          for (MemoryShard ms : s.shards()) {
            next.put(ms.shard, MemoryConsumer.startOffset(ms, to));
          }
          g.reset(next);
        });
  }

  @Override
  public void deleteGroup(String stream, String group) {
    MemoryStream s = broker.stream(stream);
    s.deleteGroup(existing(s, group));
  }

  private static MemoryGroup existing(MemoryStream s, String group) {
    MemoryGroup g = s.existingGroup(group);
    if (g == null || !g.isInUse()) {
      throw new SluiceException(
          ErrorCode.NOT_FOUND, "Group '" + group + "' of stream '" + s.name + "' does not exist");
    }
    return g;
  }
}
