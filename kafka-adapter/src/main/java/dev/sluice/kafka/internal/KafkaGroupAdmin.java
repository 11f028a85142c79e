package dev.sluice.kafka.internal;

import dev.sluice.ErrorCode;
import dev.sluice.GroupAdmin;
import dev.sluice.GroupDescription;
import dev.sluice.Position;
import dev.sluice.Shard;
import dev.sluice.ShardProgress;
import dev.sluice.SluiceException;
import dev.sluice.StartPosition;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListGroupsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.errors.GroupNotEmptyException;
import org.apache.kafka.common.errors.GroupSubscribedToTopicException;
import org.apache.kafka.common.errors.UnknownMemberIdException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.jspecify.annotations.Nullable;

/**
 * Consumer groups are Kafka's own: a group's checkpoints are its committed offsets on the topic
 * (the next offset to read, one past the checkpoint), its members those the group coordinator
 * knows. The coordinator itself refuses offset changes while the group has members; the check here
 * first gives the clearer message, and the coordinator's refusal covers a member joining between.
 */
final class KafkaGroupAdmin implements GroupAdmin {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  /** How long describe waits for the oldest unread record of a partition (for the lag in time). */
  private static final Duration PEEK_TIMEOUT = Duration.ofSeconds(5);

  private final Admin admin;
  private final KafkaSettings settings;

  KafkaGroupAdmin(Admin admin, KafkaSettings settings) {
    this.admin = admin;
    this.settings = settings;
  }

  @Override
  public List<String> listGroups(String stream) {
    Collection<GroupListing> all =
        KafkaBackend.await(admin.listGroups(ListGroupsOptions.forConsumerGroups()).all(), TIMEOUT);
    List<String> names = new ArrayList<>();
    for (GroupListing g : all) {
      if (!committed(stream, g.groupId()).isEmpty()
          || !assigned(stream, describe(g.groupId())).isEmpty()) {
        names.add(g.groupId());
      }
    }
    names.sort(null);
    return names;
  }

  @Override
  public GroupDescription describeGroup(String stream, String group) {
    ConsumerGroupDescription d = describe(group);
    Map<TopicPartition, Long> committed = committed(stream, group);
    Map<TopicPartition, String> owners = assigned(stream, d);
    if (committed.isEmpty() && owners.isEmpty()) {
      throw notFound(stream, group);
    }
    List<TopicPartition> partitions = partitions(stream);
    Map<TopicPartition, Long> ends = offsets(partitions, OffsetSpec.latest());
    Map<TopicPartition, Long> starts = offsets(partitions, OffsetSpec.earliest());
    Map<TopicPartition, Long> unread = new HashMap<>();
    committed.forEach(
        (tp, next) -> {
          long from = Math.max(next, starts.getOrDefault(tp, 0L));
          if (from < ends.getOrDefault(tp, 0L)) {
            unread.put(tp, from);
          }
        });
    Map<TopicPartition, Long> oldestUnread = timestampsAt(unread);
    long now = System.currentTimeMillis();
    List<ShardProgress> shards = new ArrayList<>();
    for (TopicPartition tp : partitions) {
      long end = ends.getOrDefault(tp, 0L);
      ShardProgress.Builder b =
          ShardProgress.builder(KafkaPositions.shard(tp))
              .owner(owners.get(tp))
              .latest(end > 0 ? Position.of(end - 1) : null);
      Long next = committed.get(tp);
      if (next != null) {
        long from = Math.max(next, starts.getOrDefault(tp, 0L));
        b.checkpoint(next > 0 ? Position.of(next - 1) : null).lagRecords(Math.max(0, end - from));
        Long ts = oldestUnread.get(tp);
        b.lagTime(
            unread.containsKey(tp)
                ? (ts == null ? null : Duration.ofMillis(Math.max(0, now - ts)))
                : Duration.ZERO);
      }
      shards.add(b.build());
    }
    List<String> members = new ArrayList<>();
    for (MemberDescription m : d.members()) {
      members.add(m.consumerId());
    }
    return GroupDescription.of(stream, group, members, shards);
  }

