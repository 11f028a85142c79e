package dev.sluice.internal;

import dev.sluice.Capabilities.Capability;
import dev.sluice.CheckpointMode;
import dev.sluice.ErrorCode;
import dev.sluice.Position;
import dev.sluice.ProcessingGuarantee;
import dev.sluice.Processor;
import dev.sluice.Record;
import dev.sluice.Serde;
import dev.sluice.Shard;
import dev.sluice.ShardListener;
import dev.sluice.SluiceException;
import dev.sluice.spi.SendCallback;
import dev.sluice.spi.WriteId;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The portable processor: a group consumer of the input whose handler runs the function and writes
 * its outputs, in one of two ways.
 *
 * <ul>
 *   <li><b>Transactional</b> ({@code EXACTLY_ONCE} on a backend with transactions): outputs go into
 *       an open transaction, and every commit interval the positions processed since the last
 *       commit are added to it as the group's checkpoints and it commits. Handlers hold a read lock
 *       while they send one input's outputs and record its position; the commit takes the write
 *       lock, so a commit never splits an input's outputs from its position. A shard given up is
 *       committed first ({@link ShardListener#onRevoked} runs after its handler finished and before
 *       the backend lets the shard go, inside Kafka's {@code onPartitionsRevoked}).
 *   <li><b>Acknowledged</b> (otherwise): outputs go through ordinary producers; an input is
 *       checkpointed once every output of it, and of every earlier input of its shard, is stored.
 *       Outputs carry ids derived from their input, so on a backend with deduplication a re-sent
 *       output is dropped by deduplicating consumers ({@code EXACTLY_ONCE} there).
 * </ul>
 *
 * <p>This class runs the generations (below) and the function; what one call emitted is {@link
 * EmittedOutputs}, the transactional way is {@link ProcessorTransaction}, the acknowledged way's
 * ordering of checkpoints is {@link InputAcknowledgements}.
 *
 * <p>A failure that a restart cures (a failed send or commit, fencing, lost shards) retires the
 * current <i>generation</i> (consumer and transaction): the transaction is aborted, the consumer
 * closed without checkpointing anything unacknowledged, and a new generation resumes from the
 * group's checkpoints, so the uncommitted input is processed again.
 */
final class DefaultProcessor<K, V> implements Processor {
  private static final Logger LOG = LoggerFactory.getLogger(DefaultProcessor.class);

  /**
   * How long a transaction left open by a crashed member holds back read-committed readers before
   * the backend aborts it: Kafka Streams' 10 s under exactly-once, not Kafka's 60 s default.
   */
  static final Duration TRANSACTION_TIMEOUT = Duration.ofSeconds(10);

  private static final long MAX_BACKOFF_MILLIS = 5_000;
  private static final int MAX_RESTARTS_IN_A_ROW = 10;

  /** Errors a restart does not cure: the processor stops with them. */
  private static final Set<ErrorCode> FINAL =
      EnumSet.of(
          ErrorCode.HANDLER_FAILED,
          ErrorCode.NOT_FOUND,
          ErrorCode.INVALID_ARGUMENT,
          ErrorCode.INVALID_CONFIG,
          ErrorCode.SERIALIZATION,
          ErrorCode.RECORD_TOO_LARGE,
          ErrorCode.UNSUPPORTED,
          ErrorCode.UNAUTHENTICATED,
          ErrorCode.PERMISSION_DENIED,
          ErrorCode.CLOSED);

  private final SluiceRuntime runtime;
  private final ProcessorSettings<K, V> settings;
  private final boolean transactional;
  private final boolean deduplicatesInput;
  private final String transactionalId;
  private final Map<String, DefaultProducer<byte[], byte[]>> producers = new HashMap<>();
  private final Map<Shard, String> writers = new ConcurrentHashMap<>();
  private final ScheduledExecutorService timer;
  private final CompletableFuture<Void> termination = new CompletableFuture<>();
  private final Object lifecycle = new Object();
  private final AtomicInteger restartsInARow = new AtomicInteger();
  private volatile @Nullable Generation current;
  private boolean closing; // guarded by lifecycle
  private int generations; // timer thread, or start()

  DefaultProcessor(SluiceRuntime runtime, ProcessorSettings<K, V> settings) {
    this.runtime = runtime;
    this.settings = settings;
    this.transactional =
        settings.guarantee() == ProcessingGuarantee.EXACTLY_ONCE
            && runtime.capabilities().supports(Capability.TRANSACTIONS);
    // Without transactions, EXACTLY_ONCE is effectively-once: outputs carry write ids derived
    // from the input, and the input is read deduplicating, so an upstream stage's second copy of a
    // write is not processed again (its outputs would get ids of their own, from another position).
    this.deduplicatesInput =
        settings.guarantee() == ProcessingGuarantee.EXACTLY_ONCE
            && !transactional
            && runtime.capabilities().supports(Capability.DEDUPLICATION);
    // One identity per processor instance; each generation's driver takes it over from the last,
    // which fences it and aborts what it left open. Zombies of other instances are fenced by the
    // group (the checkpoints are the group's), not by this id.
    this.transactionalId =
        "sluice-processor-" + settings.group() + "-" + UUID.randomUUID().toString().substring(0, 8);
    String name = runtime.nextClientId("processor");
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, name + "-commit");
              t.setDaemon(true);
              return t;
            });
  }

  void start() {
    if (transactional) {
      runtime.requireTransactions("ProcessingGuarantee.EXACTLY_ONCE");
    } else {
      for (String stream : settings.outputs().keySet()) {
        producers.put(
            stream,
            (DefaultProducer<byte[], byte[]>)
                runtime.producer(stream, Serde.bytes(), Serde.bytes()));
      }
    }
    if (!producers.isEmpty()) {
      // While the consumer joins its group: the first outputs of every shard then find the
      // outputs' metadata fetched (a profile showed them waiting ~70 ms on one another for it).
      timer.execute(() -> producers.values().forEach(DefaultProducer::prepare));
    }
    newGeneration();
    if (transactional) {
      scheduleCommit(System.nanoTime());
    }
  }

  // ------------------------------------------------------------------ Processor

  @Override
  public String stream() {
    return settings.stream();
  }

  @Override
  public String group() {
    return settings.group();
  }

  @Override
  public ProcessingGuarantee guarantee() {
    return settings.guarantee();
  }

  @Override
  public Set<Shard> assignment() {
    Generation g = current;
    DefaultConsumer<K, V> c = g == null ? null : g.consumer;
    return c == null || g.dead.get() ? Set.of() : c.assignment();
  }

  @Override
  public CompletableFuture<Void> termination() {
    return termination.copy();
  }

  @Override
  public void close() {
    synchronized (lifecycle) {
      if (closing) {
        termination.exceptionally(e -> null).join();
        return;
      }
      closing = true;
    }
    Generation g = current;
    if (g != null && !g.dead.get()) {
      if (!transactional) {
        // Acknowledgements that arrive now still mark checkpoints, which closing then writes.
        producers.values().forEach(DefaultProcessor::flushQuietly);
      }
      // Transactional: the consumer's revocation commits the open transaction (onRevoked).
      closeQuietly(g.consumer);
      g.retire();
    }
    timer.shutdownNow();
    try {
      timer.awaitTermination(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    producers.values().forEach(DefaultProcessor::closeQuietly);
    runtime.forget(this);
    termination.complete(null);
  }

  @Override
  public String toString() {
    return "Processor{" + stream() + ", group=" + group() + ", " + guarantee() + "}";
  }

  // ------------------------------------------------------------------ generations

  /** Starts a consumer (and transaction) that resumes from the group's checkpoints. */
  private void newGeneration() {
    Generation g = new Generation(++generations);
    if (g.tx != null) {
      // As the acknowledged way's producers (start): while the consumer joins its group.
      ProcessorTransaction tx = g.tx;
      try {
        timer.execute(() -> tx.prepare(settings.outputs().keySet()));
      } catch (java.util.concurrent.RejectedExecutionException closed) {
        // Closing: nothing to prepare for.
      }
    }
    try {
      g.consumer =
          (DefaultConsumer<K, V>)
              runtime.startConsumer(
                  new ConsumerSettings<>(
                      settings.stream(),
                      settings.group(),
                      settings.keySerde(),
                      settings.valueSerde(),
                      settings.startPosition(),
                      CheckpointMode.MANUAL,
                      settings.commitInterval(),
                      g,
                      settings.failurePolicy(),
                      settings.maxBufferedRecords(),
                      500,
                      Duration.ofSeconds(30),
                      deduplicatesInput),
                  record -> handle(g, record));
    } catch (RuntimeException e) {
      g.dead.set(true);
      g.retire();
      throw e;
    } finally {
      g.ready.countDown();
    }
    boolean late;
    synchronized (lifecycle) {
      late = closing;
      if (!late) {
        current = g;
      }
    }
    if (late) {
      g.dead.set(true);
      closeQuietly(g.consumer);
      g.retire();
      return;
    }
    g.consumer
        .termination()
        .whenComplete(
            (ok, error) -> {
              if (error != null) {
                fail(g, runtime.translate(unwrap(error)));
              }
            });
  }

  /** Retires {@code g} after this error, once, and restarts or stops on the timer thread. */
  private void fail(Generation g, SluiceException error) {
    if (!g.dead.compareAndSet(false, true)) {
      return;
    }
    try {
      timer.execute(() -> recover(g, error));
    } catch (java.util.concurrent.RejectedExecutionException closed) {
      // Closing: nothing to restart.
    }
  }

  private void recover(Generation g, SluiceException error) {
    g.retire();
    closeQuietly(g.consumer);
    synchronized (lifecycle) {
      if (closing) {
        return;
      }
    }
    int attempt = restartsInARow.incrementAndGet();
    if (FINAL.contains(error.code()) || attempt > MAX_RESTARTS_IN_A_ROW) {
      stop(error);
      return;
    }
    long backoff = Math.min(MAX_BACKOFF_MILLIS, 50L << Math.min(10, attempt - 1));
    // The code leads: FENCED (a zombie whose shards moved on) is what an operator looks for.
    LOG.warn(
        "Processor of {} (group {}): {}: {}; aborting what is uncommitted and processing it again"
            + " in {} ms",
        settings.stream(),
        settings.group(),
        error.code(),
        error.getMessage(),
        backoff);
    timer.schedule(() -> restart(error), backoff, TimeUnit.MILLISECONDS);
  }

  private void restart(SluiceException cause) {
    synchronized (lifecycle) {
      if (closing) {
        return;
      }
    }
    try {
      newGeneration();
    } catch (SluiceException e) {
      Generation none = new Generation(++generations);
      none.dead.set(true);
      recover(none, e);
    }
  }

  private void stop(SluiceException error) {
    synchronized (lifecycle) {
      if (closing) {
        return;
      }
      closing = true;
    }
    LOG.error(
        "Processor of {} (group {}) stopped: {}: {}",
        settings.stream(),
        settings.group(),
        error.code(),
        error.getMessage());
    producers.values().forEach(DefaultProcessor::closeQuietly);
    runtime.forget(this);
    timer.shutdown();
    termination.completeExceptionally(error);
  }

  // ------------------------------------------------------------------ processing

  /** The consumer's handler: runs the function, then sends what it emitted. */
  private void handle(Generation g, Record<K, V> input) throws Exception {
    g.awaitReady();
    if (g.dead.get()) {
      return; // retired: its records are processed again by the next generation
    }
    EmittedOutputs out = new EmittedOutputs(settings.outputs().keySet(), runtime.capabilities());
    settings.function().process(input, out);
    List<EmittedOutputs.Outgoing> outputs = out.close();
    if (transactional) {
      g.sendInTransaction(input, outputs);
    } else {
      g.sendAcknowledged(input, outputs);
    }
  }

  /**
   * Schedules the next commit one interval after {@code startedNanos}, when the last one started
   * (as Kafka Streams does), at once if that has passed. Counted from the end of a commit (a fixed
   * delay), every interval would also hold the outputs back for the commit's own round trips.
   */
  private void scheduleCommit(long startedNanos) {
    long due = startedNanos + settings.commitInterval().toNanos() - System.nanoTime();
    try {
      timer.schedule(this::commitTick, Math.max(0, due), TimeUnit.NANOSECONDS);
    } catch (java.util.concurrent.RejectedExecutionException stopped) {
      // Closed or stopped: no more commits.
    }
  }

  private void commitTick() {
    if (timer.isShutdown()) {
      return;
    }
    long started = System.nanoTime();
    try {
      Generation g = current;
      if (g != null && !g.dead.get()) {
        g.commit();
      }
    } finally {
      scheduleCommit(started);
    }
  }

  /** Names the writer of the outputs of one input shard, the same in every generation. */
  private String writer(Shard shard) {
    return writers.computeIfAbsent(
        shard, s -> settings.group() + "/" + settings.stream() + "/" + s.id());
  }

  /** One consumer (and, transactional, one transaction) and what it has in flight. */
  private final class Generation implements ShardListener, SendCallback {
    final int number;
    final AtomicBoolean dead = new AtomicBoolean();
    final CountDownLatch ready = new CountDownLatch(1);
    volatile @Nullable DefaultConsumer<K, V> consumer;

    /** Transactional: the open transaction; else null. */
    final @Nullable ProcessorTransaction tx;

    /** A timed commit is handed to the consumer and has not run yet. */
    final AtomicBoolean commitQueued = new AtomicBoolean();

    /** Acknowledged: the inputs of each shard whose outputs are on their way. */
    final Map<Shard, InputAcknowledgements> acks = new ConcurrentHashMap<>();

    Generation(int number) {
      this.number = number;
      this.tx =
          transactional
              ? ProcessorTransaction.begin(runtime, transactionalId, TRANSACTION_TIMEOUT, number)
              : null;
    }

    void awaitReady() throws InterruptedException {
      ready.await();
    }

    void sendInTransaction(Record<K, V> input, List<EmittedOutputs.Outgoing> outputs) {
      tx.send(input, writer(input.shard()), outputs, dead, this, runtime.tracing());
    }

    void sendAcknowledged(Record<K, V> input, List<EmittedOutputs.Outgoing> outputs) {
      InputAcknowledgements shardAcks =
          acks.computeIfAbsent(
              input.shard(),
              shard -> new InputAcknowledgements(done -> checkpoint(shard, done), this::failed));
      InputAcknowledgements.Input pending = shardAcks.add(input.position(), outputs.size() + 1);
      String writer = writer(input.shard());
      for (int i = 0; i < outputs.size(); i++) {
        EmittedOutputs.Outgoing o = outputs.get(i);
        producers
            .get(o.stream())
            .send(o.record(), new WriteId(writer, input.position(), i), pending);
      }
      pending.accept(null, null); // the "+ 1": every output has been handed over
    }

    /** Acknowledged: every output of the shard's inputs up to {@code done} is stored. */
    private void checkpoint(Shard shard, Position done) {
      DefaultConsumer<K, V> c = consumer;
      if (c == null || dead.get()) {
        return;
      }
      restartsInARow.set(0);
      try {
        c.checkpoint(shard, done);
      } catch (SluiceException e) {
        // The shard was given up, or the consumer is closing: its next owner processes it again.
      }
    }

    /**
     * The commit timer's: commits the open transaction where the consumer's group membership cannot
     * change meanwhile (Kafka: on its poll thread, between polls). Committed from this thread, a
     * rebalance completing during the commit (one that kept every shard here) would make the group
     * refuse it as a zombie's, and the restart that follows would rebalance the group again and
     * fail the next member's commit in turn. At most one commit waits to run.
     */
    void commit() {
      DefaultConsumer<K, V> c = consumer;
      if (tx == null
          || c == null
          || dead.get()
          || !tx.hasUncommitted()
          || !commitQueued.compareAndSet(false, true)) {
        return;
      }
      c.driver()
          .runBetweenPolls(
              () -> {
                commitQueued.set(false);
                commitNow(c);
              })
          .whenComplete((ok, error) -> commitQueued.set(false));
    }

    /** Commits the open transaction with the positions processed in it, and opens the next. */
    private void commitNow(DefaultConsumer<K, V> c) {
      if (tx == null) {
        return;
      }
      tx.commit(
          dead, c.driver(), () -> restartsInARow.set(0), e -> fail(this, runtime.translate(e)));
    }

    /** Aborts what is open and releases the driver; the generation is dead. */
    void retire() {
      if (tx != null) {
        tx.abortAndClose();
      }
    }

    // The transaction's send callback and the acknowledgements': a failed output fails the
    // generation.
    @Override
    public void sent(Shard shard, Position position, long timestampMillis) {}

    @Override
    public void failed(Throwable error) {
      fail(this, runtime.translate(error));
    }

    @Override
    public void onRevoked(Revoked event) {
      if (dead.get()) {
        return;
      }
      if (!transactional) {
        event.shards().forEach(acks::remove);
      } else if (event.lost()) {
        fail(
            this,
            new SluiceException(
                ErrorCode.FENCED,
                "shards " + event.shards() + " were lost before their transaction committed"));
      } else {
        // Kafka calls this on the poll thread, where the commit may run at once.
        DefaultConsumer<K, V> c = consumer;
        if (c != null) {
          commitNow(c);
        }
      }
    }
  }

  private static Throwable unwrap(Throwable error) {
    Throwable e = error;
    while (e instanceof java.util.concurrent.CompletionException && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }

  private static void flushQuietly(DefaultProducer<?, ?> producer) {
    try {
      producer.flush();
    } catch (RuntimeException e) {
      LOG.debug("Flushing {} failed", producer, e);
    }
  }

  private static void closeQuietly(@Nullable AutoCloseable resource) {
    if (resource == null) {
      return;
    }
    try {
      resource.close();
    } catch (Exception e) {
      LOG.debug("Closing {} failed", resource, e);
    }
  }
}
