package dev.sluice.internal;

import dev.sluice.Position;
import dev.sluice.SendResult;
import java.util.ArrayDeque;
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
 */
final class InputAcknowledgements {
  private final Consumer<Position> checkpoint;
  private final Consumer<Throwable> failed;
  private final ArrayDeque<Input> inputs = new ArrayDeque<>();

  /**
   * @param checkpoint called, under this object's lock so that checkpoints go in order, with the
   *     last input of a run at the front whose outputs are all stored
   * @param failed called with the error of an output that could not be stored
   */
  InputAcknowledgements(Consumer<Position> checkpoint, Consumer<Throwable> failed) {
    this.checkpoint = checkpoint;
    this.failed = failed;
  }

  /**
   * Adds an input with {@code outputs} acknowledgements to wait for; the returned callback takes
   * each of them.
   */
  synchronized Input add(Position position, int outputs) {
    Input p = new Input(position, outputs);
    inputs.add(p);
    return p;
  }

  /** Checkpoints the inputs at the front whose outputs are all stored. */
  private synchronized void completed() {
    Position done = null;
    while (!inputs.isEmpty() && inputs.peek().remaining.get() == 0) {
      done = inputs.poll().position;
    }
    if (done != null) {
      checkpoint.accept(done);
    }
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
