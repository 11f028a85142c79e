package dev.sluice.testkit;

import static dev.sluice.testkit.SluiceAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Capabilities.Capability;
import dev.sluice.ErrorCode;
import dev.sluice.Position;
import dev.sluice.Producer;
import dev.sluice.Record;
import dev.sluice.SendResult;
import dev.sluice.Shard;
import dev.sluice.SluiceException;
import dev.sluice.StartPosition;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Where a consumer without a checkpoint starts reading: earliest, latest, a timestamp, a position.
 */
abstract class StartPositionTests extends ConformanceArea {
  @Test
  @DisplayName("earliest reads every record sent before the consumer started")
  void earliest() {
    String stream = stream(2);
    Keyed batch = keyed("early", 4, 25);
    awaitAll(strings(stream).sendAll(batch.records));

    List<Record<String, String>> got =
        collect(consumerOf(stream).startPosition(StartPosition.earliest()))
            .awaitCount(100, timeout());

    assertThat(got).haveValuesInOrderPerKey(batch.perKey);
  }

  @Test
  @DisplayName("latest skips records sent before the start and reads those sent after")
  void latest() {
    String stream = stream(1);
    Producer<String, String> producer = strings(stream);
    List<String> before = List.of("before-0", "before-1", "before-2");
    before.forEach(v -> await(producer.send("k", v)));

    RecordCollector<String, String> c =
        collect(consumerOf(stream).startPosition(StartPosition.latest()));
    awaitLive(producer, c);
    List<String> after =
        IntStream.range(0, 10).mapToObj(i -> "after-" + i).collect(Collectors.toList());
    after.forEach(v -> await(producer.send("k", v)));

    List<Record<String, String>> got =
        c.await(
            "every record sent after the start",
            timeout(),
            rs -> collectorValues(rs).containsAll(after));
    assertThat(got).doesNotContainValues(before);
    assertThat(withoutMarkers(got)).hasValuesInOrder(after);
  }

  @Test
  @DisplayName("atTimestamp reads from the first record stored at or after the instant")
  void atTimestamp() {
    Assumptions.assumeTrue(
        caps().supports(Capability.SEEK_BY_TIMESTAMP),
        backend() + " cannot start at a timestamp (no SEEK_BY_TIMESTAMP)");
    String stream = stream(2);
    Producer<String, String> producer = strings(stream);
    Keyed early = keyed("early", 3, 5);
    awaitAll(producer.sendAll(early.records));
    Instant boundary = Instant.now().plusMillis(1);
    Await.clockPasses(boundary);
    Keyed late = keyed("late", 3, 5);
    awaitAll(producer.sendAll(late.records));

    RecordCollector<String, String> c =
        collect(consumerOf(stream).startPosition(StartPosition.atTimestamp(boundary)));
    List<Record<String, String>> got = c.awaitCount(15, timeout());

    Await.holdsFor("nothing before the timestamp arrives", quietPeriod(), () -> c.size() == 15);
    assertThat(got).haveValuesInOrderPerKey(late.perKey);
  }

  @Test
  @DisplayName("at(shard, position) starts at that record, inclusive")
  void atPositionInclusive() {
    String stream = stream(1);
    List<SendResult> sent = sendValues(stream, "v", 10);
    Shard shard = sent.get(0).shard();

    List<Record<String, String>> got =
        collect(consumerOf(stream).startPosition(StartPosition.at(shard, sent.get(4).position())))
            .awaitCount(6, timeout());

    assertThat(got).hasValuesInOrder("v4", "v5", "v6", "v7", "v8", "v9");
  }

  @Test
  @DisplayName("after(positions) starts just after each position, exclusive")
  void afterPositionsExclusive() {
    String stream = stream(1);
    List<SendResult> sent = sendValues(stream, "v", 10);

    List<Record<String, String>> got =
        collect(
                consumerOf(stream)
                    .startPosition(
                        StartPosition.after(Map.of(sent.get(4).shard(), sent.get(4).position()))))
            .awaitCount(5, timeout());

    assertThat(got).hasValuesInOrder("v5", "v6", "v7", "v8", "v9");
  }

  @Test
  @DisplayName("shards not named by at(...) start at the earliest record")
  void positionsFallBackToEarliest() {
    String stream = stream(2);
    List<Shard> open = sluice().admin().describeStream(stream).openShards();
    Producer<String, String> producer = strings(stream);
    List<SendResult> first = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      first.add(
          await(
              producer.send(
                  Record.<String, String>builder(null, "a" + i).shard(open.get(0)).build())));
      await(
          producer.send(Record.<String, String>builder(null, "b" + i).shard(open.get(1)).build()));
    }

    List<Record<String, String>> got =
        collect(
                consumerOf(stream)
                    .startPosition(StartPosition.at(open.get(0), first.get(3).position())))
            .awaitCount(7, timeout());

    assertThat(got).hasValuesExactlyOnce(List.of("a3", "a4", "b0", "b1", "b2", "b3", "b4"));
  }

  @Test
  @DisplayName("a start timestamp in the future fails with INVALID_ARGUMENT")
  void timestampInTheFuture() {
    String stream = stream(1);
    StartPosition future = StartPosition.atTimestamp(Instant.now().plus(1, ChronoUnit.HOURS));

    assertThat(thrown(() -> track(consumerOf(stream).startPosition(future).open())))
        .hasCode(ErrorCode.INVALID_ARGUMENT)
        .message()
        .isNotBlank();
  }

  @Test
  @DisplayName(
      "a start position naming a shard the stream does not have fails with INVALID_ARGUMENT, at"
          + " start or through termination()")
  void positionInAShardTheStreamDoesNotHave() {
    String stream = stream(2);
    StartPosition nowhere = StartPosition.at(Shard.of("shardId-999999999"), Position.of(0));

    SluiceException e;
    try {
      e = terminationError(track(consumerOf(stream).startPosition(nowhere).open()));
    } catch (SluiceException thrownAtStart) {
      e = thrownAtStart;
    }

    assertThat(e).hasCode(ErrorCode.INVALID_ARGUMENT);
  }

  private static final String MARKER = "marker-";

  /**
   * Sends markers until the consumer receives one, which proves its {@code latest} start has been
   * resolved: records sent from then on must arrive.
   */
  private void awaitLive(Producer<String, String> producer, RecordCollector<String, String> c) {
    AtomicInteger polls = new AtomicInteger();
    List<CompletableFuture<SendResult>> markers = new ArrayList<>();
    Await.until(
        "the consumer receives a marker",
        timeout(),
        () -> {
          if (polls.getAndIncrement() % 10 == 0) {
            markers.add(producer.send("k", MARKER + markers.size()));
          }
          return c.values().stream().anyMatch(v -> v.startsWith(MARKER));
        });
    awaitAll(markers);
  }

  private static List<Record<String, String>> withoutMarkers(List<Record<String, String>> records) {
    return records.stream().filter(r -> !r.value().startsWith(MARKER)).collect(Collectors.toList());
  }
}
