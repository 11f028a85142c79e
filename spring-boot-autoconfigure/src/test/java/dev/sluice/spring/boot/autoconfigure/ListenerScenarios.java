package dev.sluice.spring.boot.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.FailurePolicy;
import dev.sluice.Producer;
import dev.sluice.Serde;
import dev.sluice.Sluice;
import dev.sluice.StartPosition;
import dev.sluice.StreamSpec;
import dev.sluice.spring.boot.NewStream;
import dev.sluice.spring.boot.SluiceListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.StandardEnvironment;

/**
 * What a Boot service with {@link SluiceListener} beans observes, on whichever backend {@link
 * #backendProperties()} names: records reach the handler, the health indicator tells the backend,
 * streams and shards, a listener that gave up turns it DOWN, and a clean shutdown leaves the group
 * to resume right after the last record handled.
 */
abstract class ListenerScenarios {

  /** The {@code sluice.*} properties of the backend under test. */
  abstract Map<String, String> backendProperties();

  /** The backend's name, as the health indicator reports it. */
  abstract String backendName();

  /** Whether the backend counts a group's lag in records (Kinesis does not). */
  boolean countsLag() {
    return true;
  }

  /** How long a group may take to receive its first records after the context started. */
  Duration firstRecordTimeout() {
    return Duration.ofSeconds(60);
  }

  private final String stream = "orders-" + UUID.randomUUID();

  ApplicationContextRunner runner() {
    List<String> pairs = new ArrayList<>();
    backendProperties().forEach((key, value) -> pairs.add(key + "=" + value));
    return new ApplicationContextRunner()
        .withConfiguration(
            AutoConfigurations.of(
                SluiceAutoConfiguration.class, SluiceHealthAutoConfiguration.class))
        // Only the test's properties: the build's own system properties (the failsafe plugin's
        // -Dsluice.it.kinesis) are not Sluice settings, and Sluice refuses a key it does not know.
        .withInitializer(
            context ->
                context
                    .getEnvironment()
                    .getPropertySources()
                    .remove(StandardEnvironment.SYSTEM_PROPERTIES_PROPERTY_SOURCE_NAME))
        .withPropertyValues(pairs.toArray(String[]::new));
  }

  /** A Sluice of the test's own, outside any context, for setup and for sending. */
  Sluice plainSluice() {
    return Sluice.builder().ignoreEnvironment().properties(backendProperties()).open();
  }

  void createStream(int shards) {
    try (Sluice sluice = plainSluice()) {
      sluice.admin().createStream(stream, StreamSpec.withShards(shards));
    }
  }

  List<String> send(int from, int to) {
    List<String> sent = new ArrayList<>();
    try (Sluice sluice = plainSluice();
        Producer<String, String> producer =
            sluice.producer(stream, Serde.string(), Serde.string())) {
      for (int i = from; i < to; i++) {
        producer.send("customer-" + (i % 5), "order-" + i).join();
        sent.add("order-" + i);
      }
    }
    return sent;
  }

  Inbox inbox() {
    return new Inbox(firstRecordTimeout());
  }

  /** The records a listener of this test received, and a latch for the next ones. */
  static final class Inbox {
    final List<String> received = new CopyOnWriteArrayList<>();
    final Duration timeout;
    volatile CountDownLatch expected = new CountDownLatch(0);

    Inbox(Duration timeout) {
      this.timeout = timeout;
    }

    void expect(int records) {
      expected = new CountDownLatch(records);
    }

    void await() throws InterruptedException {
      assertThat(expected.await(timeout.toMillis(), TimeUnit.MILLISECONDS))
          .as("records received in time; got %s", received)
          .isTrue();
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class BillingListener {
    @Bean
    SluiceListener<String, String> billing(Inbox inbox, String testStream) {
      return SluiceListener.on(testStream, Serde.string(), Serde.string())
          .configure(consumer -> consumer.startPosition(StartPosition.earliest()))
          .handler(
              record -> {
                inbox.received.add(record.value());
                inbox.expected.countDown();
              });
    }
  }

  @SuppressWarnings("unchecked")
  private static Object billingLag(Health health) {
    return ((Map<String, Map<String, Object>>) health.getDetails().get("listeners"))
        .get("billing")
        .get("lag");
  }

  @Test
  @DisplayName("a NewStream bean is created and a listener bean receives its records; health UP")
  void listenerReceivesAndHealthShowsShards() throws Exception {
    Inbox inbox = inbox();
    inbox.expect(20);
    runner()
        .withBean(NewStream.class, () -> NewStream.of(stream, StreamSpec.withShards(2)))
        .withBean(Inbox.class, () -> inbox)
        .withBean("testStream", String.class, () -> stream)
        .withUserConfiguration(BillingListener.class)
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              List<String> sent = send(0, 20);
              inbox.await();
              assertThat(inbox.received).containsExactlyInAnyOrderElementsOf(sent);

              Health health = context.getBean(SluiceHealthIndicator.class).health(true);
              assertThat(health.getStatus())
                  .as("health %s", health.getDetails())
                  .isEqualTo(Status.UP);
              assertThat(health.getDetails())
                  .containsEntry("backend", backendName())
                  .containsEntry("broker", "reachable")
                  .containsKey("streams");
              assertThat(health.getDetails().get("streams").toString()).contains(stream);
              @SuppressWarnings("unchecked")
              Map<String, Map<String, Object>> listeners =
                  (Map<String, Map<String, Object>>) health.getDetails().get("listeners");
              assertThat(listeners.get("billing"))
                  .containsEntry("stream", stream)
                  .containsEntry("group", "billing")
                  .containsEntry("status", "RUNNING");
              assertThat((List<?>) listeners.get("billing").get("shards")).hasSize(2);
              if (countsLag()) {
                // Every record handled: the group's lag falls to 0 once the checkpoints are in.
                long deadline = System.nanoTime() + firstRecordTimeout().toNanos();
                Object lag = billingLag(health);
                while (!Long.valueOf(0).equals(lag) && System.nanoTime() < deadline) {
                  Thread.sleep(50); // polling an observable state, with a deadline
                  health = context.getBean(SluiceHealthIndicator.class).health(true);
                  lag = billingLag(health);
                }
                assertThat(lag).as("the billing group's lag").isEqualTo(0L);
              }
            });
  }

