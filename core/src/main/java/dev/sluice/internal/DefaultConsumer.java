package dev.sluice.internal;

import dev.sluice.CheckpointMode;
import dev.sluice.ErrorCode;
import dev.sluice.FailurePolicy;
import dev.sluice.Headers;
import dev.sluice.Position;
import dev.sluice.Producer;
import dev.sluice.PullConsumer;
import dev.sluice.Record;
import dev.sluice.RecordHandler;
import dev.sluice.Serde;
import dev.sluice.Shard;
import dev.sluice.ShardListener;
import dev.sluice.SluiceException;
import dev.sluice.spi.ConsumerDriver;
import dev.sluice.spi.DeliverySink;
import dev.sluice.spi.SizedBatch;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The portable consumer. The driver delivers batches per shard; this class runs the handler
 * sequentially per shard and in parallel across shards (or buffers for {@code poll}), keeps the
 * checkpoint bookkeeping, applies backpressure by pausing shards, and drains shards cleanly when
 * they are revoked.
 */
final class DefaultConsumer<K, V> implements PullConsumer<K, V>, DeliverySink {
  private static final Logger LOG = LoggerFactory.getLogger(DefaultConsumer.class);

  /** Records a handler worker takes from its shard's queue at once. */
  private static final int CHUNK = 256;

  private final SluiceRuntime runtime;
  private final ConsumerSettings<K, V> settings;
  private final ConsumerDriver driver;
  private final @Nullable RecordHandler<K, V> handler;
  private final String clientId;
  private final boolean rawBytes;
  private final boolean autoCheckpoint;
  private final boolean group;

  private final Map<Shard, ShardState> shards = new ConcurrentHashMap<>();

  /** Last processed position per shard, kept after a shard is given up (standalone positions). */
  private final Map<Shard, Position> processed = new ConcurrentHashMap<>();

  private final SluiceMetrics.@Nullable ConsumerMeters meters;
  private @Nullable Producer<byte[], byte[]> ownDeadLetterProducer;
  private final @Nullable ExecutorService workers;
  private final ScheduledExecutorService timer;
  private final CompletableFuture<Void> termination = new CompletableFuture<>();
  private final AtomicBoolean closing = new AtomicBoolean();

  /**
   * Set when close begins (this consumer's, or {@code Sluice.close()} stopping all its consumers
   * before closing any): from then on no handler call starts; the calls in progress finish, and
   * what they handled is checkpointed when the shards are given up.
   */
  private volatile boolean halted;

  private volatile @Nullable SluiceException failure;

  // Pull style: one buffer for all shards.
  private final Object pollLock = new Object();
  private final ArrayDeque<Record<byte[], byte[]>> pollBuffer = new ArrayDeque<>();
  private final Set<Shard> pollPaused = new HashSet<>();

  /** Positions of the records the last poll returned, per shard; processed on the next poll. */
  private final Map<Shard, Position> lastPolled = new HashMap<>();

  DefaultConsumer(
      SluiceRuntime runtime,
      ConsumerSettings<K, V> settings,
      ConsumerDriver driver,
      @Nullable RecordHandler<K, V> handler,
      String clientId) {
    this.runtime = runtime;
    this.settings = settings;
    this.driver = driver;
    this.handler = handler;
    this.clientId = clientId;
    this.rawBytes = settings.keySerde() == Serde.bytes() && settings.valueSerde() == Serde.bytes();
    this.autoCheckpoint = settings.checkpointMode() == CheckpointMode.AUTO;
    this.group = settings.group() != null;
    SluiceMetrics metrics = runtime.metrics();
    this.meters = metrics == null ? null : metrics.consumer(settings.stream(), settings.group());
    this.workers =
        handler == null ? null : Executors.newCachedThreadPool(threads(clientId + "-shard"));
    this.timer = Executors.newSingleThreadScheduledExecutor(threads(clientId + "-timer"));
  }

  void start() {
    // The timer first: a driver may fail at once (a missing stream), and the consumer then closes
    // itself on another thread while start() is still running.
    if (group) {
      long interval = settings.checkpointInterval().toMillis();
      timer.scheduleWithFixedDelay(this::commitQuietly, interval, interval, TimeUnit.MILLISECONDS);
    }
    driver.start(this);
  }

