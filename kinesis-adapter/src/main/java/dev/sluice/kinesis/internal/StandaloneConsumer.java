package dev.sluice.kinesis.internal;

import dev.sluice.HashKeyRange;
import dev.sluice.Position;
import dev.sluice.Record;
import dev.sluice.Shard;
import dev.sluice.SluiceException;
import dev.sluice.StartPosition;
import dev.sluice.spi.ConsumerDriver;
import dev.sluice.spi.ConsumerSpec;
import dev.sluice.spi.DeliverySink;
import dev.sluice.spi.ShardLineage;
import dev.sluice.spi.Unwrap;
import java.time.Duration;
import java.time.Instant;
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
import software.amazon.awssdk.services.kinesis.model.ExpiredIteratorException;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.GetShardIteratorRequest;
import software.amazon.awssdk.services.kinesis.model.GetShardIteratorResponse;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.kinesis.retrieval.AggregatorUtil;
import software.amazon.kinesis.retrieval.KinesisClientRecord;

/**
 * A consumer without a group: reads every shard itself with {@code GetShardIterator} and {@code
 * GetRecords}, stores nothing, and follows resharding — a child shard is read only after every
 * parent it read has reached its end and {@link DeliverySink#shardEnded} returned true.
 *
 * <p>Each shard is read by a chain of asynchronous calls: the next read starts at once after a full
 * batch and {@code poll.interval.ms} (200 ms: a shard allows 5 reads/s) after anything less. An
 * expired iterator ({@code ExpiredIteratorException}: five minutes unused on AWS, e.g. while the
 * application pauses the shard) is replaced by one {@code AFTER_SEQUENCE_NUMBER} of the last
 * Kinesis record received — a response is delivered whole, and a KPL aggregate is one Kinesis
 * record, so nothing is lost or repeated. If nothing was received yet, the original start is asked
 * again, except that {@code latest} becomes {@code AT_TIMESTAMP} of the moment the first iterator
 * was asked for: a new {@code LATEST} would skip what was written in between. KPL aggregates are
 * split with the KCL's own deaggregation.
 */
final class StandaloneConsumer implements ConsumerDriver {
  private static final Logger LOG = LoggerFactory.getLogger(StandaloneConsumer.class);
  private static final long BACKOFF_MAX_MILLIS = 5_000;

  private final KinesisAsyncClient kinesis;
  private final ConsumerSpec spec;
  private final String stream;
  private final Duration pollInterval;
  private final int batchLimit;
  private final ScheduledExecutorService timer;

  /**
   * Threads that wait, one per ended shard, for its records to be processed before its children
   * start (DeliverySink.shardEnded blocks), so the reader timer never waits on a handler.
   */
  private final ExecutorService shardEndWaiters;

  private final Map<Shard, Reader> readers = new ConcurrentHashMap<>();
  private final Set<Shard> finished = ConcurrentHashMap.newKeySet();
  private final Object discoveryLock = new Object();
  private @Nullable DeliverySink sink;
  private boolean discoveredOnce;
  private int discoveryAttempts;
  private volatile boolean closed;

  StandaloneConsumer(KinesisAsyncClient kinesis, ConsumerSpec spec, KinesisSettings settings) {
    this.kinesis = kinesis;
    this.spec = spec;
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
    timer.execute(this::discover);
  }

  // ------------------------------------------------------------------ which shards to read

