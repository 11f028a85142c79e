package dev.sluice.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.CheckpointMode;
import dev.sluice.FailurePolicy;
import dev.sluice.Headers;
import dev.sluice.Position;
import dev.sluice.Record;
import dev.sluice.Serde;
import dev.sluice.Shard;
import dev.sluice.ShardListener;
import dev.sluice.StartPosition;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A backend may deliver a shard again from an earlier position while the consumer keeps owning it:
 * Kafka resets an out-of-range offset to the oldest record ({@code auto.offset.reset=earliest})
 * after an unclean leader election truncated the log or the topic was deleted and created again.
 * The consumer goes on, hands the records again, and checkpoints the new positions.
 */
@Timeout(30)
class RedeliveryTest {
  private static final Shard SHARD = Shard.of(0);

  private final ExecutorService workers = Executors.newSingleThreadExecutor();

  @AfterEach
  void stop() {
    workers.shutdownNow();
  }

  private static List<Record<byte[], byte[]>> records(long from, long to) {
    List<Record<byte[], byte[]>> out = new ArrayList<>();
    for (long i = from; i <= to; i++) {
      out.add(
          Record.received(
              "s", SHARD, Position.of(i), null, new byte[] {(byte) i}, Headers.empty(), 0L));
    }
    return out;
  }

  /** Handles records on {@link #workers} and remembers their positions. */
  private class Handled implements ShardQueue.Handling, OwnedShard.QueueFactory {
    final List<Long> offsets = new CopyOnWriteArrayList<>();

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
      offsets.add(record.position().offset());
      return true;
    }

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
      return new ShardQueue(shard, checkpoints, backpressure, onProgress, this);
    }
  }

  @Test
  @DisplayName(
      "a handler consumer given a shard again from an earlier offset handles those records again"
          + " and checkpoints their positions, even below what it had committed")
  void handlerConsumer() {
    Handled handled = new Handled();
    OwnedShard shard = new OwnedShard(SHARD, true, new IdleConsumerDriver(), handled);
    shard.queue.enqueue(records(0, 9));
    assertThat(shard.awaitFinished(() -> false)).isTrue();
    CheckpointTracker.ToCommit stored = shard.checkpoints.toCommit();
    assertThat(stored.position()).isEqualTo(Position.of(9));
    shard.checkpoints.committed(stored);

    // The log was truncated at 5 and two new records written: offsets 5 and 6 come again.
    shard.queue.enqueue(records(5, 6));

    assertThat(shard.awaitFinished(() -> false)).isTrue();
    assertThat(handled.offsets).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 5L, 6L);
    assertThat(shard.checkpoints.toCommit().position()).isEqualTo(Position.of(6));
  }

  @Test
  @DisplayName(
      "records waiting for the handler from the earlier offset on are dropped, those before it are"
          + " still handled")
  void waitingRecordsFromThereOnDropped() throws Exception {
    Handled handled = new Handled();
    OwnedShard shard = new OwnedShard(SHARD, true, new IdleConsumerDriver(), handled);
    shard.queue.pauseByApp(); // records wait in the queue
    shard.queue.enqueue(records(0, 9));
    shard.queue.enqueue(records(6, 7));
    shard.queue.resumeByApp();

    assertThat(shard.awaitFinished(() -> false)).isTrue();
    assertThat(handled.offsets).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L);
    assertThat(shard.checkpoints.toCommit().position()).isEqualTo(Position.of(7));
  }

  @Test
  @DisplayName(
      "records from the earlier offset on, of a chunk the handler is working through, are not"
          + " handed to it")
  void chunkInProgressStopsThere() throws Exception {
    CountDownLatch inFirst = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Handled handled =
        new Handled() {
          @Override
          public boolean handle(Record<byte[], byte[]> record, HandlerInvoker.Attempts queue) {
            if (offsets.isEmpty()) {
              inFirst.countDown();
              try {
                release.await();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            }
            return super.handle(record, queue);
          }
        };
    OwnedShard shard = new OwnedShard(SHARD, true, new IdleConsumerDriver(), handled);
    shard.queue.enqueue(records(0, 9));
    assertThat(inFirst.await(10, TimeUnit.SECONDS)).isTrue();

    shard.queue.enqueue(records(3, 4)); // while record 0 is in the handler
    release.countDown();

    assertThat(shard.awaitFinished(() -> false)).isTrue();
    assertThat(handled.offsets).containsExactly(0L, 1L, 2L, 3L, 4L);
    assertThat(shard.checkpoints.toCommit().position()).isEqualTo(Position.of(4));
  }

  @Test
  @DisplayName(
      "a pull consumer given a shard again from an earlier offset polls those records again; the"
          + " last poll's later records are not booked as processed")
  void pullConsumer() {
    OwnedShard shard = new OwnedShard(SHARD, true, new IdleConsumerDriver(), null);
    PollBuffer buffer =
        new PollBuffer(
            settings(), new IdleConsumerDriver(), s -> shard, (s, p) -> shard.processed(p));
    buffer.add(shard, records(0, 9), () -> {});
    assertThat(buffer.poll(Duration.ZERO, () -> false)).hasSize(10);

    buffer.add(shard, records(3, 4), () -> {});
    List<Record<byte[], byte[]>> again = buffer.poll(Duration.ZERO, () -> false);

    assertThat(again).extracting(r -> r.position().offset()).containsExactly(3L, 4L);
    assertThat(shard.checkpoints.toCommit()).isNull();
    buffer.poll(Duration.ZERO, () -> false);
    assertThat(shard.checkpoints.toCommit().position()).isEqualTo(Position.of(4));
  }

  @Test
  @DisplayName("a confirmation of a commit made before the rewind does not hide the new checkpoint")
  void lateConfirmationAfterRewind() {
    CheckpointTracker t = new CheckpointTracker(SHARD, true);
    t.received(Position.of(9));
    t.processed(Position.of(9));
    CheckpointTracker.ToCommit inFlight = t.toCommit();

    t.rewind(Position.of(5));
    t.received(Position.of(6));
    t.processed(Position.of(6));
    t.committed(inFlight);

    assertThat(t.toCommit().position()).isEqualTo(Position.of(6));
  }

  @Test
  @DisplayName("positions before the rewind stand: a checkpoint marked there is still written")
  void positionsBeforeRewindStand() {
    CheckpointTracker t = new CheckpointTracker(SHARD, false);
    t.received(Position.of(9));
    t.mark(Position.of(3));
    t.rewind(Position.of(5));
    t.received(Position.of(6));
    assertThat(t.toCommit().position()).isEqualTo(Position.of(3));
    assertThat(t.caughtUp()).isFalse(); // 5 and 6 are new: not marked yet
  }

  private static ConsumerSettings<byte[], byte[]> settings() {
    return new ConsumerSettings<>(
        "s",
        "g",
        Serde.bytes(),
        Serde.bytes(),
        StartPosition.earliest(),
        CheckpointMode.AUTO,
        Duration.ofSeconds(1),
        new ShardListener() {},
        FailurePolicy.defaults(),
        10_000,
        500,
        Duration.ofSeconds(30));
  }
}
