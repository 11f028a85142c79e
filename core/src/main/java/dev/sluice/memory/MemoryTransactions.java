package dev.sluice.memory;

import dev.sluice.ErrorCode;
import dev.sluice.Position;
import dev.sluice.Record;
import dev.sluice.Shard;
import dev.sluice.SluiceException;
import dev.sluice.spi.ConsumerDriver;
import dev.sluice.spi.SendCallback;
import dev.sluice.spi.TransactionDriver;
import dev.sluice.spi.TransactionSpec;
import dev.sluice.spi.Unwrap;
import dev.sluice.spi.WriteId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Transactions on memory streams: records are kept aside until commit and then appended, so readers
 * never see a record of an open or aborted transaction. Consumer checkpoints in the transaction are
 * stored in the same step as the appends, and only if the consumer still owns their shards. A newer
 * driver with the same transactional id fences this one.
 */
final class MemoryTransactions implements TransactionDriver {
  private final MemoryBroker broker;
  private final String transactionalId;
  private final long epoch;

  // Guarded by this.
  private final List<Pending> pending = new ArrayList<>();
  private final Map<MemoryConsumer, Map<Shard, Position>> checkpoints = new LinkedHashMap<>();
  private boolean open;
  private boolean closed;

  MemoryTransactions(MemoryBroker broker, TransactionSpec spec) {
    this.broker = broker;
    this.transactionalId = spec.transactionalId();
    this.epoch = broker.fence(transactionalId);
  }

  private record Pending(
      MemoryStream stream, Record<byte[], byte[]> record, SendCallback callback) {}

  @Override
  public synchronized void begin() {
    checkUsable();
    if (open) {
      throw new SluiceException(ErrorCode.FAILED_PRECONDITION, "A transaction is open already");
    }
    open = true;
  }

  @Override
  public void send(String stream, Record<byte[], byte[]> record, WriteId id, SendCallback cb) {
    MemoryStream target;
    try {
      target = broker.stream(stream);
    } catch (RuntimeException e) {
      cb.failed(e);
      return;
    }
    synchronized (this) {
      if (!open || closed) {
        cb.failed(
            new SluiceException(
                ErrorCode.FAILED_PRECONDITION, "No transaction is open to send in"));
        return;
      }
      pending.add(new Pending(target, record, cb));
    }
  }

  @Override
  public synchronized void sendCheckpoints(
      ConsumerDriver consumer, Map<Shard, Position> positions) {
    if (!open) {
      throw new SluiceException(ErrorCode.FAILED_PRECONDITION, "No transaction is open");
    }
    MemoryConsumer member = (MemoryConsumer) consumer;
    if (member.group() == null) {
      throw new SluiceException(
          ErrorCode.INVALID_ARGUMENT, "Only a group's checkpoints can be stored in a transaction");
    }
    checkpoints.computeIfAbsent(member, m -> new TreeMap<>()).putAll(positions);
  }

  @Override
  public void commit() {
    List<Pending> records;
    Map<MemoryConsumer, Map<Shard, Position>> positions;
    synchronized (this) {
      checkUsable();
      if (!open) {
        throw new SluiceException(ErrorCode.FAILED_PRECONDITION, "No transaction is open");
      }
      records = new ArrayList<>(pending);
      positions = new LinkedHashMap<>(checkpoints);
      pending.clear();
      checkpoints.clear();
      open = false;
    }
    List<Runnable> reports = new ArrayList<>(records.size());
    Runnable write = () -> append(records, reports);
    if (!commitAs(new ArrayList<>(positions.entrySet()), 0, write)) {
      SluiceException fenced =
          new SluiceException(
              ErrorCode.FENCED,
              "The transaction of '"
                  + transactionalId
                  + "' was not committed: its consumer no longer owns the shards it checkpoints"
                  + " (they were given to another member of the group)");
      records.forEach(p -> p.callback.failed(fenced));
      throw fenced;
    }
    // Callbacks after the step, outside the group's lock: they may call back into Sluice.
    reports.forEach(Runnable::run);
  }

  /** Runs {@code write} with the checkpoints of each consumer from {@code i} on, all or none. */
  private boolean commitAs(
      List<Map.Entry<MemoryConsumer, Map<Shard, Position>>> all, int i, Runnable write) {
    if (i == all.size()) {
      synchronized (this) {
        if (!broker.holds(transactionalId, epoch)) {
          return false;
        }
      }
      write.run();
      return true;
    }
    Map.Entry<MemoryConsumer, Map<Shard, Position>> e = all.get(i);
    MemoryGroup group = e.getKey().group();
    boolean[] done = {false};
    boolean owner =
        group != null
            && group.commitIfOwner(
                e.getKey(), e.getValue(), () -> done[0] = commitAs(all, i + 1, write));
    return owner && done[0];
  }

  private void append(List<Pending> records, List<Runnable> reports) {
    for (Pending p : records) {
      long[] stored = new long[2];
      try {
        MemoryShard shard =
            p.stream.append(
                p.record.key(),
                p.record.shard(),
                p.record.value(),
                p.record.headers(),
                p.record.timestampMillis(),
                stored,
                // A transaction's records are written once, at commit: nothing to deduplicate.
                null);
        reports.add(() -> p.callback.sent(shard.shard, Position.of(stored[0]), stored[1]));
      } catch (RuntimeException e) {
        reports.add(() -> p.callback.failed(e));
      }
    }
  }

  @Override
  public void abort() {
    List<Pending> dropped;
    synchronized (this) {
      dropped = new ArrayList<>(pending);
      pending.clear();
      checkpoints.clear();
      open = false;
    }
    SluiceException aborted =
        new SluiceException(
            ErrorCode.FAILED_PRECONDITION,
            "The transaction was aborted; the record was not written");
    dropped.forEach(p -> p.callback.failed(aborted));
  }

  @Override
  public Shard shardFor(String stream, byte[] key) {
    return broker.stream(stream).route(key).shard;
  }

  @Override
  public <T> T unwrap(Class<T> type) {
    throw Unwrap.unsupported(type, "A memory transactional producer", "none: it runs in this JVM");
  }

  @Override
  public void close(Duration timeout) {
    abort();
    synchronized (this) {
      closed = true;
    }
  }

  private void checkUsable() {
    if (closed) {
      throw new SluiceException(ErrorCode.CLOSED, "The transactional producer is closed");
    }
    if (!broker.holds(transactionalId, epoch)) {
      throw new SluiceException(
          ErrorCode.FENCED,
          "Another producer took over transactional id '"
              + transactionalId
              + "'; this one may not commit");
    }
  }
}
