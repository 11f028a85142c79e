package dev.sluice.kafka.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands work from core's threads to a consumer's poll thread, the only thread that may touch the
 * {@link KafkaConsumer} (it is not thread-safe). Other threads queue an action and wake the poll
 * thread if it is waiting in {@code poll}; it runs the actions before its next poll. Kafka's {@code
 * wakeup} also interrupts the next blocking call if none is waiting, so it is sent only while the
 * poll thread is in {@link #poll} (and not in a rebalance callback), and every other blocking call
 * goes through {@link #unlessWoken}.
 */
final class PollThreadTasks {
  private static final Logger LOG = LoggerFactory.getLogger(PollThreadTasks.class);

  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Thread pollThread;
  private final String clientId;
  private final ConcurrentLinkedQueue<Runnable> actions = new ConcurrentLinkedQueue<>();
  private volatile boolean closing;

  /**
   * True while the member rejoins its group: set by {@link JoinTrackingAssignor} (stays false with
   * another assignor or group protocol).
   */
  private final AtomicBoolean joining;

  /** Poll thread only: work held back while the member rejoins. */
  private final List<Runnable> afterJoin = new ArrayList<>();

  /** True while the poll thread waits in {@code poll} (and not in a rebalance callback). */
  private volatile boolean wakeable;

  PollThreadTasks(
      KafkaConsumer<byte[], byte[]> consumer,
      Thread pollThread,
      String clientId,
      AtomicBoolean joining) {
    this.consumer = consumer;
    this.joining = joining;
    this.pollThread = pollThread;
    this.clientId = clientId;
  }

  /** From now on nothing is queued; wakes the poll thread if it waits in {@code poll}. */
  void close() {
    closing = true;
    if (wakeable) {
      consumer.wakeup();
    }
  }

  /** Marks the consumer closing without waking anything (the poll thread itself stops). */
  void stopPolling() {
    closing = true;
  }

  boolean closing() {
    return closing;
  }

  /** Queues an action for the poll thread; false if the consumer is closing. */
  boolean submit(Runnable action) {
    return submit(action, null);
  }

  /**
   * Queues an action and wakes the poll thread; false if the consumer is closing. If the action
   * throws, {@code failOnClose} is failed with that error.
   */
  boolean submit(Runnable action, @Nullable CompletableFuture<?> failOnClose) {
    if (closing) {
      return false;
    }
    Runnable guarded =
        failOnClose == null
            ? action
            : () -> {
              try {
                action.run();
              } catch (RuntimeException e) {
                failOnClose.completeExceptionally(e);
              }
            };
    actions.add(guarded);
    if (Thread.currentThread() != pollThread && wakeable) {
      consumer.wakeup();
    }
    return true;
  }

  /**
   * Queues an action for the poll thread without waking it: it runs after the current poll.
   *
   * @return false if the consumer is closing (nothing queued)
   */
  boolean enqueue(Runnable action) {
    if (closing) {
      return false;
    }
    actions.add(action);
    return true;
  }

  /**
   * Queues work for the poll thread between polls, without waking it (a wakeup can cut short a poll
   * that is rejoining the group), and holds it back while the member rejoins: in that window the
   * group may move to the next generation at any moment, and a transaction committing checkpoints
   * with the current one would be refused as a zombie's.
   *
   * @return false if the consumer is closing (nothing queued)
   */
  boolean betweenPolls(Runnable work) {
    return enqueue(
        new Runnable() {
          @Override
          public void run() {
            if (joining.get()) {
              afterJoin.add(this);
            } else {
              work.run();
            }
          }
        });
  }

  /** Poll thread: runs the work held back for a join once the member has its assignment. */
  void runAfterJoin() {
    if (afterJoin.isEmpty() || joining.get()) {
      return;
    }
    List<Runnable> held = new ArrayList<>(afterJoin);
    afterJoin.clear();
    held.forEach(Runnable::run);
  }

  /** Poll thread: runs what is queued; a failing action is logged, the others still run. */
  void runQueued() {
    Runnable action;
    while ((action = actions.poll()) != null) {
      try {
        action.run();
      } catch (RuntimeException e) {
        LOG.warn("{}: a queued consumer action failed", clientId, e);
      }
    }
  }

  /** Closed: nothing queued from now on will run. */
  void discardQueued() {
    actions.clear();
  }

  /**
   * Poll thread: polls, where another thread may wake it; null without polling if an action is
   * waiting or the consumer is closing. A wakeup ends the poll with Kafka's {@link
   * WakeupException}.
   */
  @Nullable ConsumerRecords<byte[], byte[]> poll(Duration timeout) {
    wakeable = true;
    try {
      if (!actions.isEmpty() || closing) {
        return null;
      }
      return consumer.poll(timeout);
    } finally {
      wakeable = false;
    }
  }

  /**
   * Poll thread: runs {@code work} where no other thread wakes the consumer up: a rebalance
   * callback runs inside {@code poll}, and a wakeup there would interrupt its own blocking calls.
   */
  void withoutWakeups(Runnable work) {
    boolean was = wakeable;
    wakeable = false;
    try {
      work.run();
    } finally {
      wakeable = was;
    }
  }

  /**
   * Runs a blocking consumer call on the poll thread, repeating it if a wakeup meant for the poll
   * (another thread queued an action) interrupted it instead.
   */
  static <T> T unlessWoken(Supplier<T> call) {
    for (int attempt = 1; ; attempt++) {
      try {
        return call.get();
      } catch (WakeupException e) {
        if (attempt >= 5) {
          throw e;
        }
      }
    }
  }
}
