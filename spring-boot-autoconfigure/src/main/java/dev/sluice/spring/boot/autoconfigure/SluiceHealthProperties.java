package dev.sluice.spring.boot.autoconfigure;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/** The {@code management.health.sluice.*} properties of the {@code sluice} health indicator. */
@ConfigurationProperties("management.health.sluice")
public class SluiceHealthProperties {
  /** The timeout when none is set: 5 seconds. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

  /**
   * How long a health check waits for the broker to answer before it reports the broker unreachable
   * (DOWN). The check never takes longer, whatever the broker does.
   */
  private Duration timeout = DEFAULT_TIMEOUT;

  /** Created by Spring. */
  public SluiceHealthProperties() {}

  /**
   * How long a health check waits for the broker.
   *
   * @return the timeout
   */
  public Duration getTimeout() {
    return timeout;
  }

  /**
   * Sets how long a health check waits for the broker.
   *
   * @param timeout the timeout, positive
   */
  public void setTimeout(Duration timeout) {
    if (timeout == null || timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException(
          "management.health.sluice.timeout must be positive, got " + timeout);
    }
    this.timeout = timeout;
  }
}
