package dev.sluice.testkit;

import dev.sluice.Sluice;
import java.time.Duration;
import java.util.Collection;
import java.util.Locale;
import java.util.UUID;

/**
 * What {@link SluiceConformanceTest} needs from a backend: a way to open {@link Sluice} for it,
 * names for streams and groups, and time budgets. Only {@link #builder()} must be written; the rest
 * has defaults that suit a fast local backend.
 *
 * <pre>{@code
 * class KafkaConformanceIT extends SluiceConformanceTest {
 *   @Override
 *   protected ConformanceHarness harness() {
 *     return () -> Sluice.builder().ignoreEnvironment().backend("kafka")
 *         .set("sluice.kafka.bootstrap.servers", bootstrapServers);
 *   }
 * }
 * }</pre>
 *
 * <p>A harness is made for each test ({@link SluiceConformanceTest#harness()} is called before each
 * test) and {@link #close() closed} after it.
 */
@FunctionalInterface
public interface ConformanceHarness extends AutoCloseable {
  /**
   * A builder configured for the backend, not yet opened. Every Sluice it opens must see the same
   * streams and the same stored checkpoints (a test opens several to simulate restarts); the kit
   * adds its own settings (e.g. {@code require(...)}) before opening.
   *
   * @return a new builder for the backend under test
   */
  Sluice.Builder builder();

  /**
   * Opens a fresh Sluice for the backend; by default {@code builder().open()}.
   *
   * @return the opened Sluice, closed by the kit
   */
  default Sluice open() {
    return builder().open();
  }

  /**
   * A stream name that no other test uses, valid on every backend.
   *
   * @return a new name
   */
  default String newStreamName() {
    return "sluice-ct-" + randomSuffix();
  }

  /**
   * The name of a stream that does not exist.
   *
   * @return a name no stream has
   */
  default String missingStreamName() {
    return "sluice-ct-missing-" + randomSuffix();
  }

  /**
   * A consumer group name that no other test uses.
   *
   * @return a new group name
   */
  default String newGroupName() {
    return "sluice-ct-group-" + randomSuffix();
  }

  /**
   * How long to wait for records to arrive at a consumer, a consumer to fail, or a group to settle
   * its assignment. A Kinesis KCL group is slow to take leases: say a minute there.
   *
   * @return the timeout; 10 s by default
   */
  default Duration deliveryTimeout() {
    return Duration.ofSeconds(10);
  }

  /**
   * How long a test watches for something that must not happen (a paused shard delivering, a record
   * before a {@code latest} start arriving). Longer is stricter but slower.
   *
   * @return the period; 300 ms by default
   */
  default Duration quietPeriod() {
    return Duration.ofMillis(300);
  }

  /**
   * Deletes the streams a test created. By default deletes those that still exist and ignores
   * errors, so one failed test does not fail the next.
   *
   * @param sluice a Sluice on the backend
   * @param streams the names of the streams the test created
   */
  default void deleteStreams(Sluice sluice, Collection<String> streams) {
    for (String stream : streams) {
      try {
        if (sluice.admin().exists(stream)) {
          sluice.admin().deleteStream(stream);
        }
      } catch (RuntimeException ignored) {
        // Best effort: the stream may be gone already, or the backend is down.
      }
    }
  }

  /** Releases what the harness holds; called after each test. Nothing by default. */
  @Override
  default void close() {}

  /**
   * A short random suffix for names: lower case letters and digits.
   *
   * @return 12 random characters
   */
  static String randomSuffix() {
    return UUID.randomUUID().toString().replace("-", "").substring(0, 12).toLowerCase(Locale.ROOT);
  }
}
