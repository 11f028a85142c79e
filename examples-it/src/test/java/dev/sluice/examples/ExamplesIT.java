package dev.sluice.examples;

import dev.sluice.Sluice;
import dev.sluice.kafka.KafkaOptions;
import dev.sluice.kinesis.KinesisOptions;
import dev.sluice.testbrokers.DynamoDbEmulator;
import dev.sluice.testbrokers.KafkaBroker;
import dev.sluice.testbrokers.KafkaBrokerExtension;
import dev.sluice.testbrokers.KinesisEmulator;
import dev.sluice.testbrokers.KinesisEmulatorExtension;
import java.time.Duration;
import java.util.Map;
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

    @Override
    protected Map<String, String> stageJvmSettings() {
      // A killed member keeps its partitions for its session: 6 s, not Kafka's 45 s.
      return KafkaOptions.builder()
          .bootstrapServers(broker.bootstrapServers())
          .sessionTimeout(Duration.ofSeconds(6))
          .set("consumer.heartbeat.interval.ms", "300")
          .build()
          .asMap();
    }
  }

  @Nested
  @DisplayName("on the Kinesis emulator (KCL groups, dynalite leases)")
  @ExtendWith(KinesisEmulatorExtension.class)
  class OnKinesis extends ExampleAppsContract {
    private final KinesisEmulator kinesis;
    private final DynamoDbEmulator dynamo;

    OnKinesis(KinesisEmulator kinesis, DynamoDbEmulator dynamo) {
      this.kinesis = kinesis;
      this.dynamo = dynamo;
    }

    @Override
    protected Duration timeout() {
      return Duration.ofSeconds(120);
    }

    private KinesisOptions.Builder options() {
      return KinesisOptions.builder()
          .region(kinesis.region())
          .endpoint(kinesis.endpoint())
          .dynamoDbEndpoint(dynamo.endpoint())
          .staticCredentials(kinesis.accessKeyId(), kinesis.secretAccessKey())
          .fastGroupTimingsForTests();
    }

    @Override
    protected Sluice openSluice() {
      return Sluice.builder().ignoreEnvironment().properties(options().build().toMap()).open();
    }

    @Override
    protected Map<String, String> stageJvmSettings() {
      // HTTP/1.1: the emulator's HTTP/2 server was seen to stop serving every client once an
      // HTTP/2 connection broke mid-response, as a killed JVM's do.
      return options().httpProtocol("http1.1").build().toMap();
    }
  }
}
