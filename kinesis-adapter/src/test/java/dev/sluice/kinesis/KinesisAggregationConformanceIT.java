package dev.sluice.kinesis;

import dev.sluice.Sluice;
import dev.sluice.testbrokers.DynamoDbEmulator;
import dev.sluice.testbrokers.KinesisEmulator;
import dev.sluice.testbrokers.KinesisEmulatorExtension;
import dev.sluice.testkit.ConformanceHarness;
import dev.sluice.testkit.SluiceConformanceTest;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The whole conformance kit on the Kinesis emulator with producer aggregation on: every record the
 * kit sends travels in KPL aggregates. It doubles the Kinesis kit's ~5 minutes, so it runs only
 * when asked: {@code -Dsluice.it.aggregation=true -Dit.test=KinesisAggregationConformanceIT};
 * {@code AggregationIT} covers aggregation in every build.
 */
@ExtendWith(KinesisEmulatorExtension.class)
@EnabledIfSystemProperty(named = "sluice.it.aggregation", matches = "true")
@DisplayName("kinesis backend conformance with producer aggregation")
class KinesisAggregationConformanceIT extends SluiceConformanceTest {
  private static KinesisEmulator kinesis;
  private static DynamoDbEmulator dynamo;

  @BeforeAll
  static void brokers(KinesisEmulator emulator, DynamoDbEmulator dynamoDb) {
    kinesis = emulator;
    dynamo = dynamoDb;
  }

  @Override
  protected ConformanceHarness harness() {
    return new ConformanceHarness() {
      @Override
      public Sluice.Builder builder() {
        return Sluice.builder()
            .ignoreEnvironment()
            .properties(
                KinesisTestBrokers.options(kinesis, dynamo).aggregation(true).build().toMap());
      }

      @Override
      public Duration deliveryTimeout() {
        return Duration.ofSeconds(30);
      }

      @Override
      public Duration quietPeriod() {
        return Duration.ofMillis(700);
      }
    };
  }
}
