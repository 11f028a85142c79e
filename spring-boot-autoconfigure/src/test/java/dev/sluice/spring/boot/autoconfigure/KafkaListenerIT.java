package dev.sluice.spring.boot.autoconfigure;

import dev.sluice.testbrokers.KafkaBroker;
import dev.sluice.testbrokers.KafkaBrokerExtension;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** The same Boot scenarios on a real Kafka broker (in-process KRaft, from test-brokers). */
@DisplayName("Spring Boot listeners on the kafka backend")
@ExtendWith(KafkaBrokerExtension.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class KafkaListenerIT extends ListenerScenarios {
  /** The shared broker, set by {@link KafkaBrokerExtension}. */
  KafkaBroker broker;

  @Override
  Map<String, String> backendProperties() {
    return Map.of(
        "sluice.backend", "kafka",
        "sluice.kafka.bootstrap.servers", broker.bootstrapServers(),
        // Short timeouts so that a group hands over quickly between the two contexts.
        "sluice.kafka.consumer.session.timeout.ms", "6000",
        "sluice.kafka.consumer.heartbeat.interval.ms", "300");
  }

  @Override
  String backendName() {
    return "kafka";
  }
}
