package dev.sluice.testkit;

import dev.sluice.Capabilities;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;

/**
 * The conformance kit: what every Sluice backend must do, tested through the portable API only. A
 * backend's test extends this class and says how to open Sluice for it:
 *
 * <pre>{@code
 * class MemoryConformanceTest extends SluiceConformanceTest {
 *   @Override
 *   protected ConformanceHarness harness() {
 *     return () -> Sluice.builder().ignoreEnvironment().backend("memory");
 *   }
 * }
 * }</pre>
 *
 * <p>Each test creates its own streams (with names from the harness) and deletes them afterwards. A
 * test is skipped only when the backend declares, through {@link Capabilities}, that it cannot do
 * what the test needs; the skip message says which capability. Every wait is bounded by the
 * harness's {@link ConformanceHarness#deliveryTimeout()}.
 *
 * <h2>Areas</h2>
 *
 * <p>The tests live in areas, one file each in this package: an abstract class that extends {@code
 * ConformanceArea} (which opens a Sluice for each test, cleans up after it and holds the helpers
 * every area shares: {@code stream(shards)}, {@code strings(stream)}, {@code consumerOf(stream)},
 * {@code collect(...)}, {@code await(send)}, {@code thrown(call)}, {@code keyed(...)}, ...). This
 * class only assembles them: each area is a nested class below, which is how JUnit runs it against
 * the backend of the subclass and names it in the report. To add an area:
 *
 * <ol>
 *   <li>write {@code abstract class FooTests extends ConformanceArea} with its {@code @Test}s
 *       (helpers only it uses stay in it; one another area needs too goes to {@code
 *       ConformanceArea});
 *   <li>add one nested class here, whose display name heads the area in the report:
 *       <pre>{@code
 * @Nested
 * @DisplayName("Foo")
 * class Foo extends FooTests {}
 * }</pre>
 * </ol>
 *
 * <p>Nothing else changes: every backend's test runs the new area at once.
 *
 * <h2>Running part of the kit</h2>
 *
 * <p>A backend's test runs the whole kit unless it is annotated with {@link KitAreas}, which names
 * the areas (and single tests, {@code Area.method}) it runs by default and the tests that cannot
 * pass on it. That is for a second run against the same backend in another mode, where only what
 * the mode changes is worth the time; the backend's main conformance test runs everything. For one
 * run, {@code -Dsluice.kit.area=Seeks,Groups.shareAndTakeOver} runs only what it names, in every
 * backend's test, and {@code -Dsluice.kit.area=all} runs the whole kit everywhere.
 */
public abstract class SluiceConformanceTest {
  /**
   * The backend under test. Called before each test; the harness is closed after it.
   *
   * @return the harness of the backend under test
   */
  protected abstract ConformanceHarness harness();

  @Nested
  @DisplayName("A record sent and received")
  class RoundTrip extends RoundTripTests {}

  @Nested
  @DisplayName("Tombstones and compaction")
  class Tombstones extends TombstoneTests {}

  @Nested
  @DisplayName("Bad input")
  class BadInput extends BadInputTests {}

  @Nested
  @DisplayName("A stream that does not exist")
  class MissingStreams extends MissingStreamTests {}

  @Nested
  @DisplayName("Stream administration")
  class Administration extends AdministrationTests {}

  @Nested
  @DisplayName("Routing")
  class Routing extends RoutingTests {}

  @Nested
  @DisplayName("Ordering")
  class Ordering extends OrderingTests {}

  @Nested
  @DisplayName("Sending with a callback")
  class CallbackSends extends CallbackSendTests {}

  @Nested
  @DisplayName("Flushing and closing")
  class Closing extends ClosingTests {}

  @Nested
  @DisplayName("Positions")
  class Positions extends PositionTests {}

  @Nested
  @DisplayName("Start positions")
  class StartPositions extends StartPositionTests {}

  @Nested
  @DisplayName("A standalone consumer")
  class Standalone extends StandaloneConsumerTests {}

  @Nested
  @DisplayName("Consumer groups")
  class Groups extends GroupTests {}

  @Nested
  @DisplayName("Moving a running consumer (seek)")
  class Seeks extends SeekTests {}

  @Nested
  @DisplayName("Record handlers")
  class Handlers extends HandlerTests {}

  @Nested
  @DisplayName("Group administration")
  class GroupAdministration extends GroupAdminTests {}

  @Nested
  @DisplayName("Handler failures")
  class Failures extends HandlerFailureTests {}

  @Nested
  @DisplayName("Concurrency: per key, unordered, completed-prefix checkpoints")
  class Concurrency extends ConcurrencyTests {}

  @Nested
  @DisplayName("Concurrency: failure policy, dead letters, pause and metrics per key and unordered")
  class ConcurrencyPolicies extends ConcurrencyPolicyTests {}

  @Nested
  @DisplayName("Metrics")
  class Metrics extends MetricsTests {}

  @Nested
  @DisplayName("Tracing")
  class Tracing extends TracingTests {}

  @Nested
  @DisplayName("Resharding")
  class Resharding extends ReshardingTests {}

  @Nested
  @DisplayName("Transactions")
  class Transactions extends TransactionTests {}

  @Nested
  @DisplayName("Processors (consume, transform, produce)")
  class Processors extends ProcessorTests {}

  @Nested
  @DisplayName("Deduplication")
  class Deduplication extends DeduplicationTests {}

  @Nested
  @DisplayName("Configuration and capabilities")
  class Configuration extends ConfigurationTests {}
}
