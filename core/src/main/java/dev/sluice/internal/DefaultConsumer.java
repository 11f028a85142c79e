package dev.sluice.internal;

import dev.sluice.Capabilities.Capability;
import dev.sluice.CheckpointMode;
import dev.sluice.ErrorCode;
import dev.sluice.Ordering;
import dev.sluice.Position;
import dev.sluice.PullConsumer;
import dev.sluice.Record;
import dev.sluice.RecordHandler;
import dev.sluice.Shard;
import dev.sluice.SluiceException;
import dev.sluice.StartPosition;
import dev.sluice.spi.ConsumerDriver;
import dev.sluice.spi.DeliverySink;
import dev.sluice.spi.SizedBatch;
import dev.sluice.spi.StoredWriteId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The portable consumer: implements the application's {@link PullConsumer} (a consumer started with
 * a handler is the same class, seen as a {@code Consumer}) and the driver's {@link DeliverySink},
 * and wires together the pieces that do the work:
 *
 * <ul>
 *   <li>{@link OwnedShard} per shard owned, holding its {@link CheckpointTracker}, its {@link
 *       Backpressure} and, with a handler, its {@link ShardQueue} (the handler runs sequentially
 *       per shard and in parallel across shards);
 *   <li>{@link HandlerInvoker}: the failure policy around each handler call, with {@link
 *       DeadLetterSender};
 *   <li>{@link PollBuffer}: what {@code poll} reads;
 *   <li>{@link CheckpointCommitter}: the periodic and requested checkpoint writes;
 *   <li>{@link ShardListenerInvoker}: the application's assignment callbacks.
 * </ul>
 *
 * <p>What stays here is the life cycle: shards assigned, revoked (drained cleanly: the handler
 * calls in progress finish and what they handled is checkpointed) and ended, and the consumer
 * halted, stopped on a failure and closed.
 *
 * <p>Why it is longer than our ~600-line rule: it implements two interfaces in full, the driver's
 * {@link DeliverySink} and the application's {@link PullConsumer}, and most of its methods are a
 * few lines handing over to the pieces above; the ordering of those hand-overs (under which lock,
 * before or after the shard is removed) is the part that must be read in one place. The queue
 * choice per ordering ({@link ShardQueue}, {@link ParallelShardQueue}), deduplication ({@link
 * Deduplicator}) and tracing ({@link Tracing}) are each a few lines here for the same reason.
 */
final class DefaultConsumer<K, V> implements PullConsumer<K, V>, DeliverySink {
  private static final Logger LOG = LoggerFactory.getLogger(DefaultConsumer.class);

  /** How long {@link #seek} waits for the backend to move the shard. */
  private static final Duration SEEK_TIMEOUT = Duration.ofSeconds(30);

  private final SluiceRuntime runtime;
  private final ConsumerSettings<K, V> settings;
  private final ConsumerDriver driver;
  private final String clientId;
  private final boolean autoCheckpoint;
  private final boolean group;

  private final Map<Shard, OwnedShard> shards = new ConcurrentHashMap<>();

  /**
   * What {@link #processedPositions()} reports, per shard, kept after a shard is given up (a
   * standalone consumer's positions to restart from): the last record the handler returned on, or
   * polling, the last record checkpointed (or, with automatic checkpoints, polled and followed by
   * another poll).
   */
  private final Map<Shard, Position> processedPositions = new ConcurrentHashMap<>();

  private final SluiceMetrics.@Nullable ConsumerMeters meters;
  private final RecordDecoder<K, V> decoder;
  private final ShardListenerInvoker listener;
  private final CheckpointCommitter committer;

  /** Drops second copies of writes; null unless the consumer deduplicates. */
  private final @Nullable Deduplicator deduplicator;

  /** The handler's side: null for a pull consumer. */
  private final @Nullable HandlerInvoker<K, V> invoker;

  private final @Nullable ShardWork handling;
  private final @Nullable ThreadPoolExecutor workers;

  /** The consumer-wide window of the parallel orderings; null for {@code PER_SHARD}. */
  private final @Nullable InFlightLimit inFlight;

  private final @Nullable DeadLetterSender deadLetters;

  /** The pull side: null for a consumer started with a handler. */
  private final @Nullable PollBuffer pollBuffer;

  private final CompletableFuture<Void> termination = new CompletableFuture<>();
  private final AtomicBoolean closing = new AtomicBoolean();

  /**
   * Set when close begins (this consumer's, or {@code Sluice.close()} stopping all its consumers
   * before closing any): from then on no handler call starts; the calls in progress finish, and
   * what they handled is checkpointed when the shards are given up.
   */
  private volatile boolean halted;

