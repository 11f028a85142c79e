package dev.sluice.internal;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
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
 * grows when more tasks are outstanding than it has threads.
 */
final class WorkerPool extends ThreadPoolExecutor {
  private final int max;

  /**
   * Tasks handed to {@link #execute} and not finished: counted from the hand-over, so that a task
   * that waits for a later one (a handler that blocks until another shard's call runs) always has a
   * thread to run that one.
   */
  private final AtomicInteger outstanding = new AtomicInteger();

  WorkerPool(int max, ThreadFactory threads) {
    super(1, max, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), threads);
    this.max = max;
    allowCoreThreadTimeOut(true);
  }

  @Override
  public void execute(Runnable task) {
    outstanding.incrementAndGet();
    try {
      super.execute(task);
    } catch (RejectedExecutionException e) {
      outstanding.decrementAndGet();
      throw e;
    }
    growIfWaiting();
  }

  @Override
  protected void afterExecute(Runnable r, Throwable t) {
    outstanding.decrementAndGet();
  }

  /**
   * Adds a thread when more tasks are outstanding than there are threads: one of them then has no
   * thread to take it.
   */
  private void growIfWaiting() {
    int core = getCorePoolSize();
    if (core >= max || outstanding.get() <= core) {
      return;
    }
    synchronized (this) {
      core = getCorePoolSize();
      if (core < max && outstanding.get() > core && !isShutdown()) {
        setCorePoolSize(Math.min(max, outstanding.get())); // starts threads for queued tasks
      }
    }
  }
}
