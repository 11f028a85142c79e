package dev.sluice.testkit;

import static dev.sluice.testkit.SluiceAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Capabilities.Capability;
import dev.sluice.Consumer;
import dev.sluice.ErrorCode;
import dev.sluice.Ordering;
import dev.sluice.Producer;
import dev.sluice.PullConsumer;
import dev.sluice.Record;
import dev.sluice.SendResult;
import dev.sluice.Shard;
import dev.sluice.Sluice;
import dev.sluice.StartPosition;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Moving a running consumer ({@code Consumer.seek}): replay, skip, timestamps, what is dropped, the
 * checkpoint that follows the seek, and the errors.
 */
abstract class SeekTests extends ConformanceArea {
  private static final int FLOWING = 120;
  private static final int SEEK_AT = 40;

  @Test
  @DisplayName(
      "seek back to earliest from the handler while records flow: the next record handled is the"
          + " first one, then every record again in order, none lost")
  void seekBackWhileRecordsFlow() {
    requireSeek(false);
    String stream = stream(1);
    List<String> values = values("v", FLOWING);
    Sender sender = new Sender(strings(stream), values);
    AtomicReference<Consumer<String, String>> self = new AtomicReference<>();
    AtomicBoolean sought = new AtomicBoolean();
    RecordCollector<String, String> c =
        collect(
            consumerOf(stream).startPosition(StartPosition.earliest()),
            r -> {
              if (r.value().equals("v" + (SEEK_AT - 1)) && sought.compareAndSet(false, true)) {
                consumerOf(self).seek(r.shard(), StartPosition.earliest());
              }
            });
    self.set(c.consumer());
    sender.start();

    List<Record<String, String>> got =
        c.await(
            "the first " + SEEK_AT + " records, then every record again",
            timeout(),
            rs -> rs.size() >= SEEK_AT + FLOWING);
    sender.awaitDone();

    List<String> seen = collectorValues(got);
    assertThat(seen.subList(0, SEEK_AT)).containsExactlyElementsOf(values.subList(0, SEEK_AT));
    assertThat(seen.subList(SEEK_AT, SEEK_AT + FLOWING))
        .as("what the handler got after the seek")
        .containsExactlyElementsOf(values);
  }

  @Test
  @DisplayName(
      "seek back with concurrency(4, PER_KEY): records in flight are dropped, then every record"
          + " again, in order per key")
  void seekBackWithParallelHandling() {
    requireSeek(false);
    String stream = stream(1);
    Keyed first = keyed("p", 4, 15);
    awaitAll(strings(stream).sendAll(first.records));
    RecordCollector<String, String> c =
        collect(
            consumerOf(stream)
                .startPosition(StartPosition.earliest())
                .concurrency(4, Ordering.PER_KEY));
    List<Record<String, String>> before = c.awaitCount(60, timeout());
    Shard shard = before.get(0).shard();

    // Every record sent so far is handled and none is in flight: the replay starts after this
    // mark. (Taken after the seek, it raced the handler threads, which start replaying at once.)
    int mark = c.size();
    c.consumer().seek(shard, StartPosition.earliest());
    Keyed second = keyed("q", 4, 10);
    awaitAll(strings(stream).sendAll(second.records));

    List<String> all = new ArrayList<>(first.values());
    all.addAll(second.values());
    List<Record<String, String>> got =
        c.await(
            "every record again after the seek",
            timeout(),
            rs -> collectorValues(rs.subList(mark, rs.size())).containsAll(all));
    List<Record<String, String>> after = got.subList(mark, got.size());
    assertThat(after).hasValuesExactlyOnce(all);
    assertThat(startingWith(after, "p")).haveValuesInOrderPerKey(first.perKey);
    assertThat(startingWith(after, "q")).haveValuesInOrderPerKey(second.perKey);
  }

  @Test
  @DisplayName(
      "seek to latest: records queued behind the handler call in progress are dropped, and only"
          + " records sent after the seek follow")
  void seekToLatestSkips() throws InterruptedException {
    requireSeek(false);
    String stream = stream(1);
    List<String> old = values("old", 20);
    sendValuesList(stream, old);
    CountDownLatch release = new CountDownLatch(1);
    RecordCollector<String, String> c =
        collect(
            consumerOf(stream).startPosition(StartPosition.earliest()),
            r -> {
              if (r.value().equals("old0")) {
                release.await(timeout().toMillis(), TimeUnit.MILLISECONDS);
              }
            });
    Shard shard = c.awaitCount(1, timeout()).get(0).shard();

    c.consumer().seek(shard, StartPosition.latest());
    release.countDown();
    List<String> fresh = values("new", 10);
    sendValuesList(stream, fresh);

    List<Record<String, String>> got =
        c.await("the records sent after the seek", timeout(), rs -> rs.size() >= 11);
    Await.holdsFor("nothing else arrives", quietPeriod(), () -> c.size() == 11);
    List<String> expected = new ArrayList<>(List.of("old0"));
    expected.addAll(fresh);
    assertThat(got).hasValuesInOrder(expected);
  }

