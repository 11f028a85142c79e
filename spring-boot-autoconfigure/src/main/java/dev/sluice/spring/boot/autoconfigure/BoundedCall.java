package dev.sluice.spring.boot.autoconfigure;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * A blocking call to the broker, waited for at most a given time. The call runs on a daemon thread
 * of its own; a call still running when the next one is asked for is waited for again rather than
 * started twice, so a broker that never answers costs one thread, not one per health check.
 *
 * @param <T> what the call returns
 */
final class BoundedCall<T> {
  private final String name;
  private @Nullable CompletableFuture<T> inFlight; // guarded by this

  BoundedCall(String name) {
    this.name = name;
  }

  /**
   * Runs {@code call} (or joins the one still running) and waits for it.
   *
   * @param call the blocking call
   * @param timeout how long to wait at most
   * @return its result
   * @throws TimeoutException if it has not returned within {@code timeout}
   * @throws ExecutionException if it failed
   * @throws InterruptedException if interrupted while waiting
   */
  T get(Supplier<T> call, Duration timeout)
      throws TimeoutException, ExecutionException, InterruptedException {
    CompletableFuture<T> future;
    synchronized (this) {
      if (inFlight == null || inFlight.isDone()) {
        inFlight = start(call);
      }
      future = inFlight;
    }
    return future.get(Math.max(0, timeout.toNanos()), TimeUnit.NANOSECONDS);
  }

  private CompletableFuture<T> start(Supplier<T> call) {
    CompletableFuture<T> result = new CompletableFuture<>();
    Thread thread =
        new Thread(
            () -> {
              try {
                result.complete(call.get());
              } catch (Throwable t) {
                result.completeExceptionally(t);
              }
            },
            name);
    thread.setDaemon(true); // a broker that never answers must not keep the JVM alive
    thread.start();
    return result;
  }
}
