package dev.sluice.memory;

import dev.sluice.ErrorCode;
import dev.sluice.Position;
import dev.sluice.Record;
import dev.sluice.Shard;
import dev.sluice.SluiceException;
import dev.sluice.StartPosition;
import dev.sluice.spi.ConsumerDriver;
import dev.sluice.spi.ConsumerSpec;
import dev.sluice.spi.DeliverySink;
import dev.sluice.spi.StoredWriteId;
import dev.sluice.spi.Unwrap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BiFunction;
import org.jspecify.annotations.Nullable;

/**
 * Reads a memory stream: one fetch thread walks the owned shards and delivers batches; shards that
 * end (split or merged away) are handed to a helper thread that waits until their records are
 * processed before children are read.
 */
final class MemoryConsumer implements ConsumerDriver {
  private static final long IDLE_WAIT_MILLIS = 100;
  private static final int IDLE_YIELDS = 8;
  private static final int SMALL_BATCH = 64;

  private final MemoryBroker broker;
  private final ConsumerSpec spec;
  private final Map<Shard, Cursor> cursors = new ConcurrentHashMap<>();
  private final Set<Shard> paused = ConcurrentHashMap.newKeySet();

  /** Standalone: shards read to their end and processed. */
  private final Set<Shard> finished = ConcurrentHashMap.newKeySet();

  /**
   * Threads that wait, one per ended shard, until its records are processed before its children
   * start (the wait blocks, so not on the fetcher).
   */
  private final ExecutorService shardEndWaiters;

  private @Nullable MemoryStream stream;
  private @Nullable MemoryGroup group;
  private @Nullable DeliverySink sink;
  private @Nullable Thread fetcher;
  private volatile boolean running;
  private volatile boolean closed;
  private volatile @Nullable List<MemoryShard> knownShards;

