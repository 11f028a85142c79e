package dev.sluice.kinesis.internal;

import dev.sluice.ErrorCode;
import dev.sluice.Position;
import dev.sluice.Record;
import dev.sluice.Shard;
import dev.sluice.SluiceException;
import dev.sluice.StartPosition;
import dev.sluice.kinesis.KinesisOptions.ConsumerType;
import dev.sluice.spi.ConsumerDriver;
import dev.sluice.spi.ConsumerSpec;
import dev.sluice.spi.DeliverySink;
import dev.sluice.spi.StoredWriteId;
import dev.sluice.spi.Unwrap;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.kinesis.common.ConfigsBuilder;
import software.amazon.kinesis.common.InitialPositionInStream;
import software.amazon.kinesis.common.InitialPositionInStreamExtended;
import software.amazon.kinesis.coordinator.Scheduler;
import software.amazon.kinesis.exceptions.ShutdownException;
import software.amazon.kinesis.leases.LeaseAssignmentStrategy;
import software.amazon.kinesis.leases.LeaseManagementConfig;
import software.amazon.kinesis.lifecycle.events.InitializationInput;
import software.amazon.kinesis.lifecycle.events.LeaseLostInput;
import software.amazon.kinesis.lifecycle.events.ProcessRecordsInput;
import software.amazon.kinesis.lifecycle.events.ShardEndedInput;
import software.amazon.kinesis.lifecycle.events.ShutdownRequestedInput;
import software.amazon.kinesis.metrics.MetricsLevel;
import software.amazon.kinesis.metrics.NullMetricsFactory;
import software.amazon.kinesis.processor.RecordProcessorCheckpointer;
import software.amazon.kinesis.processor.ShardRecordProcessor;
import software.amazon.kinesis.processor.SingleStreamTracker;
import software.amazon.kinesis.retrieval.KinesisClientRecord;
import software.amazon.kinesis.retrieval.RetrievalSpecificConfig;
import software.amazon.kinesis.retrieval.fanout.FanOutConfig;
import software.amazon.kinesis.retrieval.polling.PollingConfig;

/**
 * A group member on the KCL 3: the group is the KCL application, leases and checkpoints live in the
 * group's DynamoDB table, the KCL keeps one owner per shard and reads a child only after its
 * parents reached their end, and it deaggregates KPL records (Sluice then drops an aggregate that
 * holds records outside the shard's hash-key range, as the KCL does only when it knows the shard:
 * {@link AggregateRangeFilter}).
 *
 * <p>Sluice prepares the lease table before the Scheduler runs ({@link LeaseTable}), tunes the
 * KCL's intervals from {@code sluice.kinesis.*}, turns KCL metrics off (no CloudWatch call), and on
 * close shuts the Scheduler down gracefully (handlers finish, checkpoints are written) and then
 * releases the leases this worker held so another member takes them within one lease assignment.
 *
 * <p>Mapping of the KCL's callbacks: {@code initialize} → {@code assigned}; {@code processRecords}
 * → {@code deliver} (blocking while the shard is paused: that is the KCL's backpressure); {@code
 * shardEnded} → {@code shardEnded}, then a {@code SHARD_END} checkpoint so children start; {@code
 * leaseLost} → {@code revoked(lost)}; {@code shutdownRequested} → {@code revoked} and a checkpoint
 * of what it returns. {@link #commit} checkpoints through the shard's KCL checkpointer.
 *
 * <p>With {@code consumer.type=fanout} the KCL subscribes as the stream consumer named after the
 * group, registering it if absent. Nothing deregisters it when a member closes: the group's other
 * members and its next start subscribe with it (as they use its lease table), and one that existed
 * before is someone else's.
 */
final class GroupConsumer implements ConsumerDriver {
  private static final Logger LOG = LoggerFactory.getLogger(GroupConsumer.class);
  private static final int MAX_SCHEDULER_STARTS = 3;

  private final KinesisBackend backend;
  private final KinesisSettings settings;
  private final ConsumerSpec spec;
  private final String stream;
  private final String group;
  private final String worker;
  private final LeaseTable leaseTable;
  private final AggregateRangeFilter rangeFilter;
  private final Map<Shard, Processor> processors = new ConcurrentHashMap<>();
  private final ExecutorService checkpointer;
  private final @Nullable ScheduledExecutorService balancer;
  private final Object lifecycle = new Object();
  private @Nullable DeliverySink sink;
  private @Nullable Scheduler scheduler;
  private @Nullable Thread starter;
  private volatile boolean closing;
  private boolean closed;

