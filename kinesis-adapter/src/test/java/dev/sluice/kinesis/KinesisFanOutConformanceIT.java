package dev.sluice.kinesis;

import dev.sluice.Sluice;
import dev.sluice.kinesis.KinesisOptions.ConsumerType;
import dev.sluice.testbrokers.DynamoDbEmulator;
import dev.sluice.testbrokers.KinesisEmulator;
import dev.sluice.testbrokers.KinesisEmulatorExtension;
import dev.sluice.testkit.ConformanceHarness;
import dev.sluice.testkit.SluiceConformanceTest;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The conformance kit on the Kinesis emulator with {@code consumer.type=fanout}: the kit's group
 * consumers read through the KCL's enhanced fan-out, its consumers without a group through Sluice's
 * own {@code SubscribeToShard} reader. Same emulators as {@link KinesisConformanceIT} (started once
 * per test run).
 *
 * <p>Only the areas that read run ({@link #AREAS}): round trips, ordering, positions and start
 * positions, standalone consumers, groups, handlers and their failures, resharding, closing and the
 * processors' checkpoints; the rest (bad input, administration, routing, sending, metrics,
 * configuration, transactions, ...) never touches a consumer's reading, so a second run would prove
 * nothing new on a reader and would add minutes to the module. {@code -Dsluice.it.fanout.all=true}
 * runs every area.
 */
@ExtendWith({KinesisEmulatorExtension.class, KinesisFanOutConformanceIT.ReadingAreas.class})
@DisplayName(
    "kinesis backend conformance, enhanced fan-out (KCL groups, SubscribeToShard standalone)")
class KinesisFanOutConformanceIT extends SluiceConformanceTest {
  /** The kit's areas (nested class names) that exercise reading. */
  static final Set<String> AREAS =
      Set.of(
          "RoundTrip",
          "Ordering",
          "Positions",
          "StartPositions",
          "Standalone",
          "Groups",
          "Handlers",
          "Failures",
          "Resharding",
          "Closing");

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
                KinesisTestBrokers.options(kinesis, dynamo)
                    .consumerType(ConsumerType.FANOUT)
                    .build()
                    .toMap());
      }

      @Override
      public Duration deliveryTimeout() {
        return Duration.ofSeconds(30);
      }

      @Override
      public Duration quietPeriod() {
        // The emulator pushes an event a second: watch for more than one.
        return Duration.ofMillis(2_500);
      }
    };
  }

  /** Runs only the {@link #AREAS} of the kit. */
  static final class ReadingAreas implements ExecutionCondition {
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
      Class<?> area = context.getTestClass().orElse(null);
      if (area == null
          || Boolean.getBoolean("sluice.it.fanout.all")
          || area.getEnclosingClass() != SluiceConformanceTest.class
          || AREAS.contains(area.getSimpleName())) {
        return ConditionEvaluationResult.enabled("reads");
      }
      return ConditionEvaluationResult.disabled(
          "does not read: runs once, in KinesisConformanceIT");
    }
  }
}
