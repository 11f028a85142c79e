package dev.sluice;

import dev.sluice.internal.Validation;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * What a consumer does when its {@link RecordHandler} throws (or a record cannot be deserialized):
 * retry the record in place with exponential backoff, then give up in one of the ways of {@link
 * Outcome}. While a record is retried, later records of its shard wait, so per-shard order holds.
 *
 * <pre>{@code
 * FailurePolicy.retry(5, Duration.ofMillis(100), Duration.ofSeconds(5)).thenSkip();
 * FailurePolicy.retry(3, Duration.ofMillis(200), Duration.ofSeconds(2)).thenDeadLetter("orders.dlq");
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
    SKIP,
    /**
     * Send the record, with headers that say where it came from and why it failed, to a dead-letter
     * stream; then checkpoint past it and go on. If the dead-letter send fails, the consumer stops
     * as with {@link #STOP}: the record is never lost.
     */
    DEAD_LETTER
  }

  /** Header names on a dead-lettered record. */
  public static final String HEADER_SOURCE_STREAM = "sluice.dlq.source.stream";

  public static final String HEADER_SOURCE_SHARD = "sluice.dlq.source.shard";
  public static final String HEADER_SOURCE_POSITION = "sluice.dlq.source.position";
  public static final String HEADER_ERROR_CLASS = "sluice.dlq.error.class";
  public static final String HEADER_ERROR_MESSAGE = "sluice.dlq.error.message";
  public static final String HEADER_ATTEMPTS = "sluice.dlq.attempts";

  private static final FailurePolicy DEFAULTS =
      new FailurePolicy(3, Duration.ofMillis(100), Duration.ofSeconds(2), Outcome.STOP, null, null);

  private final int maxAttempts;
  private final Duration initialBackoff;
  private final Duration maxBackoff;
  private final Outcome outcome;
  private final @Nullable String deadLetterStream;
  private final @Nullable Producer<byte[], byte[]> deadLetterProducer;

  private FailurePolicy(
      int maxAttempts,
      Duration initialBackoff,
      Duration maxBackoff,
      Outcome outcome,
      @Nullable String deadLetterStream,
      @Nullable Producer<byte[], byte[]> deadLetterProducer) {
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
    this.outcome = Validation.notNull(outcome, "outcome");
    this.deadLetterStream = deadLetterStream;
    this.deadLetterProducer = deadLetterProducer;
  }

  /** Three attempts with 100 ms, 200 ms backoff, then {@link Outcome#STOP}. */
  public static FailurePolicy defaults() {
    return DEFAULTS;
  }

  /** One attempt, then stop. */
  public static FailurePolicy stopOnFailure() {
    return new FailurePolicy(1, Duration.ZERO, Duration.ZERO, Outcome.STOP, null, null);
  }

  /**
   * A policy that makes up to {@code maxAttempts} attempts (the first included), waiting {@code
   * initialBackoff}, doubling up to {@code maxBackoff}, between them; then stops.
   */
  public static FailurePolicy retry(int maxAttempts, Duration initialBackoff, Duration maxBackoff) {
    Validation.notNull(initialBackoff, "initialBackoff");
    Validation.notNull(maxBackoff, "maxBackoff");
    return new FailurePolicy(maxAttempts, initialBackoff, maxBackoff, Outcome.STOP, null, null);
  }

  /** The same retries, then stop the consumer. */
  public FailurePolicy thenStop() {
    return new FailurePolicy(maxAttempts, initialBackoff, maxBackoff, Outcome.STOP, null, null);
  }

  /** The same retries, then skip the record (logged and counted). */
  public FailurePolicy thenSkip() {
    return new FailurePolicy(maxAttempts, initialBackoff, maxBackoff, Outcome.SKIP, null, null);
  }

  /**
   * The same retries, then send the record to {@code stream} on the same backend (the stream must
   * exist). Its key, value and headers are kept; {@code sluice.dlq.*} headers are added.
   */
  public FailurePolicy thenDeadLetter(String stream) {
    Validation.notNull(stream, "stream");
    return new FailurePolicy(
        maxAttempts, initialBackoff, maxBackoff, Outcome.DEAD_LETTER, stream, null);
  }

  /**
   * The same retries, then send the record with this producer, which may write to another backend
   * (the application keeps it open while the consumer runs, and closes it).
   */
  public FailurePolicy thenDeadLetter(Producer<byte[], byte[]> producer) {
    Validation.notNull(producer, "producer");
    return new FailurePolicy(
        maxAttempts, initialBackoff, maxBackoff, Outcome.DEAD_LETTER, null, producer);
  }

  /** For {@link Outcome#DEAD_LETTER} on the same backend: the stream; else null. */
  public @Nullable String deadLetterStream() {
    return deadLetterStream;
  }

  /** For {@link Outcome#DEAD_LETTER} with the application's producer: the producer; else null. */
  public @Nullable Producer<byte[], byte[]> deadLetterProducer() {
    return deadLetterProducer;
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