  MemoryConsumer(MemoryBroker broker, ConsumerSpec spec) {
    this.broker = broker;
    this.spec = spec;
    this.shardEndWaiters =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, spec.clientId() + "-shard-end");
              t.setDaemon(true);
              return t;
            });
  }

  /** Where a shard is read from next. */
  private static final class Cursor {
    final MemoryShard shard;
    long next;
    boolean ending;

    Cursor(MemoryShard shard, long next) {
      this.shard = shard;
      this.next = next;
    }
  }

  @Override
  public void start(DeliverySink deliverySink) {
    MemoryStream s = broker.stream(spec.stream());
    SluiceException unknownShard = spec.unknownStartShard(MemoryShard.lineage(s.shards()).shards());
    if (unknownShard != null) {
      throw unknownShard;
    }
    this.stream = s;
    this.sink = deliverySink;
    this.running = true;
    if (spec.isGroup()) {
      group = s.group(spec.group());
    } else {
      discoverStandalone();
    }
    Thread t = new Thread(this::fetchLoop, spec.clientId() + "-fetch");
    t.setDaemon(true);
    fetcher = t;
    t.start();
    if (group != null) {
      group.join(this);
    }
  }

  /** The group this consumer is a member of, or null (standalone, or not started). */
  @Nullable MemoryGroup group() {
    return group;
  }

  /** The member id shown by the group admin. */
  String id() {
    return spec.clientId();
  }

  String streamName() {
    return spec.stream();
  }

  // ------------------------------------------------------------------ called by the group

  /** The group assigns these shards. Runs on the group's thread. */
  void assign(Set<Shard> shards) {
    try {
      Map<Shard, Cursor> fresh = new java.util.TreeMap<>();
      for (Shard id : shards) {
        MemoryShard ms = stream.shard(id);
        Long checkpointed = group.nextOffset(id);
        long next =
            checkpointed != null
                ? Math.max(checkpointed, ms.startOffset())
                : startOffset(ms, spec.startPosition());
        fresh.put(id, new Cursor(ms, next));
      }
      sink.assigned(shards);
      if (spec.deduplicate()) {
        for (Shard id : shards) {
          sink.restoreDeduplication(id, group.dedupState(id));
        }
      }
      cursors.putAll(fresh);
      stream.signalChange();
    } catch (RuntimeException e) {
      sink.failed(e);
    }
  }

  /** The group takes these shards away. Runs on the group's thread; returns checkpoints. */
  Map<Shard, Position> revoke(Set<Shard> shards, boolean lost) {
    for (Shard id : shards) {
      Cursor c = cursors.get(id);
      if (c != null) {
        synchronized (c) {
          cursors.remove(id, c);
        }
      }
    }
    return sink.revoked(shards, lost);
  }

  // ------------------------------------------------------------------ reading

  private void fetchLoop() {
    MemoryStream s = stream;
    while (running) {
      long seen = s.version();
      if (s.isDeleted()) {
        sink.failed(
            new SluiceException(
                ErrorCode.NOT_FOUND, "Stream '" + s.name + "' was deleted while being read"));
        return;
      }
      if (group == null && knownShards != s.shards()) {
        try {
          discoverStandalone();
        } catch (RuntimeException e) {
          sink.failed(e);
          return;
        }
      }
      int delivered = 0;
      for (Cursor c : cursors.values()) {
        if (!running) {
          return;
        }
        if (c.ending || paused.contains(c.shard.shard)) {
          continue;
        }
        delivered += readOnce(s, c);
      }
      if (delivered == 0) {
        // A producer appending right now is usually seen after a few yields; blocking at once
        // would cost a sleep and a wake-up per record while a producer keeps up with us.
        for (int i = 0; i < IDLE_YIELDS && running && s.version() == seen; i++) {
          Thread.yield();
        }
        try {
          s.awaitChange(seen, IDLE_WAIT_MILLIS);
        } catch (InterruptedException e) {
          return;
        }
      } else if (delivered < SMALL_BATCH) {
        // Let a concurrent producer add more before the next pass: fewer, larger batches cost
        // the consumer less per record (Kafka's fetch.min.bytes, in microseconds).
        Thread.yield();
      }
    }
  }

  /** Delivers the next batch of the shard; returns how many records. */
  private int readOnce(MemoryStream s, Cursor c) {
    synchronized (c) {
      if (cursors.get(c.shard.shard) != c) {
        return 0;
      }
      long available = c.shard.endOffset() - c.next;
      List<Record<byte[], byte[]>> batch =
          available <= 0
              ? List.of()
              : new ArrayList<>((int) Math.min(available, spec.maxBatchRecords()));
      long next =
          available <= 0 ? c.next : c.shard.read(s.name, c.next, spec.maxBatchRecords(), batch);
      if (!batch.isEmpty()) {
        c.next = next;
        long behind = c.shard.endOffset() - next;
        long millis =
            behind == 0
                ? 0
                : Math.max(
                    0, System.currentTimeMillis() - batch.get(batch.size() - 1).timestampMillis());
        if (spec.deduplicate()) {
          List<@Nullable StoredWriteId> ids = new ArrayList<>(batch.size());
          for (Record<byte[], byte[]> r : batch) {
            ids.add(c.shard.writeId(r.position().offset()));
          }
          sink.deliver(c.shard.shard, batch, ids, millis, behind);
        } else {
          sink.deliver(c.shard.shard, batch, millis, behind);
        }
        return batch.size();
      }
      if (c.shard.isEndedAt(c.next)) {
        c.ending = true;
        shardEndWaiters.execute(() -> end(c));
      }
      return 0;
    }
  }

  /** Waits until the ended shard's records are processed, then lets its children start. */
  private void end(Cursor c) {
    Shard id = c.shard.shard;
    if (!sink.shardEnded(id)) {
      return;
    }
    if (group != null) {
      cursors.remove(id, c);
      group.finished(this, id);
    } else {
      // Finished before its cursor goes: a discovery in between must not take the shard for one
      // never read and read it again from the start.
      finished.add(id);
      cursors.remove(id, c);
      knownShards = null;
      stream.signalChange();
    }
  }

  /** Standalone: owns every shard whose parents it has finished. */
  private void discoverStandalone() {
    MemoryStream s = stream;
    List<MemoryShard> shards = s.shards();
    // Noted before finished is read: a shard that ends from now on clears it, so the fetch loop
    // looks again rather than miss the children that end made readable.
    knownShards = shards;
    Set<Shard> readable = MemoryShard.lineage(shards).readable(finished);
    Map<Shard, Cursor> fresh = new java.util.TreeMap<>();
    for (MemoryShard ms : shards) {
      Shard id = ms.shard;
      // In this order: end() marks a shard finished before it drops its cursor, and may run now.
      if (!cursors.containsKey(id) && !finished.contains(id) && readable.contains(id)) {
        fresh.put(id, new Cursor(ms, startOffset(ms, spec.startPosition())));
      }
    }
    if (!fresh.isEmpty()) {
      sink.assigned(new TreeSet<>(fresh.keySet()));
      cursors.putAll(fresh);
    }
  }

  static long startOffset(MemoryShard shard, StartPosition start) {
    StartPosition forShard = start.forShard(shard.shard);
    switch (forShard.kind()) {
      case EARLIEST:
        return shard.startOffset();
      case LATEST:
        return shard.endOffset();
      case AT_TIMESTAMP:
        return shard.offsetForTimestamp(forShard.timestamp().toEpochMilli());
      case POSITIONS:
        Position p = forShard.positions().get(shard.shard);
        long offset = p.offset() + (forShard.isInclusive() ? 0 : 1);
        long end = shard.endOffset();
        if (offset > end) {
          throw new SluiceException(
              ErrorCode.INVALID_ARGUMENT,
              "Start position "
                  + p
                  + " is beyond the end of shard "
                  + shard.shard
                  + " (next position: "
                  + end
                  + ")");
        }
        return Math.max(offset, shard.startOffset());
      default:
        throw new IllegalStateException("Unknown start position " + forShard);
    }
  }

  // ------------------------------------------------------------------ control

  /**
   * Moves the shard's cursor under its lock, which every delivery of the shard holds: no delivery
   * of the old position can follow the move. In a group the new position is stored first, if this
   * member still owns the shard.
   */
  @Override
  public CompletableFuture<Void> seek(Shard shard, StartPosition position) {
    Cursor c = cursors.get(shard);
    if (c == null) {
      return CompletableFuture.failedFuture(notOwned(shard));
    }
    synchronized (c) {
      if (cursors.get(shard) != c) {
        return CompletableFuture.failedFuture(notOwned(shard));
      }
      if (c.ending) {
        return CompletableFuture.failedFuture(
            new SluiceException(
                ErrorCode.FAILED_PRECONDITION,
                "Shard " + shard + " of '" + spec.stream() + "' was read to its end"));
      }
      long next;
      try {
        next = startOffset(c.shard, position);
      } catch (RuntimeException e) {
        return CompletableFuture.failedFuture(e);
      }
      if (group != null && !group.moveCheckpoint(this, shard, next)) {
        return CompletableFuture.failedFuture(notOwned(shard));
      }
      c.next = next;
      sink.moved(shard);
    }
    stream.signalChange();
    return CompletableFuture.completedFuture(null);
  }

  private SluiceException notOwned(Shard shard) {
    return new SluiceException(
        ErrorCode.INVALID_ARGUMENT,
        "Shard " + shard + " of '" + spec.stream() + "' is not assigned to this consumer");
  }

  @Override
  public void pause(Shard shard) {
    paused.add(shard);
  }

  @Override
  public void resume(Shard shard) {
    if (paused.remove(shard) && stream != null) {
      stream.signalChange();
    }
  }

  /** Where the group gets the state to store with a checkpoint, or null if none is kept. */
  @Nullable BiFunction<Shard, Position, byte @Nullable []> dedupStates() {
    DeliverySink s = sink;
    return spec.deduplicate() && s != null ? s::deduplicationState : null;
  }

  @Override
  public CompletableFuture<Void> commit(Map<Shard, Position> checkpoints) {
    if (group != null) {
      group.commit(checkpoints, dedupStates());
    }
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    running = false;
    Thread t = fetcher;
    if (t != null) {
      t.interrupt();
      try {
        t.join(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (sink != null) {
      if (group != null) {
        group.leave(this);
      } else if (!cursors.isEmpty()) {
        Set<Shard> all = new TreeSet<>(cursors.keySet());
        cursors.clear();
        sink.revoked(all, false);
      }
    }
    shardEndWaiters.shutdownNow();
  }

  @Override
  public <T> T unwrap(Class<T> type) {
    throw Unwrap.unsupported(type, "A memory consumer", "none: it runs in this JVM");
  }
}
