package dev.sluice.examples;

import dev.sluice.Sluice;
import dev.sluice.testbrokers.KafkaBroker;
import dev.sluice.testbrokers.KafkaBrokerExtension;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every example app against real brokers, unchanged: only the settings of its {@link Sluice} differ
 * from {@link ExamplesTest}.
 */
class ExamplesIT {
  @Nested
  @DisplayName("on a Kafka broker")
  @ExtendWith(KafkaBrokerExtension.class)
  class OnKafka extends ExampleAppsContract {
    private final KafkaBroker broker;

    OnKafka(KafkaBroker broker) {
      this.broker = broker;
    }

    @Override
    protected Sluice openSluice() {
      return Sluice.builder()
          .ignoreEnvironment()
          .backend("kafka")
          .set("sluice.kafka.bootstrap.servers", broker.bootstrapServers())
          .open();
    }
  }
}
