package dev.sluice.testkit;

import static dev.sluice.testkit.SluiceAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.sluice.CheckpointMode;
import dev.sluice.Consumer;
import dev.sluice.ErrorCode;
import dev.sluice.Position;
import dev.sluice.Producer;
import dev.sluice.PullConsumer;
import dev.sluice.Record;
import dev.sluice.Shard;
import dev.sluice.Sluice;
import dev.sluice.StartPosition;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Consumer groups: sharing shards, hand-over, checkpoints and restarts. */
abstract class GroupTests extends ConformanceArea {
  @Test
  @DisplayName("two groups each receive every record")
  void twoGroupsEachSeeEverything() {
    String stream = stream(2);
    Keyed batch = keyed("both", 5, 20);
    awaitAll(strings(stream).sendAll(batch.records));

    RecordCollector<String, String> a = collect(consumerOf(stream).group(group()));
    RecordCollector<String, String> b = collect(consumerOf(stream).group(group()));

    assertThat(a.awaitCount(100, timeout())).haveValuesInOrderPerKey(batch.perKey);
    assertThat(b.awaitCount(100, timeout())).haveValuesInOrderPerKey(batch.perKey);
  }

  @Test
  @DisplayName(
      "two consumers of one group split the shards, and one takes over when the other leaves")
  void shareAndTakeOver() {
    String stream = stream(4);
    String group = group();
    Set<Shard> all = new HashSet<>(sluice().admin().describeStream(stream).openShards());
    RecordCollector<String, String> received = RecordCollector.detached();
    RecordingListener l1 = new RecordingListener();
    RecordingListener l2 = new RecordingListener();
    Consumer<String, String> c1 =
        track(consumerOf(stream).group(group).listener(l1).start(received.handler()));
    Await.until(
        "the first consumer owns every shard", timeout(), () -> c1.assignment().equals(all));

    Consumer<String, String> c2 =
        track(consumerOf(open(), stream).group(group).listener(l2).start(received.handler()));

    Await.until(
        "both consumers own shards, disjoint, together all",
        timeout(),
        () -> {
          Set<Shard> a1 = c1.assignment();
          Set<Shard> a2 = c2.assignment();
          Set<Shard> union = new HashSet<>(a1);
          union.addAll(a2);
          return !a1.isEmpty()
              && !a2.isEmpty()
              && Collections.disjoint(a1, a2)
              && union.equals(all);
        });
    assertThat(l2.assigned())
        .as("assignments reported to the second consumer")
        .containsAll(c2.assignment());
    assertThat(l1.revoked())
        .as("revocations reported to the first consumer")
        .containsAll(c2.assignment());

    Keyed first = keyed("first", 8, 10);
    awaitAll(strings(stream).sendAll(first.records));
    received.await(
        "the first batch", timeout(), rs -> collectorValues(rs).containsAll(first.values()));

    c2.close();
    Await.until(
        "the first consumer owns every shard again", timeout(), () -> c1.assignment().equals(all));
    Keyed second = keyed("second", 8, 10);
    awaitAll(strings(stream).sendAll(second.records));

    List<Record<String, String>> got =
        received.await(
            "the second batch", timeout(), rs -> collectorValues(rs).containsAll(second.values()));
    List<String> expected = new ArrayList<>(first.values());
    expected.addAll(second.values());
    if (l1.lost.get() || l2.lost.get()) {
      assertThat(got).containsValues(expected);
    } else {
      // Every hand-over was clean (checkpoints written): nothing may be delivered twice.
      assertThat(got).hasValuesExactlyOnce(expected);
    }
  }

  @Test
  @DisplayName(
      "a group restarted after a clean close resumes after its checkpoints: no loss, no repeats")
  void restartResumesAfterCheckpoint() {
    String stream = stream(2);
    String group = group();
    Keyed first = keyed("first", 4, 25);
    awaitAll(strings(stream).sendAll(first.records));
    Sluice before = open();
    RecordCollector<String, String> c1 = collect(consumerOf(before, stream).group(group));
    assertThat(c1.awaitCount(100, timeout())).hasValuesExactlyOnce(first.values());
    c1.close();
    before.close();

    Keyed second = keyed("second", 4, 25);
    awaitAll(strings(stream).sendAll(second.records));
    RecordCollector<String, String> c2 = collect(consumerOf(open(), stream).group(group));

    List<Record<String, String>> got =
        c2.await(
            "the second batch", timeout(), rs -> collectorValues(rs).containsAll(second.values()));
    assertThat(got).hasValuesExactlyOnce(second.values()).haveValuesInOrderPerKey(second.perKey);
  }

