package dev.sluice.spring.boot;

import dev.sluice.ErrorCode;
import dev.sluice.SluiceException;
import dev.sluice.StreamSpec;
import org.jspecify.annotations.Nullable;

/**
 * A stream the application needs, declared as a bean (like Spring Kafka's {@code NewTopic}): the
 * auto-configuration creates it at start if it does not exist yet, before any {@link
 * SluiceListener} starts. An existing stream is left as it is, whatever its shard count.
 *
 * <pre>{@code
 * @Bean
 * NewStream orders() {
 *   return NewStream.of("orders", StreamSpec.withShards(4));
 * }
 * }</pre>
 *
 * @param name the stream's name
 * @param spec how to create it: shards, retention, cleanup policy
 */
public record NewStream(String name, StreamSpec spec) {

  /**
   * Checks the declaration.
   *
   * @param name the stream's name
   * @param spec how to create it
   */
  public NewStream {
    if (name == null || name.isBlank()) {
      throw new SluiceException(ErrorCode.INVALID_ARGUMENT, "name must not be null or blank");
    }
    if (spec == null) {
      throw new SluiceException(ErrorCode.INVALID_ARGUMENT, "spec must not be null");
    }
  }

  /**
   * Declares a stream.
   *
   * @param name the stream's name
   * @param spec how to create it when missing
   * @return the declaration, to return from a {@code @Bean} method
   */
  public static NewStream of(@Nullable String name, @Nullable StreamSpec spec) {
    return new NewStream(name, spec);
  }
}
