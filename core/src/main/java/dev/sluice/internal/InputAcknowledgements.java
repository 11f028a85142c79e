package dev.sluice.internal;

import dev.sluice.Position;
import dev.sluice.SendResult;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The at-least-once side of a processor: the inputs of one shard whose outputs are on their way, in
 * input order. An input is checkpointed once every output of it, and of every earlier input of its
 * shard, is stored; outputs of different inputs may be stored in any order.
 *
 * <p>Separate from the processor because this ordering rule is all it knows: where a checkpoint
 * goes and what a failed output does are the processor's (its two callbacks).
 *
 * <p><b>No locks.</b> Acknowledgements arrive on the backend's I/O thread (Kafka's producer network
 * thread, which also sends every other output), while the shard's worker adds inputs. With a lock
 * shared by the two, a worker preempted while holding it stopped the I/O thread, and with it every
 * output of the processor, until the worker ran again (99 ms in a profile on a loaded machine). Now
 * the worker only appends to a lock-free queue, and the front is drained by one thread at a time: a
 * thread that finds another draining leaves its work to it ({@link #drains}), so no thread waits.
 */
final class InputAcknowledgements {
  private final Consumer<Position> checkpoint;
  private final Consumer<Throwable> failed;
  private final ConcurrentLinkedQueue<Input> inputs = new ConcurrentLinkedQueue<>();

  /**
   * Drains asked for and not yet done: the thread that moves it from 0 drains, until it has done
   * every drain asked for meanwhile. One drainer at a time keeps the checkpoints in order.
   */
  private final AtomicInteger drains = new AtomicInteger();

  /**
   * @param checkpoint called, by one thread at a time so that checkpoints go in order, with the
   *     last input of a run at the front whose outputs are all stored
   * @param failed called with the error of an output that could not be stored
   */
  InputAcknowledgements(Consumer<Position> checkpoint, Consumer<Throwable> failed) {
    this.checkpoint = checkpoint;
    this.failed = failed;
  }

  /**
   * Adds an input with {@code outputs} acknowledgements to wait for; the returned callback takes
   * each of them. Called by one thread per shard (its worker), in input order.
   */
  Input add(Position position, int outputs) {
    Input p = new Input(position, outputs);
    inputs.add(p);
    return p;
  }

  /** Checkpoints the inputs at the front whose outputs are all stored. */
  private void completed() {
    if (drains.getAndIncrement() != 0) {
      return; // the thread draining now drains again for this one
    }
    int asked = 1;
    do {
      Position done = null;
      Input head;
      while ((head = inputs.peek()) != null && head.remaining.get() == 0) {
        inputs.poll();
        done = head.position;
      }
      if (done != null) {
        checkpoint.accept(done);
      }
      asked = drains.addAndGet(-asked);
    } while (asked != 0);
  }

  /** One input: how many acknowledgements it still waits for. */
  final class Input implements BiConsumer<SendResult, Throwable> {
    private final Position position;
    private final AtomicInteger remaining;

    private Input(Position position, int outputs) {
      this.position = position;
      this.remaining = new AtomicInteger(outputs);
    }

    @Override
    public void accept(@Nullable SendResult result, @Nullable Throwable error) {
      if (error != null) {
        failed.accept(error);
        return;
      }
      if (remaining.decrementAndGet() == 0) {
        completed();
      }
    }
  }
}
