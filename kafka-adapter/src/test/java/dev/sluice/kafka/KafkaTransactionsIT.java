package dev.sluice.kafka;

import dev.sluice.Sluice;
import dev.sluice.testbrokers.KafkaBroker;
import dev.sluice.testbrokers.KafkaBrokerExtension;
import dev.sluice.testkit.ConformanceHarness;
import dev.sluice.testkit.TransactionsConformanceTest;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The Kafka backend passes the transactions area of the conformance kit on the in-process broker.
 */
@ExtendWith(KafkaBrokerExtension.class)
@DisplayName("kafka backend transactions")
class KafkaTransactionsIT extends TransactionsConformanceTest {
  private static KafkaBroker broker;

  @Override
  protected ConformanceHarness harness() {
    String servers = broker.bootstrapServers();
    return () ->
        Sluice.builder()
            .ignoreEnvironment()
            .properties(
                KafkaOptions.builder()
                    .bootstrapServers(servers)
                    .sessionTimeout(Duration.ofSeconds(6))
                    .set("consumer.heartbeat.interval.ms", "300")
                    .set("metadata.max.age.ms", "1000")
                    .build()
                    .asMap());
  }
}
