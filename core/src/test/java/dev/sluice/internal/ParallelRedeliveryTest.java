package dev.sluice.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Headers;
import dev.sluice.Position;
import dev.sluice.Record;
import dev.sluice.Shard;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link RedeliveryTest} for {@link ParallelShardQueue} (concurrency above 1, per key or
 * unordered): a backend delivers a shard again from an earlier position while the consumer keeps
 * owning it, with records of the shard still waiting, in progress, or done out of turn. The records
 * from there on are handled again, a key keeps its order, and the checkpoint never passes a
 * redelivered record not handled yet.
 */
@Timeout(30)
class ParallelRedeliveryTest {
  private static final Shard SHARD = Shard.of(0);

  private final ExecutorService workers = Executors.newFixedThreadPool(8);

  @AfterEach
  void stop() {
    workers.shutdownNow();
  }

  /** Records {@code from..to}; the key of each is {@code key.apply(offset)} (null for none). */
  private static List<Record<byte[], byte[]>> records(
      long from, long to, LongFunction<String> key) {
    List<Record<byte[], byte[]>> out = new ArrayList<>();
    for (long i = from; i <= to; i++) {
      String k = key.apply(i);
      out.add(
          Record.received(
              "s",
              SHARD,
              Position.of(i),
              k == null ? null : k.getBytes(StandardCharsets.UTF_8),
              new byte[] {(byte) i},
              Headers.empty(),
              0L));
    }
    return out;
  }

  private static List<Record<byte[], byte[]>> ownKeys(long from, long to) {
    return records(from, to, i -> "k" + i);
  }

  /** Handles records on {@link #workers}, remembers their offsets and what ran at once. */
  private class Handled implements ShardQueue.Handling, OwnedShard.QueueFactory {
    final List<Long> offsets = new CopyOnWriteArrayList<>();
    final InFlightLimit limit = new InFlightLimit(10_000);
    final boolean byKey;
    final AtomicInteger running = new AtomicInteger();
    final AtomicBoolean overlapped = new AtomicBoolean();

    Handled(boolean byKey) {
      this.byKey = byKey;
    }

    @Override
    public void execute(Runnable worker) {
      workers.execute(worker);
    }

    @Override
    public int maxBufferedRecords() {
      return 10_000;
    }

    @Override
    public boolean halted() {
      return false;
    }

    @Override
    public boolean handle(Record<byte[], byte[]> record, HandlerInvoker.Attempts queue) {
      if (running.incrementAndGet() > 1) {
        overlapped.set(true);
      }
      try {
        work(record.position().offset());
      } finally {
        running.decrementAndGet();
      }
      offsets.add(record.position().offset());
      return true;
    }

    /** What the handler does with a record before it counts as handled. */
    void work(long offset) {}

    @Override
    public boolean othersWaiting() {
      return false;
    }

    @Override
    public void processed(Shard shard, Position position) {}

    @Override
    public HandlerQueue newQueue(
        Shard shard,
        CheckpointTracker checkpoints,
        Backpressure backpressure,
        Runnable onProgress) {
      return new ParallelShardQueue(
          shard, checkpoints, backpressure, onProgress, this, limit, byKey);
    }
  }

  /** A handler that blocks on the first call for {@code offset} until released. */
  private class Blocking extends Handled {
    final long offset;
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    final AtomicBoolean blockedOnce = new AtomicBoolean();

    Blocking(boolean byKey, long offset) {
      super(byKey);
      this.offset = offset;
    }

    @Override
    void work(long at) {
      if (at == offset && blockedOnce.compareAndSet(false, true)) {
        entered.countDown();
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  private static void awaitTrue(java.util.function.BooleanSupplier condition) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("waited 10 s").isLessThan(deadline);
      Thread.sleep(5);
    }
  }

  @ParameterizedTest(name = "by key: {0}")
  @ValueSource(booleans = {true, false})
  @DisplayName(
      "a shard given again from an earlier offset is handled again from there and its new"
          + " positions are checkpointed, even below what was committed")
  void handledAgain(boolean byKey) {
    Handled handled = new Handled(byKey);
    OwnedShard shard = new OwnedShard(SHARD, true, new IdleConsumerDriver(), handled);
    shard.queue.enqueue(ownKeys(0, 9));
    assertThat(shard.awaitFinished(() -> false)).isTrue();
    CheckpointTracker.ToCommit stored = shard.checkpoints.toCommit();
    assertThat(stored.position()).isEqualTo(Position.of(9));
    shard.checkpoints.committed(stored);

    shard.queue.enqueue(ownKeys(5, 6));

    assertThat(shard.awaitFinished(() -> false)).isTrue();
    assertThat(handled.offsets).hasSize(12);
    assertThat(handled.offsets.subList(10, 12)).containsExactlyInAnyOrder(5L, 6L);
    assertThat(shard.checkpoints.toCommit().position()).isEqualTo(Position.of(6));
    assertThat(handled.limit.count()).as("records counted in the consumer's window").isZero();
  }

