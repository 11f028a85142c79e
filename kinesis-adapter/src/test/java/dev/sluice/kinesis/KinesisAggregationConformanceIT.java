package dev.sluice.kinesis;

import dev.sluice.Sluice;
import dev.sluice.testbrokers.DynamoDbEmulator;
import dev.sluice.testbrokers.KinesisEmulator;
import dev.sluice.testbrokers.KinesisEmulatorExtension;
import dev.sluice.testkit.ConformanceHarness;
import dev.sluice.testkit.KitAreas;
import dev.sluice.testkit.SluiceConformanceTest;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The conformance kit on the Kinesis emulator with producer aggregation on: every record the kit
 * sends travels in KPL aggregates (a batch of one record goes as it is, as the KPL does).
 *
 * <p>Every build runs a lean subset of the kit's areas, those where aggregation changes what the
 * producer puts or what a reader must split again: 46 tests in ~80 s (measured at a load average of
 * ~30 on 2 cores) on top of the plain Kinesis kit's ~5-8 minutes (the emulators are the module's
 * shared ones):
 *
 * <ul>
 *   <li><b>A record sent and received</b>: keys, headers, timestamps and values that look like an
 *       envelope or a KPL aggregate (framing lookalikes) come back byte for byte from inside an
 *       aggregate;
 *   <li><b>Ordering</b> and <b>Sending with a callback</b>: many records of a key in one aggregate
 *       and across aggregates stay in send order; each send is settled once;
 *   <li><b>Positions</b>: positions of records inside an aggregate ({@code <sequence>:<sub>}) are
 *       distinct, ordered, and resume a consumer exactly after them;
 *   <li><b>Resharding</b>: aggregates built for a shard that a split or merge closes are sorted out
 *       (confirmed where they landed or re-split), and a group reads every record once, parents
 *       before children;
 *   <li><b>Bad input</b>: a record at exactly the size limit still goes (alone, not aggregated);
 *   <li><b>Deduplication</b>: each record of an aggregate keeps its own write id.
 * </ul>
 *
 * Areas that only consume (groups, handlers, processors, metrics, ...) read aggregated records
 * through the same deaggregation as the areas above, so they are left to the whole run: {@code
 * -Dsluice.kit.area=all} runs every area (~5 minutes more), {@code
 * -Dsluice.kit.area=Resharding,Ordering} the areas named (see {@link KitAreas}).
 */
@ExtendWith(KinesisEmulatorExtension.class)
@KitAreas({
  "RoundTrip",
  "Ordering",
  "CallbackSends",
  "Positions",
  "Resharding",
  "BadInput",
  "Deduplication"
})
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