  private volatile @Nullable SluiceException failure;

  DefaultConsumer(
      SluiceRuntime runtime,
      ConsumerSettings<K, V> settings,
      ConsumerDriver driver,
      @Nullable RecordHandler<K, V> handler,
      String clientId) {
    this.runtime = runtime;
    this.settings = settings;
    this.driver = driver;
    this.clientId = clientId;
    this.autoCheckpoint = settings.checkpointMode() == CheckpointMode.AUTO;
    this.group = settings.group() != null;
    SluiceMetrics metrics = runtime.metrics();
    this.meters = metrics == null ? null : metrics.consumer(settings.stream(), settings.group());
    if (meters != null) {
      meters.countShardsWith(shards::size);
    }
    this.decoder = new RecordDecoder<>(settings.keySerde(), settings.valueSerde());
    this.listener = new ShardListenerInvoker(settings.listener(), clientId);
    if (handler != null) {
      // Bounded by configuration, not by the shards owned: threads start when work waits for one
      // and end after 30 s idle; with more shards than threads, shards take turns (ShardQueue
      // yields).
      int n = settings.concurrency();
      this.workers = new WorkerPool(n, threads(clientId + "-shard"));
      this.inFlight =
          settings.ordering() == Ordering.PER_SHARD
              ? null
              // Four shards' windows: a shard held by a failing record fills at most a quarter,
              // and the others go on.
              : new InFlightLimit(
                  (int)
                      Math.min(
                          Integer.MAX_VALUE,
                          Math.max(4L * settings.maxBufferedRecords(), 16L * n)));
      this.deadLetters = new DeadLetterSender(runtime, settings.failurePolicy(), settings.stream());
      this.invoker =
          new HandlerInvoker<>(
              settings, clientId, handler, decoder, deadLetters, meters, this::stopWith);
      this.handling = new ShardWork();
      this.pollBuffer = null;
    } else {
      this.workers = null;
      this.inFlight = null;
      this.deadLetters = null;
      this.invoker = null;
      this.handling = null;
      this.pollBuffer = new PollBuffer(settings, driver, shards::get, this::markProcessed);
    }
    this.deduplicator = settings.deduplicate() ? new Deduplicator(clientId) : null;
    this.committer =
        new CheckpointCommitter(
            settings, driver, runtime, meters, shards::values, closing::get, clientId);
  }

  void start() {
    // The timer first: a driver may fail at once (a missing stream), and the consumer then closes
    // itself on another thread while start() is still running.
    committer.start(settings.checkpointInterval());
    driver.start(this);
  }

  // ---------------------------------------------------------------- DeliverySink (driver threads)

  @Override
  public void assigned(Set<Shard> assigned) {
    for (Shard s : assigned) {
      shards.computeIfAbsent(s, this::own);
    }
    Set<Shard> now = Collections.unmodifiableSet(new TreeSet<>(shards.keySet()));
    Set<Shard> given = Collections.unmodifiableSet(new TreeSet<>(assigned));
    if (meters != null) {
      meters.rebalance("assigned", given.size());
    }
    LOG.debug("{} assigned {} of {}", clientId, given, settings.stream());
    listener.assigned(given, now);
  }

