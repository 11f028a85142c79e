package dev.sluice.testkit;

import static dev.sluice.testkit.SluiceAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Consumer;
import dev.sluice.FailurePolicy;
import dev.sluice.Ordering;
import dev.sluice.Record;
import dev.sluice.SendResult;
import dev.sluice.Shard;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * {@code concurrency(n, ordering)}: several records of a shard handled at once, per key or
 * unordered, with the checkpoint kept at the contiguous prefix of completed records.
 */
abstract class ConcurrencyTests extends ConformanceArea {
  /** Counts handler calls in progress, overall and per key, to observe what ran together. */
  static final class Overlap {
    final AtomicInteger now = new AtomicInteger();
    final AtomicInteger most = new AtomicInteger();
    final Set<String> keysInProgress = ConcurrentHashMap.newKeySet();
    final AtomicBoolean sameKeyOverlapped = new AtomicBoolean();

    void enter(Record<String, String> r) {
      most.accumulateAndGet(now.incrementAndGet(), Math::max);
      if (r.key() != null && !keysInProgress.add(r.key())) {
        sameKeyOverlapped.set(true);
      }
    }

    void exit(Record<String, String> r) {
      if (r.key() != null) {
        keysInProgress.remove(r.key());
      }
      now.decrementAndGet();
    }
  }

  @Test
  @DisplayName(
      "with PER_KEY and concurrency 64, records of different keys run at once and each key keeps"
          + " its order, every record exactly once")
  void perKeyOrder() {
    String stream = stream(4);
    Keyed keyed = keyed("k", 40, 15);
    awaitAll(strings(stream).sendAll(keyed.records));
    Overlap overlap = new Overlap();

    RecordCollector<String, String> c =
        collect(
            consumerOf(stream).group(group()).concurrency(64, Ordering.PER_KEY),
            r -> {
              overlap.enter(r);
              try {
                Thread.sleep(2);
              } finally {
                overlap.exit(r);
              }
            });

    List<Record<String, String>> got = c.awaitCount(keyed.records.size(), timeout());
    assertThat(got).hasValuesExactlyOnce(keyed.values()).haveValuesInOrderPerKey(keyed.perKey);
    assertThat(overlap.sameKeyOverlapped).as("two records of one key ran at once").isFalse();
    assertThat(overlap.most.get())
        .as("handler calls at once")
        .isGreaterThan(4) // more than one per shard
        .isLessThanOrEqualTo(64);
  }

  @Test
  @DisplayName("with UNORDERED, every record is handled exactly once, many at a time")
  void unorderedCompletesAll() {
    String stream = stream(2);
    Keyed keyed = keyed("u", 3, 100);
    awaitAll(strings(stream).sendAll(keyed.records));
    Overlap overlap = new Overlap();

    RecordCollector<String, String> c =
        collect(
            consumerOf(stream).concurrency(16, Ordering.UNORDERED),
            r -> {
              overlap.enter(r);
              try {
                Thread.sleep(1);
              } finally {
                overlap.exit(r);
              }
            });

    assertThat(c.awaitCount(keyed.records.size(), timeout())).hasValuesExactlyOnce(keyed.values());
    assertThat(overlap.most.get()).as("handler calls at once").isBetween(3, 16);
  }

  @Test
  @DisplayName(
      "the checkpoint is the completed prefix: a record still in progress holds it, and the records"
          + " after it are delivered again to the next owner, those before it are not")
  void checkpointIsCompletedPrefix() {
    String stream = stream(1);
    String group = group();
    List<SendResult> early = new ArrayList<>();
    List<Record<String, String>> later = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      later.add(Record.of("other-" + i, "later-" + i));
    }
    try (var p = strings(stream)) {
      early.add(await(p.send("early", "early-0")));
      early.add(await(p.send("early", "early-1")));
      await(p.send("slow", "slow"));
      awaitAll(p.sendAll(later));
    }
    List<String> laterValues = collectorValues(later);
    CountDownLatch never = new CountDownLatch(1);
    RecordingListener listener = new RecordingListener();

    RecordCollector<String, String> c1 =
        collect(
            consumerOf(open(), stream)
                .group(group)
                .listener(listener)
                .concurrency(8, Ordering.PER_KEY)
                .revocationTimeout(Duration.ofMillis(300)),
            r -> {
              if (r.value().equals("slow")) {
                never.await(); // until the consumer closes and interrupts it
              }
            });
    c1.await(
        "the records after the slow one",
        timeout(),
        rs -> collectorValues(rs).containsAll(laterValues));
    c1.close();

    Shard shard = sluice().admin().describeStream(stream).openShards().get(0);
    assertThat(listener.checkpointed)
        .as("checkpoint written when the shard was given up")
        .containsEntry(shard, early.get(1).position());