  // ---------------------------------------------------------------- DeliverySink (driver threads)

  @Override
  public void assigned(Set<Shard> assigned) {
    for (Shard s : assigned) {
      shards.computeIfAbsent(s, ShardState::new);
    }
    Set<Shard> now = Collections.unmodifiableSet(new TreeSet<>(shards.keySet()));
    Set<Shard> given = Collections.unmodifiableSet(new TreeSet<>(assigned));
    if (meters != null) {
      meters.rebalance("assigned", given.size());
      meters.assignedShards.set(now.size());
    }
    LOG.debug("{} assigned {} of {}", clientId, given, settings.stream());
    notifyListener(
        () ->
            settings
                .listener()
                .onAssigned(
                    new ShardListener.Assigned() {
                      @Override
                      public Set<Shard> shards() {
                        return given;
                      }

                      @Override
                      public Set<Shard> assignment() {
                        return now;
                      }

                      @Override
                      public String toString() {
                        return "Assigned" + given;
                      }
                    }));
  }

  @Override
  public Map<Shard, Position> revoked(Set<Shard> revoked, boolean lost) {
    List<ShardState> states = new ArrayList<>();
    for (Shard s : revoked) {
      ShardState state = shards.get(s);
      if (state != null) {
        state.revoke();
        states.add(state);
      }
    }
    if (handler == null) {
      dropPolled(revoked);
    }
    long deadline = System.nanoTime() + settings.revocationTimeout().toNanos();
    for (ShardState state : states) {
      if (!state.awaitIdle(deadline)) {
        LOG.warn(
            "{}: the handler for shard {} of {} did not finish within {}; giving the shard up"
                + " without its record in progress",
            clientId,
            state.shard,
            settings.stream(),
            settings.revocationTimeout());
      }
    }
    Map<Shard, Position> checkpoints = new TreeMap<>();
    Set<Shard> redelivered = new TreeSet<>();
    for (ShardState state : states) {
      if (lost && state.processedSinceCheckpoint()) {
        redelivered.add(state.shard);
      }
      if (!lost) {
        Position p = state.pendingCheckpoint();
        if (p != null) {
          checkpoints.put(state.shard, p);
        }
      }
      shards.remove(state.shard, state);
      if (meters != null) {
        meters.removeShard(state.shard);
      }
    }
    Set<Shard> given = Collections.unmodifiableSet(new TreeSet<>(revoked));
    if (meters != null) {
      meters.rebalance(lost ? "lost" : "revoked", given.size());
      meters.assignedShards.set(shards.size());
      if (group) {
        // Counted as handed over: the driver writes them before it lets the shards go (its
        // contract), and a failure there is the driver's to report. A standalone driver stores
        // nothing, so nothing is counted for it.
        meters.checkpoints.increment(checkpoints.size());
      }
    }
    Map<Shard, Position> written = Collections.unmodifiableMap(new TreeMap<>(checkpoints));
    if (!redelivered.isEmpty()) {
      // The group moved on without this consumer (its session expired, it was fenced, it left
      // mid-rebalance): what it processed since the last stored checkpoint goes to the next owner
      // again. A loss with nothing processed since is routine (a Kinesis lease moved): no warning.
      LOG.warn(
          "{}: lost shards {} of {} without checkpointing them; the records they processed since"
              + " their last stored checkpoint will be delivered again",
          clientId,
          redelivered,
          settings.stream());
    } else if (lost) {
      LOG.debug("{} lost {} with nothing processed since their checkpoints", clientId, given);
    } else {
      LOG.debug("{} revoked {} checkpoints {}", clientId, given, written);
    }
    notifyListener(
        () ->
            settings
                .listener()
                .onRevoked(
                    new ShardListener.Revoked() {
                      @Override
                      public Set<Shard> shards() {
                        return given;
                      }

                      @Override
                      public boolean lost() {
                        return lost;
                      }

                      @Override
                      public Map<Shard, Position> checkpointed() {
                        return written;
                      }

                      @Override
                      public String toString() {
                        return "Revoked" + given + (lost ? " (lost)" : " " + written);
                      }
                    }));
    return checkpoints;
  }

