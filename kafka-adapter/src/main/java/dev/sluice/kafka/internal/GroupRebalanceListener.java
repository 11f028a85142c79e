package dev.sluice.kafka.internal;

import dev.sluice.spi.DeliverySink;
import java.util.Collection;
import java.util.HashSet;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * A group consumer's rebalance callbacks: partitions assigned start where their checkpoint (or the
 * start position) says and are reported to the sink; partitions revoked are drained and their
 * checkpoints committed before they go; partitions lost are dropped, committing nothing. Kafka runs
 * the callbacks on the poll thread, inside {@code poll}, where no other thread may wake the
 * consumer up.
 */
final class GroupRebalanceListener implements ConsumerRebalanceListener {
  private final KafkaConsumerDriver driver;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final PollThreadTasks tasks;
  private final OffsetCommitter commits;
  private final DeliverySink out;

  GroupRebalanceListener(
      KafkaConsumerDriver driver,
      KafkaConsumer<byte[], byte[]> consumer,
      PollThreadTasks tasks,
      OffsetCommitter commits,
      DeliverySink out) {
    this.driver = driver;
    this.consumer = consumer;
    this.tasks = tasks;
    this.commits = commits;
    this.out = out;
  }

  @Override
  public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
    if (tasks.closing()) {
      // A rebalance finished on the way out (see OffsetCommitter.commitBeforeLeaving): commit, take
      // nothing on. Kafka calls this after every rebalance, with no partitions too.
      consumer.pause(partitions);
      commits.commitLeaving();
      return;
    }
    // Every rebalance gives the member a new generation, also one that leaves its partitions as
    // they were (cooperative: called with none): a transaction committing with the old one until
    // the next poll returns would be refused, and its processor restarted for nothing.
    driver.refreshGroupMetadata();
    if (partitions.isEmpty()) {
      return;
    }
    tasks.withoutWakeups(
        () -> {
          Map<TopicPartition, OffsetAndMetadata> committed =
              PollThreadTasks.unlessWoken(() -> consumer.committed(new HashSet<>(partitions)));
          for (TopicPartition tp : partitions) {
            if (committed.get(tp) == null) {
              driver.seekToStart(tp);
            }
          }
          driver.onAssigned(out, partitions);
        });
  }

  @Override
  public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
    if (tasks.closing()) {
      commits.commitLeaving();
    }
    giveUp(partitions, false);
  }

  @Override
  public void onPartitionsLost(Collection<TopicPartition> partitions) {
    giveUp(partitions, true);
  }

  private void giveUp(Collection<TopicPartition> partitions, boolean lost) {
    if (partitions.isEmpty()) {
      return;
    }
    tasks.withoutWakeups(
        () -> {
          driver.refreshGroupMetadata();
          driver.onGivenUp(out, partitions, lost);
        });
  }
}