  @Override
  public void resetGroup(String stream, String group, StartPosition to) {
    List<TopicPartition> partitions = partitions(stream);
    for (Shard named : to.positions().keySet()) {
      TopicPartition tp = KafkaPositions.partition(stream, named);
      if (tp == null || !partitions.contains(tp)) {
        throw new SluiceException(
            ErrorCode.INVALID_ARGUMENT, "Stream '" + stream + "' has no shard " + named);
      }
    }
    requireEmpty("reset", stream, group, describe(group));
    Map<TopicPartition, Long> starts = offsets(partitions, OffsetSpec.earliest());
    Map<TopicPartition, Long> ends = offsets(partitions, OffsetSpec.latest());
    Map<TopicPartition, OffsetAndMetadata> target = new HashMap<>();
    for (TopicPartition tp : partitions) {
      StartPosition s = to.forShard(KafkaPositions.shard(tp));
      long start = starts.getOrDefault(tp, 0L);
      long end = ends.getOrDefault(tp, 0L);
      long offset;
      switch (s.kind()) {
        case EARLIEST:
          offset = start;
          break;
        case LATEST:
          offset = end;
          break;
        case AT_TIMESTAMP:
          offset = atTimestamp(tp, s.timestamp().toEpochMilli(), end);
          break;
        default:
          Position p = s.positions().get(KafkaPositions.shard(tp));
          offset = p.offset() + (s.isInclusive() ? 0 : 1);
          if (offset > end) {
            throw new SluiceException(
                ErrorCode.INVALID_ARGUMENT,
                "Position "
                    + p
                    + " is beyond the end of shard "
                    + tp.partition()
                    + " ("
                    + end
                    + ")");
          }
          offset = Math.max(offset, start);
          break;
      }
      target.put(tp, new OffsetAndMetadata(offset));
    }
    try {
      KafkaBackend.await(admin.alterConsumerGroupOffsets(group, target).all(), TIMEOUT);
    } catch (UnknownMemberIdException | GroupNotEmptyException e) {
      throw live("reset", stream, group, e);
    }
  }

  @Override
  public void deleteGroup(String stream, String group) {
    ConsumerGroupDescription d = describe(group);
    Map<TopicPartition, Long> committed = committed(stream, group);
    if (committed.isEmpty() && d.members().isEmpty()) {
      throw notFound(stream, group);
    }
    requireEmpty("delete", stream, group, d);
    try {
      if (!committed.isEmpty()) {
        KafkaBackend.await(
            admin.deleteConsumerGroupOffsets(group, committed.keySet()).all(), TIMEOUT);
      }
      if (committedAll(group).isEmpty()) {
        // Nothing left on any topic: the group itself goes, as kafka-consumer-groups --delete.
        KafkaBackend.await(admin.deleteConsumerGroups(List.of(group)).all(), TIMEOUT);
      }
    } catch (GroupSubscribedToTopicException | GroupNotEmptyException e) {
      throw live("delete", stream, group, e);
    } catch (GroupIdNotFoundException e) {
      // Gone meanwhile: what was asked.
    }
  }

  // ------------------------------------------------------------------ helpers

  private ConsumerGroupDescription describe(String group) {
    return KafkaBackend.await(admin.describeConsumerGroups(List.of(group)).all(), TIMEOUT)
        .get(group);
  }

  private static void requireEmpty(
      String what, String stream, String group, ConsumerGroupDescription d) {
    if (!d.members().isEmpty() && d.groupState() != GroupState.DEAD) {
      List<String> ids = new ArrayList<>();
      d.members().forEach(m -> ids.add(m.consumerId()));
      throw refusal(what, stream, group, ids.toString(), null);
    }
  }

  private static SluiceException live(
      String what, String stream, String group, RuntimeException cause) {
    return refusal(what, stream, group, "(a member joined)", cause);
  }

