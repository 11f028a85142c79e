package dev.sluice.spring.boot.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Serde;
import dev.sluice.StreamSpec;
import dev.sluice.spring.boot.NewStream;
import dev.sluice.spring.boot.SluiceListener;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * A Boot service whose only work is its listeners (no web server) must stay up while they run: the
 * consumers' threads are daemon threads, so without a thread that is not, the JVM would end as soon
 * as {@code main} returns, closing the listeners before they handled anything.
 */
@DisplayName("A service with listeners and nothing else")
class KeepAliveTest {
  private final String namespace = "boot-keepalive-" + UUID.randomUUID();

  private static Set<Thread> nonDaemonThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(thread -> !thread.isDaemon() && thread.isAlive())
        .collect(Collectors.toSet());
  }

  @Test
  @DisplayName("keeps the JVM alive while its listeners run, and lets it end once they are closed")
  void keepsTheJvmAliveWhileListenersRun() {
    Set<Thread> before = nonDaemonThreads();
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(SluiceAutoConfiguration.class))
        .withPropertyValues("sluice.backend=memory", "sluice.memory.namespace=" + namespace)
        .withBean(NewStream.class, () -> NewStream.of("orders", StreamSpec.withShards(1)))
        .withBean(
            "billing",
            SluiceListener.class,
            () -> SluiceListener.on("orders", Serde.string(), Serde.string()).handler(r -> {}))
        .run(
            context -> {
              Set<Thread> running = nonDaemonThreads();
              running.removeAll(before);
              assertThat(running).as("non-daemon threads started with the listeners").isNotEmpty();
            });
    Set<Thread> after = nonDaemonThreads();
    after.removeAll(before);
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (!after.isEmpty() && System.nanoTime() < deadline) {
      after.removeIf(thread -> !thread.isAlive()); // ending threads, with a deadline
      Thread.onSpinWait();
    }
    assertThat(after).as("non-daemon threads left after the context closed").isEmpty();
  }

  @Test
  @DisplayName("without listeners, adds no thread that would keep the JVM alive")
  void noListenersNoKeepAlive() {
    Set<Thread> before = nonDaemonThreads();
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(SluiceAutoConfiguration.class))
        .withPropertyValues("sluice.backend=memory", "sluice.memory.namespace=" + namespace)
        .run(
            context -> {
              Set<Thread> running = nonDaemonThreads();
              running.removeAll(before);
              assertThat(running).isEmpty();
            });
  }
}
