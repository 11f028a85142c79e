package dev.sluice.kafka.internal;

import dev.sluice.ErrorCode;
import dev.sluice.Shard;
import dev.sluice.ShardDescription;
import dev.sluice.SluiceException;
import dev.sluice.StreamAdmin;
import dev.sluice.StreamDescription;
import dev.sluice.StreamSpec;
import dev.sluice.StreamSpec.CleanupPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.jspecify.annotations.Nullable;

/**
 * Streams are topics, shards are partitions ({@code "0"} .. {@code "n-1"}). Every call waits until
 * the cluster shows the change, so a producer or consumer made right after it sees it too.
 */
final class KafkaAdminDriver implements StreamAdmin {
  /** How long an admin call, and the wait for its effect, may take. */
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final Admin admin;
  private final KnownPartitionCounts partitionCounts;

  KafkaAdminDriver(Admin admin, KnownPartitionCounts partitionCounts) {
    this.admin = admin;
    this.partitionCounts = partitionCounts;
  }

  @Override
  public void createStream(String stream, StreamSpec spec) {
    partitionCounts.forget(stream);
    NewTopic topic = new NewTopic(stream, Optional.of(spec.shards()), Optional.empty());
    Map<String, String> configs = new HashMap<>();
    Duration retention = spec.retention();
    if (retention != null) {
      configs.put(TopicConfig.RETENTION_MS_CONFIG, Long.toString(retentionMillis(retention)));
    }
    configs.put(
        TopicConfig.CLEANUP_POLICY_CONFIG,
        spec.cleanupPolicy() == CleanupPolicy.COMPACT
            ? TopicConfig.CLEANUP_POLICY_COMPACT
            : TopicConfig.CLEANUP_POLICY_DELETE);
    topic.configs(configs);
    try {
      KafkaBackend.await(admin.createTopics(List.of(topic)).all(), TIMEOUT);
    } catch (TopicExistsException e) {
      throw new SluiceException(
          ErrorCode.ALREADY_EXISTS, "Stream '" + stream + "' already exists", e);
    }
    awaitPartitions(stream, spec.shards());
  }

  @Override
  public StreamDescription describeStream(String stream) {
    TopicDescription d = describe(stream);
    List<ShardDescription> shards = new ArrayList<>();
    for (TopicPartitionInfo p : d.partitions()) {
      shards.add(ShardDescription.of(Shard.of(p.partition()), List.of(), null, true));
    }
    shards.sort((a, b) -> a.shard().compareTo(b.shard()));
    Config config = config(stream);
    return StreamDescription.of(stream, shards, retention(config), cleanupPolicy(config));
  }

  @Override
  public boolean exists(String stream) {
    try {
      describe(stream);
      return true;
    } catch (SluiceException e) {
      if (e.code() == ErrorCode.NOT_FOUND) {
        return false;
      }
      throw e;
    }
  }

  @Override
  public List<String> listStreams() {
    TreeSet<String> names = new TreeSet<>();
    for (String name :
        KafkaBackend.await(
            admin.listTopics(new ListTopicsOptions().listInternal(false)).names(), TIMEOUT)) {
      // Kafka's own topics (__consumer_offsets, __transaction_state, ...) are not streams.
      if (!name.startsWith("__")) {
        names.add(name);
      }
    }
    return new ArrayList<>(names);
  }

  @Override
  public void deleteStream(String stream) {
    partitionCounts.forget(stream);
    try {
      KafkaBackend.await(admin.deleteTopics(List.of(stream)).all(), TIMEOUT);
    } catch (UnknownTopicOrPartitionException e) {
      throw notFound(stream, e);
    }
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (exists(stream)) {
      pause(deadline, "deleting stream '" + stream + "'");
    }
  }

  @Override
  public void setShardCount(String stream, int shards) {
    int current = describe(stream).partitions().size();
    if (shards == current) {
      return;
    }
    if (shards < current) {
      throw new SluiceException(
          ErrorCode.UNSUPPORTED,
          "Kafka cannot reduce the number of partitions of a topic: stream '"
              + stream
              + "' has "
              + current
              + " shards, "
              + shards
              + " were asked for. Create a new stream with fewer shards and copy the records"
              + " instead");
    }
    KafkaBackend.await(
        admin.createPartitions(Map.of(stream, NewPartitions.increaseTo(shards))).all(), TIMEOUT);
    awaitPartitions(stream, shards);
    partitionCounts.raised(stream, shards);
  }

