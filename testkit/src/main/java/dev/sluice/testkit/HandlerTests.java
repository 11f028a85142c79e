package dev.sluice.testkit;

import static dev.sluice.testkit.SluiceAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Consumer;
import dev.sluice.ErrorCode;
import dev.sluice.Producer;
import dev.sluice.Record;
import dev.sluice.SendResult;
import dev.sluice.Shard;
import dev.sluice.StartPosition;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * How a consumer calls its record handler: one call at a time per shard, in parallel across shards,
 * pause and resume, backpressure.
 */
abstract class HandlerTests extends ConformanceArea {
  @Test
  @DisplayName("are called one at a time, in order, for the records of one shard")
  void sequentialWithinShard() {
    String stream = stream(2);
    List<Shard> open = sluice().admin().describeStream(stream).openShards();
    Producer<String, String> producer = strings(stream);
    Map<Shard, List<String>> sentPerShard = new HashMap<>();
    List<CompletableFuture<SendResult>> sends = new ArrayList<>();
    for (int i = 0; i < 150; i++) {
      for (Shard s : open) {
        String v = s + "/" + String.format("%04d", i);
        sentPerShard.computeIfAbsent(s, x -> new ArrayList<>()).add(v);
        sends.add(producer.send(Record.<String, String>builder(null, v).shard(s).build()));
      }
    }
    awaitAll(sends);
    Map<Shard, AtomicInteger> inFlight = new ConcurrentHashMap<>();
    AtomicBoolean overlapped = new AtomicBoolean();

    RecordCollector<String, String> c =
        collect(
            consumerOf(stream),
            r -> {
              AtomicInteger n = inFlight.computeIfAbsent(r.shard(), x -> new AtomicInteger());
              if (n.incrementAndGet() > 1) {
                overlapped.set(true);
              }
              LockSupport.parkNanos(50_000);
              n.decrementAndGet();
            });
    List<Record<String, String>> got = c.awaitCount(300, timeout());

    assertThat(overlapped).as("two handler calls of one shard overlapped").isFalse();
    for (Shard s : open) {
      assertThat(got.stream().filter(r -> r.shard().equals(s)).collect(Collectors.toList()))
          .hasValuesInOrder(sentPerShard.get(s));
    }
  }

  @Test
  @DisplayName("run in parallel for different shards")
  void parallelAcrossShards() {
    String stream = stream(2);
    List<Shard> open = sluice().admin().describeStream(stream).openShards();
    CountDownLatch bothInside = new CountDownLatch(2);
    List<Boolean> metTheOther = new CopyOnWriteArrayList<>();
    Set<String> threads = ConcurrentHashMap.newKeySet();

    RecordCollector<String, String> c =
        collect(
            consumerOf(stream),
            r -> {
              threads.add(Thread.currentThread().getName());
              bothInside.countDown();
              metTheOther.add(bothInside.await(timeout().toMillis(), TimeUnit.MILLISECONDS));
            });
    Producer<String, String> producer = strings(stream);
    for (Shard s : open) {
      await(producer.send(Record.<String, String>builder(null, "on-" + s).shard(s).build()));
    }
    c.awaitCount(2, timeout().multipliedBy(2));
    Await.until(
        "both handler calls returned", timeout().multipliedBy(2), () -> metTheOther.size() == 2);

    assertThat(metTheOther)
        .as("each handler call saw the other shard's call running at the same time")
        .containsExactly(true, true);
    assertThat(threads).hasSize(2);
  }

