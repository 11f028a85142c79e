package dev.sluice.examples;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * A count that threads add to and another thread waits on until it reaches a target, a deadline
 * passes or someone reports a failure. The example apps wait on this, never on a sleep, so they end
 * as soon as their verdict is known.
 */
final class Tally {
  private long count;
  private @Nullable Throwable failure;

  synchronized void add(long n) {
    count += n;
    notifyAll();
  }

  synchronized long get() {
    return count;
  }

  /** Stops the waiting: the count will not reach its target (e.g. a consumer stopped). */
  synchronized void fail(Throwable error) {
    if (failure == null) {
      failure = error;
    }
    notifyAll();
  }

  /** For a consumer's termination: fails the tally if the consumer stopped with an error. */
  void failIf(@Nullable Throwable error) {
    if (error != null) {
      fail(error);
    }
  }

  synchronized @Nullable Throwable failure() {
    return failure;
  }

  /** Waits until the count is at least {@code target}; false on timeout or failure. */
  synchronized boolean awaitAtLeast(long target, Deadline deadline) throws InterruptedException {
    while (count < target && failure == null) {
      long leftNanos = deadline.remainingNanos();
      if (leftNanos <= 0) {
        return false;
      }
      TimeUnit.NANOSECONDS.timedWait(this, leftNanos);
    }
    return count >= target;
  }

  /** A point in time that several waits share, so the whole run keeps to one timeout. */
  record Deadline(long nanos) {
    static Deadline after(Duration timeout) {
      return new Deadline(System.nanoTime() + timeout.toNanos());
    }

    long remainingNanos() {
      return nanos - System.nanoTime();
    }
  }
}
