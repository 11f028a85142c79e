package dev.sluice.kafka.internal;

import dev.sluice.ErrorCode;
import dev.sluice.Position;
import dev.sluice.Record;
import dev.sluice.Shard;
import dev.sluice.SluiceException;
import dev.sluice.StartPosition;
import dev.sluice.spi.ConsumerDriver;
import dev.sluice.spi.ConsumerSpec;
import dev.sluice.spi.DeliverySink;
import dev.sluice.spi.Unwrap;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.errors.WakeupException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads one topic with one {@link KafkaConsumer}, owned by one poll thread: the poll loop, which
 * partitions it owns and where each starts. The pieces it runs are in their own classes: {@link
 * PollThreadTasks} (work handed to the poll thread), {@link OffsetCommitter} (checkpoints stored in
 * Kafka), {@link GroupRebalanceListener} (the group's callbacks), {@link ReceivedBatch} (Kafka's
 * records as Sluice's) and {@link KafkaPositions} (positions as offsets).
 *
 * <p><b>Threading.</b> The Kafka consumer is not thread-safe, so only the poll thread touches it.
 * {@link #pause}, {@link #resume} and {@link #commit}, called from core's threads, queue an action
 * and wake the poll thread up if it is waiting in {@code poll}; it runs the actions before its next
 * poll. Backpressure is Kafka's own {@code pause}/{@code resume}, so {@code poll} keeps being
 * called (the group heartbeat and {@code max.poll.interval.ms} stay happy) however slow the
 * handlers are.
 *
 * <p><b>Group mode.</b> A consumer group (classic protocol with the cooperative-sticky assignor by
 * default, or {@code group.protocol=consumer}). The rebalance listener runs on the poll thread: on
 * revocation it calls {@link DeliverySink#revoked}, which waits for the handlers, and commits what
 * it returns before the partitions go; on loss it commits nothing. Positions are "last processed
 * record", Kafka commits "next offset to read", so the committed offset is position + 1 (see {@link
 * KafkaPositions}).
 *
 * <p><b>Standalone mode.</b> No group: every partition is assigned, new ones are picked up every
 * {@code partition.discovery.interval.ms}, nothing is committed.
 */
final class KafkaConsumerDriver implements ConsumerDriver {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaConsumerDriver.class);

  /**
   * How long a poll waits for records: also how long a transaction's commit, which runs between
   * polls, may wait when no records come (Kafka Streams' {@code poll.ms}, 100 ms).
   */
  private static final Duration POLL_TIMEOUT = Duration.ofMillis(100);

  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);
  private static final long JOIN_MILLIS = 60_000;

  private final ConsumerSpec spec;
  private final String topic;
  private final KafkaBackend backend;
  private final Duration discoveryInterval;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final @Nullable AutoCloseable metrics;
  private final Thread pollThread;
  private final PollThreadTasks tasks;
  private final OffsetCommitter commits;

  private final AtomicBoolean started = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();

  /**
   * Partitions owned now, with the assignment they belong to. A commit made for an earlier
   * assignment of a partition is dropped, so it cannot move back a newer owner's checkpoint.
   */
  private final Map<TopicPartition, Long> owned = new ConcurrentHashMap<>();

  private final AtomicLong assignments = new AtomicLong();

  // Poll thread only.
  private @Nullable DeliverySink sink;
  private final Set<TopicPartition> paused = new HashSet<>();

  private @Nullable Set<Integer> initialPartitions;

  /**
   * The group metadata (generation, member id) as of the last poll or rebalance callback, for a
   * transaction that commits this consumer's checkpoints (KIP-447). Kept here because the Kafka
   * consumer may only be asked on the poll thread; a commit made with a stale copy is refused by
   * the group coordinator, which is the fencing wanted.
   */
  private volatile @Nullable ConsumerGroupMetadata groupMetadata;

  private long nextDiscovery;

  KafkaConsumerDriver(ConsumerSpec spec, KafkaSettings settings, KafkaBackend backend) {
    this.spec = spec;
    this.topic = spec.stream();
    this.backend = backend;
    this.discoveryInterval = settings.partitionDiscoveryInterval();
    AtomicBoolean joining = new AtomicBoolean();
    Map<String, Object> properties =
        settings.consumerProperties(spec.clientId(), spec.group(), spec.maxBatchRecords());
    if (CooperativeStickyAssignor.class
        .getName()
        .equals(properties.get(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG))) {
      // Sluice's default assignor: the same, telling when the member rejoins (see runBetweenPolls).
      properties.put(
          ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
          JoinTrackingAssignor.class.getName());
      properties.put(JoinTrackingAssignor.JOINING, joining);
    }
    this.consumer = new KafkaConsumer<>(properties);
    this.metrics = backend.bindMetrics(consumer);
    this.pollThread = new Thread(this::run, spec.clientId() + "-poll");
    pollThread.setDaemon(true);
    this.tasks = new PollThreadTasks(consumer, pollThread, spec.clientId(), joining);
    this.commits =
        new OffsetCommitter(consumer, topic, spec.clientId(), spec.isGroup(), tasks, owned);
  }

  /** The topic read. */
  String topic() {
    return topic;
  }

  /** See {@link #groupMetadata}; null before the consumer joined its group. */
  @Nullable ConsumerGroupMetadata groupMetadata() {
    return groupMetadata;
  }

  /** Poll thread: refreshes {@link #groupMetadata}. */
  void refreshGroupMetadata() {
    if (spec.isGroup()) {
      groupMetadata = consumer.groupMetadata();
    }
  }

  // ------------------------------------------------------------------ ConsumerDriver (any thread)

  @Override
  public void start(DeliverySink sink) {
    if (!started.compareAndSet(false, true)) {
      throw new IllegalStateException("Already started");
    }
    this.sink = sink;
    pollThread.start();
  }

  @Override
  public void pause(Shard shard) {
    TopicPartition tp = partition(shard);
    if (tp != null) {
      // No wakeup: a pause may wait for the current poll to return (at most a batch more for the
      // shard's buffer), and waking the poll for every pause costs a fetch round trip.
      tasks.enqueue(
          () -> {
            paused.add(tp);
            if (consumer.assignment().contains(tp)) {
              consumer.pause(List.of(tp));
            }
          });
    }
  }

  @Override
  public void resume(Shard shard) {
    TopicPartition tp = partition(shard);
    if (tp != null) {
      tasks.submit(
          () -> {
            paused.remove(tp);
            if (consumer.assignment().contains(tp)) {
              consumer.resume(List.of(tp));
            }
          });
    }
  }

  @Override
  public CompletableFuture<Void> commit(Map<Shard, Position> checkpoints) {
    return commits.commit(checkpoints);
  }

  /**
   * On the poll thread between polls (at once if called there, as from a rebalance callback): no
   * rebalance can complete while {@code work} runs, so a transaction committing the checkpoints
   * sends the generation the group coordinator still has, unless this member really was dropped. It
   * waits for the current poll (not woken up) and is held back while the member rejoins: see {@link
   * PollThreadTasks#betweenPolls}. Under load a poll returns as soon as records arrive; when idle
   * within {@link #POLL_TIMEOUT}.
   */
  @Override
  public CompletableFuture<Void> runBetweenPolls(Runnable work) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    Runnable run =
        () -> {
          try {
            refreshGroupMetadata();
            work.run();
            done.complete(null);
          } catch (RuntimeException e) {
            done.completeExceptionally(e);
          }
        };
    if (Thread.currentThread() == pollThread) {
      run.run();
    } else if (!commits.track(done) || !tasks.betweenPolls(run)) {
      done.completeExceptionally(
          new SluiceException(ErrorCode.CLOSED, "The consumer of " + topic + " is closing"));
    }
    return done;
  }

  @Override
  public <T> T unwrap(Class<T> type) {
    return Unwrap.as(
        type,
        consumer,
        "A Kafka consumer",
        org.apache.kafka.clients.consumer.Consumer.class.getName());
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      awaitPollThread();
      return;
    }
    tasks.close();
    if (!started.get()) {
      closeClient();
      return;
    }
    if (Thread.currentThread() != pollThread) {
      awaitPollThread();
    }
  }

  // ------------------------------------------------------------------ poll thread

  private void run() {
    DeliverySink out = sink;
    try {
      if (!begin(out)) {
        return;
      }
      while (!tasks.closing()) {
        tasks.runQueued();
        tasks.runAfterJoin();
        if (!spec.isGroup() && System.nanoTime() >= nextDiscovery) {
          discoverPartitions(out);
        }
        ConsumerRecords<byte[], byte[]> records;
        try {
          records = tasks.poll(POLL_TIMEOUT);
        } catch (WakeupException e) {
          continue;
        } catch (RetriableException e) {
          LOG.warn("{}: polling {} failed, retrying: {}", spec.clientId(), topic, e.toString());
          backOff();
          continue;
        }
        if (records != null) {
          refreshGroupMetadata();
          deliver(out, records);
        }
      }
    } catch (RuntimeException | Error e) {
      if (!tasks.closing()) {
        LOG.debug("{}: consumer of {} failed", spec.clientId(), topic, e);
        out.failed(e);
      }
    } finally {
      shutDown(out);
    }
  }

  /** Checks the topic, then subscribes (group) or assigns every partition (standalone). */
  private boolean begin(DeliverySink out) {
    List<Integer> partitions;
    try {
      partitions = backend.partitions(topic, KafkaBackend.QUICK_CHECK_TIMEOUT);
    } catch (UnknownTopicOrPartitionException e) {
      out.failed(
          new SluiceException(
              ErrorCode.NOT_FOUND,
              "Stream '" + topic + "' does not exist (no Kafka topic of that name)",
              e));
      return false;
    } catch (RuntimeException e) {
      if (!spec.isGroup()) {
        throw e;
      }
      LOG.debug("{}: could not list the partitions of {}", spec.clientId(), topic, e);
      partitions = null;
    }
    initialPartitions = partitions == null ? null : new HashSet<>(partitions);
    if (partitions != null) {
      SluiceException bad = checkStartShards(partitions);
      if (bad != null) {
        out.failed(bad);
        return false;
      }
    }
    if (spec.isGroup()) {
      consumer.subscribe(
          List.of(topic), new GroupRebalanceListener(this, consumer, tasks, commits, out));
    } else {
      assign(out, partitions);
    }
    return true;
  }

  /** A start position naming a shard the topic does not have is a mistake, not a no-op. */
  private @Nullable SluiceException checkStartShards(List<Integer> partitions) {
    List<Shard> shards = new ArrayList<>(partitions.size());
    for (int p : partitions) {
      shards.add(Shard.of(p));
    }
    return spec.unknownStartShard(shards);
  }

  private void discoverPartitions(DeliverySink out) {
    nextDiscovery = System.nanoTime() + discoveryInterval.toNanos();
    try {
      assign(out, backend.partitions(topic, KafkaBackend.QUICK_CHECK_TIMEOUT));
    } catch (RuntimeException e) {
      LOG.debug("{}: looking for new partitions of {} failed", spec.clientId(), topic, e);
    }
  }

  /** Standalone: assigns these partitions in addition to those already owned. */
  private void assign(DeliverySink out, Collection<Integer> partitions) {
    nextDiscovery = System.nanoTime() + discoveryInterval.toNanos();
    List<TopicPartition> added = new ArrayList<>();
    for (int p : partitions) {
      TopicPartition tp = new TopicPartition(topic, p);
      if (!owned.containsKey(tp)) {
        added.add(tp);
      }
    }
    if (added.isEmpty()) {
      return;
    }
    Set<TopicPartition> all = new HashSet<>(owned.keySet());
    all.addAll(added);
    consumer.assign(all);
    for (TopicPartition tp : added) {
      seekToStart(tp);
    }
    onAssigned(out, added);
  }

  /** Positions a partition that has no checkpoint where the start position says. */
  void seekToStart(TopicPartition tp) {
    seekTo(tp, spec.startPosition().forShard(Shard.of(tp.partition())), true);
  }

  /**
   * Positions a partition at {@code start} (for this partition), resolved now; returns the next
   * offset to read. {@code atStart}: the consumer is starting to read the partition.
   */
  private long seekTo(TopicPartition tp, StartPosition start, boolean atStart) {
    switch (start.kind()) {
      case EARLIEST:
        consumer.seekToBeginning(List.of(tp));
        break;
      case LATEST:
        // A partition added after this consumer started holds only records sent after it
        // started: all of them are "new".
        if (atStart && initialPartitions != null && !initialPartitions.contains(tp.partition())) {
          consumer.seekToBeginning(List.of(tp));
        } else {
          consumer.seekToEnd(List.of(tp));
        }
        break;
      case AT_TIMESTAMP:
        long millis = start.timestamp().toEpochMilli();
        Map<TopicPartition, OffsetAndTimestamp> found =
            PollThreadTasks.unlessWoken(() -> consumer.offsetsForTimes(Map.of(tp, millis)));
        OffsetAndTimestamp at = found.get(tp);
        if (at != null) {
          consumer.seek(tp, at.offset());
        } else {
          consumer.seekToEnd(List.of(tp)); // no record that late yet: from the next one on
        }
        break;
      case POSITIONS:
        Position p = start.positions().get(Shard.of(tp.partition()));
        if (p == null) {
          throw new IllegalStateException("No position for " + tp + " in " + start);
        }
        consumer.seek(tp, start.isInclusive() ? p.offset() : KafkaPositions.offsetAfter(p));
        break;
    }
    // seekToBeginning/End are lazy; resolve now, so that what the application sends after it was
    // told the shard is assigned is read.
    return PollThreadTasks.unlessWoken(() -> consumer.position(tp));
  }

  /**
   * Kafka's {@code seek} on the poll thread (records it fetched from the old offset are dropped by
   * the Kafka consumer itself), then, in a group, a synchronous commit of the new offset, queued
   * after every commit core asked for before; then the sink is told. If the commit fails, the
   * partition goes back to where it was, and the seek fails.
   */
  @Override
  public CompletableFuture<Void> seek(Shard shard, StartPosition position) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    TopicPartition tp = partition(shard);
    if (tp == null) {
      done.completeExceptionally(notOwned(shard));
      return done;
    }
    Runnable move =
        () -> {
          if (!owned.containsKey(tp)) {
            done.completeExceptionally(notOwned(shard));
            return;
          }
          if (position.kind() == StartPosition.Kind.POSITIONS) {
            long offset = seekOffset(position, shard);
            long end = PollThreadTasks.unlessWoken(() -> consumer.endOffsets(List.of(tp))).get(tp);
            if (offset > end) {
              done.completeExceptionally(
                  new SluiceException(
                      ErrorCode.INVALID_ARGUMENT,
                      "Seek position "
                          + position.positions().get(shard)
                          + " is beyond the end of shard "
                          + shard
                          + " (next position: "
                          + end
                          + ")"));
              return;
            }
          }
          long before = PollThreadTasks.unlessWoken(() -> consumer.position(tp));
          long next = seekTo(tp, position, false);
          if (spec.isGroup()) {
            try {
              commits.commitMoved(tp, next);
            } catch (RuntimeException e) {
              consumer.seek(tp, before);
              throw e;
            }
          }
          sink.moved(shard);
          done.complete(null);
        };
    if (Thread.currentThread() == pollThread) {
      try {
        move.run();
      } catch (RuntimeException e) {
        done.completeExceptionally(e);
      }
    } else if (!commits.track(done) || !tasks.submit(move, done)) {
      done.completeExceptionally(
          new SluiceException(ErrorCode.CLOSED, "The consumer of '" + topic + "' is closed"));
    }
    return done;
  }

  private static long seekOffset(StartPosition position, Shard shard) {
    Position p = position.positions().get(shard);
    return position.isInclusive() ? p.offset() : KafkaPositions.offsetAfter(p);
  }

  private SluiceException notOwned(Shard shard) {
    return new SluiceException(
        ErrorCode.INVALID_ARGUMENT,
        "Shard " + shard + " of '" + topic + "' is not assigned to this consumer");
  }

  /**
   * Partitions were assigned (by the group, or by this driver when standalone): records them as
   * owned and tells the sink.
   */
  void onAssigned(DeliverySink out, Collection<TopicPartition> partitions) {
    long assignment = assignments.incrementAndGet();
    Set<Shard> shards = new TreeSet<>();
    for (TopicPartition tp : partitions) {
      owned.put(tp, assignment);
      shards.add(KafkaPositions.shard(tp));
    }
    out.assigned(shards);
  }

  /**
   * Partitions are given up (revoked, lost, or the consumer closes): the sink drains them, then
   * what they processed is committed (not if lost).
   */
  void onGivenUp(DeliverySink out, Collection<TopicPartition> partitions, boolean lost) {
    commits.commitGivenUp(release(out, partitions, lost));
  }

  /**
   * Stops owning partitions: the sink drains them and returns their checkpoints, given back as the
   * offsets to commit (none if lost or standalone).
   */
  private Map<TopicPartition, OffsetAndMetadata> release(
      DeliverySink out, Collection<TopicPartition> partitions, boolean lost) {
    Set<Shard> shards = new TreeSet<>();
    for (TopicPartition tp : partitions) {
      if (owned.remove(tp) != null) {
        shards.add(KafkaPositions.shard(tp));
      }
      paused.remove(tp);
    }
    if (shards.isEmpty()) {
      return Map.of();
    }
    Map<Shard, Position> checkpoints = out.revoked(shards, lost);
    if (lost || !spec.isGroup() || checkpoints.isEmpty()) {
      return Map.of();
    }
    return KafkaPositions.committedOffsets(topic, checkpoints);
  }

  /**
   * On close, in a group: drains the owned partitions and commits their checkpoints while still a
   * member, before leaving (see {@link OffsetCommitter#commitBeforeLeaving} for why).
   */
  private void commitBeforeLeaving(DeliverySink out) {
    if (owned.isEmpty()) {
      return;
    }
    commits.commitBeforeLeaving(release(out, new ArrayList<>(owned.keySet()), false));
  }

  private void deliver(DeliverySink out, ConsumerRecords<byte[], byte[]> records) {
    if (records.isEmpty()) {
      return;
    }
    long now = System.currentTimeMillis();
    for (TopicPartition tp : records.partitions()) {
      if (!owned.containsKey(tp)) {
        continue;
      }
      List<ConsumerRecord<byte[], byte[]>> in = records.records(tp);
      if (in.isEmpty()) {
        continue;
      }
      Shard shard = KafkaPositions.shard(tp);
      List<Record<byte[], byte[]>> batch = new ReceivedBatch(topic, shard, in);
      OptionalLong lag = consumer.currentLag(tp);
      long recordsBehind = lag.isPresent() ? lag.getAsLong() : -1;
      long lastTimestamp = in.get(in.size() - 1).timestamp();
      long millisBehind =
          recordsBehind == 0 ? 0 : lastTimestamp < 0 ? -1 : Math.max(0, now - lastTimestamp);
      out.deliver(shard, batch, millisBehind, recordsBehind);
    }
  }

  private void shutDown(DeliverySink out) {
    try {
      tasks.runQueued();
      if (spec.isGroup() && started.get()) {
        commitBeforeLeaving(out);
        // Runs the rebalance listener for anything still owned, then leaves the group.
        PollThreadTasks.unlessWoken(
            () -> {
              consumer.unsubscribe();
              return null;
            });
      }
    } catch (RuntimeException e) {
      LOG.warn("{}: leaving the group of {} failed: {}", spec.clientId(), topic, e.toString());
    }
    try {
      if (!owned.isEmpty()) {
        onGivenUp(out, new ArrayList<>(owned.keySet()), false);
      }
    } catch (RuntimeException e) {
      LOG.warn("{}: giving up the partitions of {} failed", spec.clientId(), topic, e);
    } finally {
      closeClient();
    }
  }

  private void closeClient() {
    try {
      consumer.close(CloseOptions.timeout(CLOSE_TIMEOUT));
    } catch (RuntimeException e) {
      LOG.debug("{}: closing the Kafka consumer failed", spec.clientId(), e);
    } finally {
      KafkaBackend.closeQuietly(metrics);
      tasks.discardQueued();
      commits.failPending();
    }
  }

  private void awaitPollThread() {
    if (!started.get() || Thread.currentThread() == pollThread) {
      return;
    }
    try {
      pollThread.join(JOIN_MILLIS);
      if (pollThread.isAlive()) {
        LOG.warn(
            "{}: the consumer of {} did not stop within {} ms",
            spec.clientId(),
            topic,
            JOIN_MILLIS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // ------------------------------------------------------------------ helpers

  private @Nullable TopicPartition partition(Shard shard) {
    return KafkaPositions.partition(topic, shard);
  }

  private void backOff() {
    try {
      Thread.sleep(100);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      tasks.stopPolling();
    }
  }
}