  @Override
  public void deliver(
      Shard shard,
      List<Record<byte[], byte[]>> records,
      long millisBehindLatest,
      long recordsBehindLatest) {
    if (records.isEmpty()) {
      return;
    }
    ShardState state = shards.computeIfAbsent(shard, ShardState::new);
    if (handler != null) {
      // Counted as the batch enters the consumer: an application that sees the meter move (a
      // test waiting for records to be buffered) finds them queued or in the poll buffer.
      countReceived(shard, records, millisBehindLatest, recordsBehindLatest);
      state.enqueue(records);
    } else {
      state.delivered(records.get(records.size() - 1).position());
      boolean pause;
      synchronized (pollLock) {
        if (state.revoked) {
          return;
        }
        countReceived(shard, records, millisBehindLatest, recordsBehindLatest);
        pollBuffer.addAll(records);
        pause = pollBuffer.size() >= settings.maxBufferedRecords() && pollPaused.add(shard);
        if (pause) {
          state.backpressure(true);
        }
        pollLock.notifyAll();
      }
      if (pause) {
        state.applyBackpressure();
      }
    }
  }

  private void countReceived(
      Shard shard,
      List<Record<byte[], byte[]>> records,
      long millisBehindLatest,
      long recordsBehindLatest) {
    if (meters == null) {
      return;
    }
    long bytes = 0;
    if (records instanceof SizedBatch) {
      bytes = ((SizedBatch) records).keyAndValueBytes();
    } else {
      for (Record<byte[], byte[]> r : records) {
        byte[] value = r.value();
        bytes += (value == null ? 0 : value.length) + (r.key() == null ? 0 : r.key().length);
      }
    }
    meters.shard(shard).delivered(records.size(), bytes, millisBehindLatest, recordsBehindLatest);
  }

  @Override
  public boolean shardEnded(Shard shard) {
    ShardState state = shards.get(shard);
    if (state == null) {
      return !halted;
    }
    boolean done = state.awaitFinished();
    if (done) {
      shards.remove(shard, state);
      if (meters != null) {
        meters.removeShard(shard);
        meters.assignedShards.set(shards.size());
      }
    }
    return done;
  }

  @Override
  public void failed(Throwable error) {
    SluiceException e = runtime.translate(error);
    if (e.code() == ErrorCode.INTERNAL) {
      LOG.error("{}: consumer of {} failed: {}", clientId, settings.stream(), e.getMessage(), e);
    } else {
      // An expected condition (a missing stream, a bad start position): the application gets it
      // through termination(); one line is enough here.
      LOG.warn("{}: consumer of {} stopped: {}", clientId, settings.stream(), e.getMessage());
    }
    stopWith(e);
  }

  // ---------------------------------------------------------------- Consumer (application threads)

  @Override
  public String stream() {
    return settings.stream();
  }

  @Override
  public @Nullable String group() {
    return settings.group();
  }

  @Override
  public Set<Shard> assignment() {
    return Collections.unmodifiableSet(new TreeSet<>(shards.keySet()));
  }

  @Override
  public List<Record<K, V>> poll(Duration timeout) {
    Validation.notNull(timeout, "timeout");
    if (handler != null) {
      throw new SluiceException(
          ErrorCode.FAILED_PRECONDITION,
          "poll() is for consumers opened with open(); this one was started with a handler");
    }
    checkRunning();
    List<Record<byte[], byte[]>> batch = new ArrayList<>();
    List<Shard> resume = new ArrayList<>();
    List<ShardState> resumeStates = new ArrayList<>();
    synchronized (pollLock) {
      if (autoCheckpoint) {
        lastPolled.forEach((s, p) -> markProcessed(s, p));
      }
      lastPolled.clear();
      long deadline = System.nanoTime() + timeout.toNanos();
      while (pollBuffer.isEmpty() && !closing.get()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          break;
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(pollLock, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new SluiceException(ErrorCode.CLOSED, "Interrupted while polling", e);
        }
      }
      while (!pollBuffer.isEmpty() && batch.size() < settings.maxPollRecords()) {
        Record<byte[], byte[]> r = pollBuffer.poll();
        batch.add(r);
        lastPolled.put(r.shard(), r.position());
      }
      if (!pollPaused.isEmpty() && pollBuffer.size() <= settings.maxBufferedRecords() / 2) {
        for (Shard s : pollPaused) {
          ShardState state = shards.get(s);
          if (state != null) {
            state.backpressure(false);
            resumeStates.add(state);
          } else {
            resume.add(s);
          }
        }
        pollPaused.clear();
      }
    }
    resumeStates.forEach(ShardState::applyBackpressure);
    resume.forEach(driver::resume);
    checkRunning();
    List<Record<K, V>> out = new ArrayList<>(batch.size());
    for (Record<byte[], byte[]> r : batch) {
      out.add(deserialize(r));
    }
    return out;
  }

