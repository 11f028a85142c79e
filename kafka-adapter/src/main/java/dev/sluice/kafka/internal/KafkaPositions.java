package dev.sluice.kafka.internal;

import dev.sluice.Position;
import dev.sluice.Shard;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.jspecify.annotations.Nullable;

/**
 * Sluice's shards and positions as the consumer's Kafka partitions and offsets, kept in one place
 * because the two count differently: a Sluice position names a record (a checkpoint is the last
 * record processed), while Kafka commits and seeks to the next offset to read. Getting the "+ 1"
 * wrong in one spot delivers a record twice or skips one.
 */
final class KafkaPositions {
  private KafkaPositions() {}

  /** The partition a shard names, or null if its id is not a partition number. */
  static @Nullable TopicPartition partition(String topic, Shard shard) {
    try {
      return new TopicPartition(topic, Integer.parseInt(shard.id()));
    } catch (NumberFormatException e) {
      return null;
    }
  }

  static Shard shard(TopicPartition tp) {
    return Shard.of(tp.partition());
  }

  /** The offset of the record after {@code position}: where reading resumes past it. */
  static long offsetAfter(Position position) {
    return position.offset() + 1;
  }

  /** What Kafka stores for a checkpoint: the next offset to read, after the record processed. */
  static OffsetAndMetadata committedOffset(Position checkpoint) {
    return new OffsetAndMetadata(offsetAfter(checkpoint));
  }

  /** Checkpoints of partitions this consumer owns (numeric shard ids) as offsets to commit. */
  static Map<TopicPartition, OffsetAndMetadata> committedOffsets(
      String topic, Map<Shard, Position> checkpoints) {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    checkpoints.forEach(
        (shard, position) ->
            offsets.put(
                new TopicPartition(topic, Integer.parseInt(shard.id())),
                committedOffset(position)));
    return offsets;
  }
}
