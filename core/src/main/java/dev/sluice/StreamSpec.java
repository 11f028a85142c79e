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
  /** What the backend does with old records. */
  public enum CleanupPolicy {
    /** Records older than the retention are deleted (every backend; the default). */
    DELETE,
    /**
     * The stream is compacted: the backend may drop a record once a later record of the same key is
     * stored, and a tombstone (a record with a key and no value) lets it drop the key. Needs {@link
     * Capabilities.Capability#COMPACTION}. When compaction runs is up to the backend, so a consumer
     * may still see superseded records and tombstones; it always sees the latest record of every
     * key that has not been deleted.
     */
    COMPACT
  }

  private final int shards;
  private final @Nullable Duration retention;
  private final CleanupPolicy cleanupPolicy;

  private StreamSpec(int shards, @Nullable Duration retention, CleanupPolicy cleanupPolicy) {
    this.shards = shards;
    this.retention = retention;
    this.cleanupPolicy = cleanupPolicy;
  }

  /**
   * A stream with this many shards, the backend's default retention, and DELETE cleanup.
   *
   * @param shards the shards
   * @return a stream with this many shards, the backend's default retention, and DELETE cleanup
   */
  public static StreamSpec withShards(int shards) {
    return new StreamSpec(shards, null, CleanupPolicy.DELETE);
  }

  /**
   * The same spec with this retention.
   *
   * @param retention how long records are kept
   * @return the same spec with this retention
   */
  public StreamSpec retention(Duration retention) {
    return new StreamSpec(shards, Validation.notNull(retention, "retention"), cleanupPolicy);
  }

  /**
   * The same spec with this cleanup policy; creating a {@link CleanupPolicy#COMPACT} stream fails
   * with {@code UNSUPPORTED} on a backend without {@link Capabilities.Capability#COMPACTION}.
   *
   * @param policy the failure policy
   * @return the same spec with this cleanup policy; creating a {@link CleanupPolicy#COMPACT} stream
   *     fails with {@code UNSUPPORTED} on a backend without {@link
   *     Capabilities.Capability#COMPACTION}
   */
  public StreamSpec cleanupPolicy(CleanupPolicy policy) {
    return new StreamSpec(shards, retention, Validation.notNull(policy, "policy"));
  }

  /**
   * DELETE unless asked otherwise.
   *
   * @return the cleanup policy
   */
  public CleanupPolicy cleanupPolicy() {
    return cleanupPolicy;
  }

  /**
   * The number of shards.
   *
   * @return the shard count
   */
  public int shards() {
    return shards;
  }

  /**
   * The retention asked for, or null for the backend's default.
   *
   * @return the retention asked for, or null for the backend's default
   */
  public @Nullable Duration retention() {
    return retention;
  }

  @Override
  public String toString() {
    return "StreamSpec{shards="
        + shards
        + (retention == null ? "" : ", retention=" + retention)
        + (cleanupPolicy == CleanupPolicy.DELETE ? "" : ", cleanupPolicy=" + cleanupPolicy)
        + "}";
  }
}
