package dev.sluice.kinesis.internal;

import dev.sluice.ErrorCode;
import dev.sluice.HashKeyRange;
import dev.sluice.Position;
import dev.sluice.Shard;
import dev.sluice.SluiceException;
import dev.sluice.StartPosition;
import dev.sluice.kinesis.KinesisOptions.ConsumerType;
import dev.sluice.spi.ConsumerDriver;
import dev.sluice.spi.ConsumerSpec;
import dev.sluice.spi.DeliverySink;
import dev.sluice.spi.ShardLineage;
import dev.sluice.spi.Unwrap;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;

/**
 * A consumer without a group: reads every shard itself, stores nothing, and follows resharding — a
 * child shard is read only after every parent it read has reached its end and {@link
 * DeliverySink#shardEnded} returned true.
 *
 * <p>Each shard has a {@link ShardReader}: by default a {@link PollingShardReader} ({@code
 * GetRecords}); with {@code consumer.type=fanout} a {@link FanOutShardReader} ({@code
 * SubscribeToShard} over HTTP/2, as the stream consumer of a {@link FanOutRegistration} made when
 * the consumer starts and undone when it closes, if Sluice registered it). Which shards to read, in
 * which order, and the application's pauses are the same for both. KPL aggregates are split with
 * the KCL's own deaggregation.
 */
final class StandaloneConsumer implements ConsumerDriver {
  private static final Logger LOG = LoggerFactory.getLogger(StandaloneConsumer.class);
  private static final long BACKOFF_MAX_MILLIS = 5_000;

  final KinesisAsyncClient kinesis;
  final String stream;
  final Duration pollInterval;
  final int batchLimit;
  private final ConsumerSpec spec;
  private final KinesisSettings settings;
  private final ScheduledExecutorService timer;

  /**
   * Threads that wait, one per ended shard, for its records to be processed before its children
   * start (DeliverySink.shardEnded blocks), so the reader timer never waits on a handler.
   */
  private final ExecutorService shardEndWaiters;

  private final Map<Shard, ShardReader> readers = new ConcurrentHashMap<>();
  private final Set<Shard> finished = ConcurrentHashMap.newKeySet();
  private final Object discoveryLock = new Object();
  private @Nullable DeliverySink sink;
  private boolean discoveredOnce;
  private int discoveryAttempts;
  private volatile boolean closed;

  /** The stream consumer fan-out reads subscribe with; null when polling or not yet registered. */
  private volatile @Nullable FanOutRegistration registration;

  StandaloneConsumer(KinesisAsyncClient kinesis, ConsumerSpec spec, KinesisSettings settings) {
    this.kinesis = kinesis;
    this.spec = spec;
    this.settings = settings;
    this.stream = spec.stream();
    this.pollInterval = settings.pollInterval;
    this.batchLimit =
        settings.maxBatchRecords > 0
            ? settings.maxBatchRecords
            : Math.max(1, Math.min(10_000, spec.maxBatchRecords()));
    AtomicInteger n = new AtomicInteger();
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> daemon(r, spec.clientId() + "-reader-" + n.incrementAndGet()));
    this.shardEndWaiters =
        Executors.newCachedThreadPool(r -> daemon(r, spec.clientId() + "-shard-end"));
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  @Override
  public void start(DeliverySink deliverySink) {
    this.sink = deliverySink;
    timer.execute(settings.consumerType == ConsumerType.FANOUT ? this::register : this::discover);
  }

  /** Registers (or finds) the stream consumer for fan-out, then starts reading. On the timer. */
  private void register() {
    if (closed) {
      return;
    }
    try {
      FanOutRegistration r =
          FanOutRegistration.acquire(
              kinesis, stream, FanOutRegistration.standaloneName(settings, spec.clientId()));
      registration = r;
      if (closed) {
        r.release(); // close() ran while registering
        return;
      }
    } catch (RuntimeException e) {
      if (closed) {
        return;
      }
      if (KinesisErrors.isRetryable(e)) {
        discoveryAttempts++;
        LOG.debug("Registering for fan-out on '{}' failed; will retry: {}", stream, e.toString());
        schedule(this::register, backoffMillis(discoveryAttempts));
      } else {
        sink.failed(e);
      }
      return;
    }
    discoveryAttempts = 0;
    discover();
  }

  DeliverySink sink() {
    return sink;
  }

  boolean isClosed() {
    return closed;
  }

  // ------------------------------------------------------------------ which shards to read