  @Test
  @DisplayName("a stored checkpoint wins over the start position of a restarted group")
  void checkpointWinsOverStartPosition() {
    String stream = stream(1);
    String group = group();
    sendValues(stream, "old", 5);
    RecordCollector<String, String> c1 = collect(consumerOf(open(), stream).group(group));
    c1.awaitCount(5, timeout());
    c1.close();
    sendValues(stream, "while-down", 5);

    RecordCollector<String, String> c2 =
        collect(consumerOf(open(), stream).group(group).startPosition(StartPosition.latest()));

    assertThat(c2.awaitCount(5, timeout()))
        .hasValuesInOrder(
            "while-down0", "while-down1", "while-down2", "while-down3", "while-down4");
  }

  @Test
  @DisplayName("with MANUAL checkpoints, only what was checkpointed is skipped after a restart")
  void manualCheckpoints() {
    String stream = stream(1);
    String group = group();
    sendValues(stream, "v", 20);
    RecordCollector<String, String> c1 =
        collect(consumerOf(open(), stream).group(group).checkpointing(CheckpointMode.MANUAL));
    List<Record<String, String>> first = c1.awaitCount(20, timeout());
    c1.consumer().checkpoint(first.get(9));
    c1.consumer().commitCheckpoints().orTimeout(timeout().toMillis(), TimeUnit.MILLISECONDS).join();
    c1.close();

    RecordCollector<String, String> c2 =
        collect(consumerOf(open(), stream).group(group).checkpointing(CheckpointMode.MANUAL));

    List<String> rest = IntStream.range(10, 20).mapToObj(i -> "v" + i).collect(Collectors.toList());
    List<Record<String, String>> got =
        c2.await("v10..v19", timeout(), rs -> collectorValues(rs).containsAll(rest));
    assertThat(got).hasValuesInOrder(rest);
  }

  @Test
  @DisplayName(
      "in pull style with AUTO checkpoints, the next poll checkpoints the last one's records")
  void pullConsumerCheckpointsOnNextPoll() {
    String stream = stream(2);
    String group = group();
    Keyed first = keyed("first", 4, 10);
    awaitAll(strings(stream).sendAll(first.records));
    PullConsumer<String, String> c1 = track(consumerOf(open(), stream).group(group).open());
    List<Record<String, String>> polled = new ArrayList<>();
    Await.until(
        "40 records polled",
        timeout(),
        () -> {
          polled.addAll(c1.poll(Duration.ofMillis(100)));
          return polled.size() >= 40;
        });
    assertThat(c1.poll(Duration.ofMillis(10))).as("nothing more to poll").isEmpty();
    c1.close();

    Keyed second = keyed("second", 4, 10);
    awaitAll(strings(stream).sendAll(second.records));
    PullConsumer<String, String> c2 = track(consumerOf(open(), stream).group(group).open());
    List<Record<String, String>> got = new ArrayList<>();
    Await.until(
        "the second batch polled",
        timeout(),
        () -> {
          got.addAll(c2.poll(Duration.ofMillis(100)));
          return collectorValues(got).containsAll(second.values());
        });

    assertThat(got).hasValuesExactlyOnce(second.values()).haveValuesInOrderPerKey(second.perKey);
  }

  @Test
  @DisplayName(
      "the listener is told of assignments, and of the checkpoints written when shards are given up")
  void listenerReportsAssignmentAndCheckpoints() {
    String stream = stream(2);
    Set<Shard> all = new HashSet<>(sluice().admin().describeStream(stream).openShards());
    Keyed batch = keyed("l", 4, 5);
    awaitAll(strings(stream).sendAll(batch.records));
    RecordingListener listener = new RecordingListener();
    RecordCollector<String, String> c =
        collect(consumerOf(stream).group(group()).listener(listener));
    List<Record<String, String>> got = c.awaitCount(20, timeout());
    Await.until(
        "the listener saw every shard assigned",
        timeout(),
        () -> listener.assigned().containsAll(all));

    c.close();

    Map<Shard, Position> last = new HashMap<>();
    got.forEach(r -> last.put(r.shard(), r.position()));
    assertThat(listener.revoked()).containsExactlyInAnyOrderElementsOf(all);
    assertThat(listener.lost.get()).as("a clean close loses no shard").isFalse();
    assertThat(listener.checkpointed).isEqualTo(last);
    assertThat(c.consumer().processedPositions()).isEqualTo(last);
  }

  @Test
  @DisplayName(
      "checkpointing a position not delivered yet, or a record never received, fails with INVALID_ARGUMENT")
  void checkpointUndelivered() {
    String stream = stream(1);
    sendValues(stream, "v", 3);
    RecordCollector<String, String> c =
        collect(consumerOf(stream).group(group()).checkpointing(CheckpointMode.MANUAL));
    Record<String, String> last = c.awaitCount(3, timeout()).get(2);

    assertThat(thrown(() -> c.consumer().checkpoint(last.shard(), beyond(last.position()))))
        .hasCode(ErrorCode.INVALID_ARGUMENT);
    assertThat(thrown(() -> c.consumer().checkpoint(Record.of("k", "never received"))))
        .hasCode(ErrorCode.INVALID_ARGUMENT);
    c.consumer().checkpoint(last); // a delivered one is fine
  }

