package dev.sluice;

import dev.sluice.internal.Validation;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * How to create a stream: its shard count and, optionally, how long records are retained.
 *
 * <pre>{@code
 * admin.createStream("orders", StreamSpec.withShards(4).retention(Duration.ofDays(7)));
 * }</pre>
 */
public final class StreamSpec {
  private final int shards;
  private final @Nullable Duration retention;

  private StreamSpec(int shards, @Nullable Duration retention) {
    this.shards = shards;
    this.retention = retention;
  }

  /** A stream with this many shards and the backend's default retention. */
  public static StreamSpec withShards(int shards) {
    return new StreamSpec(shards, null);
  }

  /** The same spec with this retention. */
  public StreamSpec retention(Duration retention) {
    return new StreamSpec(shards, Validation.notNull(retention, "retention"));
  }

  public int shards() {
    return shards;
  }

  /** The retention asked for, or null for the backend's default. */
  public @Nullable Duration retention() {
    return retention;
  }

  @Override
  public String toString() {
    return "StreamSpec{shards="
        + shards
        + (retention == null ? "" : ", retention=" + retention)
        + "}";
  }
}