  @Override
  public void setRetention(String stream, Duration retention) {
    long millis = retentionMillis(retention);
    ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, stream);
    AlterConfigOp set =
        new AlterConfigOp(
            new ConfigEntry(TopicConfig.RETENTION_MS_CONFIG, Long.toString(millis)),
            AlterConfigOp.OpType.SET);
    try {
      KafkaBackend.await(
          admin.incrementalAlterConfigs(Map.of(resource, List.of(set))).all(), TIMEOUT);
    } catch (UnknownTopicOrPartitionException e) {
      throw notFound(stream, e);
    }
    // The controller answers before every broker has applied the change; describe it back.
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (!Duration.ofMillis(millis).equals(retention(config(stream)))) {
      pause(deadline, "waiting for stream '" + stream + "' to show retention " + retention);
    }
  }

  /**
   * Kafka keeps retention.ms: a finer retention, or one past a long of milliseconds, is refused.
   */
  private static long retentionMillis(Duration retention) {
    try {
      if (retention.toNanosPart() % 1_000_000 == 0) {
        return retention.toMillis();
      }
    } catch (ArithmeticException e) {
      // Past Long.MAX_VALUE milliseconds: refused below.
    }
    throw new SluiceException(
        ErrorCode.INVALID_ARGUMENT,
        "Retention "
            + retention
            + " cannot be kept by Kafka: retention.ms holds whole milliseconds up to "
            + Long.MAX_VALUE);
  }

  @Override
  public void splitShard(String stream, Shard shard) {
    throw new SluiceException(
        ErrorCode.UNSUPPORTED,
        "Kafka cannot split a partition: it has no hash-key ranges; use setShardCount to add"
            + " partitions");
  }

  @Override
  public void mergeShards(String stream, Shard first, Shard second) {
    throw new SluiceException(
        ErrorCode.UNSUPPORTED,
        "Kafka cannot merge partitions: it has no hash-key ranges and cannot reduce the number of"
            + " partitions");
  }

  private TopicDescription describe(String stream) {
    try {
      return KafkaBackend.await(
          admin.describeTopics(List.of(stream)).topicNameValues().get(stream), TIMEOUT);
    } catch (UnknownTopicOrPartitionException e) {
      throw notFound(stream, e);
    }
  }

  private Config config(String stream) {
    ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, stream);
    try {
      return KafkaBackend.await(
          admin.describeConfigs(List.of(resource)).values().get(resource), TIMEOUT);
    } catch (UnknownTopicOrPartitionException e) {
      throw notFound(stream, e);
    }
  }

  /** "compact" and "compact,delete" both compact; "delete" (or none) does not. */
  private static CleanupPolicy cleanupPolicy(Config config) {
    ConfigEntry entry = config.get(TopicConfig.CLEANUP_POLICY_CONFIG);
    if (entry == null || entry.value() == null) {
      return CleanupPolicy.DELETE;
    }
    for (String policy : entry.value().split(",")) {
      if (policy.trim().equals(TopicConfig.CLEANUP_POLICY_COMPACT)) {
        return CleanupPolicy.COMPACT;
      }
    }
    return CleanupPolicy.DELETE;
  }

  private static @Nullable Duration retention(Config config) {
    ConfigEntry entry = config.get(TopicConfig.RETENTION_MS_CONFIG);
    if (entry == null || entry.value() == null) {
      return null;
    }
    long millis = Long.parseLong(entry.value());
    return millis < 0 ? null : Duration.ofMillis(millis);
  }

  /**
   * Waits until the topic shows {@code count} partitions, each with a leader that serves it.
   *
   * <p>Metadata names a leader a moment before that broker can take writes for a new partition. A
   * producer that writes in that moment gets {@code NOT_LEADER_OR_FOLLOWER} for its first batch
   * while the batches it pipelined behind it may be appended; the first batch then fails with
   * {@code OUT_OF_ORDER_SEQUENCE_NUMBER} until {@code delivery.timeout.ms} (seen with Kafka 4.4).
   * Asking each leader for the partition's end offset proves it serves the partition.
   */
  private void awaitPartitions(String stream, int count) {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (true) {
      try {
        TopicDescription d = describe(stream);
        if (d.partitions().size() >= count
            && d.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty())) {
          Map<TopicPartition, OffsetSpec> ends = new HashMap<>();
          for (TopicPartitionInfo p : d.partitions()) {
            ends.put(new TopicPartition(stream, p.partition()), OffsetSpec.latest());
          }
          // The admin client retries NOT_LEADER_OR_FOLLOWER by itself until the leader serves.
          KafkaBackend.await(admin.listOffsets(ends).all(), TIMEOUT);
          return;
        }
      } catch (SluiceException e) {
        if (e.code() != ErrorCode.NOT_FOUND) {
          throw e;
        }
      } catch (UnknownTopicOrPartitionException e) {
        // Not visible everywhere yet.
      }
      pause(deadline, "waiting for stream '" + stream + "' to have " + count + " ready shards");
    }
  }

  private static void pause(long deadline, String what) {
    if (System.nanoTime() > deadline) {
      throw new SluiceException(ErrorCode.TIMEOUT, "Timed out " + what + " after " + TIMEOUT);
    }
    try {
      Thread.sleep(20);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SluiceException(ErrorCode.CLOSED, "Interrupted while " + what, e);
    }
  }

  private static SluiceException notFound(String stream, Throwable cause) {
    return new SluiceException(
        ErrorCode.NOT_FOUND,
        "Stream '" + stream + "' does not exist (no Kafka topic of that name)",
        cause);
  }
}
