package dev.sluice.kafka.internal;

import dev.sluice.ErrorCode;
import dev.sluice.Headers;
import dev.sluice.Position;
import dev.sluice.Record;
import dev.sluice.Shard;
import dev.sluice.SluiceException;
import dev.sluice.StartPosition;
import dev.sluice.spi.ConsumerDriver;
import dev.sluice.spi.ConsumerSpec;
import dev.sluice.spi.DeliverySink;
import dev.sluice.spi.SizedBatch;
import dev.sluice.spi.Unwrap;
import java.time.Duration;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.RandomAccess;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads one topic with one {@link KafkaConsumer}, owned by one poll thread.
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
 * record", Kafka commits "next offset to read", so the committed offset is position + 1.
 *
 * <p><b>Standalone mode.</b> No group: every partition is assigned, new ones are picked up every
 * {@code partition.discovery.interval.ms}, nothing is committed.
 */
final class KafkaConsumerDriver implements ConsumerDriver {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaConsumerDriver.class);

  private static final Duration POLL_TIMEOUT = Duration.ofMillis(500);
  private static final Duration COMMIT_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);
  private static final long JOIN_MILLIS = 60_000;

  private final ConsumerSpec spec;
  private final String topic;
  private final KafkaBackend backend;
  private final Duration discoveryInterval;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final @Nullable AutoCloseable metrics;
  private final Thread pollThread;

  private final ConcurrentLinkedQueue<Runnable> actions = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean started = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile boolean closing;

  /** True while the poll thread waits in {@code poll} (and not in a rebalance callback). */
  private volatile boolean wakeable;

  /**
   * Partitions owned now, with the assignment they belong to. A commit made for an earlier
   * assignment of a partition is dropped, so it cannot move back a newer owner's checkpoint.
   */
  private final Map<TopicPartition, Long> owned = new ConcurrentHashMap<>();

  private final AtomicLong assignments = new AtomicLong();

  /** Commits not finished yet; failed with {@code CLOSED} if the consumer closes first. */
  private final Set<CompletableFuture<Void>> pendingCommits = ConcurrentHashMap.newKeySet();

  // Poll thread only.
  private @Nullable DeliverySink sink;
  private final Set<TopicPartition> paused = new HashSet<>();

  /** Closing: the checkpoints to commit before leaving the group, while a rebalance is on. */
  private @Nullable Map<TopicPartition, OffsetAndMetadata> leaving;

  private @Nullable Set<Integer> initialPartitions;
  private long nextDiscovery;

  KafkaConsumerDriver(ConsumerSpec spec, KafkaSettings settings, KafkaBackend backend) {
    this.spec = spec;
    this.topic = spec.stream();
    this.backend = backend;
    this.discoveryInterval = settings.partitionDiscoveryInterval();
    this.consumer =
        new KafkaConsumer<>(
            settings.consumerProperties(spec.clientId(), spec.group(), spec.maxBatchRecords()));
    this.metrics = backend.bindMetrics(consumer);
    this.pollThread = new Thread(this::run, spec.clientId() + "-poll");
    pollThread.setDaemon(true);
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
      enqueue(
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
      submit(
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
    if (!spec.isGroup() || checkpoints.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    // The assignment each checkpoint was made under, taken now: see owned.
    Map<TopicPartition, Long> under = new HashMap<>();
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (Map.Entry<Shard, Position> e : checkpoints.entrySet()) {
      TopicPartition tp = partition(e.getKey());
      Long assignment = tp == null ? null : owned.get(tp);
      if (assignment != null) {
        under.put(tp, assignment);
        // Kafka stores the next offset to read; Sluice's checkpoint is the last one processed.
        offsets.put(tp, new OffsetAndMetadata(e.getValue().offset() + 1));
      }
    }
    if (offsets.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    CompletableFuture<Void> stored = new CompletableFuture<>();
    pendingCommits.add(stored);
    stored.whenComplete((ok, error) -> pendingCommits.remove(stored));
    boolean queued =
        submit(
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
    closing = true;
    if (!started.get()) {
      closeClient();
      return;
    }
    if (wakeable) {
      consumer.wakeup();
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
      while (!closing) {
        runActions();
        if (!spec.isGroup() && System.nanoTime() >= nextDiscovery) {
          discoverPartitions(out);
        }
        ConsumerRecords<byte[], byte[]> records;
        wakeable = true;
        try {
          if (!actions.isEmpty() || closing) {
            continue;
          }
          records = consumer.poll(POLL_TIMEOUT);
        } catch (WakeupException e) {
          continue;
        } catch (RetriableException e) {
          LOG.warn("{}: polling {} failed, retrying: {}", spec.clientId(), topic, e.toString());
          backOff();
          continue;
        } finally {
          wakeable = false;
        }
        deliver(out, records);
      }
    } catch (RuntimeException | Error e) {
      if (!closing) {
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
      consumer.subscribe(List.of(topic), new Rebalance(out));
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
    took(out, added);
  }

  /** Positions a partition that has no checkpoint where the start position says. */
  private void seekToStart(TopicPartition tp) {
    StartPosition start = spec.startPosition().forShard(Shard.of(tp.partition()));
    switch (start.kind()) {
      case EARLIEST:
        consumer.seekToBeginning(List.of(tp));
        break;
      case LATEST:
        // A partition added after this consumer started holds only records sent after it
        // started: all of them are "new".
        if (initialPartitions != null && !initialPartitions.contains(tp.partition())) {
          consumer.seekToBeginning(List.of(tp));
        } else {
          consumer.seekToEnd(List.of(tp));
        }
        break;
      case AT_TIMESTAMP:
        long millis = start.timestamp().toEpochMilli();
        Map<TopicPartition, OffsetAndTimestamp> found =
            unlessWoken(() -> consumer.offsetsForTimes(Map.of(tp, millis)));
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
        consumer.seek(tp, start.isInclusive() ? p.offset() : p.offset() + 1);
        break;
    }
    // seekToBeginning/End are lazy; resolve now, so that what the application sends after it was
    // told the shard is assigned is read.
    unlessWoken(() -> consumer.position(tp));
  }

  /** Records partitions as owned and tells the sink. */
  private void took(DeliverySink out, Collection<TopicPartition> partitions) {
    long assignment = assignments.incrementAndGet();
    Set<Shard> shards = new TreeSet<>();
    for (TopicPartition tp : partitions) {
      owned.put(tp, assignment);
      shards.add(Shard.of(tp.partition()));
    }
    out.assigned(shards);
  }

  /** Gives partitions up: the sink drains them, then what they processed is committed. */
  private void gaveUp(DeliverySink out, Collection<TopicPartition> partitions, boolean lost) {
    Map<TopicPartition, OffsetAndMetadata> offsets = release(out, partitions, lost);
    if (offsets.isEmpty()) {
      return;
    }
    try {
      commitNow(offsets, COMMIT_TIMEOUT);
    } catch (KafkaException e) {
      LOG.warn(
          "{}: could not store the checkpoints {} of {} before giving its partitions up; their"
              + " records after the last stored checkpoint will be delivered again: {}",
          spec.clientId(),
          offsets,
          topic,
          e.toString());
    }
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
        shards.add(Shard.of(tp.partition()));
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
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    checkpoints.forEach(
        (shard, position) ->
            offsets.put(
                new TopicPartition(topic, Integer.parseInt(shard.id())),
                new OffsetAndMetadata(position.offset() + 1)));
    return offsets;
  }

  /**
   * On close, in a group: drains the owned partitions and commits their checkpoints while still a
   * member, before leaving. Leaving first would not do: when the group is rebalancing, Kafka's
   * classic consumer reports the partitions lost on the way out (ConsumerCoordinator's
   * onLeavePrepare) and refuses the commit, so everything handled since the last periodic
   * checkpoint would be delivered again. A commit refused because the group is rebalancing waits
   * for the rebalance to finish: polls (delivering nothing) let it finish, and the first rebalance
   * callback, where the member is stable again, commits. That callback runs before any partition
   * taken from this member can be given to another one (cooperative rebalancing hands a partition
   * over only in the next rebalance, which waits for this member); a commit after the poll would
   * come too late, as the poll that finishes one rebalance also starts the next. Gives up after
   * {@link #COMMIT_TIMEOUT}.
   */
  private void commitBeforeLeaving(DeliverySink out) {
    if (owned.isEmpty()) {
      return;
    }
    Map<TopicPartition, OffsetAndMetadata> offsets =
        release(out, new ArrayList<>(owned.keySet()), false);
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
          unlessWoken(() -> consumer.poll(Duration.ofMillis(Math.min(100, left.toMillis() + 1))));
        }
      }
    } catch (KafkaException e) {
      warnNotStored(offsets, e);
    } finally {
      leaving = null;
    }
  }

  /** Closing, in a rebalance callback where the member is stable: commits what it handled. */
  private void commitLeaving() {
    Map<TopicPartition, OffsetAndMetadata> offsets = leaving;
    if (offsets == null) {
      return;
    }
    try {
      commitNow(offsets, COMMIT_TIMEOUT);
      leaving = null;
    } catch (KafkaException e) {
      // commitBeforeLeaving tries again, until its deadline.
      LOG.debug("{}: committing {} on the way out failed", spec.clientId(), offsets, e);
    }
  }

  private void warnNotStored(Map<TopicPartition, OffsetAndMetadata> offsets, Exception e) {
    LOG.warn(
        "{}: could not store the checkpoints {} of {} before closing; their records after the last"
            + " stored checkpoint will be delivered again: {}",
        spec.clientId(),
        offsets,
        topic,
        e.toString());
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
      Shard shard = Shard.of(tp.partition());
      List<Record<byte[], byte[]>> batch = new ReceivedBatch(topic, shard, in);
      OptionalLong lag = consumer.currentLag(tp);
      long recordsBehind = lag.isPresent() ? lag.getAsLong() : -1;
      long lastTimestamp = in.get(in.size() - 1).timestamp();
      long millisBehind =
          recordsBehind == 0 ? 0 : lastTimestamp < 0 ? -1 : Math.max(0, now - lastTimestamp);
      out.deliver(shard, batch, millisBehind, recordsBehind);
    }
  }

  private void runActions() {
    Runnable action;
    while ((action = actions.poll()) != null) {
      try {
        action.run();
      } catch (RuntimeException e) {
        LOG.warn("{}: a queued consumer action failed", spec.clientId(), e);
      }
    }
  }

  private void shutDown(DeliverySink out) {
    try {
      runActions();
      if (spec.isGroup() && started.get()) {
        commitBeforeLeaving(out);
        // Runs the rebalance listener for anything still owned, then leaves the group.
        unlessWoken(
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
        gaveUp(out, new ArrayList<>(owned.keySet()), false);
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
      // Nothing queued from now on will run.
      actions.clear();
      for (CompletableFuture<Void> pending : new ArrayList<>(pendingCommits)) {
        pending.completeExceptionally(closedError());
      }
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

  /** Queues an action for the poll thread; false if the consumer is closing. */
  private boolean submit(Runnable action) {
    return submit(action, null);
  }

  /** Queues an action for the poll thread without waking it: it runs after the current poll. */
  private void enqueue(Runnable action) {
    if (!closing) {
      actions.add(action);
    }
  }

  private boolean submit(Runnable action, @Nullable CompletableFuture<?> failOnClose) {
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
   * Runs a blocking consumer call on the poll thread, repeating it if a wakeup meant for the poll
   * (another thread queued an action) interrupted it instead.
   */
  /** A synchronous commit on the poll thread, as {@link #unlessWoken} makes every such call. */
  private void commitNow(Map<TopicPartition, OffsetAndMetadata> offsets, Duration timeout) {
    unlessWoken(
        () -> {
          consumer.commitSync(offsets, timeout);
          return null;
        });
  }

  private <T> T unlessWoken(Supplier<T> call) {
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

  private @Nullable TopicPartition partition(Shard shard) {
    try {
      return new TopicPartition(topic, Integer.parseInt(shard.id()));
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private void backOff() {
    try {
      Thread.sleep(100);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      closing = true;
    }
  }

  private SluiceException closedError() {
    return new SluiceException(ErrorCode.CLOSED, "The consumer of '" + topic + "' is closed");
  }

  /**
   * One partition's records of a poll, made Sluice records as they are read. The poll thread serves
   * every shard, so it only hands Kafka's records over; each shard's worker builds the records it
   * handles, in parallel, where building them on the poll thread capped the whole consumer (the
   * benchmark's consume rate stopped at ~6M rec/s where the raw consumer reached 7M+). Kafka's
   * records are immutable once polled, so another thread may read them. A record with headers is
   * built at once, on the poll thread: Kafka reads header values lazily, as slices of the fetch
   * response, and one such record waiting in a queue would keep the whole response (up to {@code
   * fetch.max.bytes}) in memory; building it copies them. Each record is built once (a pull
   * consumer reads the whole batch on the poll thread); two threads building the same one at once
   * would each make an equal record. Its size comes from Kafka's record, so counting received bytes
   * builds nothing.
   */
  private static final class ReceivedBatch extends AbstractList<Record<byte[], byte[]>>
      implements RandomAccess, SizedBatch {
    private final String topic;
    private final Shard shard;
    private final List<ConsumerRecord<byte[], byte[]>> records;
    private final Record<?, ?>[] built;

    ReceivedBatch(String topic, Shard shard, List<ConsumerRecord<byte[], byte[]>> records) {
      this.topic = topic;
      this.shard = shard;
      this.records = records;
      this.built = new Record<?, ?>[records.size()];
      for (int i = 0; i < built.length; i++) {
        if (records.get(i).headers().toArray().length > 0) {
          get(i);
        }
      }
    }

    @Override
    @SuppressWarnings("unchecked")
    public Record<byte[], byte[]> get(int index) {
      Record<byte[], byte[]> made = (Record<byte[], byte[]>) built[index];
      if (made == null) {
        ConsumerRecord<byte[], byte[]> r = records.get(index);
        made =
            Record.received(
                topic,
                shard,
                Position.of(r.offset()),
                r.key(),
                r.value(), // null: a tombstone
                headers(r),
                // Kafka's -1 means "no timestamp" (only old message formats have none).
                r.timestamp() < 0 ? Record.NO_TIMESTAMP : r.timestamp());
        built[index] = made;
      }
      return made;
    }

    @Override
    public int size() {
      return records.size();
    }

    @Override
    public long keyAndValueBytes() {
      // Kafka's sizes are -1 for a missing key or value (Sluice reads a missing value as empty).
      long bytes = 0;
      for (ConsumerRecord<byte[], byte[]> r : records) {
        bytes += Math.max(0, r.serializedKeySize()) + Math.max(0, r.serializedValueSize());
      }
      return bytes;
    }
  }

  private static Headers headers(ConsumerRecord<byte[], byte[]> r) {
    Header[] native_ = r.headers().toArray();
    if (native_.length == 0) {
      return Headers.empty();
    }
    Headers.Builder b = Headers.builder();
    for (Header h : native_) {
      b.add(h.key(), h.value() == null ? new byte[0] : h.value());
    }
    return b.build();
  }

  /** The group's rebalance callbacks; Kafka runs them on the poll thread, inside {@code poll}. */
  private final class Rebalance implements ConsumerRebalanceListener {
    private final DeliverySink out;

    Rebalance(DeliverySink out) {
      this.out = out;
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      if (closing) {
        // A rebalance finished on the way out (see commitBeforeLeaving): commit, take nothing on.
        // Kafka calls this after every rebalance, with no partitions too.
        consumer.pause(partitions);
        commitLeaving();
        return;
      }
      if (partitions.isEmpty()) {
        return;
      }
      boolean was = wakeable;
      wakeable = false;
      try {
        Map<TopicPartition, OffsetAndMetadata> committed =
            unlessWoken(() -> consumer.committed(new HashSet<>(partitions)));
        for (TopicPartition tp : partitions) {
          if (committed.get(tp) == null) {
            seekToStart(tp);
          }
        }
        took(out, partitions);
      } finally {
        wakeable = was;
      }
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      if (closing) {
        commitLeaving();
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
      boolean was = wakeable;
      wakeable = false;
      try {
        gaveUp(out, partitions, lost);
      } finally {
        wakeable = was;
      }
    }
  }
}
