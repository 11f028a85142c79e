package dev.sluice.kafka.internal;

import dev.sluice.ErrorCode;
import dev.sluice.Position;
import dev.sluice.Shard;
import dev.sluice.SluiceException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stores a group consumer's checkpoints in Kafka: the periodic ones core asks for (asynchronous,
 * from any thread, run on the poll thread), those of partitions given up in a rebalance, and those
 * of a member on its way out of the group (synchronous, on the poll thread). A commit made for an
 * earlier assignment of a partition is dropped, so it cannot move back a newer owner's checkpoint.
 */
final class OffsetCommitter {
  private static final Logger LOG = LoggerFactory.getLogger(OffsetCommitter.class);

  static final Duration COMMIT_TIMEOUT = Duration.ofSeconds(10);

  private final KafkaConsumer<byte[], byte[]> consumer;
  private final String topic;
  private final String clientId;
  private final boolean group;
  private final PollThreadTasks tasks;

  /** The partitions owned now, with the assignment they belong to (the driver keeps it). */
  private final Map<TopicPartition, Long> owned;

  /** Commits not finished yet; failed with {@code CLOSED} if the consumer closes first. */
  private final Set<CompletableFuture<Void>> pendingCommits = ConcurrentHashMap.newKeySet();

  /** Closing: the checkpoints to commit before leaving the group, while a rebalance is on. */
  private @Nullable Map<TopicPartition, OffsetAndMetadata> leaving; // poll thread only

  OffsetCommitter(
      KafkaConsumer<byte[], byte[]> consumer,
      String topic,
      String clientId,
      boolean group,
      PollThreadTasks tasks,
      Map<TopicPartition, Long> owned) {
    this.consumer = consumer;
    this.topic = topic;
    this.clientId = clientId;
    this.group = group;
    this.tasks = tasks;
    this.owned = owned;
  }

