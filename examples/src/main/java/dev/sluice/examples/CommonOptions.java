package dev.sluice.examples;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * The options every example app has.
 *
 * @param stream the stream name to use, or null for the app's name plus a unique suffix
 * @param timeout how long the app waits for its verdict at most
 * @param keep true to keep the streams at the end instead of deleting them
 */
public record CommonOptions(@Nullable String stream, Duration timeout, boolean keep) {
  /** A generated stream name, a 120 s timeout, streams deleted at the end. */
  public static CommonOptions defaults() {
    return new CommonOptions(null, Duration.ofSeconds(120), false);
  }

  /** The same options with another timeout. */
  public CommonOptions withTimeout(Duration newTimeout) {
    return new CommonOptions(stream, newTimeout, keep);
  }
}