  /** Bills like {@link BillingListener}, each record taking a moment, so a stop comes mid-way. */
  @Configuration(proxyBeanMethods = false)
  static class SlowBillingListener {
    @Bean
    SluiceListener<String, String> billing(Inbox inbox, String testStream) {
      return SluiceListener.on(testStream, Serde.string(), Serde.string())
          .configure(consumer -> consumer.startPosition(StartPosition.earliest()))
          .handler(
              record -> {
                Thread.sleep(20); // the work a real handler does; the stop lands in the middle
                inbox.received.add(record.value());
                inbox.expected.countDown();
              });
    }
  }

  @Test
  @DisplayName(
      "a clean shutdown mid-stream drains and checkpoints: the next start resumes, none twice")
  void cleanShutdownHandsOverWithoutDuplicates() throws Exception {
    createStream(2);
    List<String> before = send(0, 60);
    Inbox first = inbox();
    first.expect(15);
    runner()
        .withBean(Inbox.class, () -> first)
        .withBean("testStream", String.class, () -> stream)
        .withUserConfiguration(SlowBillingListener.class)
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              first.await();
            }); // the context closes with records still to handle: the listener drains and
    // writes the checkpoints of what it handled
    assertThat(first.received).doesNotHaveDuplicates().isSubsetOf(before);

    List<String> rest = new ArrayList<>(before);
    rest.removeAll(first.received);
    rest.addAll(send(60, 80));
    Inbox second = inbox();
    second.expect(rest.size());
    runner()
        .withBean(Inbox.class, () -> second)
        .withBean("testStream", String.class, () -> stream)
        .withUserConfiguration(SlowBillingListener.class)
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              second.await();
            });
    // A record handled twice would come first in its shard, before the 20 sent last, and count
    // towards the latch in place of one of them.
    assertThat(second.received).containsExactlyInAnyOrderElementsOf(rest);
  }

  @Configuration(proxyBeanMethods = false)
  static class FailingListener {
    @Bean
    SluiceListener<String, String> payments(String testStream) {
      return SluiceListener.on(testStream, Serde.string(), Serde.string())
          .configure(
              consumer ->
                  consumer
                      .startPosition(StartPosition.earliest())
                      .failurePolicy(FailurePolicy.stopOnFailure()))
          .handler(
              record -> {
                throw new IllegalStateException("payment service down");
              });
    }
  }

  @Test
  @DisplayName("a listener that gave up turns health DOWN, naming it and why")
  void failedListenerTurnsHealthDown() throws Exception {
    createStream(1);
    runner()
        .withBean("testStream", String.class, () -> stream)
        .withUserConfiguration(FailingListener.class)
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              SluiceHealthIndicator indicator = context.getBean(SluiceHealthIndicator.class);
              assertThat(indicator.health(true).getStatus()).isEqualTo(Status.UP);
              send(0, 1);
              Health health = indicator.health(true);
              long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
              while (!health.getStatus().equals(Status.DOWN) && System.nanoTime() < deadline) {
                Thread.sleep(50); // polling an observable state, with a deadline
                health = indicator.health(true);
              }
              assertThat(health.getStatus()).isEqualTo(Status.DOWN);
              @SuppressWarnings("unchecked")
              Map<String, Map<String, Object>> listeners =
                  (Map<String, Map<String, Object>>) health.getDetails().get("listeners");
              assertThat(listeners.get("payments")).containsEntry("status", "FAILED");
              assertThat(listeners.get("payments").get("failure").toString())
                  .contains("HANDLER_FAILED");
            });
  }
}
