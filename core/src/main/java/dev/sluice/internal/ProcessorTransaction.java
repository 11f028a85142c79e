package dev.sluice.internal;

import dev.sluice.Position;
import dev.sluice.Record;
import dev.sluice.Shard;
import dev.sluice.spi.ConsumerDriver;
import dev.sluice.spi.SendCallback;
import dev.sluice.spi.TransactionDriver;
import dev.sluice.spi.WriteId;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The exactly-once side of one processor generation: an open transaction that takes each input's
 * outputs together with its position, and commits them with the group's checkpoints.
 *
 * <p>Handlers hold the read lock while they send one input's outputs and record its position; a
 * commit takes the write lock, so a commit never splits an input's outputs from its position.
 * Separate from the processor because this lock and the positions it guards belong to the
 * transaction alone; restarting after a failure is the processor's.
 */
final class ProcessorTransaction {
  private static final Logger LOG = LoggerFactory.getLogger(ProcessorTransaction.class);

  private final TransactionDriver driver;
  private final int generation;
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private final Map<Shard, Position> uncommitted = new ConcurrentHashMap<>();

  private ProcessorTransaction(TransactionDriver driver, int generation) {
    this.driver = driver;
    this.generation = generation;
  }

  /** Takes the transactional id over (fencing the last holder) and opens a transaction. */
  static ProcessorTransaction begin(
      SluiceRuntime runtime, String transactionalId, Duration timeout, int generation) {
    TransactionDriver driver = runtime.transactionDriver(transactionalId, timeout);
    try {
      driver.begin();
    } catch (RuntimeException e) {
      driver.close(Duration.ZERO);
      throw runtime.translate(e);
    }
    return new ProcessorTransaction(driver, generation);
  }

  /**
   * Fetches the outputs' metadata (Kafka: the topic check and partitions) ahead of the first send,
   * which would otherwise wait for it; failures are left for the sends to report.
   */
  void prepare(Iterable<String> streams) {
    for (String stream : streams) {
      try {
        driver.shardFor(stream, new byte[0]);
      } catch (RuntimeException e) {
        LOG.debug("Fetching the metadata of {} ahead of the first send failed", stream, e);
      }
    }
  }

  /**
   * Sends one input's outputs into the open transaction and records its position; nothing once
   * {@code dead}. A failed output is reported to {@code callback}.
   */
  void send(
      Record<?, ?> input,
      String writer,
      List<EmittedOutputs.Outgoing> outputs,
      AtomicBoolean dead,
      SendCallback callback,
      @Nullable Tracing tracing) {
    lock.readLock().lock();
    try {
      if (dead.get()) {
        return;
      }
      for (int i = 0; i < outputs.size(); i++) {
        EmittedOutputs.Outgoing o = outputs.get(i);
        WriteId id = new WriteId(writer, input.position(), i);
        if (tracing == null) {
          driver.send(o.stream(), o.record(), id, callback);
        } else {
          // On the handler's thread, inside its process observation: the output continues it.
          Tracing.Send traced = tracing.send(o.stream(), o.record(), callback);
          driver.send(o.stream(), traced.record(), id, traced);
        }
      }
      uncommitted.put(input.shard(), input.position());
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * Commits the open transaction with the positions processed in it as the checkpoints of {@code
   * consumer}'s group, and opens the next; nothing once {@code dead} or if nothing was processed.
   * {@code committed} runs after a commit, {@code failed} with the error of one, both holding the
   * write lock (so no handler sends into a failed transaction before it is known to be dead).
   */
  void commit(
      AtomicBoolean dead,
      ConsumerDriver consumer,
      Runnable committed,
      Consumer<RuntimeException> failed) {
    lock.writeLock().lock();
    try {
      if (dead.get() || uncommitted.isEmpty()) {
        return;
      }
      Map<Shard, Position> positions = new TreeMap<>(uncommitted);
      driver.sendCheckpoints(consumer, positions);
      driver.commit();
      uncommitted.clear();
      committed.run();
      driver.begin();
    } catch (RuntimeException e) {
      failed.accept(e);
    } finally {
      lock.writeLock().unlock();
    }
  }

  /** Whether an input was processed since the last commit (a commit would have work to do). */
  boolean hasUncommitted() {
    return !uncommitted.isEmpty();
  }

  /** Aborts what is open and releases the driver. */
  void abortAndClose() {
    lock.writeLock().lock();
    try {
      try {
        driver.abort();
      } catch (RuntimeException e) {
        LOG.debug("Aborting the transaction of generation {} failed", generation, e);
      }
      driver.close(Duration.ZERO);
    } catch (RuntimeException e) {
      LOG.debug("Closing the transactions of generation {} failed", generation, e);
    } finally {
      lock.writeLock().unlock();
    }
  }
}
