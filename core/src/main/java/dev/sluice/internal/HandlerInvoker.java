package dev.sluice.internal;

import dev.sluice.ErrorCode;
import dev.sluice.FailurePolicy;
import dev.sluice.Record;
import dev.sluice.RecordHandler;
import dev.sluice.SluiceException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls the application's handler on one record under the consumer's {@link FailurePolicy}: retries
 * with backoff, then skips the record, sends it to the dead-letter stream, or stops the consumer
 * with {@code HANDLER_FAILED}. A record counts as done only if the handler returned, the policy
 * skips it, or the dead-letter stream stored it: a dead-letter send that fails stops the consumer
 * and leaves the record unprocessed, so the group's next owner gets it again.
 *
 * <p>Separate from the shard's queue ({@link ShardQueue}), which decides which record comes next
 * and when; this class decides what became of one record, and keeps the handler meters.
 */
final class HandlerInvoker<K, V> {
  /** The consumer's logger: what a consumer logs keeps one logger name, as before the split. */
  private static final Logger LOG = LoggerFactory.getLogger(DefaultConsumer.class);

  /** Where a worker sleeps between attempts and stops its shard; a {@link ShardQueue}. */
  interface Attempts {
    /** Sleeps a retry backoff; false if the shard was closed or the consumer halted meanwhile. */
    boolean sleepBackoff(Duration backoff);

    /** Stops the shard for good: nothing more of it is handled. */
    void close();
  }

  private final String stream;
  private final String clientId;
  private final RecordHandler<K, V> handler;
  private final FailurePolicy policy;
  private final RecordDecoder<K, V> decoder;
  private final DeadLetterSender deadLetters;
  private final SluiceMetrics.@Nullable ConsumerMeters meters;
  private final Consumer<SluiceException> stopConsumer;

  HandlerInvoker(
      ConsumerSettings<K, V> settings,
      String clientId,
      RecordHandler<K, V> handler,
      RecordDecoder<K, V> decoder,
      DeadLetterSender deadLetters,
      SluiceMetrics.@Nullable ConsumerMeters meters,
      Consumer<SluiceException> stopConsumer) {
    this.stream = settings.stream();
    this.policy = settings.failurePolicy();
    this.clientId = clientId;
    this.handler = handler;
    this.decoder = decoder;
    this.deadLetters = deadLetters;
    this.meters = meters;
    this.stopConsumer = stopConsumer;
  }

  /**
   * Runs the handler on {@code raw}; true if the record is done with (handled, skipped or
   * dead-lettered), false if the worker must stop (the consumer stops, or the shard closed during a
   * backoff).
   */
  boolean handle(Record<byte[], byte[]> raw, Attempts shard) {
    Throwable last = null;
    int attempts = 0;
    Record<K, V> typed;
    try {
      typed = decoder.decode(raw);
    } catch (SluiceException e) {
      // Deserializing again gives the same answer: no retries, straight to the policy's outcome.
      return giveUp(raw, e, 1, shard);
    }
    while (attempts < policy.maxAttempts()) {
      attempts++;
      long start = meters == null ? 0 : System.nanoTime();
      try {
        handler.handle(typed);
        if (meters != null) {
          meters.handlerLatency.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        }
        return true;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      } catch (Exception | LinkageError | AssertionError e) {
        last = e;
        if (meters != null) {
          meters.handlerLatency.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
          meters.handlerFailures.increment();
        }
        if (attempts < policy.maxAttempts()) {
          if (meters != null) {
            meters.retries.increment();
          }
          LOG.debug("{}: handler failed on {} (attempt {}), retrying", clientId, raw, attempts, e);
          if (!shard.sleepBackoff(policy.backoffAfter(attempts))) {
            return false;
          }
        }
      }
    }
    return giveUp(raw, last, attempts, shard);
  }

  private boolean giveUp(
      Record<byte[], byte[]> raw, Throwable error, int attempts, Attempts shard) {
    String where =
        "record at shard " + raw.shard() + " position " + raw.position() + " of '" + stream + "'";
    if (policy.outcome() == FailurePolicy.Outcome.SKIP) {
      LOG.error(
          "{}: skipping {} after {} attempt(s): {}",
          clientId,
          where,
          attempts,
          error.toString(),
          error);
      if (meters != null) {
        meters.skipped.increment();
      }
      return true;
    }
    String why = "The handler failed on " + where + " after " + attempts + " attempt(s)";
    Throwable cause = error;
    if (policy.outcome() == FailurePolicy.Outcome.DEAD_LETTER) {
      try {
        deadLetters.send(raw, error, attempts);
        LOG.warn("{}: {}; sent to the dead-letter stream: {}", clientId, why, error.toString());
        if (meters != null) {
          meters.deadLettered.increment();
        }
        return true;
      } catch (RuntimeException e) {
        // Not stored: the record is not done with. Stop rather than skip it.
        why += " and sending it to the dead-letter stream failed (" + e.getMessage() + ")";
        cause = e;
        e.addSuppressed(error);
      }
    }
    SluiceException stop =
        new SluiceException(
            ErrorCode.HANDLER_FAILED, why + "; the consumer stopped: " + error, cause);
    LOG.error("{}: {}", clientId, stop.getMessage(), error);
    shard.close();
    stopConsumer.accept(stop);
    return false;
  }
}
