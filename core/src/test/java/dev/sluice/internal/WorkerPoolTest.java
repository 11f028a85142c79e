package dev.sluice.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class WorkerPoolTest {
  private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
  private WorkerPool pool;

  @AfterEach
  void shutDown() throws InterruptedException {
    pool.shutdownNow();
    pool.awaitTermination(5, TimeUnit.SECONDS);
  }

  @Test
  @DisplayName("tasks handed over one after another reuse the idle thread instead of starting more")
  void reusesIdleThreads() throws Exception {
    pool = new WorkerPool(64, DefaultConsumer.threads("test"));
    for (int i = 0; i < 200; i++) {
      CountDownLatch done = new CountDownLatch(1);
      pool.execute(
          () -> {
            threads.add(Thread.currentThread());
            done.countDown();
          });
      assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
      // The task's thread goes back to waiting for the next one: wait until it is not running.
      awaitNothingRunning();
    }
    assertThat(threads).hasSize(1);
    assertThat(pool.getLargestPoolSize()).isEqualTo(1);
  }

  @Test
  @DisplayName("tasks that wait for one another all run at once, up to the maximum, and no further")
  void growsToWhatWaits() throws Exception {
    pool = new WorkerPool(8, DefaultConsumer.threads("test"));
    CountDownLatch allRunning = new CountDownLatch(8);
    CountDownLatch release = new CountDownLatch(1);
    for (int i = 0; i < 12; i++) {
      pool.execute(
          () -> {
            threads.add(Thread.currentThread());
            allRunning.countDown();
            try {
              release.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          });
    }
    // Eight tasks block until released: only possible with eight threads.
    assertThat(allRunning.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(pool.getPoolSize()).isEqualTo(8);
    assertThat(pool.getQueue()).hasSize(4);
    release.countDown();
    pool.shutdown();
    assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    assertThat(threads).hasSize(8);
    assertThat(pool.getLargestPoolSize()).isEqualTo(8);
  }

  @Test
  @DisplayName(
      "a task that waits for the next one, handed over at once after it, is not left waiting")
  void taskWaitingForTheNext() throws Exception {
    pool = new WorkerPool(64, DefaultConsumer.threads("test"));
    for (int i = 0; i < 50; i++) {
      CountDownLatch secondRan = new CountDownLatch(1);
      CountDownLatch firstSawIt = new CountDownLatch(1);
      pool.execute(
          () -> {
            try {
              if (secondRan.await(5, TimeUnit.SECONDS)) {
                firstSawIt.countDown();
              }
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          });
      pool.execute(secondRan::countDown);
      assertThat(firstSawIt.await(10, TimeUnit.SECONDS)).as("round %d", i).isTrue();
    }
  }

  private void awaitNothingRunning() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (pool.getActiveCount() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(1);
    }
  }
}