  /**
   * Lists the shards and starts a reader for each one whose parents are finished (or were never
   * going to be read). Runs on the timer thread.
   */
  void discover() {
    if (closed) {
      return;
    }
    List<software.amazon.awssdk.services.kinesis.model.Shard> shards;
    try {
      shards = KinesisAdmin.listShards(kinesis, stream);
      discoveryAttempts = 0;
    } catch (RuntimeException e) {
      if (closed) {
        return; // close() interrupted the call
      }
      SluiceException error = KinesisErrors.translate(e);
      if (error.isRetryable() && !closed) {
        discoveryAttempts++;
        LOG.debug("Listing the shards of '{}' failed; will retry: {}", stream, e.toString());
        schedule(this::discover, backoffMillis(discoveryAttempts));
      } else {
        sink.failed(e);
      }
      return;
    }
    Set<Shard> started = new TreeSet<>();
    List<ShardReader> toStart = new ArrayList<>();
    synchronized (discoveryLock) {
      Map<Shard, List<Shard>> parents = new HashMap<>();
      Map<Shard, software.amazon.awssdk.services.kinesis.model.Shard> byId = new HashMap<>();
      for (software.amazon.awssdk.services.kinesis.model.Shard s : shards) {
        Shard id = Shard.of(s.shardId());
        byId.put(id, s);
        List<Shard> ps = new ArrayList<>();
        if (s.parentShardId() != null) {
          ps.add(Shard.of(s.parentShardId()));
        }
        if (s.adjacentParentShardId() != null) {
          ps.add(Shard.of(s.adjacentParentShardId()));
        }
        parents.put(id, ps);
      }
      ShardLineage lineage = ShardLineage.of(parents);
      boolean initial = !discoveredOnce;
      if (initial) {
        SluiceException unknownShard = spec.unknownStartShard(lineage.shards());
        if (unknownShard != null) {
          sink.failed(unknownShard);
          return;
        }
        finished.addAll(skippedAtStart(byId, lineage));
        discoveredOnce = true;
      }
      for (Shard id : lineage.readable(finished)) {
        if (readers.containsKey(id)) {
          continue;
        }
        // Shards that appear after the start (children of a reshard) are read from their
        // beginning: everything in them was written after the consumer started.
        StartPosition start =
            initial ? spec.startPosition().forShard(id) : StartPosition.earliest();
        ShardReader reader = newReader(id, KinesisAdmin.range(byId.get(id)), start);
        readers.put(id, reader);
        toStart.add(reader);
        started.add(id);
      }
    }
    if (!started.isEmpty()) {
      sink.assigned(started);
      for (ShardReader reader : toStart) {
        schedule(reader::step, 0);
      }
    }
  }

  /**
   * The shards not to read at all: for {@code latest}, the closed ones (nothing new will come); for
   * positions, the ancestors of a shard with a given position (the application got past them).
   */
  private Set<Shard> skippedAtStart(
      Map<Shard, software.amazon.awssdk.services.kinesis.model.Shard> byId, ShardLineage lineage) {
    Set<Shard> skipped = new HashSet<>();
    StartPosition start = spec.startPosition();
    for (Shard id : byId.keySet()) {
      StartPosition forShard = start.forShard(id);
      if (forShard.kind() == StartPosition.Kind.LATEST && !KinesisAdmin.isOpen(byId.get(id))) {
        skipped.add(id);
      }
    }
    if (start.kind() == StartPosition.Kind.POSITIONS) {
      skipped.addAll(lineage.ancestors(start.positions().keySet()));
    }
    return skipped;
  }

  private ShardReader newReader(Shard id, HashKeyRange range, StartPosition start) {
    FanOutRegistration r = registration;
    return r == null
        ? new PollingShardReader(this, id, range, start)
        : new FanOutShardReader(this, id, range, start, r.consumerArn(), settings);
  }

  /** The shard was read to its end: once its records are processed, its children may start. */
  void ended(ShardReader reader) {
    try {
      shardEndWaiters.execute(
          () -> {
            if (closed || !sink.shardEnded(reader.shard)) {
              return;
            }
            synchronized (discoveryLock) {
              finished.add(reader.shard);
              readers.remove(reader.shard, reader);
            }
            schedule(this::discover, 0);
          });
    } catch (RejectedExecutionException e) {
      // Closing.
    }
  }

  // ------------------------------------------------------------------ control

  void schedule(Runnable task, long delayMillis) {
    if (closed) {
      return;
    }
    try {
      timer.schedule(task, delayMillis, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // Closing.
    }
  }

  static long backoffMillis(int attempts) {
    long delay = Math.min(BACKOFF_MAX_MILLIS, 100L << Math.min(attempts, 10));
    return delay / 2 + ThreadLocalRandom.current().nextLong(delay / 2 + 1);
  }

  @Override
  public void pause(Shard shard) {
    ShardReader reader = readers.get(shard);
    if (reader != null) {
      reader.pause();
    }
  }

  @Override
  public void resume(Shard shard) {
    ShardReader reader = readers.get(shard);
    if (reader != null) {
      reader.resume();
    }
  }

  @Override
  public CompletableFuture<Void> commit(Map<Shard, Position> checkpoints) {
    return CompletableFuture.completedFuture(null);
  }

  /**
   * Moves the shard: polling takes an iterator at the new position during this call; fan-out ends
   * the subscription and subscribes again at it.
   */
  @Override
  public CompletableFuture<Void> seek(Shard shard, StartPosition position) {
    ShardReader reader = readers.get(shard);
    if (reader == null) {
      return CompletableFuture.failedFuture(
          new SluiceException(
              ErrorCode.INVALID_ARGUMENT,
              "Shard " + shard + " of '" + stream + "' is not assigned to this consumer"));
    }
    try {
      reader.seek(position);
      return CompletableFuture.completedFuture(null);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** Whether {@code reader} still reads its shard for this consumer. */
  boolean reads(ShardReader reader) {
    return !closed && readers.get(reader.shard) == reader;
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    timer.shutdownNow();
    Set<Shard> active = new TreeSet<>();
    for (ShardReader reader : readers.values()) {
      reader.stop(); // waits for a delivery in progress
      active.add(reader.shard);
    }
    readers.clear();
    if (sink != null && !active.isEmpty()) {
      sink.revoked(active, false);
    }
    shardEndWaiters.shutdownNow();
    FanOutRegistration r = registration;
    if (r != null) {
      r.release(); // after the readers stopped: subscriptions end with the consumer
    }
  }

  @Override
  public <T> T unwrap(Class<T> type) {
    return Unwrap.as(type, kinesis, "A standalone Kinesis consumer", "KinesisAsyncClient");
  }
}
