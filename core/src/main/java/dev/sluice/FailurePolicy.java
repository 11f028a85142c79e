package dev.sluice;

import java.time.Duration;
import java.util.Objects;

/**
 * What a consumer does when its {@link RecordHandler} throws (or a record cannot be deserialized):
 * retry the record in place with exponential backoff, then give up in one of the ways of {@link
 * Outcome}. While a record is retried, later records of its shard wait, so per-shard order holds.
 *
 * <pre>{@code
 * FailurePolicy.retry(5, Duration.ofMillis(100), Duration.ofSeconds(5)).thenSkip();
 * }</pre>
 *
 * <p>The default ({@link #defaults()}) retries 3 times and then stops the consumer with a {@link
 * ErrorCode#HANDLER_FAILED} error: a record is never skipped silently.
 */
public final class FailurePolicy {
  /** What happens after the last attempt failed. */
  public enum Outcome {
    /**
     * Stop the consumer: it gives up its shards without checkpointing the failed record, and {@link
     * Consumer#termination()} completes with a {@code HANDLER_FAILED} error.
     */
    STOP,
    /** Log the failure, count it, checkpoint past the record and go on. */
    SKIP
  }

  private static final FailurePolicy DEFAULTS =
      new FailurePolicy(3, Duration.ofMillis(100), Duration.ofSeconds(2), Outcome.STOP);

  private final int maxAttempts;
  private final Duration initialBackoff;
  private final Duration maxBackoff;
  private final Outcome outcome;

  private FailurePolicy(
      int maxAttempts, Duration initialBackoff, Duration maxBackoff, Outcome outcome) {
    if (maxAttempts < 1) {
      throw new SluiceException(ErrorCode.INVALID_ARGUMENT, "maxAttempts must be at least 1");
    }
    if (initialBackoff.isNegative() || maxBackoff.compareTo(initialBackoff) < 0) {
      throw new SluiceException(
          ErrorCode.INVALID_ARGUMENT, "Backoffs must satisfy 0 <= initial <= max");
    }
    this.maxAttempts = maxAttempts;
    this.initialBackoff = initialBackoff;
    this.maxBackoff = maxBackoff;
    this.outcome = Objects.requireNonNull(outcome);
  }

  /** Three attempts with 100 ms, 200 ms backoff, then {@link Outcome#STOP}. */
  public static FailurePolicy defaults() {
    return DEFAULTS;
  }

  /** One attempt, then stop. */
  public static FailurePolicy stopOnFailure() {
    return new FailurePolicy(1, Duration.ZERO, Duration.ZERO, Outcome.STOP);
  }

  /**
   * A policy that makes up to {@code maxAttempts} attempts (the first included), waiting {@code
   * initialBackoff}, doubling up to {@code maxBackoff}, between them; then stops.
   */
  public static FailurePolicy retry(int maxAttempts, Duration initialBackoff, Duration maxBackoff) {
    return new FailurePolicy(maxAttempts, initialBackoff, maxBackoff, Outcome.STOP);
  }

  /** The same retries, then stop the consumer. */
  public FailurePolicy thenStop() {
    return new FailurePolicy(maxAttempts, initialBackoff, maxBackoff, Outcome.STOP);
  }

  /** The same retries, then skip the record (logged and counted). */
  public FailurePolicy thenSkip() {
    return new FailurePolicy(maxAttempts, initialBackoff, maxBackoff, Outcome.SKIP);
  }

  public int maxAttempts() {
    return maxAttempts;
  }

  /** The wait before attempt {@code attempt + 1}, after {@code attempt} failures (1-based). */
  public Duration backoffAfter(int attempt) {
    long millis = initialBackoff.toMillis();
    for (int i = 1; i < attempt && millis < maxBackoff.toMillis(); i++) {
      millis *= 2;
    }
    return Duration.ofMillis(Math.min(millis, maxBackoff.toMillis()));
  }

  public Outcome outcome() {
    return outcome;
  }

  @Override
  public String toString() {
    return "FailurePolicy{attempts="
        + maxAttempts
        + ", backoff="
        + initialBackoff
        + ".."
        + maxBackoff
        + ", then "
        + outcome
        + "}";
  }
}