  @Test
  @DisplayName(
      "a member leaving while records wait for its handler hands them to the next member:"
          + " none lost, none handled twice")
  void memberLeavesWithRecordsWaiting() throws Exception {
    String stream = stream(1);
    String group = group();
    List<String> values = IntStream.range(0, 8).mapToObj(i -> "m" + i).collect(Collectors.toList());
    sendValuesList(stream, values);
    CountDownLatch busy = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    RecordCollector<String, String> first =
        collect(
            consumerOf(open(), stream).group(group),
            r -> {
              if (r.value().equals("m0")) {
                busy.countDown();
                release.await(timeout().toMillis(), TimeUnit.MILLISECONDS);
              }
            });
    assertThat(busy.await(timeout().toMillis(), TimeUnit.MILLISECONDS))
        .as("the handler got m0")
        .isTrue();

    // m1..m7 wait behind m0 when the member starts leaving; m0 is finished during the close.
    CompletableFuture<Void> leaving = CompletableFuture.runAsync(first::close);
    // Calls on a consumer fail with CLOSED as soon as its close has begun.
    Await.until(
        "the first member is closing",
        timeout(),
        () -> catchThrowable(() -> first.consumer().pause()) != null);
    release.countDown();
    leaving.get(timeout().toMillis(), TimeUnit.MILLISECONDS);
    RecordCollector<String, String> next = collect(consumerOf(open(), stream).group(group));

    List<String> rest = values.subList(1, values.size());
    next.await("m1..m7", timeout(), rs -> collectorValues(rs).containsAll(rest));
    Await.holdsFor("no record handled twice", quietPeriod(), () -> next.size() == rest.size());
    assertThat(first.values()).as("handled by the member that left").containsExactly("m0");
    assertThat(next.records()).hasValuesInOrder(rest);
  }

  @Test
  @DisplayName(
      "in pull style with AUTO checkpoints, a shard lost between two polls goes to its next"
          + " owner with the records of the last poll")
  void pullConsumerLosesShardBetweenPolls() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    Sluice metered = harnessNow().builder().meterRegistry(registry).open();
    opened.add(metered);
    String stream = stream(2);
    String group = group();
    List<Shard> open = sluice().admin().describeStream(stream).openShards();
    Producer<String, String> producer = strings(stream);
    Map<Shard, List<String>> sent = new HashMap<>();
    for (Shard s : open) {
      for (int i = 0; i < 3; i++) {
        String v = s.id() + "/" + i;
        sent.computeIfAbsent(s, x -> new ArrayList<>()).add(v);
        await(producer.send(Record.<String, String>builder(null, v).shard(s).build()));
      }
    }
    PullConsumer<String, String> first =
        track(consumerOf(metered, stream).group(group).maxPollRecords(100).open());
    Tags tags = Tags.of("backend", backend(), "stream", stream, "group", group);
    Await.until(
        "every record buffered by the first consumer",
        timeout(),
        () ->
            registry.find("sluice.receive.records").tags(tags).counters().stream()
                    .mapToDouble(Counter::count)
                    .sum()
                >= 6);
    assertThat(first.poll(timeout())).as("one poll returns every record").hasSize(6);

    // The first consumer polls no more: none of its records is processed yet.
    PullConsumer<String, String> second = track(consumerOf(open(), stream).group(group).open());
    List<Record<String, String>> got = new ArrayList<>();
    Await.until(
        "the second consumer owns a shard and polled its records (values per owned shard)",
        timeout(),
        () -> {
          got.addAll(second.poll(Duration.ofMillis(100)));
          Map<Shard, List<String>> perOwnedShard = new TreeMap<>();
          for (Shard s : second.assignment()) {
            perOwnedShard.put(
                s,
                got.stream()
                    .filter(r -> r.shard().equals(s))
                    .map(Record::value)
                    .collect(Collectors.toList()));
          }
          return perOwnedShard;
        },
        perOwnedShard ->
            !perOwnedShard.isEmpty()
                && perOwnedShard.entrySet().stream()
                    .allMatch(e -> e.getValue().containsAll(sent.get(e.getKey()))));
    for (Shard s : second.assignment()) {
      assertThat(got.stream().filter(r -> r.shard().equals(s)).collect(Collectors.toList()))
          .as("the records of %s the first consumer polled last", s)
          .hasValuesInOrder(sent.get(s));
    }
  }

  @Test
  @DisplayName("an invalid group name fails with INVALID_ARGUMENT")
  void invalidGroupName() {
    String stream = stream(1);

    assertThat(thrown(() -> track(consumerOf(stream).group("no spaces allowed").open())))
        .hasCode(ErrorCode.INVALID_ARGUMENT)
        .message()
        .isNotBlank();
  }

  /** A position after {@code p} in the same shard, that no record has reached. */
  private static Position beyond(Position p) {
    BigInteger later = new BigInteger(p.sequenceNumber()).add(BigInteger.valueOf(1_000_000));
    return Position.of(later.toString());
  }
}
