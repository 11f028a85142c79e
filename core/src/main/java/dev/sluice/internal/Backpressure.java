package dev.sluice.internal;

import dev.sluice.Shard;
import dev.sluice.spi.ConsumerDriver;

/**
 * Whether the driver should stop fetching one shard because its records are not taken fast enough,
 * and the telling of the driver.
 *
 * <p>Its own class because the handler's queue and the poll buffer both need it, and because the
 * telling is subtle: a driver thread pausing and a worker (or {@code poll}) resuming may get here
 * at once, and calling the driver from both could let a resume overtake the pause it answers and
 * leave the shard paused with nothing queued to resume it (the consumer then hangs). So the owner
 * of the records decides with {@link #want} under its own lock, atomically with the decision, and
 * then, without that lock, calls {@link #tellDriver}: one thread at a time calls the driver, and it
 * re-reads the wish after each call until the driver has been told the latest one.
 *
 * <p>The application's own {@code pause}/{@code resume} go to the driver directly, not through
 * here.
 */
final class Backpressure {
  private final ConsumerDriver driver;
  private final Shard shard;
  private boolean wantPaused;
  private boolean driverPaused;
  private boolean telling;

  Backpressure(ConsumerDriver driver, Shard shard) {
    this.driver = driver;
    this.shard = shard;
  }

  /**
   * Sets whether the driver should be paused; the caller then calls {@link #tellDriver()}. Returns
   * true if this changed the wish.
   */
  synchronized boolean want(boolean paused) {
    boolean changed = wantPaused != paused;
    wantPaused = paused;
    return changed;
  }

  /** Tells the driver the latest wish, unless another thread is doing so (it will re-read it). */
  void tellDriver() {
    synchronized (this) {
      if (telling) {
        return;
      }
      telling = true;
    }
    boolean done = false;
    try {
      while (true) {
        boolean pause;
        synchronized (this) {
          if (wantPaused == driverPaused) {
            telling = false;
            done = true;
            return;
          }
          pause = driverPaused = wantPaused;
        }
        if (pause) {
          driver.pause(shard);
        } else {
          driver.resume(shard);
        }
      }
    } finally {
      if (!done) {
        synchronized (this) {
          telling = false;
        }
      }
    }
  }
}