  @Test
  @DisplayName("pausing a shard stops its delivery until it is resumed; other shards go on")
  void pauseAndResume() {
    String stream = stream(2);
    List<Shard> open = sluice().admin().describeStream(stream).openShards();
    Shard paused = open.get(0);
    Shard running = open.get(1);
    RecordCollector<String, String> c =
        collect(consumerOf(stream).startPosition(StartPosition.earliest()));
    Consumer<String, String> consumer = c.consumer();
    Await.until(
        "the consumer owns both shards", timeout(), () -> consumer.assignment().containsAll(open));

    consumer.pause(paused);
    Producer<String, String> producer = strings(stream);
    List<String> pausedValues = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      pausedValues.add("p" + i);
      await(producer.send(Record.<String, String>builder(null, "p" + i).shard(paused).build()));
      await(producer.send(Record.<String, String>builder(null, "r" + i).shard(running).build()));
    }
    c.await(
        "the running shard's records",
        timeout(),
        rs -> rs.stream().filter(r -> r.shard().equals(running)).count() == 10);
    Await.holdsFor(
        "no record of the paused shard arrives",
        quietPeriod(),
        () -> c.records().stream().noneMatch(r -> r.shard().equals(paused)));
    assertThat(consumer.assignment()).as("a paused shard stays owned").contains(paused);

    consumer.resume(paused);

    List<Record<String, String>> got = c.awaitCount(20, timeout());
    assertThat(got.stream().filter(r -> r.shard().equals(paused)).collect(Collectors.toList()))
        .hasValuesInOrder(pausedValues);
  }

  @Test
  @DisplayName(
      "a slow handler with a small buffer still gets every record, in order (backpressure)")
  void backpressure() {
    int records = 100;
    String stream = stream(1);
    // One key, so the producer keeps send order; sent together, not one stored before the next
    // (300 round trips were most of this test's time on a broker with a slow put). 100 records
    // fill a buffer of 2 fifty times over; Kinesis reads them at most 5 calls a second.
    Producer<String, String> producer = strings(stream);
    List<CompletableFuture<SendResult>> sends = new ArrayList<>();
    for (int i = 0; i < records; i++) {
      sends.add(producer.send("the-key", "bp" + i));
    }
    assertThat(awaitAll(sends)).hasSize(records);

    RecordCollector<String, String> c =
        collect(consumerOf(stream).maxBufferedRecords(2), r -> LockSupport.parkNanos(1_000_000));

    List<Record<String, String>> got = c.awaitCount(records, timeout().multipliedBy(2));
    assertThat(got)
        .hasValuesInOrder(
            IntStream.range(0, records).mapToObj(i -> "bp" + i).collect(Collectors.toList()));
  }

  @Test
  @DisplayName(
      "records that arrive in many small batches while the handler is busy are each handled"
          + " once, in order")
  void manySmallBatchesWaiting() throws InterruptedException {
    String stream = stream(1);
    CountDownLatch busy = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    RecordCollector<String, String> c =
        collect(
            consumerOf(stream),
            r -> {
              if (r.value().equals("w000")) {
                busy.countDown();
                release.await(timeout().toMillis(), TimeUnit.MILLISECONDS);
              }
            });
    Producer<String, String> producer = strings(stream);
    List<String> values = new ArrayList<>();
    values.add("w000");
    await(producer.send("the-key", "w000"));
    assertThat(busy.await(timeout().toMillis(), TimeUnit.MILLISECONDS))
        .as("the handler got the first record")
        .isTrue();
    // While the handler holds the first record, the rest arrives a few records at a time, so
    // the consumer queues many small batches for it.
    for (int group = 0; group < 15; group++) {
      List<CompletableFuture<SendResult>> sends = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        String v = String.format("w%03d", 1 + group * 20 + i);
        values.add(v);
        sends.add(producer.send("the-key", v));
      }
      awaitAll(sends);
    }
    release.countDown();

    List<Record<String, String>> got = c.awaitCount(values.size(), timeout().multipliedBy(2));
    Await.holdsFor("no record handled twice", quietPeriod(), () -> c.size() == values.size());
    assertThat(got).hasValuesInOrder(values);
  }

  @Test
  @DisplayName("a buffer of zero records fails with INVALID_ARGUMENT")
  void zeroBuffer() {
    String stream = stream(1);

    assertThat(thrown(() -> consumerOf(stream).maxBufferedRecords(0)))
        .hasCode(ErrorCode.INVALID_ARGUMENT)
        .message()
        .isNotBlank();
  }
}
