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
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The whole conformance kit on the Kinesis emulator and the DynamoDB emulator. One configuration
 * covers both consumer modes: the kit's group consumers run on the KCL (leases in the DynamoDB
 * emulator), its consumers without a group read shards directly.
 */
@ExtendWith(KinesisEmulatorExtension.class)
@Order(1) // the longest IT of the module starts first; the others run beside it (see the pom)
@DisplayName("kinesis backend conformance (KCL groups, direct standalone reads)")
class KinesisConformanceIT extends SluiceConformanceTest {
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
        return KinesisTestBrokers.builder(kinesis, dynamo);
      }

      @Override
      public Duration deliveryTimeout() {
        return Duration.ofSeconds(30);
      }

      @Override
      public Duration quietPeriod() {
        // Standalone reads poll every 200 ms: watch for a few polls.
        return Duration.ofMillis(700);
      }
    };
  }
}
