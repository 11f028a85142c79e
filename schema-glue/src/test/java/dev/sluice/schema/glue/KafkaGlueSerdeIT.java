package dev.sluice.schema.glue;

import dev.sluice.Sluice;
import dev.sluice.kafka.KafkaOptions;
import dev.sluice.testbrokers.KafkaBroker;
import dev.sluice.testbrokers.KafkaBrokerExtension;
import org.junit.jupiter.api.extension.ExtendWith;

/** The Glue serdes on a real KRaft Kafka broker: the UUID travels in the value, as on Kinesis. */
@ExtendWith(KafkaBrokerExtension.class)
class KafkaGlueSerdeIT extends GlueSerdeContract {
  static KafkaBroker broker;

  @Override
  Sluice openSluice() {
    return Sluice.builder()
        .ignoreEnvironment()
        .properties(
            KafkaOptions.builder().bootstrapServers(broker.bootstrapServers()).build().asMap())
        .open();
  }
}