  GroupConsumer(KinesisBackend backend, ConsumerSpec spec) {
    this.backend = backend;
    this.settings = backend.settings();
    this.spec = spec;
    this.stream = spec.stream();
    this.group = spec.group();
    // Unique across processes: the KCL tells members apart by worker id.
    this.worker = spec.clientId() + "-" + UUID.randomUUID().toString().substring(0, 8);
    this.leaseTable = new LeaseTable(backend.dynamo(), settings.leaseTable(group));
    this.rangeFilter = new AggregateRangeFilter(backend.kinesis(), stream);
    this.checkpointer =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, spec.clientId() + "-checkpoint");
              t.setDaemon(true);
              return t;
            });
    // Only the lease-count assignment leaves a group uneven; the utilization-aware one moves
    // leases by load, and a second mover would fight it.
    this.balancer =
        settings.leaseCountAssignment
            ? Executors.newSingleThreadScheduledExecutor(
                r -> {
                  Thread t = new Thread(r, spec.clientId() + "-balance");
                  t.setDaemon(true);
                  return t;
                })
            : null;
  }

  @Override
  public void start(DeliverySink deliverySink) {
    this.sink = deliverySink;
    Thread t = new Thread(this::prepareAndRun, spec.clientId() + "-kcl");
    t.setDaemon(true);
    synchronized (lifecycle) {
      starter = t;
    }
    t.start();
  }

  /** Prepares the lease table, then runs the Scheduler. On its own thread. */
  private void prepareAndRun() {
    try {
      leaseTable.ensureExists();
      leaseTable.recordClientVersion(worker);
      if (!leaseTable.hasLeases()) {
        leaseTable.seed(backend.kinesis(), stream, spec.startPosition());
      }
      if (balancer != null) {
        LeaseBalancer leases = new LeaseBalancer(leaseTable, worker);
        long every = settings.leaseAssignmentInterval.toMillis();
        balancer.scheduleWithFixedDelay(leases::balanceOnce, every, every, TimeUnit.MILLISECONDS);
      }
      for (int attempt = 1; ; attempt++) {
        Scheduler s = newScheduler();
        synchronized (lifecycle) {
          if (closing) {
            return;
          }
          scheduler = s;
        }
        s.run(); // returns when shut down, or when it gave up initializing
        if (closing) {
          return;
        }
        try {
          // Stop whatever the failed Scheduler left running (leader lock, lease threads).
          s.shutdown();
        } catch (RuntimeException e) {
          LOG.debug("{}: shutting down the stopped KCL scheduler failed", worker, e);
        }
        if (attempt == MAX_SCHEDULER_STARTS) {
          sink.failed(
              new SluiceException(
                  ErrorCode.UNAVAILABLE,
                  "The KCL scheduler of group '"
                      + group
                      + "' on '"
                      + stream
                      + "' stopped "
                      + attempt
                      + " times without being closed (see the KCL's log for why)"));
          return;
        }
        // KCL 3.5.1 gives up for good when two new workers create the client-version state of a
        // new lease table at once (it keeps retrying with the state it read first). Sluice writes
        // that state before starting (LeaseTable.recordClientVersion), so this is a last resort:
        // a new Scheduler reads the state again and starts.
        LOG.warn(
            "{}: the KCL scheduler of group '{}' stopped without being closed; starting it again",
            worker,
            group);
      }
    } catch (RuntimeException e) {
      if (!closing) {
        sink.failed(e);
      }
    }
  }

  private Scheduler newScheduler() {
    KclThreads.letTheJvmExit();
    KinesisAsyncClient kinesis = backend.kinesis();
    ConfigsBuilder configs =
        new ConfigsBuilder(
            new SingleStreamTracker(stream, initialPosition(spec.startPosition())),
            group,
            kinesis,
            backend.dynamo(),
            backend.cloudWatch(),
            worker,
            Processor::new);
    configs.tableName(settings.leaseTable(group));
    LeaseManagementConfig lease =
        configs
            .leaseManagementConfig()
            .failoverTimeMillis(settings.failoverTime.toMillis())
            .shardSyncIntervalMillis(settings.shardSyncInterval.toMillis())
            .leaseAssignmentIntervalMillis(settings.leaseAssignmentInterval.toMillis())
            // The group's leader assigns leases. Its lock is renewed every half failover time
            // (KCL: 30 s), so a member that is left alone becomes leader within seconds of a
            // clean leave; a crashed leader's lock lapses after six failover times (KCL: 120 s).
            .dynamoDbLockBasedLeaderHeartbeatPeriodInMillis(
                Math.max(500, settings.failoverTime.toMillis() / 2))
            .dynamoDbLockBasedLeaderLeaseDurationInMillis(
                Math.max(10_000, settings.failoverTime.toMillis() * 6))
            .leaseAssignmentStrategy(
                settings.leaseCountAssignment
                    ? LeaseAssignmentStrategy.LEASE_COUNT_BASED
                    : LeaseAssignmentStrategy.WORKER_UTILIZATION_AWARE);
    lease
        .workerUtilizationAwareAssignmentConfig()
        .inMemoryWorkerMetricsCaptureFrequencyMillis(settings.workerMetricsCapture.toMillis())
        .workerMetricsReporterFreqInMillis(settings.workerMetricsReport.toMillis());
    long dispatch = settings.dispatchInterval.toMillis();
    RetrievalSpecificConfig retrieval;
    if (settings.consumerType == ConsumerType.FANOUT) {
      retrieval = new FanOutConfig(kinesis).streamName(stream).applicationName(group);
    } else {
      PollingConfig polling =
          new PollingConfig(stream, kinesis)
              .idleTimeBetweenReadsInMillis(
                  Math.max(
                      PollingConfig.MIN_IDLE_MILLIS_BETWEEN_READS,
                      settings.pollInterval.toMillis()));
      if (settings.maxBatchRecords > 0) {
        polling.maxRecords(settings.maxBatchRecords);
      }
      retrieval = polling;
    }
    return new Scheduler(
        configs.checkpointConfig(),
        configs
            .coordinatorConfig()
            .parentShardPollIntervalMillis(settings.parentShardPollInterval.toMillis())
            .shardConsumerDispatchPollIntervalMillis(dispatch)
            .schedulerInitializationBackoffTimeMillis(Math.max(100, Math.min(1000, dispatch * 2)))
            .skipShardSyncAtWorkerInitializationIfLeasesExist(true),
        lease,
        configs.lifecycleConfig().taskBackoffTimeMillis(Math.max(100, Math.min(500, dispatch * 2))),
        configs
            .metricsConfig()
            .metricsLevel(MetricsLevel.NONE)
            .metricsFactory(new NullMetricsFactory()),
        configs.processorConfig(),
        configs.retrievalConfig().retrievalSpecificConfig(retrieval));
  }

  /** The KCL's start position for leases it creates itself (new shards after a reshard). */
  private static InitialPositionInStreamExtended initialPosition(StartPosition start) {
    StartPosition position =
        start.kind() == StartPosition.Kind.POSITIONS ? start.fallback() : start;
    switch (position.kind()) {
      case LATEST:
        return InitialPositionInStreamExtended.newInitialPosition(InitialPositionInStream.LATEST);
      case AT_TIMESTAMP:
        return InitialPositionInStreamExtended.newInitialPositionAtTimestamp(
            Date.from(position.timestamp()));
      default:
        return InitialPositionInStreamExtended.newInitialPosition(
            InitialPositionInStream.TRIM_HORIZON);
    }
  }

  // ------------------------------------------------------------------ control

  @Override
  public void pause(Shard shard) {
    Processor p = processors.get(shard);
    if (p != null) {
      p.paused = true;
    }
  }

  @Override
  public void resume(Shard shard) {
    Processor p = processors.get(shard);
    if (p != null) {
      synchronized (p) {
        p.paused = false;
        p.notifyAll();
      }
    }
  }

  @Override
  public CompletableFuture<Void> commit(Map<Shard, Position> checkpoints) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    try {
      checkpointer.execute(
          () -> {
            try {
              checkpoints.forEach(
                  (shard, position) -> {
                    Processor p = processors.get(shard);
                    if (p != null) {
                      p.checkpoint(position);
                    }
                  });
              done.complete(null);
            } catch (RuntimeException e) {
              done.completeExceptionally(e);
            }
          });
    } catch (java.util.concurrent.RejectedExecutionException e) {
      done.completeExceptionally(
          new SluiceException(ErrorCode.CLOSED, "The consumer of '" + stream + "' is closed", e));
    }
    return done;
  }

  @Override
  public void close() {
    Scheduler s;
    Thread t;
    synchronized (lifecycle) {
      if (closed) {
        return;
      }
      closed = true;
      // From here on the start thread publishes no (new) Scheduler: s is the last one, if any.
      closing = true;
      s = scheduler;
      t = starter;
    }
    if (balancer != null) {
      // A member on its way out takes no more shards.
      balancer.shutdownNow();
    }
    processors.values().forEach(Processor::wake);
    long started = System.nanoTime();
    if (s != null) {
      boolean graceful = false;
      try {
        graceful =
            Boolean.TRUE.equals(
                s.startGracefulShutdown()
                    .get(settings.shutdownTimeout.toMillis(), TimeUnit.MILLISECONDS));
      } catch (Exception e) {
        LOG.warn(
            "{}: graceful KCL shutdown of '{}' did not complete: {}", worker, stream, e.toString());
      }
      if (!graceful) {
        s.shutdown();
      }
      if (t != null) {
        try {
          t.join(5_000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
    // Shards the KCL did not shut down (it never got to them): give them up here.
    Set<Shard> left = new TreeSet<>(processors.keySet());
    if (!left.isEmpty() && sink != null) {
      Map<Shard, Position> last = sink.revoked(left, false);
      last.forEach(
          (shard, position) -> {
            Processor p = processors.get(shard);
            if (p != null) {
              p.checkpointQuietly(position);
            }
          });
      processors.clear();
    }
    try {
      int released = leaseTable.release(worker);
      LOG.debug(
          "{}: left group '{}' of '{}' in {} ms, released {} lease(s)",
          worker,
          group,
          stream,
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started),
          released);
    } catch (RuntimeException e) {
      LOG.warn(
          "{}: could not release the leases of group '{}'; others take them after the failover"
              + " time: {}",
          worker,
          group,
          e.toString());
    }
    checkpointer.shutdown();
  }

  @Override
  public <T> T unwrap(Class<T> type) {
    if (type.isInstance(backend.kinesis())) {
      return type.cast(backend.kinesis());
    }
    if (type == Scheduler.class) {
      synchronized (lifecycle) {
        if (scheduler != null) {
          return type.cast(scheduler);
        }
      }
      throw new SluiceException(
          ErrorCode.FAILED_PRECONDITION, "The KCL Scheduler of this consumer is not running yet");
    }
    throw Unwrap.unsupported(
        type, "A Kinesis group consumer", "KinesisAsyncClient and the KCL Scheduler");
  }

  // ------------------------------------------------------------------ one shard's KCL processor

  /** The KCL's record processor for one shard lease; the KCL calls it from one thread at a time. */
  private final class Processor implements ShardRecordProcessor {
    private @Nullable Shard shard;
    private volatile @Nullable RecordProcessorCheckpointer checkpointer;
    volatile boolean paused;
    private boolean gone;

    @Override
    public void initialize(InitializationInput input) {
      Shard s = Shard.of(input.shardId());
      shard = s;
      processors.put(s, this);
      sink.assigned(Set.of(s));
      if (spec.deduplicate()) {
        sink.restoreDeduplication(s, leaseTable.dedupState(input.shardId()));
      }
    }

    @Override
    public void processRecords(ProcessRecordsInput input) {
      checkpointer = input.checkpointer();
      Shard s = shard;
      // The KCL drops an aggregate holding records outside the shard's range only when it knows
      // the shard; a young child it may not know yet: drop such aggregates here too, always.
      List<KinesisClientRecord> records =
          rangeFilter.filter(s, input.records(), () -> closing || gone);
      if (!records.isEmpty() && !gone) {
        List<Record<byte[], byte[]>> batch = new ArrayList<>(records.size());
        Long behind = input.millisBehindLatest();
        if (spec.deduplicate()) {
          List<@Nullable StoredWriteId> ids = new ArrayList<>(records.size());
          for (KinesisClientRecord r : records) {
            Envelope.Body body = Records.body(r);
            batch.add(Records.toSluice(stream, s, r, body));
            ids.add(body.writeId);
          }
          sink.deliver(s, batch, ids, behind == null ? -1 : behind, -1);
        } else {
          for (KinesisClientRecord r : records) {
            batch.add(Records.toSluice(stream, s, r));
          }
          sink.deliver(s, batch, behind == null ? -1 : behind, -1);
        }
      }
      // Backpressure: the KCL fetches no further batch for this shard while this call blocks.
      synchronized (this) {
        while (paused && !closing && !gone) {
          try {
            wait(100);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
          }
        }
      }
    }

    @Override
    public void leaseLost(LeaseLostInput input) {
      if (give()) {
        sink.revoked(Set.of(shard), true);
      }
    }

    @Override
    public void shardEnded(ShardEndedInput input) {
      Shard s = shard;
      if (!sink.shardEnded(s)) {
        // Closing first: the next owner reads the shard's end again and ends it.
        give();
        return;
      }
      give();
      try {
        input.checkpointer().checkpoint();
      } catch (ShutdownException e) {
        LOG.debug("{}: lease of ended shard {} lost before its end was checkpointed", worker, s);
      } catch (Exception e) {
        throw new IllegalStateException(
            "Checkpointing the end of shard " + s + " of '" + stream + "' failed", e);
      }
    }

    @Override
    public void shutdownRequested(ShutdownRequestedInput input) {
      if (!give()) {
        return;
      }
      Map<Shard, Position> last = sink.revoked(Set.of(shard), false);
      Position p = last.get(shard);
      if (p != null) {
        try {
          if (!storeDedupState(shard, p)) {
            return;
          }
          input.checkpointer().checkpoint(p.sequenceNumber(), p.subSequence());
        } catch (Exception e) {
          LOG.warn(
              "{}: checkpoint {} of shard {} of '{}' at shutdown failed: {}",
              worker,
              p,
              shard,
              stream,
              e.toString());
        }
      }
    }

    /** Marks the shard given up; false if it was already. */
    private synchronized boolean give() {
      if (gone || shard == null) {
        return false;
      }
      gone = true;
      processors.remove(shard, this);
      notifyAll();
      return true;
    }

    synchronized void wake() {
      notifyAll();
    }

    /** Writes a checkpoint; a shard no longer owned is ignored. On the checkpoint thread. */
    void checkpoint(Position position) {
      RecordProcessorCheckpointer cp = checkpointer;
      if (cp == null || gone) {
        return;
      }
      try {
        if (!storeDedupState(shard, position)) {
          LOG.debug("{}: shard {} lost before checkpoint {}", worker, shard, position);
          return;
        }
        cp.checkpoint(position.sequenceNumber(), position.subSequence());
      } catch (ShutdownException e) {
        LOG.debug("{}: shard {} lost before checkpoint {}", worker, shard, position);
      } catch (IllegalArgumentException e) {
        // At or before a checkpoint already written (e.g. the shard's end): nothing to do.
        LOG.debug(
            "{}: checkpoint {} of shard {} skipped: {}", worker, position, shard, e.getMessage());
      } catch (Exception e) {
        throw KinesisErrors.translate(e);
      }
    }

    /**
     * For a deduplicating consumer, stores the state at {@code position} in the lease row before
     * the KCL writes the checkpoint itself: a crash between the two leaves the stored state ahead
     * of the KCL's checkpoint, and the state names its own checkpoint, up to which the next owner
     * skips what it reads again. False if the lease is no longer this worker's.
     */
    private boolean storeDedupState(@Nullable Shard s, Position position) {
      if (!spec.deduplicate() || s == null) {
        return true;
      }
      return leaseTable.storeDedupState(s.toString(), worker, sink.deduplicationState(s, position));
    }

    void checkpointQuietly(Position position) {
      try {
        checkpoint(position);
      } catch (RuntimeException e) {
        LOG.warn("{}: checkpoint {} of shard {} failed: {}", worker, position, shard, e.toString());
      }
    }
  }
}
