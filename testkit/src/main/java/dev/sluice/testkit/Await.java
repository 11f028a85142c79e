package dev.sluice.testkit;

import java.time.Duration;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Waits for a condition by polling it, bounded by a timeout, so tests never sleep blindly to hide a
 * race. A failed wait throws an {@link AssertionError} that says what was awaited and what was last
 * seen.
 *
 * <pre>{@code
 * Await.until("the consumer owns 4 shards", Duration.ofSeconds(10),
 *     () -> consumer.assignment().size() == 4);
 * }</pre>
 */
public final class Await {
  private static final long POLL_MILLIS = 10;

  private Await() {}

  /**
   * Waits until {@code condition} is true; fails after {@code timeout}.
   *
   * @param description what is awaited, for the failure message
   * @param timeout how long to wait at most
   * @param condition polled until true
   */
  public static void until(String description, Duration timeout, BooleanSupplier condition) {
    until(description, timeout, condition::getAsBoolean, Boolean::booleanValue);
  }

  /**
   * Waits until {@code done} accepts what {@code probe} returns, and returns that value; fails
   * after {@code timeout} showing the last value seen.
   *
   * @param description what is awaited, for the failure message
   * @param timeout how long to wait at most
   * @param probe polled for the current value
   * @param done whether a value is the one awaited
   * @param <T> the value's type
   * @return the first value {@code done} accepted
   */
  public static <T> T until(
      String description, Duration timeout, Supplier<T> probe, Predicate<? super T> done) {
    Objects.requireNonNull(timeout, "timeout");
    long deadline = System.nanoTime() + timeout.toNanos();
    T last;
    while (true) {
      last = probe.get();
      if (done.test(last)) {
        return last;
      }
      if (System.nanoTime() - deadline >= 0) {
        throw new AssertionError(
            "Timed out after "
                + timeout
                + " waiting until "
                + description
                + "; last seen: "
                + last);
      }
      pause();
    }
  }

  /**
   * Checks that {@code condition} stays true for the whole {@code period} (for "nothing else
   * arrives" checks); fails as soon as it turns false.
   *
   * @param description what must hold, for the failure message
   * @param period how long it must hold
   * @param condition polled through the period
   */
  public static void holdsFor(String description, Duration period, BooleanSupplier condition) {
    long deadline = System.nanoTime() + period.toNanos();
    do {
      if (!condition.getAsBoolean()) {
        throw new AssertionError("Expected " + description + " to hold for " + period);
      }
      pause();
    } while (System.nanoTime() - deadline < 0);
    if (!condition.getAsBoolean()) {
      throw new AssertionError("Expected " + description + " to hold for " + period);
    }
  }

  /**
   * Waits until the wall clock is strictly after {@code instant} (to separate timestamps).
   *
   * @param instant the instant the clock must pass
   */
  public static void clockPasses(java.time.Instant instant) {
    until("the clock passes " + instant, Duration.ofSeconds(5), () -> now().isAfter(instant));
  }

  private static java.time.Instant now() {
    return java.time.Instant.now();
  }

  private static void pause() {
    try {
      Thread.sleep(POLL_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("Interrupted while waiting", e);
    }
  }
}
