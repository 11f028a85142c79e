package dev.sluice.examples.boot;

import dev.sluice.testbrokers.KafkaBroker;
import dev.sluice.testbrokers.KafkaBrokerExtension;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** The billing service on a real Kafka broker (in-process KRaft, from test-brokers). */
@DisplayName("The billing service on the kafka backend")
@ExtendWith(KafkaBrokerExtension.class)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class KafkaBillingServiceIT extends BillingServiceContract {
  /** The shared broker, set by {@link KafkaBrokerExtension}. */
  KafkaBroker broker;

  @Override
  Map<String, String> backendProperties() {
    return Map.of(
        "sluice.backend", "kafka",
        "sluice.kafka.bootstrap.servers", broker.bootstrapServers(),
        // The restarted service joins the group the first one left: no need to wait long.
        "sluice.kafka.consumer.session.timeout.ms", "6000",
        "sluice.kafka.consumer.heartbeat.interval.ms", "300");
  }

  @Override
  String backendName() {
    return "kafka";
  }
}
