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

  /** The shard the record was read from. */
  public static final String HEADER_SOURCE_SHARD = "sluice.dlq.source.shard";

  /** The record's position in its shard,. */
  public static final String HEADER_SOURCE_POSITION = "sluice.dlq.source.position";

  /** The class name of the handler's last failure. */
  public static final String HEADER_ERROR_CLASS = "sluice.dlq.error.class";

  /** The message of the handler's last failure. */
  public static final String HEADER_ERROR_MESSAGE = "sluice.dlq.error.message";

  /** How many times the handler was called on the record. */
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

  /**
   * Three attempts with 100 ms, 200 ms backoff, then {@link Outcome#STOP}.
   *
   * @return the policy
   */
  public static FailurePolicy defaults() {
    return DEFAULTS;
  }

  /**
   * One attempt, then stop.
   *
   * @return one attempt, then stop
   */
  public static FailurePolicy stopOnFailure() {
    return new FailurePolicy(1, Duration.ZERO, Duration.ZERO, Outcome.STOP, null, null);
  }

  /**
   * A policy that makes up to {@code maxAttempts} attempts (the first included), waiting {@code
   * initialBackoff}, doubling up to {@code maxBackoff}, between them; then stops.
   *
   * @param maxAttempts how many times the handler is called on a record, 1 or more
   * @param initialBackoff the wait after the first failure
   * @param maxBackoff the longest wait between attempts
   * @return a policy that makes up to {@code maxAttempts} attempts (the first included), waiting
   *     {@code initialBackoff}, doubling up to {@code maxBackoff}, between them; then stops
   */
  public static FailurePolicy retry(int maxAttempts, Duration initialBackoff, Duration maxBackoff) {
    Validation.notNull(initialBackoff, "initialBackoff");
    Validation.notNull(maxBackoff, "maxBackoff");
    return new FailurePolicy(maxAttempts, initialBackoff, maxBackoff, Outcome.STOP, null, null);
  }

  /**
   * The same retries, then stop the consumer.
   *
   * @return the same retries, then stop the consumer
   */
  public FailurePolicy thenStop() {
    return new FailurePolicy(maxAttempts, initialBackoff, maxBackoff, Outcome.STOP, null, null);
  }

  /**
   * The same retries, then skip the record (logged and counted).
   *
   * @return the same retries, then skip the record (logged and counted)
   */
  public FailurePolicy thenSkip() {
    return new FailurePolicy(maxAttempts, initialBackoff, maxBackoff, Outcome.SKIP, null, null);
  }

  /**
   * The same retries, then send the record to {@code stream} on the same backend (the stream must
   * exist). Its key, value and headers are kept; {@code sluice.dlq.*} headers are added.
   *
   * @param stream the stream's name
   * @return the same retries, then send the record to {@code stream} on the same backend (the
   *     stream must exist)
   */
  public FailurePolicy thenDeadLetter(String stream) {
    Validation.notNull(stream, "stream");
    return new FailurePolicy(
        maxAttempts, initialBackoff, maxBackoff, Outcome.DEAD_LETTER, stream, null);
  }

  /**
   * The same retries, then send the record with this producer, which may write to another backend
   * (the application keeps it open while the consumer runs, and closes it).
   *
   * @param producer the producer that sends dead-lettered records
   * @return the same retries, then send the record with this producer, which may write to another
   *     backend (the application keeps it open while the consumer runs, and closes it)
   */
  public FailurePolicy thenDeadLetter(Producer<byte[], byte[]> producer) {
    Validation.notNull(producer, "producer");
    return new FailurePolicy(
        maxAttempts, initialBackoff, maxBackoff, Outcome.DEAD_LETTER, null, producer);
  }

  /**
   * For {@link Outcome#DEAD_LETTER} on the same backend: the stream; else null.
   *
   * @return the dead-letter stream's name, or null
   */
  public @Nullable String deadLetterStream() {
    return deadLetterStream;
  }

  /**
   * For {@link Outcome#DEAD_LETTER} with the application's producer: the producer; else null.
   *
   * @return the dead-letter producer, or null
   */
  public @Nullable Producer<byte[], byte[]> deadLetterProducer() {
    return deadLetterProducer;
  }

  /**
   * How many times the handler is called on a record before the outcome applies.
   *
   * @return the number of attempts, 1 or more
   */
  public int maxAttempts() {
    return maxAttempts;
  }

  /**
   * The wait before attempt {@code attempt + 1}, after {@code attempt} failures (1-based).
   *
   * @param attempt the number of failures so far (1-based)
   * @return the wait before attempt {@code attempt + 1}, after {@code attempt} failures (1-based)
   */
  public Duration backoffAfter(int attempt) {
    long millis = initialBackoff.toMillis();
    for (int i = 1; i < attempt && millis < maxBackoff.toMillis(); i++) {
      millis *= 2;
    }
    return Duration.ofMillis(Math.min(millis, maxBackoff.toMillis()));
  }

  /**
   * What happens to a record once its attempts are used up.
   *
   * @return the outcome
   */
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
