package dev.sluice.cli;

import dev.sluice.kafka.KafkaOptions;
import dev.sluice.testbrokers.KafkaBroker;
import dev.sluice.testbrokers.KafkaBrokerExtension;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.extension.ExtendWith;

/** The CLI on a real Kafka broker (in-process KRaft). */
@ExtendWith(KafkaBrokerExtension.class)
class KafkaCliIT extends CliEndToEnd {
  private static KafkaBroker broker;

  @Override
  Map<String, String> settings() {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("sluice.backend", "kafka");
    s.putAll(
        KafkaOptions.builder()
            .bootstrapServers(broker.bootstrapServers())
            .sessionTimeout(Duration.ofSeconds(6))
            .build()
            .asMap());
    return s;
  }
}
