package dev.sluice;

import dev.sluice.StreamSpec.CleanupPolicy;
import dev.sluice.internal.Validation;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * A stream as the backend describes it: its shards (open and closed), its retention and its cleanup
 * policy.
 */
public final class StreamDescription {
  private final String name;
  private final List<ShardDescription> shards;
  private final @Nullable Duration retention;
  private final CleanupPolicy cleanupPolicy;

  private StreamDescription(
      String name,
      List<ShardDescription> shards,
      @Nullable Duration retention,
      CleanupPolicy cleanupPolicy) {
    this.name = name;
    this.shards = shards;
    this.retention = retention;
    this.cleanupPolicy = cleanupPolicy;
  }

  /**
   * A description.
   *
   * @param retention null if records are kept forever
   * @param name the name
   * @param shards the shards
   * @return a description
   */
  public static StreamDescription of(
      String name, List<ShardDescription> shards, @Nullable Duration retention) {
    return of(name, shards, retention, CleanupPolicy.DELETE);
  }

  /**
   * A description of a stream with this cleanup policy.
   *
   * @param retention null if records are kept forever
   * @param name the name
   * @param shards the shards
   * @param cleanupPolicy how old records are removed
   * @return a description of a stream with this cleanup policy
   */
  public static StreamDescription of(
      String name,
      List<ShardDescription> shards,
      @Nullable Duration retention,
      CleanupPolicy cleanupPolicy) {
    return new StreamDescription(
        Validation.notNull(name, "name"),
        List.copyOf(Validation.notNull(shards, "shards")),
        retention,
        Validation.notNull(cleanupPolicy, "cleanupPolicy"));
  }

  /**
   * The stream's name.
   *
   * @return the name
   */
  public String name() {
    return name;
  }

  /**
   * Every shard the stream still retains records of, open or closed, sorted by id number.
   *
   * @return every shard the stream still retains records of, open or closed, sorted by id number
   */
  public List<ShardDescription> shards() {
    return shards;
  }

  /**
   * The shards that take new records.
   *
   * @return the shards that take new records
   */
  public List<Shard> openShards() {
    return shards.stream()
        .filter(ShardDescription::isOpen)
        .map(ShardDescription::shard)
        .collect(Collectors.toList());
  }

  /**
   * The description of one shard, or null.
   *
   * @param shard the shard
   * @return the description of one shard, or null
   */
  public @Nullable ShardDescription shard(Shard shard) {
    Validation.notNull(shard, "shard");
    for (ShardDescription d : shards) {
      if (d.shard().equals(shard)) {
        return d;
      }
    }
    return null;
  }

  /**
   * How long records are retained, or null if forever.
   *
   * @return how long records are retained, or null if forever
   */
  public @Nullable Duration retention() {
    return retention;
  }

  /**
   * Whether old records are deleted or the stream is compacted by key.
   *
   * @return true if old records are deleted or the stream is compacted by key
   */
  public CleanupPolicy cleanupPolicy() {
    return cleanupPolicy;
  }

  @Override
  public String toString() {
    return "StreamDescription{"
        + name
        + ", shards="
        + shards
        + ", retention="
        + retention
        + ", cleanupPolicy="
        + cleanupPolicy
        + "}";
  }
}