  @Test
  @DisplayName("seek to a timestamp reads again from the first record stored at or after it")
  void seekToTimestamp() {
    requireSeek(false);
    Assumptions.assumeTrue(
        caps().supports(Capability.SEEK_BY_TIMESTAMP),
        backend() + " cannot seek to a timestamp (no SEEK_BY_TIMESTAMP)");
    String stream = stream(1);
    List<String> early = values("early", 5);
    sendValuesList(stream, early);
    Instant boundary = Instant.now().plusMillis(1);
    Await.clockPasses(boundary);
    List<String> late = values("late", 5);
    sendValuesList(stream, late);
    RecordCollector<String, String> c =
        collect(consumerOf(stream).startPosition(StartPosition.earliest()));
    Shard shard = c.awaitCount(10, timeout()).get(0).shard();

    c.consumer().seek(shard, StartPosition.atTimestamp(boundary));

    List<Record<String, String>> got = c.awaitCount(15, timeout());
    Await.holdsFor("nothing before the timestamp arrives", quietPeriod(), () -> c.size() == 15);
    assertThat(got.subList(10, 15)).hasValuesInOrder(late);
  }

  @Test
  @DisplayName("a pull consumer's next poll after a seek starts at the new position")
  void pullConsumerSeek() {
    requireSeek(false);
    String stream = stream(1);
    List<SendResult> sent = sendValues(stream, "v", 10);
    Shard shard = sent.get(0).shard();
    PullConsumer<String, String> consumer =
        track(consumerOf(stream).startPosition(StartPosition.earliest()).maxPollRecords(3).open());
    List<Record<String, String>> first =
        Await.until(
            "a first poll with records",
            timeout(),
            () -> consumer.poll(Duration.ofMillis(200)),
            rs -> !rs.isEmpty());
    assertThat(first.get(0).value()).isEqualTo("v0");

    consumer.seek(shard, StartPosition.at(shard, sent.get(6).position()));

    List<String> next = new ArrayList<>();
    Await.until(
        "the records from the new position",
        timeout(),
        () -> {
          consumer.poll(Duration.ofMillis(200)).forEach(r -> next.add(r.value()));
          return next.size() >= 4;
        });
    assertThat(next).containsExactly("v6", "v7", "v8", "v9");
  }

  @Test
  @DisplayName(
      "seek back in a group, then close: a new member resumes at the seek's position (or after"
          + " what was handled since), never after a record the seek asked for")
  void seekThenCloseThenNewMemberResumes() {
    requireSeek(true);
    String stream = stream(1);
    List<SendResult> sent = sendValues(stream, "v", 30);
    Shard shard = sent.get(0).shard();
    String group = group();
    Sluice first = open();
    RecordCollector<String, String> c1 =
        collect(consumerOf(first, stream).group(group).startPosition(StartPosition.earliest()));
    c1.awaitCount(30, timeout());
    c1.consumer().commitCheckpoints().join();

    c1.consumer().seek(shard, StartPosition.at(shard, sent.get(10).position()));
    c1.close();
    List<String> handledAfterSeek = collectorValues(c1.records().subList(30, c1.size()));
    first.close();
    List<String> more = values("w", 5);
    sendValuesList(stream, more);

    RecordCollector<String, String> c2 = collect(consumerOf(open(), stream).group(group));
    List<String> all = values("v", 30);
    all.addAll(more);
    int resumedAt = 10 + handledAfterSeek.size();
    List<Record<String, String>> got =
        c2.await(
            "the records from the seek's position on",
            timeout(),
            rs -> collectorValues(rs).contains("w4"));
    assertThat(handledAfterSeek)
        .as("what the first member handled after the seek")
        .containsExactlyElementsOf(all.subList(10, resumedAt));
    List<String> resumed = collectorValues(got);
    assertThat(resumed.get(0))
        .as("the new member's first record: at or after the seek's position, never after")
        .isIn(all.subList(10, resumedAt + 1));
    assertThat(resumed)
        .containsExactlyElementsOf(all.subList(all.indexOf(resumed.get(0)), all.size()));
  }

