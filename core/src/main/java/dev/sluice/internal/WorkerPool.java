package dev.sluice.internal;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A consumer's handler threads: at most {@code max}, started only when work waits for a thread, and
 * ended after 30 s idle.
 *
 * <p>A plain {@code ThreadPoolExecutor} of {@code max} core threads starts a new thread for every
 * task until it has {@code max}, even while others sit idle: a consumer of 4 shards that hands over
 * small batches went to 64 threads in its first moments (56 thread starts per processor in a
 * profile of the pipeline benchmark), each first batch paying a thread start instead of a wake-up,
 * and kept them all warm in turn. This pool keeps its core size at the threads actually needed: it
 * grows by one when a task is queued while every thread is busy.
 */
final class WorkerPool extends ThreadPoolExecutor {
  private final int max;

  /** Tasks running now (between beforeExecute and afterExecute). */
  private final AtomicInteger running = new AtomicInteger();

  WorkerPool(int max, ThreadFactory threads) {
    super(1, max, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), threads);
    this.max = max;
    allowCoreThreadTimeOut(true);
  }

  @Override
  public void execute(Runnable task) {
    super.execute(task);
    growIfWaiting();
  }

  @Override
  protected void beforeExecute(Thread t, Runnable r) {
    running.incrementAndGet();
  }

  @Override
  protected void afterExecute(Runnable r, Throwable t) {
    running.decrementAndGet();
    // A task queued while this one ran may have found every thread busy.
    growIfWaiting();
  }

  /**
   * Adds a thread when more tasks are running or queued than there are threads: a queued task then
   * has no idle thread to take it. A task just taken by an idle thread and not yet started counts
   * for neither, so this errs towards not growing; the next task or the next task's end checks
   * again.
   */
  private void growIfWaiting() {
    int core = getCorePoolSize();
    if (core >= max || running.get() + getQueue().size() <= core) {
      return;
    }
    synchronized (this) {
      core = getCorePoolSize();
      if (core < max && running.get() + getQueue().size() > core && !isShutdown()) {
        setCorePoolSize(core + 1); // starts a thread for the queued task
      }
    }
  }
}
