package dev.sluice.reliability;

import dev.sluice.Sluice;
import dev.sluice.testbrokers.KafkaBroker;
import dev.sluice.testbrokers.KafkaBrokerExtension;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A key-mode consumer at concurrency 64 killed with {@code kill -9} mid-stream on Kafka: see {@link
 * ConcurrentKill}. The window here is {@code max(4 × 500, 16 × 64)} = 2,000 records.
 */
@Tag("reliability")
@ExtendWith(KafkaBrokerExtension.class)
@DisplayName("Concurrency 64, key mode, kill -9 on Kafka")
class ConcurrentKillIT {
  private final KafkaBroker broker;

  ConcurrentKillIT(KafkaBroker broker) {
    this.broker = broker;
  }

  @Test
  @DisplayName(
      "a key-mode member killed with kill -9: every record received, per-key order, duplicates"
          + " within the window plus one checkpoint interval")
  void killedMidStream() throws Exception {
    ConcurrentKill run =
        new ConcurrentKill("kafka", KafkaReliabilityIT.settings(broker.bootstrapServers()));
    run.perKey = Scale.times(60);
    try (Sluice sluice =
        Sluice.builder()
            .ignoreEnvironment()
            .backend("kafka")
            .set("sluice.kafka.bootstrap.servers", broker.bootstrapServers())
            .open()) {
      run.run(sluice);
    }
  }
}