  @Test
  @DisplayName(
      "seek to latest in a group, then close: a new member reads only records sent after the"
          + " seek")
  void seekForwardThenCloseThenNewMemberResumes() {
    requireSeek(true);
    String stream = stream(1);
    List<SendResult> sent = sendValues(stream, "old", 10);
    Shard shard = sent.get(0).shard();
    String group = group();
    Sluice first = open();
    CountDownLatch release = new CountDownLatch(1);
    RecordCollector<String, String> c1 =
        collect(
            consumerOf(first, stream).group(group).startPosition(StartPosition.earliest()),
            r -> release.await(quietPeriod().toMillis(), TimeUnit.MILLISECONDS));
    c1.awaitCount(1, timeout());

    c1.consumer().seek(shard, StartPosition.latest());
    release.countDown();
    c1.close();
    first.close();
    List<String> fresh = values("new", 5);
    sendValuesList(stream, fresh);

    RecordCollector<String, String> c2 = collect(consumerOf(open(), stream).group(group));
    List<Record<String, String>> got = c2.awaitCount(5, timeout());
    Await.holdsFor("no record from before the seek arrives", quietPeriod(), () -> c2.size() == 5);
    assertThat(got).hasValuesInOrder(fresh);
  }

  @Test
  @DisplayName(
      "seek on a shard this consumer does not own fails with INVALID_ARGUMENT; a timestamp in the"
          + " future with INVALID_ARGUMENT; after close with CLOSED")
  void seekErrors() {
    requireSeek(false);
    String stream = stream(1);
    List<SendResult> sent = sendValues(stream, "v", 3);
    Shard shard = sent.get(0).shard();
    RecordCollector<String, String> c = collect(consumerOf(stream));
    c.awaitCount(3, timeout());
    Consumer<String, String> consumer = c.consumer();

    assertThat(thrown(() -> consumer.seek(Shard.of("shardId-999999999"), StartPosition.earliest())))
        .hasCode(ErrorCode.INVALID_ARGUMENT)
        .message()
        .contains("not assigned");
    assertThat(
            thrown(
                () ->
                    consumer.seek(
                        shard, StartPosition.atTimestamp(Instant.now().plus(1, ChronoUnit.HOURS)))))
        .hasCode(ErrorCode.INVALID_ARGUMENT);
    consumer.close();
    assertThat(thrown(() -> consumer.seek(shard, StartPosition.earliest())))
        .hasCode(ErrorCode.CLOSED);
  }

  @Test
  @DisplayName(
      "a backend that cannot move a running group consumer says so in its capabilities and"
          + " fails with UNSUPPORTED")
  void unsupportedInGroup() {
    Assumptions.assumeFalse(
        caps().supports(Capability.SEEK_IN_GROUP), backend() + " can seek in a group");
    String stream = stream(1);
    Shard shard = sendValues(stream, "v", 1).get(0).shard();
    RecordCollector<String, String> c = collect(consumerOf(stream).group(group()));
    c.awaitCount(1, timeout());

    assertThat(thrown(() -> c.consumer().seek(shard, StartPosition.earliest())))
        .hasCode(ErrorCode.UNSUPPORTED)
        .message()
        .contains("SEEK_IN_GROUP");
  }

  // ------------------------------------------------------------------ helpers

  private void requireSeek(boolean group) {
    Capability needed = group ? Capability.SEEK_IN_GROUP : Capability.SEEK;
    Assumptions.assumeTrue(
        caps().supports(needed), backend() + " cannot move a running consumer (no " + needed + ")");
  }

  private static List<Record<String, String>> startingWith(
      List<Record<String, String>> records, String prefix) {
    return records.stream().filter(r -> r.value().startsWith(prefix)).collect(Collectors.toList());
  }

  private static List<String> values(String prefix, int count) {
    return IntStream.range(0, count).mapToObj(i -> prefix + i).collect(Collectors.toList());
  }

  private static Consumer<String, String> consumerOf(
      AtomicReference<Consumer<String, String>> ref) {
    return Await.until("the consumer is started", Duration.ofSeconds(10), ref::get, c -> c != null);
  }

  /** Sends values with one key from its own thread, a few at a time, while the test consumes. */
  private final class Sender {
    private final Producer<String, String> producer;
    private final List<String> values;
    private final CompletableFuture<Void> done = new CompletableFuture<>();

    Sender(Producer<String, String> producer, List<String> values) {
      this.producer = producer;
      this.values = values;
    }

    void start() {
      Thread t =
          new Thread(
              () -> {
                try {
                  for (int i = 0; i < values.size(); i += 5) {
                    List<CompletableFuture<SendResult>> sends = new ArrayList<>();
                    for (String v : values.subList(i, Math.min(values.size(), i + 5))) {
                      sends.add(producer.send("the-key", v));
                    }
                    awaitAll(sends);
                  }
                  done.complete(null);
                } catch (Throwable e) {
                  done.completeExceptionally(e);
                }
              },
              "seek-test-sender");
      t.setDaemon(true);
      t.start();
    }

    void awaitDone() {
      done.orTimeout(timeout().toMillis(), TimeUnit.MILLISECONDS).join();
    }
  }
}