  @ParameterizedTest(name = "by key: {0}")
  @ValueSource(booleans = {true, false})
  @DisplayName(
      "records waiting from the earlier offset on are dropped, those before it are still handled")
  void waitingRecordsFromThereOnDropped(boolean byKey) {
    Handled handled = new Handled(byKey);
    OwnedShard shard = new OwnedShard(SHARD, true, new IdleConsumerDriver(), handled);
    shard.queue.pauseByApp(); // records wait
    shard.queue.enqueue(records(0, 9, i -> "k" + (i % 3)));
    shard.queue.enqueue(records(6, 7, i -> "k" + (i % 3)));
    shard.queue.resumeByApp();

    assertThat(shard.awaitFinished(() -> false)).isTrue();
    assertThat(handled.offsets).containsExactlyInAnyOrder(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L);
    assertThat(shard.checkpoints.toCommit().position()).isEqualTo(Position.of(7));
    assertThat(handled.limit.count()).isZero();
  }

  @Test
  @DisplayName(
      "unordered: a record in progress past the earlier offset, with later ones done out of turn,"
          + " does not carry the checkpoint past the redelivered records when it finishes")
  void inProgressDoesNotCarryCheckpoint() throws Exception {
    Blocking handled = new Blocking(false, 5);
    OwnedShard shard = new OwnedShard(SHARD, true, new IdleConsumerDriver(), handled);
    shard.queue.enqueue(ownKeys(0, 9));
    assertThat(handled.entered.await(10, TimeUnit.SECONDS)).isTrue();
    awaitTrue(() -> handled.offsets.size() == 9); // all but 5, which is in the handler
    assertThat(shard.checkpoints.toCommit().position()).isEqualTo(Position.of(4));

    // Delivered again from 3 (while paused, so the new records wait): 5..9 of before are no
    // longer the shard's, and 3..6 have to be handled again before any checkpoint past 2.
    shard.queue.pauseByApp();
    shard.queue.enqueue(ownKeys(3, 6));
    handled.release.countDown(); // the old 5 finishes
    assertThat(shard.queue.awaitIdle(System.nanoTime() + TimeUnit.SECONDS.toNanos(10))).isTrue();
    assertThat(handled.offsets).hasSize(10);
    assertThat(shard.checkpoints.toCommit())
        .as("nothing handled since the rewind: no checkpoint at or past 3")
        .isNull();
    shard.queue.resumeByApp();

    assertThat(shard.awaitFinished(() -> false)).isTrue();
    assertThat(handled.offsets.subList(10, 14)).containsExactlyInAnyOrder(3L, 4L, 5L, 6L);
    assertThat(shard.checkpoints.toCommit().position()).isEqualTo(Position.of(6));
    assertThat(handled.limit.count()).isZero();
  }

  @Test
  @DisplayName(
      "by key: a key's record in progress past the earlier offset finishes before the key's"
          + " redelivered records start; its waiting records from there on are not handled")
  void keyOrderAcrossRewind() throws Exception {
    Blocking handled = new Blocking(true, 5);
    OwnedShard shard = new OwnedShard(SHARD, true, new IdleConsumerDriver(), handled);
    shard.queue.enqueue(records(0, 9, i -> "a"));
    assertThat(handled.entered.await(10, TimeUnit.SECONDS)).isTrue();

    shard.queue.enqueue(records(3, 6, i -> "a")); // while 5 is in the handler
    handled.release.countDown();

    assertThat(shard.awaitFinished(() -> false)).isTrue();
    assertThat(handled.offsets).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 3L, 4L, 5L, 6L);
    assertThat(handled.overlapped).as("two records of the key ran at once").isFalse();
    assertThat(shard.checkpoints.toCommit().position()).isEqualTo(Position.of(6));
    assertThat(handled.limit.count()).isZero();
  }
}
