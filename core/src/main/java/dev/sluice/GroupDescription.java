package dev.sluice;

import dev.sluice.internal.Validation;
import java.util.List;
import java.util.OptionalLong;

/**
 * What {@link GroupAdmin#describeGroup} found: a group's live members and its progress in every
 * shard.
 */
public final class GroupDescription {
  private final String stream;
  private final String group;
  private final List<String> members;
  private final List<ShardProgress> shards;

  private GroupDescription(
      String stream, String group, List<String> members, List<ShardProgress> shards) {
    this.stream = stream;
    this.group = group;
    this.members = members;
    this.shards = shards;
  }

  /**
   * A description (for backends).
   *
   * @param stream the stream
   * @param group the group
   * @param members the ids of the live members
   * @param shards the group's progress per shard, in shard order
   * @return the description
   */
  public static GroupDescription of(
      String stream, String group, List<String> members, List<ShardProgress> shards) {
    return new GroupDescription(
        Validation.notNull(stream, "stream"),
        Validation.notNull(group, "group"),
        List.copyOf(Validation.notNull(members, "members")),
        List.copyOf(Validation.notNull(shards, "shards")));
  }

  /**
   * The stream.
   *
   * @return its name
   */
  public String stream() {
    return stream;
  }

  /**
   * The group.
   *
   * @return its name
   */
  public String group() {
    return group;
  }

  /**
   * The live members, as the backend names them (Kafka member ids, KCL worker ids); empty when
   * nobody reads for the group.
   *
   * @return the member ids
   */
  public List<String> members() {
    return members;
  }

  /**
   * The group's progress in each shard.
   *
   * @return one entry per shard, in shard order
   */
  public List<ShardProgress> shards() {
    return shards;
  }

  /**
   * The records the group has still to read over all shards, if the backend knows it for every
   * shard (not on Kinesis).
   *
   * @return the sum of {@link ShardProgress#lagRecords()}, or empty if one is unknown
   */
  public OptionalLong totalLag() {
    long sum = 0;
    for (ShardProgress s : shards) {
      if (s.lagRecords().isEmpty()) {
        return OptionalLong.empty();
      }
      sum += s.lagRecords().getAsLong();
    }
    return OptionalLong.of(sum);
  }

  @Override
  public String toString() {
    return "GroupDescription{" + stream + "/" + group + " members=" + members + " " + shards + "}";
  }
}
