package dev.sluice.testkit;

import static dev.sluice.testkit.SluiceAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Consumer;
import dev.sluice.ErrorCode;
import dev.sluice.Producer;
import dev.sluice.SluiceException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Every operation on a stream that does not exist (or no longer does) fails with NOT_FOUND. */
abstract class MissingStreamTests extends ConformanceArea {
  @Test
  @DisplayName("is not listed and does not exist")
  void doesNotExist() {
    String missing = harnessNow().missingStreamName();

    assertThat(sluice().admin().exists(missing)).isFalse();
    assertThat(sluice().admin().listStreams()).doesNotContain(missing);
  }

  @Test
  @DisplayName("cannot be described: NOT_FOUND")
  void describe() {
    String missing = harnessNow().missingStreamName();

    assertThat(thrown(() -> sluice().admin().describeStream(missing))).hasCode(ErrorCode.NOT_FOUND);
  }

  @Test
  @DisplayName("cannot be deleted: NOT_FOUND")
  void delete() {
    String missing = harnessNow().missingStreamName();

    assertThat(thrown(() -> sluice().admin().deleteStream(missing))).hasCode(ErrorCode.NOT_FOUND);
  }

  @Test
  @DisplayName("cannot be resharded: NOT_FOUND")
  void reshard() {
    String missing = harnessNow().missingStreamName();

    assertThat(thrown(() -> sluice().admin().setShardCount(missing, 2)))
        .hasCode(ErrorCode.NOT_FOUND);
  }

  @Test
  @DisplayName("cannot have its retention changed: NOT_FOUND")
  void setRetention() {
    String missing = harnessNow().missingStreamName();

    assertThat(
            thrown(
                () ->
                    sluice().admin().setRetention(missing, allowedRetention(Duration.ofHours(48)))))
        .hasCode(ErrorCode.NOT_FOUND);
    assertThat(sluice().admin().exists(missing)).isFalse();
  }

  @Test
  @DisplayName("gets a producer, but its sends fail with NOT_FOUND and shardFor throws NOT_FOUND")
  void send() {
    String missing = harnessNow().missingStreamName();
    Producer<String, String> producer = strings(missing);

    assertThat(failureOf(producer.send("k", "v"))).hasCode(ErrorCode.NOT_FOUND);
    assertThat(thrown(() -> producer.shardFor("k"))).hasCode(ErrorCode.NOT_FOUND);
    assertThat(sluice().admin().exists(missing)).as("sending does not create the stream").isFalse();
  }

  @Test
  @DisplayName(
      "a send to a stream deleted after the producer was created fails NOT_FOUND within 15"
          + " seconds, and so does the next one")
  void sendAfterDelete() {
    String stream = stream(2);
    Producer<String, String> producer = strings(stream);
    await(producer.send("k", "before")); // the producer has found the stream
    sluice().admin().deleteStream(stream);
    Duration limit = Duration.ofSeconds(15);

    long start = System.nanoTime();
    SluiceException pending = failureWithin(limit, () -> producer.send("k", "after"));
    Duration first = Duration.ofNanos(System.nanoTime() - start);
    start = System.nanoTime();
    SluiceException next = failureWithin(limit, () -> producer.send("k", "after again"));
    Duration second = Duration.ofNanos(System.nanoTime() - start);

    assertThat(pending).hasCode(ErrorCode.NOT_FOUND);
    assertThat(first).as("time to fail the first send after the delete").isLessThan(limit);
    assertThat(next).hasCode(ErrorCode.NOT_FOUND);
    assertThat(second)
        .as("a send to a stream known to be deleted fails without waiting")
        .isLessThan(Duration.ofSeconds(5));
  }

  @Test
  @DisplayName("fails a standalone consumer with NOT_FOUND, at start or through termination()")
  void standaloneConsumer() {
    String missing = harnessNow().missingStreamName();

    assertThat(consumerFailure(() -> consumerOf(missing).start(r -> {})))
        .hasCode(ErrorCode.NOT_FOUND);
  }

  @Test
  @DisplayName("fails a group consumer with NOT_FOUND, at start or through termination()")
  void groupConsumer() {
    String missing = harnessNow().missingStreamName();

    assertThat(consumerFailure(() -> consumerOf(missing).group(group()).start(r -> {})))
        .hasCode(ErrorCode.NOT_FOUND);
  }

  /**
   * The error a send fails with, through its future or thrown, within {@code limit}; fails the test
   * if the send succeeds or is still pending then.
   */
  private static SluiceException failureWithin(
      Duration limit, Supplier<CompletableFuture<?>> send) {
    long deadline = System.nanoTime() + limit.toNanos();
    CompletableFuture<?> future;
    try {
      future = send.get();
    } catch (RuntimeException e) {
      return sluiceError(e);
    }
    try {
      Object result = future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      throw new AssertionError("Expected a failure but it succeeded with " + result);
    } catch (ExecutionException e) {
      return sluiceError(e.getCause());
    } catch (TimeoutException e) {
      throw new AssertionError(
          "Expected a failure within " + limit + " but the send is still pending", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("Interrupted", e);
    }
  }

  /**
   * A consumer of a missing stream may fail when it is started or, as the backend finds out,
   * through {@link Consumer#termination()}: the API allows both, the error code is the same.
   */
  private SluiceException consumerFailure(
      java.util.function.Supplier<Consumer<String, String>> start) {
    Consumer<String, String> consumer;
    try {
      consumer = start.get();
    } catch (SluiceException e) {
      return e;
    }
    track(consumer);
    return terminationError(consumer);
  }
}