    RecordCollector<String, String> c2 = collect(consumerOf(open(), stream).group(group));
    List<Record<String, String>> again =
        c2.await(
            "the slow record and those after it",
            timeout(),
            rs -> collectorValues(rs).containsAll(laterValues));
    assertThat(again).hasValuesInOrder(concat(List.of("slow"), laterValues));
  }

  @Test
  @DisplayName(
      "with PER_KEY, a record that keeps failing holds back only its own key: the other keys of"
          + " its shard are all handled meanwhile, and its key follows in order once it succeeds")
  void poisonHoldsOnlyItsKey() {
    String stream = stream(1);
    List<Record<String, String>> records = new ArrayList<>();
    records.add(Record.of("p", "p-0"));
    records.add(Record.of("p", "p-1"));
    records.add(Record.of("p", "p-2"));
    Keyed others = keyed("o", 10, 5);
    records.addAll(others.records);
    awaitAll(strings(stream).sendAll(records));
    AtomicBoolean healed = new AtomicBoolean();
    AtomicInteger poisonAttempts = new AtomicInteger();

    RecordCollector<String, String> c =
        collect(
            consumerOf(stream)
                .concurrency(8, Ordering.PER_KEY)
                .failurePolicy(
                    FailurePolicy.retry(100_000, Duration.ofMillis(5), Duration.ofMillis(5))),
            r -> {
              if (r.value().equals("p-0") && !healed.get()) {
                poisonAttempts.incrementAndGet();
                throw new IllegalStateException("poison, for now");
              }
            });

    c.await(
        "every record of the other keys",
        timeout(),
        rs -> collectorValues(rs).containsAll(others.values()));
    assertThat(collectorValues(c.records()))
        .as("the poisoned key waits for its first record")
        .doesNotContain("p-1", "p-2");
    assertThat(poisonAttempts.get()).as("the poison record is being retried").isPositive();

    healed.set(true);
    List<Record<String, String>> got =
        c.await("the poisoned key", timeout(), rs -> collectorValues(rs).contains("p-2"));
    List<String> keyP = new ArrayList<>();
    for (Record<String, String> r : got) {
      if ("p".equals(r.key()) && !keyP.contains(r.value())) {
        keyP.add(r.value());
      }
    }
    assertThat(keyP).containsExactly("p-0", "p-1", "p-2");
    assertThat(c.consumer().termination()).isNotDone();
  }

  @Test
  @DisplayName(
      "with PER_KEY, a poison record goes to the dead-letter stream and the rest is handled")
  void deadLetterInKeyMode() {
    String stream = stream(2);
    String deadLetters = stream(1);
    Keyed keyed = keyed("d", 6, 5);
    List<Record<String, String>> records = new ArrayList<>(keyed.records);
    records.add(Record.of("d-0", "poison"));
    awaitAll(strings(stream).sendAll(records));

    RecordCollector<String, String> c =
        collect(
            consumerOf(stream)
                .concurrency(8, Ordering.PER_KEY)
                .failurePolicy(
                    FailurePolicy.retry(2, Duration.ofMillis(1), Duration.ofMillis(1))
                        .thenDeadLetter(deadLetters)),
            r -> {
              if (r.value().equals("poison")) {
                throw new IllegalStateException("poison");
              }
            });
    c.await("the good records", timeout(), rs -> collectorValues(rs).containsAll(keyed.values()));
    RecordCollector<String, String> dead = collect(consumerOf(deadLetters));
    assertThat(collectorValues(dead.awaitCount(1, timeout()))).containsExactly("poison");
    assertThat(c.consumer().termination()).isNotDone();
  }

  @Test
  @DisplayName("with PER_KEY, pausing a shard stops new handler calls for it until it is resumed")
  void pauseAndResume() {
    String stream = stream(1);
    Shard shard = sluice().admin().describeStream(stream).openShards().get(0);
    Keyed first = keyed("a", 8, 2);
    awaitAll(strings(stream).sendAll(first.records));
    RecordCollector<String, String> c =
        collect(consumerOf(stream).concurrency(8, Ordering.PER_KEY));
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

  @Test
  @DisplayName("with PER_KEY, two consumers of a group rebalancing while records flow lose nothing")
  void rebalanceLosesNothing() {
    String stream = stream(4);
    String group = group();
    RecordCollector<String, String> received = RecordCollector.detached();
    RecordingListener l1 = new RecordingListener();
    Consumer<String, String> c1 =
        track(
            consumerOf(stream)
                .group(group)
                .listener(l1)
                .concurrency(16, Ordering.PER_KEY)
                .start(received.handler()));
    Set<Shard> shards = Set.copyOf(sluice().admin().describeStream(stream).openShards());
    Await.until(
        "the first consumer owns every shard", timeout(), () -> c1.assignment().equals(shards));
    Keyed first = keyed("first", 16, 10);
    awaitAll(strings(stream).sendAll(first.records));

    Consumer<String, String> c2 =
        track(
            consumerOf(open(), stream)
                .group(group)
                .concurrency(16, Ordering.PER_KEY)
                .start(received.handler()));
    Keyed second = keyed("second", 16, 10);
    awaitAll(strings(stream).sendAll(second.records));
    Await.until("both consumers own shards", timeout(), () -> !c2.assignment().isEmpty());
    c1.close();
    Keyed third = keyed("third", 16, 10);
    awaitAll(strings(stream).sendAll(third.records));

    List<String> all = first.concat(second).concat(third).values();
    List<Record<String, String>> got =
        received.await("every record", timeout(), rs -> collectorValues(rs).containsAll(all));
    assertThat(got).containsValues(all);
    assertThat(l1.revoked()).as("the first consumer gave shards up").isNotEmpty();
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }
}
