package dev.sluice.kinesis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Consumer;
import dev.sluice.Producer;
import dev.sluice.Serde;
import dev.sluice.Sluice;
import dev.sluice.StartPosition;
import dev.sluice.StreamSpec;
import dev.sluice.testbrokers.DynamoDbEmulator;
import dev.sluice.testbrokers.KinesisEmulator;
import dev.sluice.testbrokers.KinesisEmulatorExtension;
import dev.sluice.testkit.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A new KCL group whose members all start at the same instant, as every rolling deployment starts
 * them: the first record arrives within {@link #FIRST_RECORD_BOUND}, the shards end up spread
 * evenly, and again after a member leaves and another joins. {@code -Dsluice.it.group.trials=N}
 * repeats it (the build runs {@value #DEFAULT_TRIALS} trials).
 */
@ExtendWith(KinesisEmulatorExtension.class)
@DisplayName("Kinesis group members started at the same moment")
class GroupStartIT {
  static final int DEFAULT_TRIALS = 2;
  private static final int MEMBERS = 3;
  private static final int SHARDS = 4;
  private static final int RECORDS = 40;

  /** The bound this test holds the first record to (fast test timings, 2-core machine). */
  private static final Duration FIRST_RECORD_BOUND = Duration.ofSeconds(10);

  private static final Duration BALANCE_WAIT = Duration.ofSeconds(30);
  private static final Duration STABLE = Duration.ofSeconds(2);

  private static Sluice sluice;

  @BeforeAll
  static void open(KinesisEmulator kinesis, DynamoDbEmulator dynamo) {
    sluice = KinesisTestBrokers.builder(kinesis, dynamo).open();
  }

  @AfterAll
  static void close() {
    if (sluice != null) {
      sluice.close();
    }
  }

  @Test
  @DisplayName(
      "3 members started together: first record in under 10 s, shards spread ±1, again after a"
          + " member leaves and another joins; nothing lost")
  void simultaneousStart() throws Exception {
    int trials = Integer.getInteger("sluice.it.group.trials", DEFAULT_TRIALS);
    List<String> figures = new ArrayList<>();
    for (int trial = 1; trial <= trials; trial++) {
      figures.add(trial(trial));
    }
    System.out.printf("[kinesis-it] simultaneous group start, %d trials:%n", trials);
    figures.forEach(f -> System.out.println("[kinesis-it]   " + f));
  }

  private String trial(int trial) throws Exception {
    String stream = "start-" + UUID.randomUUID().toString().substring(0, 8);
    String group = "start-group-" + UUID.randomUUID().toString().substring(0, 8);
    sluice.admin().createStream(stream, StreamSpec.withShards(SHARDS));
    try (Producer<String, String> producer =
        sluice.producer(stream, Serde.string(), Serde.string())) {
      for (int i = 0; i < RECORDS; i++) {
        producer.send("key-" + i, "v" + i);
      }
      producer.flush();
    }
    Set<String> received = ConcurrentHashMap.newKeySet();
    AtomicLong firstRecord = new AtomicLong();
    List<Consumer<String, String>> members = new ArrayList<>();
    ExecutorService starters = Executors.newFixedThreadPool(MEMBERS);
    try {
      CyclicBarrier together = new CyclicBarrier(MEMBERS);
      long started = System.nanoTime();
      List<Future<Consumer<String, String>>> starting = new ArrayList<>();
      for (int m = 0; m < MEMBERS; m++) {
        starting.add(
            starters.submit(
                () -> {
                  together.await();
                  return member(stream, group, received, firstRecord);
                }));
      }
      for (Future<Consumer<String, String>> f : starting) {
        members.add(f.get(30, TimeUnit.SECONDS));
      }
      Await.until(
          "the group's first record",
          FIRST_RECORD_BOUND.plusSeconds(20),
          () -> firstRecord.get() != 0);
      Duration first = Duration.ofNanos(firstRecord.get() - started);
      Duration balanced = awaitBalanced("after the simultaneous start", members, started);
      Await.until(
          "every record received", Duration.ofSeconds(30), () -> received.size() == RECORDS);

      // One member leaves: the other two share its shards.
      Consumer<String, String> leaving = members.remove(0);
      long left = System.nanoTime();
      leaving.close();
      Duration afterLeave = awaitBalanced("after a member left", members, left);

      // A member joins again: the group spreads over three once more.
      long joined = System.nanoTime();
      members.add(member(stream, group, received, firstRecord));
      Duration afterJoin = awaitBalanced("after a member joined", members, joined);

      assertThat(first)
          .as("time from the simultaneous start to the group's first record")
          .isLessThan(FIRST_RECORD_BOUND);
      return String.format(
          "trial %d: first record %d ms, balanced %d ms after start; after a leave %d ms, after a"
              + " join %d ms (%s)",
          trial,
          first.toMillis(),
          balanced.toMillis(),
          afterLeave.toMillis(),
          afterJoin.toMillis(),
          counts(members));
    } finally {
      starters.shutdownNow();
      for (Consumer<String, String> member : members) {
        member.close();
      }
      sluice.admin().deleteStream(stream);
    }
  }

  private static Consumer<String, String> member(
      String stream, String group, Set<String> received, AtomicLong firstRecord) {
    return sluice
        .consumer(stream, Serde.string(), Serde.string())
        .group(group)
        .startPosition(StartPosition.earliest())
        .start(
            r -> {
              firstRecord.compareAndSet(0, System.nanoTime());
              received.add(r.value());
            });
  }

  /**
   * Waits until every shard has exactly one owner among {@code members} and the counts differ by at
   * most one, then checks that this holds for {@link #STABLE}; returns the time from {@code since}
   * to the first balanced sight.
   */
  private static Duration awaitBalanced(
      String when, List<Consumer<String, String>> members, long since) {
    Await.until(
        "the shards spread evenly " + when,
        BALANCE_WAIT,
        () -> counts(members),
        counts -> balanced(members));
    Duration took = Duration.ofNanos(System.nanoTime() - since);
    Await.holdsFor("the shards to stay spread evenly " + when, STABLE, () -> balanced(members));
    return took;
  }

  private static boolean balanced(List<Consumer<String, String>> members) {
    List<Integer> counts =
        members.stream().map(m -> m.assignment().size()).collect(Collectors.toList());
    Set<Object> owned = new java.util.HashSet<>();
    members.forEach(m -> owned.addAll(m.assignment()));
    int total = counts.stream().mapToInt(Integer::intValue).sum();
    int max = counts.stream().mapToInt(Integer::intValue).max().orElse(0);
    int min = counts.stream().mapToInt(Integer::intValue).min().orElse(0);
    return total == SHARDS && owned.size() == SHARDS && max - min <= 1;
  }

  private static String counts(List<Consumer<String, String>> members) {
    return members.stream()
        .map(m -> Integer.toString(m.assignment().size()))
        .collect(Collectors.joining("/", "shards per member ", ""));
  }
}
