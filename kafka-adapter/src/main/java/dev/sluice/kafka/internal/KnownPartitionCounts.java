package dev.sluice.kafka.internal;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The partition counts this backend's own admin gave topics ({@code setShardCount}), which a Kafka
 * producer's cached metadata shows only after its next refresh ({@code metadata.max.age.ms}, 5
 * minutes by default).
 *
 * <p>Why: a producer routes a keyed record by the partition count in its metadata, and {@code
 * shardFor} asked the same metadata. After partitions were added, both kept the old count until a
 * refresh, which then came at any moment, also between a send and the {@code shardFor} of its key
 * (the conformance test {@code shardForAfterReshard} failed now and then that way). With these
 * counts, the producer driver routes keyed records by the new count as soon as {@code
 * setShardCount} returns, and a later refresh changes nothing. A count set from elsewhere (another
 * process, the Kafka tools) still shows only with the refresh.
 */
final class KnownPartitionCounts {
  private final Map<String, Integer> counts = new ConcurrentHashMap<>();

  /** The admin raised {@code topic} to {@code partitions}. */
  void raised(String topic, int partitions) {
    counts.merge(topic, partitions, Math::max);
  }

  /** The topic was created or deleted: a count from before does not hold for what is there now. */
  void forget(String topic) {
    counts.remove(topic);
  }

  /** The count the admin set for {@code topic}, or 0 if it set none. */
  int of(String topic) {
    Integer n = counts.get(topic);
    return n == null ? 0 : n;
  }
}