  @Override
  public void checkpoint(Record<?, ?> record) {
    Validation.notNull(record, "record");
    if (record.shard() == null || record.position() == null) {
      throw new SluiceException(
          ErrorCode.INVALID_ARGUMENT, "Only a received record can be checkpointed: " + record);
    }
    if (record.stream() != null && !record.stream().equals(settings.stream())) {
      throw new SluiceException(
          ErrorCode.INVALID_ARGUMENT,
          "Record of stream '"
              + record.stream()
              + "' checkpointed on a consumer of '"
              + stream()
              + "'");
    }
    checkpoint(record.shard(), record.position());
  }

  @Override
  public void checkpoint(Shard shard, Position position) {
    Validation.notNull(shard, "shard");
    Validation.notNull(position, "position");
    checkRunning();
    ShardState state = shards.get(shard);
    if (state == null) {
      throw new SluiceException(
          ErrorCode.INVALID_ARGUMENT,
          "Shard " + shard + " of '" + stream() + "' is not assigned to this consumer");
    }
    state.mark(position);
  }

  @Override
  public CompletableFuture<Void> commitCheckpoints() {
    checkRunning();
    return commit();
  }

  @Override
  public Map<Shard, Position> processedPositions() {
    return Collections.unmodifiableMap(new TreeMap<>(processed));
  }

  @Override
  public void pause(Shard... toPause) {
    shardsNotNull(toPause);
    checkRunning();
    for (Shard s : toPause) {
      ShardState state = shards.get(s);
      if (state != null) {
        state.userPaused = true;
      }
      driver.pause(s);
    }
  }

  @Override
  public void resume(Shard... toResume) {
    shardsNotNull(toResume);
    checkRunning();
    for (Shard s : toResume) {
      ShardState state = shards.get(s);
      if (state != null) {
        state.userPaused = false;
        state.kick();
      }
      driver.resume(s);
    }
  }

  @Override
  public CompletableFuture<Void> termination() {
    return termination.copy();
  }

  @Override
  public <T> T unwrap(Class<T> type) {
    return driver.unwrap(Validation.notNull(type, "type"));
  }

  /** The driver, for a processor that commits this consumer's checkpoints in a transaction. */
  ConsumerDriver driver() {
    return driver;
  }

  private static void shardsNotNull(Shard[] shards) {
    for (Shard s : Validation.notNull(shards, "shards")) {
      Validation.notNull(s, "shards");
    }
  }

  /**
   * Stops handing records to the handler, at once and for good; the calls in progress finish. The
   * first step of {@link #close()}; {@code Sluice.close()} calls it on every consumer before
   * closing any, so that none goes on handling while another closes.
   */
  void halt() {
    halted = true;
    shards.values().forEach(ShardState::wake);
  }

