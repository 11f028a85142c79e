package dev.sluice.examples.boot;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.StandardEnvironment;

/**
 * The billing service as its users see it, on the backend {@link #backendProperties()} names: the
 * same service, only properties changed. It is started the way a deployment starts it, with its
 * settings on the command line ({@code --sluice.backend=kafka ...}).
 */
abstract class BillingServiceContract {

  /** The properties that choose the backend and say where its broker is. */
  abstract Map<String, String> backendProperties();

  /** The backend's name, as the health indicator reports it. */
  abstract String backendName();

  ConfigurableApplicationContext start(int demoOrders) {
    List<String> args = new ArrayList<>();
    backendProperties().forEach((key, value) -> args.add("--" + key + "=" + value));
    args.add("--billing.demo-orders=" + demoOrders);
    args.add("--billing.exit-when-done=false");
    // The build's own system properties (the failsafe plugin's -Dsluice.it.kinesis) are not the
    // service's settings; Sluice would refuse that key.
    StandardEnvironment environment = new StandardEnvironment();
    environment
        .getPropertySources()
        .remove(StandardEnvironment.SYSTEM_PROPERTIES_PROPERTY_SOURCE_NAME);
    return new SpringApplicationBuilder(BillingService.class)
        .environment(environment)
        .run(args.toArray(String[]::new));
  }

  @Test
  @DisplayName(
      "bills each demo order once, in order per customer; health UP; a restart bills none again")
  void billsOrdersOnceAcrossARestart() throws Exception {
    try (ConfigurableApplicationContext service = start(6)) {
      // The demo runner has returned: it waited for the six orders to be billed.
      Ledger ledger = service.getBean(Ledger.class);
      assertThat(ledger.billed())
          .containsExactlyInAnyOrder(
              "customer-1/order-1",
              "customer-2/order-2",
              "customer-0/order-3",
              "customer-1/order-4",
              "customer-2/order-5",
              "customer-0/order-6");
      // One customer's orders keep their order (same key, same shard).
      assertThat(ledger.billed()).containsSubsequence("customer-1/order-1", "customer-1/order-4");
      assertThat(ledger.totals())
          .isEqualTo(Map.of("customer-0", 900L, "customer-1", 500L, "customer-2", 700L));

      Health health = service.getBean("sluiceHealthIndicator", HealthIndicator.class).health(true);
      assertThat(health.getStatus()).as("health %s", health.getDetails()).isEqualTo(Status.UP);
      assertThat(health.getDetails())
          .containsEntry("backend", backendName())
          .containsEntry("broker", "reachable");
    } // a clean stop: the billing listener drains and writes its checkpoints

    try (ConfigurableApplicationContext restarted = start(0)) {
      OrderDesk desk = restarted.getBean(OrderDesk.class);
      desk.take("customer-1", new Order("order-7", 700));
      Ledger ledger = restarted.getBean(Ledger.class);
      assertThat(ledger.awaitBilled(1, Duration.ofSeconds(120))).isTrue();
      // An order billed again would come before order-7 in its shard.
      assertThat(ledger.billed()).containsExactly("customer-1/order-7");
    }
  }
}