  /**
   * Lists the shards and starts a reader for each one whose parents are finished (or were never
   * going to be read). Runs on the timer thread.
   */
  private void discover() {
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
    List<Reader> toStart = new ArrayList<>();
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
        Reader reader = new Reader(id, KinesisAdmin.range(byId.get(id)), start);
        readers.put(id, reader);
        toStart.add(reader);
        started.add(id);
      }
    }
    if (!started.isEmpty()) {
      sink.assigned(started);
      for (Reader reader : toStart) {
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

  /** The shard was read to its end: once its records are processed, its children may start. */
  private void ended(Reader reader) {
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

  // ------------------------------------------------------------------ reading one shard

  /** Reads one shard with a chain of asynchronous calls; at most one call at a time. */
  private final class Reader {
    final Shard shard;
    final HashKeyRange range;

    /** Where the shard is read from: the start position, or the last seek's. */
    private StartPosition start;

    final AggregatorUtil aggregator = new AggregatorUtil();
    private @Nullable String iterator;

    /** The sequence number of the last Kinesis record a read returned (delivered or skipped). */
    private @Nullable String lastReceived;

    /** When the first {@code LATEST} iterator was asked for; where to restart if it expires. */
    private @Nullable Instant latestAskedAt;

    /** Records at or before this (or before it, if {@link #skipInclusive} is false) are skipped. */
    private @Nullable Position skip;

    private boolean skipInclusive;
    private boolean paused;
    private boolean parked;
    private boolean stopped;

    /** Read to its end: {@link #ended} was called. */
    private boolean ending;

    private int attempts;

    /**
     * How many times the application moved the shard: the answer to a call made before a move is
     * dropped (the move set the iterator to use), and the chain goes on from the new iterator.
     */
    private int moves;

    Reader(Shard shard, HashKeyRange range, StartPosition start) {
      this.shard = shard;
      this.range = range;
      this.start = start;
    }

    /** Issues the next call unless paused or stopped. */
    void step() {
      String current;
      GetShardIteratorRequest request = null;
      int movesNow;
      synchronized (this) {
        if (stopped || closed) {
          return;
        }
        if (paused) {
          parked = true;
          return;
        }
        current = iterator;
        movesNow = moves;
        if (current == null) {
          request = iteratorRequest();
        }
      }
      if (request != null) {
        kinesis
            .getShardIterator(request)
            .whenComplete((response, error) -> iteratorAcquired(response, error, movesNow));
      } else {
        kinesis
            .getRecords(b -> b.shardIterator(current).limit(batchLimit))
            .whenComplete((response, error) -> recordsRead(response, error, movesNow));
      }
    }

    /**
     * Moves the shard ({@code Consumer.seek}): takes an iterator at the new position now (so that
     * {@code latest} means the records sent after the seek returns), then, under this reader's
     * lock, which every delivery of the shard holds, makes it the one the chain reads next and
     * tells the sink. A call in flight from before is answered into the void.
     */
    void seek(StartPosition target) {
      Instant askedAt = Instant.now();
      GetShardIteratorRequest request;
      synchronized (this) {
        checkSeekable();
        request = iteratorRequest(target, null, null);
      }
      String newIterator;
      try {
        newIterator = kinesis.getShardIterator(request).join().shardIterator();
      } catch (java.util.concurrent.CompletionException e) {
        throw KinesisErrors.translate(KinesisErrors.unwrap(e));
      }
      synchronized (this) {
        checkSeekable();
        moves++;
        start = target;
        latestAskedAt = target.kind() == StartPosition.Kind.LATEST ? askedAt : null;
        lastReceived = null;
        attempts = 0;
        skip = null;
        if (target.kind() == StartPosition.Kind.POSITIONS) {
          skip = target.positions().get(shard);
          skipInclusive = !target.isInclusive();
        }
        iterator = newIterator;
        sink.moved(shard);
      }
    }

    /** Under this reader's lock. */
    private void checkSeekable() {
      if (stopped || closed || readers.get(shard) != this) {
        throw new SluiceException(
            dev.sluice.ErrorCode.INVALID_ARGUMENT,
            "Shard " + shard + " of '" + stream + "' is not assigned to this consumer");
      }
      if (ending) {
        throw new SluiceException(
            dev.sluice.ErrorCode.FAILED_PRECONDITION,
            "Shard " + shard + " of '" + stream + "' was read to its end");
      }
    }

    private GetShardIteratorRequest iteratorRequest() {
      if (lastReceived == null && start.kind() == StartPosition.Kind.POSITIONS) {
        skip = start.positions().get(shard);
        skipInclusive = !start.isInclusive();
      }
      if (lastReceived == null
          && start.kind() == StartPosition.Kind.LATEST
          && latestAskedAt == null) {
        latestAskedAt = Instant.now();
        return iteratorRequest(start, null, null);
      }
      return iteratorRequest(start, lastReceived, latestAskedAt);
    }

    /**
     * The iterator request for reading from {@code from}, or after {@code lastReceived} if not
     * null; {@code latest} becomes {@code AT_TIMESTAMP} of {@code latestAskedAt} if that is set.
     */
    private GetShardIteratorRequest iteratorRequest(
        StartPosition from, @Nullable String lastReceived, @Nullable Instant latestAskedAt) {
      GetShardIteratorRequest.Builder b =
          GetShardIteratorRequest.builder().streamName(stream).shardId(shard.id());
      if (lastReceived != null) {
        return b.shardIteratorType(ShardIteratorType.AFTER_SEQUENCE_NUMBER)
            .startingSequenceNumber(lastReceived)
            .build();
      }
      StartPosition start = from;
      switch (start.kind()) {
        case LATEST:
          if (latestAskedAt != null) {
            // The first iterator expired before anything arrived: read from when it was made.
            return b.shardIteratorType(ShardIteratorType.AT_TIMESTAMP)
                .timestamp(latestAskedAt)
                .build();
          }
          return b.shardIteratorType(ShardIteratorType.LATEST).build();
        case AT_TIMESTAMP:
          return b.shardIteratorType(ShardIteratorType.AT_TIMESTAMP)
              .timestamp(start.timestamp())
              .build();
        case POSITIONS:
          Position p = start.positions().get(shard);
          return b.shardIteratorType(ShardIteratorType.AT_SEQUENCE_NUMBER)
              .startingSequenceNumber(p.sequenceNumber())
              .build();
        case EARLIEST:
        default:
          return b.shardIteratorType(ShardIteratorType.TRIM_HORIZON).build();
      }
    }

    private void iteratorAcquired(
        @Nullable GetShardIteratorResponse response, @Nullable Throwable error, int movesThen) {
      synchronized (this) {
        if (stopped || closed) {
          return;
        }
        if (movesThen != moves) {
          schedule(this::step, 0);
          return;
        }
        if (error != null) {
          failedCall(error);
          return;
        }
        iterator = response.shardIterator();
        attempts = 0;
        ending = iterator == null;
      }
      if (ending) {
        ended(this);
        return;
      }
      step();
    }

    private void recordsRead(
        @Nullable GetRecordsResponse response, @Nullable Throwable error, int movesThen) {
      boolean end;
      long delay;
      synchronized (this) {
        if (stopped || closed) {
          return;
        }
        if (movesThen != moves) {
          schedule(this::step, 0);
          return;
        }
        if (error != null) {
          failedCall(error);
          return;
        }
        attempts = 0;
        List<KinesisClientRecord> raw = new ArrayList<>(response.records().size());
        for (software.amazon.awssdk.services.kinesis.model.Record r : response.records()) {
          raw.add(KinesisClientRecord.fromRecord(r));
        }
        List<KinesisClientRecord> records = aggregator.deaggregate(raw, range.start(), range.end());
        List<Record<byte[], byte[]>> batch = new ArrayList<>(records.size());
        for (KinesisClientRecord r : records) {
          Position position = Records.position(r);
          if (skip != null) {
            int c = position.compareTo(skip);
            if (c < 0 || (c == 0 && skipInclusive)) {
              continue;
            }
            skip = null;
          }
          batch.add(Records.toSluice(stream, shard, r));
        }
        if (!response.records().isEmpty()) {
          lastReceived = response.records().get(response.records().size() - 1).sequenceNumber();
        }
        if (!batch.isEmpty()) {
          Long behind = response.millisBehindLatest();
          sink.deliver(shard, batch, behind == null ? -1 : behind, -1);
        }
        iterator = response.nextShardIterator();
        end = iterator == null;
        ending = end;
        delay = response.records().size() >= batchLimit ? 0 : pollInterval.toMillis();
      }
      if (end) {
        ended(this);
      } else {
        schedule(this::step, delay);
      }
    }

    /** Under this reader's lock. */
    private void failedCall(Throwable error) {
      Throwable cause = KinesisErrors.unwrap(error);
      if (cause instanceof ExpiredIteratorException) {
        iterator = null;
        schedule(this::step, 0);
        return;
      }
      SluiceException portable = KinesisErrors.translate(cause);
      if (portable.isRetryable()) {
        attempts++;
        if (attempts == 10) {
          LOG.warn(
              "Reading shard {} of '{}' keeps failing; still retrying: {}",
              shard,
              stream,
              portable.getMessage());
        }
        schedule(this::step, backoffMillis(attempts));
        return;
      }
      stopped = true;
      sink.failed(cause);
    }

    synchronized void pause() {
      paused = true;
    }

    void resume() {
      boolean restart;
      synchronized (this) {
        paused = false;
        restart = parked;
        parked = false;
      }
      if (restart) {
        schedule(this::step, 0);
      }
    }

    synchronized void stop() {
      stopped = true;
    }
  }

  // ------------------------------------------------------------------ control

  private void schedule(Runnable task, long delayMillis) {
    if (closed) {
      return;
    }
    try {
      timer.schedule(task, delayMillis, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // Closing.
    }
  }

  private static long backoffMillis(int attempts) {
    long delay = Math.min(BACKOFF_MAX_MILLIS, 100L << Math.min(attempts, 10));
    return delay / 2 + ThreadLocalRandom.current().nextLong(delay / 2 + 1);
  }

  @Override
  public void pause(Shard shard) {
    Reader reader = readers.get(shard);
    if (reader != null) {
      reader.pause();
    }
  }

  @Override
  public void resume(Shard shard) {
    Reader reader = readers.get(shard);
    if (reader != null) {
      reader.resume();
    }
  }

  @Override
  public CompletableFuture<Void> commit(Map<Shard, Position> checkpoints) {
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletableFuture<Void> seek(Shard shard, StartPosition position) {
    Reader reader = readers.get(shard);
    if (reader == null) {
      return CompletableFuture.failedFuture(
          new SluiceException(
              dev.sluice.ErrorCode.INVALID_ARGUMENT,
              "Shard " + shard + " of '" + stream + "' is not assigned to this consumer"));
    }
    try {
      reader.seek(position);
      return CompletableFuture.completedFuture(null);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    timer.shutdownNow();
    Set<Shard> active = new TreeSet<>();
    for (Reader reader : readers.values()) {
      reader.stop(); // waits for a delivery in progress
      active.add(reader.shard);
    }
    readers.clear();
    if (sink != null && !active.isEmpty()) {
      sink.revoked(active, false);
    }
    shardEndWaiters.shutdownNow();
  }

  @Override
  public <T> T unwrap(Class<T> type) {
    return Unwrap.as(type, kinesis, "A standalone Kinesis consumer", "KinesisAsyncClient");
  }
}
