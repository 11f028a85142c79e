package dev.sluice.testkit;

import static dev.sluice.testkit.SluiceAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.sluice.Consumer;
import dev.sluice.ErrorCode;
import dev.sluice.Position;
import dev.sluice.Producer;
import dev.sluice.PullConsumer;
import dev.sluice.Record;
import dev.sluice.SendResult;
import dev.sluice.Serde;
import dev.sluice.Shard;
import dev.sluice.Sluice;
import dev.sluice.SluiceException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Flushing and closing producers, consumers and Sluice: nothing accepted is lost, nothing runs
 * after close.
 */
abstract class ClosingTests extends ConformanceArea {
  @Test
  @DisplayName("flush returns once every record sent before it is stored")
  void flush() {
    String stream = stream(2);
    Producer<String, String> producer = strings(stream);
    List<CompletableFuture<SendResult>> sends = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      sends.add(producer.send("k" + (i % 7), "v" + i));
    }

    producer.flush();

    assertThat(sends).allSatisfy(f -> assertThat(f).isCompleted());
    assertThat(collect(consumerOf(stream)).awaitCount(300, timeout())).hasNoDuplicateValues();
  }

  @Test
  @DisplayName("closing a producer flushes what it accepted: every record is readable")
  void closeFlushes() {
    String stream = stream(2);
    Producer<String, String> producer = sluice().producer(stream, Serde.string(), Serde.string());
    Keyed batch = keyed("close", 10, 50);
    List<CompletableFuture<SendResult>> sends = new ArrayList<>();
    batch.records.forEach(r -> sends.add(producer.send(r)));

    producer.close();

    assertThat(sends).allSatisfy(f -> assertThat(f).isCompleted());
    awaitAll(sends);
    assertThat(collect(consumerOf(stream)).awaitCount(500, timeout()))
        .haveValuesInOrderPerKey(batch.perKey);
  }

  @Test
  @DisplayName("sending after close fails with CLOSED; flush and shardFor throw CLOSED")
  void sendAfterClose() {
    String stream = stream(1);
    Producer<String, String> producer = strings(stream);
    producer.close();

    assertThat(failureOf(producer.send("k", "v"))).hasCode(ErrorCode.CLOSED);
    assertThat(thrown(producer::flush)).hasCode(ErrorCode.CLOSED);
    assertThat(thrown(() -> producer.shardFor("k"))).hasCode(ErrorCode.CLOSED);
    producer.close(); // idempotent
  }

  @Test
  @DisplayName("closing Sluice closes its producers and consumers; using it then fails with CLOSED")
  void closeSluice() {
    String stream = stream(1);
    Sluice own = open();
    Producer<String, String> producer = own.producer(stream, Serde.string(), Serde.string());
    CompletableFuture<SendResult> accepted = producer.send("k", "sent before close");
    Consumer<String, String> consumer = consumerOf(own, stream).start(r -> {});

    own.close();

    await(accepted);
    assertThat(failureOf(producer.send("k", "v"))).hasCode(ErrorCode.CLOSED);
    assertThat(consumer.awaitTermination(timeout())).isTrue();
    assertThat(consumer.termination()).isCompleted().isNotCompletedExceptionally();
    assertThat(thrown(own::admin)).hasCode(ErrorCode.CLOSED);
    assertThat(thrown(() -> own.producer(stream))).hasCode(ErrorCode.CLOSED);
  }

  @Test
  @DisplayName("closing a consumer gives up its shards promptly and completes termination()")
  void closeConsumer() {
    String stream = stream(2);
    Consumer<String, String> consumer = track(consumerOf(stream).group(group()).start(r -> {}));
    Await.until(
        "the consumer owns both shards", timeout(), () -> consumer.assignment().size() == 2);

    long started = System.nanoTime();
    consumer.close();

    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(timeout());
    assertThat(consumer.termination()).isCompleted().isNotCompletedExceptionally();
    assertThat(consumer.assignment()).isEmpty();
  }

  @Test
  @DisplayName(
      "closing a group consumer with a slow handler and many records buffered starts no handler"
          + " call after close(), finishes the calls in progress, returns within 10 s, and a new"
          + " member resumes just after what was handled: nothing lost, nothing repeated")
  void closeStopsDeliveriesAtOnce() throws Exception {
    closeWhileHandling(1, false);
  }

  @Test
  @DisplayName(
      "closing Sluice stops the handlers of all its consumers at once: none starts a call after"
          + " Sluice.close(), and each group resumes just after what it handled")
  void closeSluiceStopsEveryConsumerAtOnce() throws Exception {
    closeWhileHandling(2, true);
  }

  @Test
  @DisplayName(
      "closing a group consumer while its handler runs does not checkpoint the record in hand:"
          + " a restarted group gets it again")
  void closeWhileHandlerRuns() throws Exception {
    String stream = stream(1);
    String group = group();
    sendValuesList(stream, List.of("c0", "c1", "c2"));
    CountDownLatch busy = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    RecordCollector<String, String> first =
        collect(
            consumerOf(open(), stream).group(group).revocationTimeout(Duration.ofMillis(500)),
            r -> {
              if (r.value().equals("c1")) {
                busy.countDown();
                release.await(timeout().toMillis(), TimeUnit.MILLISECONDS);
              }
            });
    assertThat(busy.await(timeout().toMillis(), TimeUnit.MILLISECONDS))
        .as("the handler got c1")
        .isTrue();

    // The handler still holds c1 when the close gives up waiting for it.
    first.close();
    release.countDown();

    RecordCollector<String, String> again = collect(consumerOf(open(), stream).group(group));
    List<Record<String, String>> got =
        again.await("c1 and c2", timeout(), rs -> collectorValues(rs).contains("c2"));
    assertThat(collectorValues(got))
        .as("c1 was in hand, not processed, when the consumer closed")
        .containsSubsequence("c1", "c2");
  }

  @Test
  @DisplayName("checkpointing after a consumer closed fails with CLOSED")
  void checkpointAfterClose() {
    String stream = stream(2);
    Shard first = sluice().admin().describeStream(stream).openShards().get(0);
    PullConsumer<String, String> consumer = consumerOf(stream).open();
    consumer.close();

    assertThat(thrown(() -> consumer.checkpoint(first, Position.of(0))))
        .hasCode(ErrorCode.CLOSED)
        .message()
        .isNotBlank();
  }

  /**
   * Starts {@code members} group consumers (each of its own group) with a slow handler on one
   * Sluice, lets many records buffer, holds one handler call per shard in progress, then closes the
   * consumers (or the Sluice) and checks the bound Sluice promises: no handler call starts after
   * close() is called, the calls in progress finish, close returns within 10 s, and a new member of
   * each group resumes just after the records handled (clean close: nothing lost, nothing twice).
   */
  private void closeWhileHandling(int members, boolean viaSluice) throws Exception {
    String stream = stream(2);
    List<Shard> shards = sluice().admin().describeStream(stream).openShards();
    Producer<String, String> producer = strings(stream);
    Map<String, List<String>> perKey = new LinkedHashMap<>();
    List<CompletableFuture<SendResult>> sends = new ArrayList<>();
    // Enough for hundreds of records to wait in the buffer at close (what close must not drain);
    // more only lengthens the sends and the next member's catch-up.
    int perShard = 500;
    for (Shard s : shards) {
      for (int i = 0; i < perShard; i++) {
        String key = "slow-" + s.id();
        String value = String.format("%s#%05d", key, i);
        perKey.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
        sends.add(producer.send(Record.<String, String>builder(key, value).shard(s).build()));
      }
    }
    awaitAll(sends);
    List<String> all = perKey.values().stream().flatMap(List::stream).collect(Collectors.toList());

    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    Sluice metered = harnessNow().builder().meterRegistry(registry).open();
    opened.add(metered);
    AtomicBoolean hold = new AtomicBoolean();
    CountDownLatch release = new CountDownLatch(1);
    Set<String> held = ConcurrentHashMap.newKeySet();
    AtomicBoolean closeCalled = new AtomicBoolean();
    List<String> startedAfterClose = new CopyOnWriteArrayList<>();
    List<String> groups = new ArrayList<>();
    List<List<String>> handled = new ArrayList<>();
    List<Consumer<String, String>> consumers = new ArrayList<>();
    for (int m = 0; m < members; m++) {
      String group = group();
      List<String> handledHere = new CopyOnWriteArrayList<>();
      groups.add(group);
      handled.add(handledHere);
      consumers.add(
          track(
              consumerOf(metered, stream)
                  .group(group)
                  .maxBufferedRecords(250)
                  .start(
                      r -> {
                        if (closeCalled.get()) {
                          startedAfterClose.add(group + ": " + r.value());
                        }
                        if (hold.get()) {
                          // The call in hand when close() is called: it is still running then.
                          held.add(group + "/" + r.shard());
                          release.await(timeout().toMillis(), TimeUnit.MILLISECONDS);
                        } else {
                          LockSupport.parkNanos(2_000_000); // a slow handler
                        }
                        handledHere.add(r.value());
                      })));
    }
    java.util.function.LongSupplier buffered =
        () -> {
          long received = 0;
          for (String group : groups) {
            Tags tags = Tags.of("backend", backend(), "stream", stream, "group", group);
            received +=
                (long)
                    registry.find("sluice.receive.records").tags(tags).counters().stream()
                        .mapToDouble(Counter::count)
                        .sum();
          }
          return received - handled.stream().mapToInt(List::size).sum();
        };
    Await.until(
        "records of every shard handled and at least 250 more buffered per consumer",
        timeout(),
        () ->
            handled.stream()
                    .allMatch(
                        h ->
                            shards.stream()
                                .allMatch(
                                    s -> h.stream().anyMatch(v -> v.startsWith("slow-" + s.id()))))
                && buffered.getAsLong() >= 250L * members);
    hold.set(true);
    Await.until(
        "a handler call in progress on every shard of every consumer",
        timeout(),
        () -> held.size() == members * shards.size());
    long bufferedAtClose = buffered.getAsLong() - held.size();

    closeCalled.set(true);
    long started = System.nanoTime();
    CompletableFuture<Void> closed =
        CompletableFuture.runAsync(
            viaSluice ? metered::close : () -> consumers.forEach(Consumer::close));
    Await.until(
        "close() has begun: the consumers refuse calls with CLOSED",
        timeout(),
        () ->
            consumers.stream()
                .allMatch(
                    c -> {
                      Throwable t = catchThrowable(c::commitCheckpoints);
                      return t instanceof SluiceException
                          && ((SluiceException) t).code() == ErrorCode.CLOSED;
                    }));
    release.countDown(); // the calls in progress finish now, after close() was called
    closed.get(timeout().toMillis(), TimeUnit.MILLISECONDS);
    Duration took = Duration.ofNanos(System.nanoTime() - started);
    System.out.printf(
        "[%s] close with %d records buffered took %d ms%n",
        backend(), bufferedAtClose, took.toMillis());

    assertThat(startedAfterClose)
        .as(
            "handler calls started after close() was called, with %d records buffered",
            bufferedAtClose)
        .isEmpty();
    assertThat(took).as("time close() took").isLessThan(Duration.ofSeconds(10));
    for (int m = 0; m < members; m++) {
      assertThat(consumers.get(m).termination()).isCompleted().isNotCompletedExceptionally();
      List<String> before = new ArrayList<>(handled.get(m));
      perKey.forEach(
          (key, values) -> {
            List<String> ofKey =
                before.stream().filter(v -> v.startsWith(key + "#")).collect(Collectors.toList());
            assertThat(ofKey)
                .as("records of %s handled before close: the first ones, in order", key)
                .isEqualTo(values.subList(0, ofKey.size()));
          });
      Set<String> left = new TreeSet<>(all);
      before.forEach(left::remove);
      assertThat(left).as("records left for the next member").isNotEmpty();

      RecordCollector<String, String> next =
          collect(consumerOf(open(), stream).group(groups.get(m)));
      List<Record<String, String>> got =
          next.await(
              "every record not handled by the closed member",
              timeout(),
              rs -> collectorValues(rs).containsAll(left));
      Await.holdsFor("no record handled twice", quietPeriod(), () -> next.size() == left.size());
      assertThat(got)
          .as("after a clean close the group resumes just after the last record handled")
          .haveValuesInOrderPerKey(perKeyWithout(perKey, before));
    }
  }

  /** Each key's values without those in {@code without}, in order. */
  private static Map<String, List<String>> perKeyWithout(
      Map<String, List<String>> perKey, List<String> without) {
    Set<String> drop = new HashSet<>(without);
    Map<String, List<String>> out = new LinkedHashMap<>();
    perKey.forEach(
        (k, vs) -> {
          List<String> rest =
              vs.stream().filter(v -> !drop.contains(v)).collect(Collectors.toList());
          if (!rest.isEmpty()) {
            out.put(k, rest);
          }
        });
    return out;
  }
}