  @Override
  public void close() {
    halt();
    if (!closing.compareAndSet(false, true)) {
      try {
        termination.exceptionally(e -> null).join();
      } catch (RuntimeException ignored) {
        // Closed already.
      }
      return;
    }
    synchronized (pollLock) {
      if (autoCheckpoint && failure == null) {
        // As with Kafka's auto-commit: closing says the records of the last poll were handled.
        lastPolled.forEach(this::markProcessed);
      }
      lastPolled.clear();
      pollLock.notifyAll();
    }
    shards.values().forEach(ShardState::wake);
    timer.shutdownNow();
    try {
      driver.close();
    } catch (RuntimeException e) {
      LOG.warn("{}: closing the driver failed", clientId, e);
    }
    if (workers != null) {
      workers.shutdownNow();
      try {
        workers.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    Producer<byte[], byte[]> dlq = ownDeadLetterProducer;
    if (dlq != null) {
      dlq.close();
    }
    if (meters != null) {
      meters.close();
    }
    runtime.forget(this);
    SluiceException error = failure;
    if (error != null) {
      termination.completeExceptionally(error);
    } else {
      termination.complete(null);
    }
  }

  @Override
  public String toString() {
    return "Consumer{" + stream() + (group ? ", group=" + group() : "") + ", " + clientId + "}";
  }

  // ---------------------------------------------------------------- internals

  private void checkRunning() {
    SluiceException error = failure;
    if (error != null) {
      throw new SluiceException(error.code(), "The consumer stopped: " + error.getMessage(), error);
    }
    if (closing.get() || halted) {
      throw new SluiceException(ErrorCode.CLOSED, "The consumer of '" + stream() + "' is closed");
    }
  }

  private void stopWith(SluiceException error) {
    if (failure == null) {
      failure = error;
    }
    // Closing calls back into revoked(), which waits for handler threads: never on one of them.
    Thread t = new Thread(this::close, clientId + "-stop");
    t.setDaemon(true);
    t.start();
  }

  private CompletableFuture<Void> commit() {
    if (!group) {
      return CompletableFuture.completedFuture(null);
    }
    Map<Shard, Position> pending = new TreeMap<>();
    for (ShardState state : shards.values()) {
      Position p = state.pendingCheckpoint();
      if (p != null) {
        pending.put(state.shard, p);
      }
    }
    if (pending.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    CompletableFuture<Void> stored;
    try {
      stored = driver.commit(pending);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(runtime.translate(e));
    }
    return stored.handle(
        (ok, error) -> {
          if (error != null) {
            if (meters != null) {
              meters.checkpointFailures.increment();
            }
            throw runtime.translate(error);
          }
          if (meters != null) {
            meters.checkpoints.increment(pending.size());
          }
          pending.forEach(
              (s, p) -> {
                ShardState state = shards.get(s);
                if (state != null) {
                  state.committed(p);
                }
              });
          return null;
        });
  }

  private void commitQuietly() {
    try {
      commit()
          .whenComplete(
              (ok, e) -> {
                if (e != null && !closing.get()) {
                  LOG.warn(
                      "{}: writing checkpoints failed; will retry: {}", clientId, e.getMessage());
                }
              });
    } catch (RuntimeException e) {
      LOG.warn("{}: writing checkpoints failed; will retry", clientId, e);
    }
  }

  private void markProcessed(Shard shard, Position position) {
    processed.put(shard, position);
    ShardState state = shards.get(shard);
    if (state != null) {
      state.processed(position);
    }
  }

  private void dropPolled(Set<Shard> revoked) {
    synchronized (pollLock) {
      Iterator<Record<byte[], byte[]>> it = pollBuffer.iterator();
      while (it.hasNext()) {
        if (revoked.contains(it.next().shard())) {
          it.remove();
        }
      }
      pollPaused.removeAll(revoked);
      for (Shard s : revoked) {
        // Records of the last poll may still be in the application's hands: not processed.
        lastPolled.remove(s);
      }
    }
  }

  @SuppressWarnings("unchecked")
  private Record<K, V> deserialize(Record<byte[], byte[]> r) {
    if (rawBytes) {
      return (Record<K, V>) (Record<?, ?>) r;
    }
    byte[] keyBytes = r.key();
    try {
      K key = keyBytes == null ? null : settings.keySerde().deserialize(keyBytes);
      byte[] valueBytes = r.value();
      // A tombstone (no value) stays one: the serde never sees null.
      V value = valueBytes == null ? null : settings.valueSerde().deserialize(valueBytes);
      return r.withKeyAndValue(key, value);
    } catch (SluiceException e) {
      throw new SluiceException(
          e.code(),
          "Cannot deserialize record at " + r.shard() + "/" + r.position() + ": " + e.getMessage(),
          e);
    } catch (RuntimeException e) {
      throw new SluiceException(
          ErrorCode.SERIALIZATION,
          "Cannot deserialize record at " + r.shard() + "/" + r.position() + ": " + e,
          e);
    }
  }

  /** Runs the handler on one record under the failure policy; false if the consumer must stop. */
  private boolean handle(RecordHandler<K, V> h, Record<byte[], byte[]> raw, ShardState state) {
    FailurePolicy policy = settings.failurePolicy();
    Throwable last = null;
    int attempts = 0;
    Record<K, V> typed;
    try {
      typed = deserialize(raw);
    } catch (SluiceException e) {
      // Deserializing again gives the same answer: no retries, straight to the policy's outcome.
      return giveUp(raw, e, 1, state);
    }
    while (attempts < policy.maxAttempts()) {
      attempts++;
      long start = meters == null ? 0 : System.nanoTime();
      try {
        h.handle(typed);
        if (meters != null) {
          meters.handlerLatency.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        }
        return true;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      } catch (Exception | LinkageError | AssertionError e) {
        last = e;
        if (meters != null) {
          meters.handlerLatency.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
          meters.handlerFailures.increment();
        }
        if (attempts < policy.maxAttempts()) {
          if (meters != null) {
            meters.retries.increment();
          }
          LOG.debug("{}: handler failed on {} (attempt {}), retrying", clientId, raw, attempts, e);
          if (!state.sleep(policy.backoffAfter(attempts))) {
            return false;
          }
        }
      }
    }
    return giveUp(raw, last, attempts, state);
  }

  private boolean giveUp(
      Record<byte[], byte[]> raw, Throwable error, int attempts, ShardState state) {
    String where =
        "record at shard " + raw.shard() + " position " + raw.position() + " of '" + stream() + "'";
    FailurePolicy policy = settings.failurePolicy();
    if (policy.outcome() == FailurePolicy.Outcome.SKIP) {
      LOG.error(
          "{}: skipping {} after {} attempt(s): {}",
          clientId,
          where,
          attempts,
          error.toString(),
          error);
      if (meters != null) {
        meters.skipped.increment();
      }
      return true;
    }
    String why = "The handler failed on " + where + " after " + attempts + " attempt(s)";
    Throwable cause = error;
    if (policy.outcome() == FailurePolicy.Outcome.DEAD_LETTER) {
      try {
        deadLetter(policy, raw, error, attempts);
        LOG.warn("{}: {}; sent to the dead-letter stream: {}", clientId, why, error.toString());
        if (meters != null) {
          meters.deadLettered.increment();
        }
        return true;
      } catch (RuntimeException e) {
        why += " and sending it to the dead-letter stream failed (" + e.getMessage() + ")";
        cause = e;
        e.addSuppressed(error);
      }
    }
    SluiceException stop =
        new SluiceException(
            ErrorCode.HANDLER_FAILED, why + "; the consumer stopped: " + error, cause);
    LOG.error("{}: {}", clientId, stop.getMessage(), error);
    state.stop();
    stopWith(stop);
    return false;
  }

  /** Sends a record that failed to the dead-letter stream and waits until it is stored. */
  private void deadLetter(
      FailurePolicy policy, Record<byte[], byte[]> raw, Throwable error, int attempts) {
    Producer<byte[], byte[]> producer = policy.deadLetterProducer();
    if (producer == null) {
      synchronized (this) {
        if (ownDeadLetterProducer == null) {
          ownDeadLetterProducer =
              runtime.producer(policy.deadLetterStream(), Serde.bytes(), Serde.bytes());
        }
        producer = ownDeadLetterProducer;
      }
    }
    String message = String.valueOf(error.getMessage());
    Headers headers =
        raw.headers().toBuilder()
            .add(FailurePolicy.HEADER_SOURCE_STREAM, stream())
            .add(FailurePolicy.HEADER_SOURCE_SHARD, raw.shard().id())
            .add(FailurePolicy.HEADER_SOURCE_POSITION, raw.position().toString())
            .add(FailurePolicy.HEADER_ERROR_CLASS, error.getClass().getName())
            .add(
                FailurePolicy.HEADER_ERROR_MESSAGE,
                message.length() > 1000 ? message.substring(0, 1000) + "..." : message)
            .add(FailurePolicy.HEADER_ATTEMPTS, Integer.toString(attempts))
            .build();
    Record.Builder<byte[], byte[]> out = Record.builder(raw.key(), raw.value()).headers(headers);
    if (raw.timestampMillis() != Record.NO_TIMESTAMP) {
      out.timestamp(java.time.Instant.ofEpochMilli(raw.timestampMillis()));
    }
    try {
      producer.send(out.build()).get(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SluiceException(ErrorCode.CLOSED, "Interrupted while dead-lettering", e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw SluiceException.from(e);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new SluiceException(ErrorCode.TIMEOUT, "The dead-letter send took over 30 s", e);
    }
  }

  private void notifyListener(Runnable call) {
    try {
      call.run();
    } catch (RuntimeException e) {
      LOG.warn("{}: the shard listener threw", clientId, e);
    }
  }

  private static ThreadFactory threads(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** One shard's queue, worker and positions. */
  private final class ShardState {
    final Shard shard;

    /**
     * The delivered batches not yet taken by the worker, as the driver handed them over (kept
     * whole, not copied record by record), and how far into the first one the worker has taken.
     */
    private final ArrayDeque<List<Record<byte[], byte[]>>> queue = new ArrayDeque<>();

    private int taken;

    /** Records in {@link #queue} not yet taken. */
    private int queued;

    private boolean running;
    private boolean backpressured;
    private boolean driverPaused;
    private boolean applyingBackpressure;
    volatile boolean revoked;
    volatile boolean stopped;
    volatile boolean userPaused;
    private @Nullable Thread worker;
    private @Nullable Position delivered;
    private @Nullable Position processedHere;
    private @Nullable Position marked;
    private @Nullable Position committed;

    ShardState(Shard shard) {
      this.shard = shard;
    }

    void enqueue(List<Record<byte[], byte[]>> records) {
      boolean pause = false;
      boolean start = false;
      synchronized (this) {
        if (revoked || stopped) {
          return;
        }
        queue.add(records);
        queued += records.size();
        delivered = records.get(records.size() - 1).position();
        if (!backpressured && queued >= settings.maxBufferedRecords()) {
          backpressured = pause = true;
        }
        if (!running && !userPaused) {
          running = start = true;
        }
      }
      if (pause) {
        applyBackpressure();
      }
      if (start) {
        submit();
      }
    }

    /** Sets the backpressure state; the caller then calls {@link #applyBackpressure()}. */
    synchronized void backpressure(boolean on) {
      backpressured = on;
    }

    /**
     * Tells the driver the latest backpressure state. A driver thread pausing and a worker (or
     * {@code poll}) resuming may get here at once; calling the driver from both could let a resume
     * overtake the pause it answers and leave the shard paused with nothing queued to resume it
     * (the consumer then hangs). So one thread at a time calls the driver, without holding a lock,
     * and re-reads the state after each call until the driver has been told the latest one.
     */
    void applyBackpressure() {
      synchronized (this) {
        if (applyingBackpressure) {
          return; // The thread applying it re-reads the state after its call.
        }
        applyingBackpressure = true;
      }
      boolean done = false;
      try {
        while (true) {
          boolean pause;
          synchronized (this) {
            if (backpressured == driverPaused) {
              applyingBackpressure = false;
              done = true;
              return;
            }
            pause = driverPaused = backpressured;
          }
          if (pause) {
            driver.pause(shard);
          } else {
            driver.resume(shard);
          }
        }
      } finally {
        if (!done) {
          synchronized (this) {
            applyingBackpressure = false;
          }
        }
      }
    }

    synchronized void delivered(Position p) {
      delivered = p;
    }

    void kick() {
      boolean start = false;
      synchronized (this) {
        if (!running && queued > 0 && !revoked && !stopped && handler != null) {
          running = start = true;
        }
      }
      if (start) {
        submit();
      }
    }

    private void submit() {
      try {
        workers.execute(this::drain);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        synchronized (this) {
          running = false;
          notifyAll();
        }
      }
    }

    private void drain() {
      synchronized (this) {
        worker = Thread.currentThread();
      }
      // Gathers a chunk from several small batches (a backend that delivers a few records at a
      // time), so the per-chunk work is not paid per batch.
      List<Record<byte[], byte[]>> gathered = null;
      try {
        while (true) {
          boolean resume = false;
          List<Record<byte[], byte[]>> chunk;
          synchronized (this) {
            if (revoked || stopped || userPaused || halted || queued == 0) {
              running = false;
              worker = null;
              notifyAll();
              return;
            }
            List<Record<byte[], byte[]>> first = queue.peekFirst();
            if (first.size() - taken >= CHUNK || queue.size() == 1) {
              // A view of the first batch: the driver does not touch a batch once delivered.
              chunk = first.subList(taken, Math.min(taken + CHUNK, first.size()));
              take(chunk.size());
            } else {
              if (gathered == null) {
                gathered = new ArrayList<>(CHUNK);
              }
              gathered.clear();
              while (gathered.size() < CHUNK && queued > 0) {
                List<Record<byte[], byte[]>> next = queue.peekFirst();
                int n = Math.min(next.size() - taken, CHUNK - gathered.size());
                gathered.addAll(next.subList(taken, taken + n));
                take(n);
              }
              chunk = gathered;
            }
            if (backpressured && queued <= settings.maxBufferedRecords() / 2) {
              backpressured = false;
              resume = true;
            }
          }
          if (resume) {
            applyBackpressure();
          }
          Record<byte[], byte[]> last = null;
          for (Record<byte[], byte[]> r : chunk) {
            if (revoked || stopped || halted) {
              break;
            }
            if (!handle(handler, r, this)) {
              break;
            }
            last = r;
          }
          // Once per chunk, not per record: revocation and shard ends wait for this worker to go
          // idle, and it books the chunk's progress before it does.
          if (last != null) {
            Position p = last.position();
            processed(p);
            DefaultConsumer.this.processed.put(shard, p);
          }
        }
      } catch (RuntimeException | Error e) {
        synchronized (this) {
          running = false;
          worker = null;
          notifyAll();
        }
        throw e;
      }
    }

    /** Marks {@code n} records of the first queued batches as taken; holds this lock. */
    private void take(int n) {
      queued -= n;
      taken += n;
      if (taken == queue.peekFirst().size()) {
        queue.pollFirst();
        taken = 0;
      }
    }

    synchronized void processed(Position p) {
      processedHere = p;
      if (autoCheckpoint) {
        marked = p;
      }
      notifyAll();
    }

    void mark(Position p) {
      synchronized (this) {
        if (delivered == null || p.compareTo(delivered) > 0) {
          throw new SluiceException(
              ErrorCode.INVALID_ARGUMENT,
              "Position "
                  + p
                  + " of shard "
                  + shard
                  + " has not been delivered to this consumer yet (last delivered: "
                  + delivered
                  + ")");
        }
        if (marked == null || p.compareTo(marked) > 0) {
          marked = p;
        }
        notifyAll();
      }
      if (handler == null) {
        DefaultConsumer.this.processed.put(shard, p);
      }
    }

    synchronized void committed(Position p) {
      if (committed == null || p.compareTo(committed) > 0) {
        committed = p;
      }
    }

    /** True if this consumer processed records of the shard after its last stored checkpoint. */
    synchronized boolean processedSinceCheckpoint() {
      return processedHere != null && (committed == null || processedHere.compareTo(committed) > 0);
    }

    synchronized @Nullable Position pendingCheckpoint() {
      if (marked == null || (committed != null && marked.compareTo(committed) <= 0)) {
        return null;
      }
      return marked;
    }

    void revoke() {
      synchronized (this) {
        revoked = true;
        queue.clear();
        queued = taken = 0;
        notifyAll();
      }
    }

    void stop() {
      synchronized (this) {
        stopped = true;
        queue.clear();
        queued = taken = 0;
        notifyAll();
      }
    }

    /** Interrupts a handler backoff wait so close is prompt. */
    synchronized void wake() {
      notifyAll();
    }

    /** Waits, until the deadline, for the worker to finish its record in progress. */
    synchronized boolean awaitIdle(long deadlineNanos) {
      while (running) {
        long left = deadlineNanos - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(this, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
      return true;
    }

    /** Waits until every delivered record is processed (and, manual mode, checkpointed). */
    synchronized boolean awaitFinished() {
      while (!halted && !stopped && !revoked) {
        Position done = autoCheckpoint ? processedHere : marked;
        boolean idle = handler == null || (!running && queued == 0);
        if (delivered == null || (idle && done != null && done.compareTo(delivered) >= 0)) {
          return true;
        }
        try {
          wait(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
      return false;
    }

    /** Sleeps a retry backoff; false if the shard was revoked or the consumer closed meanwhile. */
    synchronized boolean sleep(Duration backoff) {
      long deadline = System.nanoTime() + backoff.toNanos();
      while (!revoked && !stopped && !halted) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return true;
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(this, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
      return false;
    }
  }
}
