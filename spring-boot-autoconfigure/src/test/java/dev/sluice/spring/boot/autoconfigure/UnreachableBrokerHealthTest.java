package dev.sluice.spring.boot.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.core.env.StandardEnvironment;

/**
 * The health indicator on a broker address where nothing listens: DOWN, saying why, and within the
 * timeout ({@code management.health.sluice.timeout}, 2 s here), however long the client would go on
 * trying. No broker is needed: a loopback port nobody listens on.
 */
@DisplayName("The sluice health indicator when the broker is unreachable")
class UnreachableBrokerHealthTest {
  /** The timeout set; the check may take it plus this much (thread scheduling, a busy machine). */
  private static final Duration TIMEOUT = Duration.ofSeconds(2);

  private static final Duration SLACK = Duration.ofSeconds(2);

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(
              AutoConfigurations.of(
                  SluiceAutoConfiguration.class, SluiceHealthAutoConfiguration.class))
          .withInitializer(
              context ->
                  context
                      .getEnvironment()
                      .getPropertySources()
                      .remove(StandardEnvironment.SYSTEM_PROPERTIES_PROPERTY_SOURCE_NAME))
          .withPropertyValues("management.health.sluice.timeout=" + TIMEOUT.toMillis() + "ms");

  /** A loopback port that was free a moment ago: nothing listens on it. */
  private static int closedPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  @Test
  @DisplayName("kafka: a bootstrap address with nothing listening turns it DOWN within the timeout")
  void kafkaNothingListening() throws Exception {
    int port = closedPort();
    runner
        .withPropertyValues(
            "sluice.backend=kafka", "sluice.kafka.bootstrap.servers=127.0.0.1:" + port)
        .run(context -> assertDownInTime(context.getBean(SluiceHealthIndicator.class), "kafka"));
  }

  @Test
  @DisplayName("kinesis: an endpoint with nothing listening turns it DOWN within the timeout")
  void kinesisNothingListening() throws Exception {
    int port = closedPort();
    runner
        .withPropertyValues(
            "sluice.backend=kinesis",
            "sluice.kinesis.region=us-east-1",
            "sluice.kinesis.endpoint=http://127.0.0.1:" + port,
            "sluice.kinesis.dynamodb.endpoint=http://127.0.0.1:" + port,
            "sluice.kinesis.credentials=static",
            "sluice.kinesis.access.key.id=test",
            "sluice.kinesis.secret.access.key=test")
        .run(context -> assertDownInTime(context.getBean(SluiceHealthIndicator.class), "kinesis"));
  }

  @Test
  @DisplayName("memory: UP, the broker reachable (it is in the process)")
  void memoryIsUp() {
    runner
        .withPropertyValues("sluice.backend=memory", "sluice.memory.namespace=health-up")
        .run(
            context -> {
              Health health = context.getBean(SluiceHealthIndicator.class).health(true);
              assertThat(health.getStatus()).isEqualTo(Status.UP);
              assertThat(health.getDetails())
                  .containsEntry("backend", "memory")
                  .containsEntry("broker", "reachable")
                  .doesNotContainKey("error");
            });
  }

  private static void assertDownInTime(SluiceHealthIndicator indicator, String backend) {
    // Twice: the second check finds the first one's call still hanging and must not wait longer.
    for (int check = 1; check <= 2; check++) {
      long start = System.nanoTime();
      Health health = indicator.health(true);
      Duration took = Duration.ofNanos(System.nanoTime() - start);
      assertThat(health.getStatus()).as("check %d", check).isEqualTo(Status.DOWN);
      assertThat(health.getDetails())
          .containsEntry("backend", backend)
          .containsEntry("broker", "unreachable")
          .containsKey("error");
      assertThat(took).as("check %d took", check).isLessThanOrEqualTo(TIMEOUT.plus(SLACK));
    }
  }
}
