package dev.sluice;

import java.time.Duration;
import java.util.List;

/**
 * A {@link Consumer} the application pulls records from, made by {@link ConsumerBuilder#open}.
 *
 * <p>A separate type rather than a mode of {@code Consumer}: a consumer started with a handler has
 * no {@code poll} to call by mistake, so the misuse is a compile error, not a runtime {@code
 * FAILED_PRECONDITION}.
 *
 * <pre>{@code
 * try (PullConsumer<String, String> consumer =
 *     sluice.consumer("orders", Serde.string(), Serde.string()).group("billing").open()) {
 *   while (running) {
 *     for (Record<String, String> record : consumer.poll(Duration.ofMillis(500))) {
 *       bill(record.key(), record.value());
 *     }
 *   }
 * }
 * }</pre>
 *
 * @param <K> key type
 * @param <V> value type
 */
public interface PullConsumer<K, V> extends Consumer<K, V> {
  /**
   * Returns the records that arrived, waiting up to {@code timeout} for at least one (an empty list
   * when none did). With automatic checkpointing, calling {@code poll} again marks the records of
   * the previous call as processed.
   *
   * <p>Not thread-safe with itself: one thread polls. The other methods may be called from any
   * thread.
   *
   * @param timeout how long to wait at most
   * @return the records that arrived, waiting up to {@code timeout} for at least one (an empty list
   *     when none did)
   * @throws SluiceException {@code CLOSED} after close; the error the consumer stopped with (see
   *     {@link #termination()}) once it has stopped on its own
   */
  List<Record<K, V>> poll(Duration timeout);
}