  private static SluiceException refusal(
      String what, String stream, String group, String members, @Nullable Throwable cause) {
    return new SluiceException(
        ErrorCode.FAILED_PRECONDITION,
        "Cannot "
            + what
            + " group '"
            + group
            + "' of stream '"
            + stream
            + "' while it has live members "
            + members
            + ": stop them first",
        cause);
  }

  private static SluiceException notFound(String stream, String group) {
    return new SluiceException(
        ErrorCode.NOT_FOUND,
        "Group '"
            + group
            + "' has no checkpoints on, and no members reading, stream '"
            + stream
            + "'");
  }

  /** The group's committed next offsets on the topic. */
  private Map<TopicPartition, Long> committed(String stream, String group) {
    Map<TopicPartition, Long> out =
        new TreeMap<>((a, b) -> Integer.compare(a.partition(), b.partition()));
    committedAll(group)
        .forEach(
            (tp, o) -> {
              if (o != null && tp.topic().equals(stream)) {
                out.put(tp, o.offset());
              }
            });
    return out;
  }

  private Map<TopicPartition, OffsetAndMetadata> committedAll(String group) {
    return KafkaBackend.await(
        admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata(), TIMEOUT);
  }

  /** Who owns each partition of the topic, by member id. */
  private static Map<TopicPartition, String> assigned(String stream, ConsumerGroupDescription d) {
    Map<TopicPartition, String> out = new HashMap<>();
    for (MemberDescription m : d.members()) {
      for (TopicPartition tp : m.assignment().topicPartitions()) {
        if (tp.topic().equals(stream)) {
          out.put(tp, m.consumerId());
        }
      }
    }
    return out;
  }

  private List<TopicPartition> partitions(String stream) {
    List<TopicPartition> out = new ArrayList<>();
    KafkaBackend.await(admin.describeTopics(List.of(stream)).allTopicNames(), TIMEOUT)
        .get(stream)
        .partitions()
        .forEach(p -> out.add(new TopicPartition(stream, p.partition())));
    out.sort((a, b) -> Integer.compare(a.partition(), b.partition()));
    return out;
  }

  private Map<TopicPartition, Long> offsets(List<TopicPartition> partitions, OffsetSpec spec) {
    Map<TopicPartition, OffsetSpec> request = new HashMap<>();
    partitions.forEach(tp -> request.put(tp, spec));
    Map<TopicPartition, ListOffsetsResultInfo> got =
        KafkaBackend.await(admin.listOffsets(request).all(), TIMEOUT);
    Map<TopicPartition, Long> out = new HashMap<>();
    got.forEach((tp, info) -> out.put(tp, info.offset()));
    return out;
  }

  /** The first offset with a timestamp at or after {@code millis}; the end if there is none. */
  private long atTimestamp(TopicPartition tp, long millis, long end) {
    long offset =
        KafkaBackend.await(
                admin.listOffsets(Map.of(tp, OffsetSpec.forTimestamp(millis))).all(), TIMEOUT)
            .get(tp)
            .offset();
    return offset < 0 ? end : offset;
  }

  /**
   * The timestamps of the records at these offsets: Kafka's admin has no call for that, so a
   * consumer without a group reads one record of each.
   */
  private Map<TopicPartition, Long> timestampsAt(Map<TopicPartition, Long> offsets) {
    Map<TopicPartition, Long> out = new HashMap<>();
    if (offsets.isEmpty()) {
      return out;
    }
    Map<String, Object> props = settings.consumerProperties("sluice-group-admin", null, 500);
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.assign(offsets.keySet());
      offsets.forEach(consumer::seek);
      Set<TopicPartition> missing = new HashSet<>(offsets.keySet());
      long deadline = System.nanoTime() + PEEK_TIMEOUT.toNanos();
      while (!missing.isEmpty() && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          TopicPartition tp = new TopicPartition(r.topic(), r.partition());
          if (missing.remove(tp)) {
            out.put(tp, r.timestamp());
            consumer.pause(List.of(tp));
          }
        }
      }
    }
    return out;
  }
}
