package dev.sluice.testkit;

import static dev.sluice.testkit.SluiceAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Consumer;
import dev.sluice.ErrorCode;
import dev.sluice.FailurePolicy;
import dev.sluice.Ordering;
import dev.sluice.Record;
import dev.sluice.Shard;
import dev.sluice.Sluice;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The failure policy, dead letters, metrics and {@code pause}/{@code resume} under {@code
 * concurrency(n, PER_KEY)} and {@code concurrency(n, UNORDERED)}: the same outcomes as one record
 * at a time per shard, with the checkpoint at the completed prefix.
 */
abstract class ConcurrencyPolicyTests extends ConformanceArea {
  private static final FailurePolicy SKIP_AFTER_TWO =
      FailurePolicy.retry(2, Duration.ofMillis(1), Duration.ofMillis(1)).thenSkip();

  private static void failOnPoison(Record<String, String> r) {
    if (r.value().equals("poison")) {
      throw new IllegalStateException("poison");
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(
      value = Ordering.class,
      names = {"PER_KEY", "UNORDERED"})
  @DisplayName(
      "the default policy stops the consumer with HANDLER_FAILED; the failed record is delivered"
          + " again to the group, nothing is lost")
  void defaultPolicyStops(Ordering ordering) {
    String stream = stream(1);
    String group = group();
    Keyed good = keyed("g", 4, 3);
    List<Record<String, String>> records = new ArrayList<>(good.records);
    records.add(Record.of("g-0", "poison"));
    awaitAll(strings(stream).sendAll(records));

    RecordCollector<String, String> c1 =
        collect(
            consumerOf(open(), stream).group(group).concurrency(8, ordering),
            ConcurrencyPolicyTests::failOnPoison);
    assertThat(terminationError(c1.consumer())).hasCode(ErrorCode.HANDLER_FAILED);

    RecordCollector<String, String> c2 = collect(consumerOf(open(), stream).group(group));
    c2.await("the failed record again", timeout(), rs -> collectorValues(rs).contains("poison"));
    List<String> seen = new ArrayList<>(collectorValues(c1.records()));
    seen.addAll(collectorValues(c2.records()));
    assertThat(seen)
        .as("every good record, by one consumer or the other")
        .containsAll(good.values());
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(
      value = Ordering.class,
      names = {"PER_KEY", "UNORDERED"})
  @DisplayName(
      "with SKIP, a record that keeps failing is skipped, the rest handled, and the group's"
          + " checkpoint passes it: the next consumer of the group does not see it again")
  void skipMovesCheckpointPast(Ordering ordering) {
    String stream = stream(1);
    String group = group();
    Keyed good = keyed("s", 4, 3);
    List<Record<String, String>> records = new ArrayList<>();
    records.add(Record.of("s-0", "poison"));
    records.addAll(good.records);
    awaitAll(strings(stream).sendAll(records));

    RecordCollector<String, String> c1 =
        collect(
            consumerOf(open(), stream)
                .group(group)
                .concurrency(8, ordering)
                .failurePolicy(SKIP_AFTER_TWO),
            ConcurrencyPolicyTests::failOnPoison);
    c1.await("the good records", timeout(), rs -> collectorValues(rs).containsAll(good.values()));
    assertThat(c1.consumer().termination()).isNotDone();
    c1.close();

    await(strings(stream).send("after", "after"));
    RecordCollector<String, String> c2 = collect(consumerOf(open(), stream).group(group));
    assertThat(collectorValues(c2.awaitCount(1, timeout())))
        .as("the group resumes after the skipped record and everything handled")
        .containsExactly("after");
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(
      value = Ordering.class,
      names = {"UNORDERED"})
  @DisplayName("with UNORDERED, a poison record goes to the dead-letter stream, the rest handled")
  void deadLetter(Ordering ordering) {
    String stream = stream(2);
    String deadLetters = stream(1);
    Keyed keyed = keyed("d", 6, 5);
    List<Record<String, String>> records = new ArrayList<>(keyed.records);
    records.add(Record.of("d-0", "poison"));
    awaitAll(strings(stream).sendAll(records));

    RecordCollector<String, String> c =
        collect(
            consumerOf(stream)
                .concurrency(8, ordering)
                .failurePolicy(
                    FailurePolicy.retry(2, Duration.ofMillis(1), Duration.ofMillis(1))
                        .thenDeadLetter(deadLetters)),
            ConcurrencyPolicyTests::failOnPoison);
    c.await("the good records", timeout(), rs -> collectorValues(rs).containsAll(keyed.values()));
    RecordCollector<String, String> dead = collect(consumerOf(deadLetters));
    assertThat(collectorValues(dead.awaitCount(1, timeout()))).containsExactly("poison");
    assertThat(c.consumer().termination()).isNotDone();
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(
      value = Ordering.class,
      names = {"UNORDERED"})
  @DisplayName("with UNORDERED, pausing a shard stops new handler calls for it until it is resumed")
  void pauseAndResume(Ordering ordering) {
    String stream = stream(1);
    Shard shard = sluice().admin().describeStream(stream).openShards().get(0);
    Keyed first = keyed("a", 8, 2);
    awaitAll(strings(stream).sendAll(first.records));
    RecordCollector<String, String> c = collect(consumerOf(stream).concurrency(8, ordering));
    c.awaitCount(first.records.size(), timeout());
    Consumer<String, String> consumer = c.consumer();

    consumer.pause(shard);
    Keyed second = keyed("b", 8, 2);
    awaitAll(strings(stream).sendAll(second.records));
    Await.holdsFor(
        "nothing handled while paused", quietPeriod(), () -> c.size() == first.records.size());

    consumer.resume(shard);
    assertThat(c.awaitCount(first.records.size() + second.records.size(), timeout()))
        .hasValuesExactlyOnce(first.concat(second).values());
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(
      value = Ordering.class,
      names = {"PER_KEY", "UNORDERED"})
  @DisplayName(
      "the consumer's meters count records, handler calls, failures, skips and checkpoints as with"
          + " one record at a time")
  void meters(Ordering ordering) {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    Sluice metered = harnessNow().builder().meterRegistry(registry).open();
    opened.add(metered);
    String stream = stream(2);
    String group = group();
    Keyed good = keyed("m", 5, 4);
    List<Record<String, String>> records = new ArrayList<>(good.records);
    records.add(Record.of("m-0", "poison"));
    awaitAll(strings(stream).sendAll(records));

    RecordCollector<String, String> c =
        collect(
            consumerOf(metered, stream)
                .group(group)
                .concurrency(8, ordering)
                .failurePolicy(SKIP_AFTER_TWO),
            ConcurrencyPolicyTests::failOnPoison);
    c.await("the good records", timeout(), rs -> collectorValues(rs).containsAll(good.values()));

    Tags tags = Tags.of("backend", backend(), "stream", stream, "group", group);
    int n = records.size();
    Await.until(
        "every record counted, the poison skipped, a checkpoint written",
        timeout(),
        () ->
            sum(registry, "sluice.receive.records", tags) == n
                && sum(registry, "sluice.skipped.records", tags) == 1
                && sum(registry, "sluice.checkpoints", tags) >= 1);
    assertThat(registry.get("sluice.handler.latency").tags(tags).timer().count())
        .as("handler calls: each good record once, the poison twice")
        .isEqualTo(n + 1);
    assertThat(sum(registry, "sluice.handler.failures", tags)).isEqualTo(2);
    assertThat(sum(registry, "sluice.handler.retries", tags)).isEqualTo(1);
  }

  private static double sum(SimpleMeterRegistry registry, String name, Tags tags) {
    return registry.find(name).tags(tags).counters().stream().mapToDouble(Counter::count).sum();
  }
}