  @Override
  public Map<Shard, Position> revoked(Set<Shard> revoked, boolean lost) {
    List<OwnedShard> going = new ArrayList<>();
    for (Shard s : revoked) {
      OwnedShard shard = shards.get(s);
      if (shard != null) {
        shard.revoke();
        going.add(shard);
      }
    }
    if (pollBuffer != null) {
      pollBuffer.dropShards(revoked);
    }
    long deadline = System.nanoTime() + settings.revocationTimeout().toNanos();
    for (OwnedShard shard : going) {
      if (!shard.awaitIdle(deadline)) {
        LOG.warn(
            "{}: the handler for shard {} of {} did not finish within {}; giving the shard up"
                + " without its record in progress",
            clientId,
            shard.shard,
            settings.stream(),
            settings.revocationTimeout());
      }
    }
    Map<Shard, Position> checkpoints = new TreeMap<>();
    Set<Shard> redelivered = new TreeSet<>();
    for (OwnedShard shard : going) {
      if (lost && shard.checkpoints.processedSinceCommit()) {
        redelivered.add(shard.shard);
      }
      if (!lost) {
        Position p = shard.checkpoints.uncommitted();
        if (p != null) {
          checkpoints.put(shard.shard, p);
        }
      }
      shards.remove(shard.shard, shard);
      if (meters != null) {
        meters.removeShard(shard.shard);
      }
    }
    Set<Shard> given = Collections.unmodifiableSet(new TreeSet<>(revoked));
    if (meters != null) {
      meters.rebalance(lost ? "lost" : "revoked", given.size());
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
    listener.revoked(given, lost, written);
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
    OwnedShard owned = shards.computeIfAbsent(shard, this::own);
    if (owned.queue != null) {
      // Counted as the batch enters the consumer: an application that sees the meter move (a
      // test waiting for records to be buffered) finds them queued or in the poll buffer.
      countReceived(shard, records, millisBehindLatest, recordsBehindLatest);
      owned.queue.enqueue(records);
    } else {
      pollBuffer.add(
          owned,
          records,
          () -> countReceived(shard, records, millisBehindLatest, recordsBehindLatest));
    }
  }

  @Override
  public void deliver(
      Shard shard,
      List<Record<byte[], byte[]>> records,
      List<? extends @Nullable StoredWriteId> ids,
      long millisBehindLatest,
      long recordsBehindLatest) {
    Deduplicator d = deduplicator;
    if (d == null || records.isEmpty()) {
      deliver(shard, records, millisBehindLatest, recordsBehindLatest);
      return;
    }
    List<Record<byte[], byte[]>> kept = d.filter(shard, records, ids);
    int dropped = records.size() - kept.size();
    if (dropped > 0) {
      if (meters != null) {
        meters.duplicates.increment(dropped);
      }
      LOG.debug("{}: dropped {} second copies of shard {}", clientId, dropped, shard);
    }
    deliver(shard, kept, millisBehindLatest, recordsBehindLatest);
  }

  @Override
  public void restoreDeduplication(Shard shard, byte @Nullable [] state) {
    if (deduplicator != null) {
      deduplicator.restore(shard, state);
    }
  }

  @Override
  public byte @Nullable [] deduplicationState(Shard shard, Position position) {
    return deduplicator == null ? null : deduplicator.stateAt(shard, position);
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
  public void moved(Shard shard) {
    OwnedShard owned = shards.get(shard);
    if (owned == null) {
      return;
    }
    if (owned.queue != null) {
      owned.queue.moved();
    } else {
      pollBuffer.moved(owned);
    }
    // What was processed before is not where the shard is now; a standalone application restarting
    // from processedPositions() must not skip what the seek asked for.
    processedPositions.remove(shard);
    if (deduplicator != null) {
      // Records read again after a seek back are wanted, not second copies.
      deduplicator.restore(shard, null);
    }
    owned.progressed();
    LOG.debug("{} moved shard {} of {}", clientId, shard, settings.stream());
  }

  @Override
  public boolean shardEnded(Shard shard) {
    OwnedShard owned = shards.get(shard);
    if (owned == null) {
      return !halted;
    }
    boolean done = owned.awaitFinished(() -> halted);
    if (done) {
      shards.remove(shard, owned);
      if (meters != null) {
        meters.removeShard(shard);
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
    PollBuffer buffer = pollBuffer;
    if (buffer == null) {
      // Only reachable by a cast: start(handler) returns a Consumer, which has no poll.
      throw new SluiceException(
          ErrorCode.FAILED_PRECONDITION,
          "poll() is for consumers opened with open(); this one was started with a handler");
    }
    checkRunning();
    List<Record<byte[], byte[]>> batch = buffer.poll(timeout, closing::get);
    checkRunning();
    List<Record<K, V>> out = new ArrayList<>(batch.size());
    for (Record<byte[], byte[]> r : batch) {
      out.add(decoder.decode(r));
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
    OwnedShard owned = shards.get(shard);
    if (owned == null) {
      throw new SluiceException(
          ErrorCode.INVALID_ARGUMENT,
          "Shard " + shard + " of '" + stream() + "' is not assigned to this consumer");
    }
    owned.mark(position);
    if (pollBuffer != null) {
      // Polling, a checkpoint is what says a record was processed.
      processedPositions.put(shard, position);
    }
  }

  @Override
  public void seek(Shard shard, StartPosition position) {
    Validation.notNull(shard, "shard");
    Validation.notNull(position, "position");
    checkRunning();
    Capability needed = group ? Capability.SEEK_IN_GROUP : Capability.SEEK;
    if (!runtime.capabilities().supports(needed)) {
      throw new SluiceException(
          ErrorCode.UNSUPPORTED,
          "The "
              + runtime.backendName()
              + " backend cannot move a running "
              + (group ? "group" : "standalone")
              + " consumer (no Capability."
              + needed
              + ")");
    }
    StartPosition target = position.forShard(shard);
    if (target.kind() == StartPosition.Kind.AT_TIMESTAMP
        && target.timestamp().isAfter(java.time.Instant.now())) {
      throw new SluiceException(
          ErrorCode.INVALID_ARGUMENT,
          "Seek timestamp "
              + target.timestamp()
              + " is in the future; use StartPosition.latest() to read only new records");
    }
    OwnedShard owned = shards.get(shard);
    if (owned == null || owned.isRevoked()) {
      throw notOwned(shard);
    }
    CompletableFuture<Void> moved =
        committer.exclusive(
            () -> {
              owned.checkpoints.seeking();
              try {
                return driver.seek(shard, target);
              } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(e);
              }
            });
    moved.whenComplete(
        (ok, error) -> {
          if (error != null) {
            owned.checkpoints.seekFailed();
          }
        });
    try {
      moved.get(SEEK_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new SluiceException(
          ErrorCode.TIMEOUT,
          "The "
              + runtime.backendName()
              + " backend did not move shard "
              + shard
              + " within "
              + SEEK_TIMEOUT,
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SluiceException(ErrorCode.CLOSED, "Interrupted while moving shard " + shard, e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw runtime.translate(e.getCause());
    }
    LOG.debug("{} sought shard {} of {} to {}", clientId, shard, settings.stream(), target);
  }

  private SluiceException notOwned(Shard shard) {
    return new SluiceException(
        ErrorCode.INVALID_ARGUMENT,
        "Shard " + shard + " of '" + stream() + "' is not assigned to this consumer");
  }

  @Override
  public CompletableFuture<Void> commitCheckpoints() {
    checkRunning();
    return committer.commit();
  }

  @Override
  public Map<Shard, Position> processedPositions() {
    return Collections.unmodifiableMap(new TreeMap<>(processedPositions));
  }

  @Override
  public void pause(Shard... toPause) {
    shardsNotNull(toPause);
    checkRunning();
    for (Shard s : toPause) {
      OwnedShard owned = shards.get(s);
      if (owned != null && owned.queue != null) {
        owned.queue.pauseByApp();
      }
      driver.pause(s);
    }
  }

  @Override
  public void resume(Shard... toResume) {
    shardsNotNull(toResume);
    checkRunning();
    for (Shard s : toResume) {
      OwnedShard owned = shards.get(s);
      if (owned != null && owned.queue != null) {
        owned.queue.resumeByApp();
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
    shards.values().forEach(OwnedShard::wake);
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
    if (pollBuffer != null) {
      pollBuffer.close(failure == null);
    }
    shards.values().forEach(OwnedShard::wake);
    committer.stop();
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
    if (deadLetters != null) {
      deadLetters.close();
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

  private OwnedShard own(Shard shard) {
    return new OwnedShard(shard, autoCheckpoint, driver, handling);
  }

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

  /** Polling with automatic checkpoints: the records of a shard up to a position were processed. */
  private void markProcessed(Shard shard, Position position) {
    processedPositions.put(shard, position);
    OwnedShard owned = shards.get(shard);
    if (owned != null) {
      owned.processed(position);
    }
  }

  static ThreadFactory threads(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** What a shard's worker does with its records: the consumer's side of {@link ShardQueue}. */
  private final class ShardWork implements ShardQueue.Handling, OwnedShard.QueueFactory {
    @Override
    public void execute(Runnable worker) {
      workers.execute(worker);
    }

    @Override
    public int maxBufferedRecords() {
      return settings.maxBufferedRecords();
    }

    @Override
    public boolean halted() {
      return halted;
    }

    @Override
    public boolean handle(Record<byte[], byte[]> record, HandlerInvoker.Attempts queue) {
      Tracing tracing = runtime.tracing();
      if (tracing != null) {
        return tracing.process(
            settings.stream(), settings.group(), record, () -> invoker.handle(record, queue));
      }
      return invoker.handle(record, queue);
    }

    @Override
    public boolean othersWaiting() {
      return !workers.getQueue().isEmpty();
    }

    /** The queue of a shard for the consumer's ordering. */
    @Override
    public HandlerQueue newQueue(
        Shard shard,
        CheckpointTracker checkpoints,
        Backpressure backpressure,
        Runnable onProgress) {
      if (inFlight == null) {
        return new ShardQueue(shard, checkpoints, backpressure, onProgress, this);
      }
      return new ParallelShardQueue(
          shard,
          checkpoints,
          backpressure,
          onProgress,
          this,
          inFlight,
          settings.ordering() == Ordering.PER_KEY);
    }

    @Override
    public void processed(Shard shard, Position position) {
      processedPositions.put(shard, position);
    }
  }
}
