package dev.sluice.testkit;

import dev.sluice.Record;
import dev.sluice.SluiceException;
import java.util.List;

/**
 * AssertJ entry points for Sluice values, for applications' own tests as much as for the kit:
 *
 * <pre>{@code
 * import static dev.sluice.testkit.SluiceAssertions.assertThat;
 *
 * assertThat(collector.awaitCount(3, timeout))
 *     .hasSize(3)
 *     .hasKeysInOrder("a", "a", "b")
 *     .isOrderedPerKey(Comparator.naturalOrder());
 * }</pre>
 *
 * <p>For everything else, use {@link org.assertj.core.api.Assertions} as usual.
 */
public final class SluiceAssertions {
  private SluiceAssertions() {}

  /**
   * Assertions on records, in the order they were received.
   *
   * @param records the records received
   * @param <K> the key type
   * @param <V> the value type
   * @return the assertions, to chain
   */
  public static <K, V> RecordsAssert<K, V> assertThat(List<Record<K, V>> records) {
    return new RecordsAssert<>(records);
  }

  /**
   * Assertions on a Sluice error: its code, whether it is retryable, its message.
   *
   * @param error the error caught
   * @return the assertions, to chain
   */
  public static SluiceExceptionAssert assertThat(SluiceException error) {
    return new SluiceExceptionAssert(error);
  }
}