  /** Any thread: commits checkpoints of partitions still owned; nothing to do outside a group. */
  CompletableFuture<Void> commit(Map<Shard, Position> checkpoints) {
    if (!group || checkpoints.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    // The assignment each checkpoint was made under, taken now: see owned.
    Map<TopicPartition, Long> under = new HashMap<>();
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (Map.Entry<Shard, Position> e : checkpoints.entrySet()) {
      TopicPartition tp = KafkaPositions.partition(topic, e.getKey());
      Long assignment = tp == null ? null : owned.get(tp);
      if (assignment != null) {
        under.put(tp, assignment);
        offsets.put(tp, KafkaPositions.committedOffset(e.getValue()));
      }
    }
    if (offsets.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    CompletableFuture<Void> stored = new CompletableFuture<>();
    pendingCommits.add(stored);
    stored.whenComplete((ok, error) -> pendingCommits.remove(stored));
    boolean queued =
        tasks.submit(
            () -> {
              offsets.keySet().removeIf(tp -> !under.get(tp).equals(owned.get(tp)));
              if (offsets.isEmpty()) {
                stored.complete(null);
                return;
              }
              consumer.commitAsync(
                  offsets,
                  (done, error) -> {
                    if (error == null) {
                      stored.complete(null);
                    } else {
                      stored.completeExceptionally(error);
                    }
                  });
            },
            stored);
    if (!queued) {
      stored.completeExceptionally(closedError());
    }
    return stored;
  }

  /**
   * Poll thread: stores the offset a seek moved a partition to, replacing the committed one (a seek
   * back moves it back). Synchronous, so that when the seek returns a new owner resumes there;
   * after the commits queued before it, which Kafka applies in the order sent.
   */
  void commitMoved(TopicPartition tp, long nextOffset) {
    commitNow(Map.of(tp, new OffsetAndMetadata(nextOffset)), COMMIT_TIMEOUT);
  }

  /** Poll thread: commits the checkpoints of partitions being given up, warning if it cannot. */
  void commitGivenUp(Map<TopicPartition, OffsetAndMetadata> offsets) {
    if (offsets.isEmpty()) {
      return;
    }
    try {
      commitNow(offsets, COMMIT_TIMEOUT);
    } catch (KafkaException e) {
      LOG.warn(
          "{}: could not store the checkpoints {} of {} before giving its partitions up; their"
              + " records after the last stored checkpoint will be delivered again: {}",
          clientId,
          offsets,
          topic,
          e.toString());
    }
  }

  /**
   * On close, in a group: commits the checkpoints of the drained partitions while still a member,
   * before leaving. Leaving first would not do: when the group is rebalancing, Kafka's classic
   * consumer reports the partitions lost on the way out (ConsumerCoordinator's onLeavePrepare) and
   * refuses the commit, so everything handled since the last periodic checkpoint would be delivered
   * again. A commit refused because the group is rebalancing waits for the rebalance to finish:
   * polls (delivering nothing) let it finish, and the first rebalance callback, where the member is
   * stable again, commits ({@link #commitLeaving}). That callback runs before any partition taken
   * from this member can be given to another one (cooperative rebalancing hands a partition over
   * only in the next rebalance, which waits for this member); a commit after the poll would come
   * too late, as the poll that finishes one rebalance also starts the next. Gives up after {@link
   * #COMMIT_TIMEOUT}.
   */
  void commitBeforeLeaving(Map<TopicPartition, OffsetAndMetadata> offsets) {
    if (offsets.isEmpty()) {
      return;
    }
    // The polls below only move the group along: fetching records for them would be waste.
    consumer.pause(consumer.assignment());
    leaving = offsets;
    long deadline = System.nanoTime() + COMMIT_TIMEOUT.toNanos();
    try {
      while (leaving != null) {
        Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
        try {
          commitNow(offsets, left);
          return;
        } catch (RebalanceInProgressException e) {
          if (left.isZero()) {
            warnNotStored(offsets, e);
            return;
          }
          // Records this poll returns are dropped: nothing is owned, and the offsets committed are
          // the checkpoints above, not the consumer's position.
          PollThreadTasks.unlessWoken(
              () -> consumer.poll(Duration.ofMillis(Math.min(100, left.toMillis() + 1))));
        }
      }
    } catch (KafkaException e) {
      warnNotStored(offsets, e);
    } finally {
      leaving = null;
    }
  }

  /** Closing, in a rebalance callback where the member is stable: commits what it handled. */
  void commitLeaving() {
    Map<TopicPartition, OffsetAndMetadata> offsets = leaving;
    if (offsets == null) {
      return;
    }
    try {
      commitNow(offsets, COMMIT_TIMEOUT);
      leaving = null;
    } catch (KafkaException e) {
      // commitBeforeLeaving tries again, until its deadline.
      LOG.debug("{}: committing {} on the way out failed", clientId, offsets, e);
    }
  }

  /**
   * Counts {@code work} among the pending commits, so that closing fails it if it never runs.
   *
   * @return true (for chaining before a hand-off)
   */
  boolean track(CompletableFuture<Void> work) {
    pendingCommits.add(work);
    work.whenComplete((ok, error) -> pendingCommits.remove(work));
    return true;
  }

  /** The consumer is closed: commits still pending fail with {@code CLOSED}. */
  void failPending() {
    for (CompletableFuture<Void> pending : new ArrayList<>(pendingCommits)) {
      pending.completeExceptionally(closedError());
    }
  }

  private void warnNotStored(Map<TopicPartition, OffsetAndMetadata> offsets, Exception e) {
    LOG.warn(
        "{}: could not store the checkpoints {} of {} before closing; their records after the last"
            + " stored checkpoint will be delivered again: {}",
        clientId,
        offsets,
        topic,
        e.toString());
  }

  /** A synchronous commit on the poll thread, as {@link PollThreadTasks#unlessWoken} makes it. */
  private void commitNow(Map<TopicPartition, OffsetAndMetadata> offsets, Duration timeout) {
    PollThreadTasks.unlessWoken(
        () -> {
          consumer.commitSync(offsets, timeout);
          return null;
        });
  }

  private SluiceException closedError() {
    return new SluiceException(ErrorCode.CLOSED, "The consumer of '" + topic + "' is closed");
  }
}
