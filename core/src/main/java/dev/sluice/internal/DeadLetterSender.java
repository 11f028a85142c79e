package dev.sluice.internal;

import dev.sluice.ErrorCode;
import dev.sluice.FailurePolicy;
import dev.sluice.Headers;
import dev.sluice.Producer;
import dev.sluice.Record;
import dev.sluice.Serde;
import dev.sluice.SluiceException;
import java.time.Instant;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * Sends a record the handler gave up on to the failure policy's dead-letter stream, with headers
 * that say where it came from and why it failed, and waits until it is stored.
 *
 * <p>Separate from {@link HandlerInvoker} because it owns a resource with its own life: the
 * producer it opens on first use when the policy names a stream rather than passing a producer,
 * closed with the consumer.
 */
final class DeadLetterSender {
  /** Longest dead-letter send the worker waits for before the send counts as failed. */
  private static final long SEND_TIMEOUT_SECONDS = 30;

  private static final int MAX_ERROR_MESSAGE = 1000;

  private final SluiceRuntime runtime;
  private final FailurePolicy policy;
  private final String sourceStream;
  private @Nullable Producer<byte[], byte[]> ownProducer;

  DeadLetterSender(SluiceRuntime runtime, FailurePolicy policy, String sourceStream) {
    this.runtime = runtime;
    this.policy = policy;
    this.sourceStream = sourceStream;
  }

  /**
   * Sends {@code failed} and returns once it is stored.
   *
   * @throws SluiceException if it was not stored ({@code TIMEOUT} after 30 s, {@code CLOSED} if
   *     interrupted, else the send's error)
   */
  void send(Record<byte[], byte[]> failed, Throwable error, int attempts) {
    Producer<byte[], byte[]> producer = producer();
    String message = String.valueOf(error.getMessage());
    Headers headers =
        failed.headers().toBuilder()
            .add(FailurePolicy.HEADER_SOURCE_STREAM, sourceStream)
            .add(FailurePolicy.HEADER_SOURCE_SHARD, failed.shard().id())
            .add(FailurePolicy.HEADER_SOURCE_POSITION, failed.position().toString())
            .add(FailurePolicy.HEADER_ERROR_CLASS, error.getClass().getName())
            .add(
                FailurePolicy.HEADER_ERROR_MESSAGE,
                message.length() > MAX_ERROR_MESSAGE
                    ? message.substring(0, MAX_ERROR_MESSAGE) + "..."
                    : message)
            .add(FailurePolicy.HEADER_ATTEMPTS, Integer.toString(attempts))
            .build();
    Record.Builder<byte[], byte[]> out =
        Record.builder(failed.key(), failed.value()).headers(headers);
    if (failed.timestampMillis() != Record.NO_TIMESTAMP) {
      out.timestamp(Instant.ofEpochMilli(failed.timestampMillis()));
    }
    try {
      producer.send(out.build()).get(SEND_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SluiceException(ErrorCode.CLOSED, "Interrupted while dead-lettering", e);
    } catch (ExecutionException e) {
      throw SluiceException.from(e);
    } catch (TimeoutException e) {
      throw new SluiceException(ErrorCode.TIMEOUT, "The dead-letter send took over 30 s", e);
    }
  }

  private Producer<byte[], byte[]> producer() {
    Producer<byte[], byte[]> given = policy.deadLetterProducer();
    if (given != null) {
      return given;
    }
    synchronized (this) {
      if (ownProducer == null) {
        ownProducer = runtime.producer(policy.deadLetterStream(), Serde.bytes(), Serde.bytes());
      }
      return ownProducer;
    }
  }

  /** Closes the producer this sender opened, if any; one the policy passed stays open. */
  void close() {
    Producer<byte[], byte[]> own;
    synchronized (this) {
      own = ownProducer;
    }
    if (own != null) {
      own.close();
    }
  }
}
