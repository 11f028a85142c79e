package dev.sluice.testkit;

import static dev.sluice.testkit.SluiceAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.fail;

import dev.sluice.Capabilities;
import dev.sluice.Capabilities.Capability;
import dev.sluice.Consumer;
import dev.sluice.ConsumerBuilder;
import dev.sluice.ErrorCode;
import dev.sluice.Headers;
import dev.sluice.Position;
import dev.sluice.Producer;
import dev.sluice.PullConsumer;
import dev.sluice.Record;
import dev.sluice.SendResult;
import dev.sluice.Serde;
import dev.sluice.Shard;
import dev.sluice.ShardDescription;
import dev.sluice.ShardListener;
import dev.sluice.Sluice;
import dev.sluice.SluiceException;
import dev.sluice.StartPosition;
import dev.sluice.StreamDescription;
import dev.sluice.StreamSpec;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

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
 */
public abstract class SluiceConformanceTest {
  private @Nullable ConformanceHarness harness;
  private @Nullable Sluice sluice;
  private final List<Sluice> opened = new CopyOnWriteArrayList<>();
  private final List<AutoCloseable> resources = new CopyOnWriteArrayList<>();
  private final Set<String> streams = ConcurrentHashMap.newKeySet();

  /** The backend under test. Called before each test; the harness is closed after it. */
  protected abstract ConformanceHarness harness();

  @BeforeEach
  final void openSluiceForConformanceTest() {
    harness = harness();
    sluice = open();
  }

  @AfterEach
  final void cleanUpAfterConformanceTest() {
    List<AutoCloseable> toClose = new ArrayList<>(resources);
    Collections.reverse(toClose);
    for (AutoCloseable r : toClose) {
      closeQuietly(r);
    }
    opened.forEach(SluiceConformanceTest::closeQuietly);
    ConformanceHarness h = harness;
    if (h == null) {
      return;
    }
    try {
      if (!streams.isEmpty()) {
        try (Sluice cleaner = h.open()) {
          h.deleteStreams(cleaner, new ArrayList<>(streams));
        }
      }
    } finally {
      h.close();
    }
  }

  // ------------------------------------------------------------------------------ records

  @Nested
  @DisplayName("A record sent and received")
  class RoundTrip extends RoundTripTests {}

  // ------------------------------------------------------------------------------ tombstones

  @Nested
  @DisplayName("Tombstones and compaction")
  class Tombstones extends TombstoneTests {}

  // ------------------------------------------------------------------------------ bad input

  @Nested
  @DisplayName("Bad input")
  class BadInput extends BadInputTests {}

  // ------------------------------------------------------------------------------ missing streams

  @Nested
  @DisplayName("A stream that does not exist")
  class MissingStreams extends MissingStreamTests {}

  // ------------------------------------------------------------------------------ admin

  @Nested
  @DisplayName("Stream administration")
  class Administration extends AdministrationTests {}

  // ------------------------------------------------------------------------------ routing

  @Nested
  @DisplayName("Routing")
  class Routing extends RoutingTests {}

  // ------------------------------------------------------------------------------ ordering

  @Nested
  @DisplayName("Ordering")
  class Ordering extends OrderingTests {}

  // ------------------------------------------------------------------------------ callback sends

  @Nested
  @DisplayName("Sending with a callback")
  class CallbackSends extends CallbackSendTests {}

  // ------------------------------------------------------------------------------ producer close

  @Nested
  @DisplayName("Flushing and closing")
  class Closing extends ClosingTests {}

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
    int perShard = 1500;
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
                  .maxBufferedRecords(1000)
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
        "records of every shard handled and at least 1000 more buffered per consumer",
        timeout(),
        () ->
            handled.stream()
                    .allMatch(
                        h ->
                            shards.stream()
                                .allMatch(
                                    s -> h.stream().anyMatch(v -> v.startsWith("slow-" + s.id()))))
                && buffered.getAsLong() >= 1000L * members);
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

  // ------------------------------------------------------------------------------ positions

  @Nested
  @DisplayName("Positions")
  class Positions extends PositionTests {}

  // ------------------------------------------------------------------------------ start positions

  @Nested
  @DisplayName("Start positions")
  class StartPositions extends StartPositionTests {}

  // ------------------------------------------------------------------------------ standalone

  @Nested
  @DisplayName("A standalone consumer")
  class Standalone extends StandaloneConsumerTests {}

  // ------------------------------------------------------------------------------ groups

  @Nested
  @DisplayName("Consumer groups")
  class Groups extends GroupTests {}

  // ------------------------------------------------------------------------------ handler

  @Nested
  @DisplayName("Record handlers")
  class Handlers extends HandlerTests {}

  // ------------------------------------------------------------------------------ failures

  @Nested
  @DisplayName("Handler failures")
  class Failures extends HandlerFailureTests {}

  // ------------------------------------------------------------------------------ bad input

  @Nested
  @DisplayName("Bad input leaves the client usable")
  class BadInputLeavesClientUsable {
    /**
     * Each case gets a typed error with a message; after each, the same producer sends a good
     * record. At the end, a fresh consumer reads every good record: nothing accepted was lost.
     */
    @TestFactory
    List<DynamicTest> eachBadInputIsATypedErrorAndTheClientGoesOn() {
      String stream = stream(2);
      Producer<String, String> producer = strings(stream);
      List<String> good = new ArrayList<>();
      Map<String, ThrowingCallable> cases = new LinkedHashMap<>();
      Capabilities caps = caps();
      String missing = harnessNow().missingStreamName();
      Shard first = sluice().admin().describeStream(stream).openShards().get(0);

      // Records.
      cases.put(
          "a record over maxRecordBytes: RECORD_TOO_LARGE",
          () ->
              expect(
                  ErrorCode.RECORD_TOO_LARGE,
                  producer.send("k", "x".repeat(caps.maxRecordBytes() + 1))));
      cases.put(
          "a batch with one oversized record: only that record fails",
          () -> {
            List<CompletableFuture<SendResult>> sends =
                producer.sendAll(
                    List.of(
                        Record.of("k", "batch-ok-1"),
                        Record.of("k", "x".repeat(caps.maxRecordBytes() + 1)),
                        Record.of("k", "batch-ok-2")));
            await(sends.get(0));
            await(sends.get(2));
            good.add("batch-ok-1");
            good.add("batch-ok-2");
            expect(ErrorCode.RECORD_TOO_LARGE, sends.get(1));
          });
      cases.put(
          "a null value without a key: INVALID_ARGUMENT",
          () -> expect(ErrorCode.INVALID_ARGUMENT, producer.send(null, nullString())));
      cases.put(
          "a key over maxKeyBytes: INVALID_ARGUMENT",
          () -> {
            if (caps.maxKeyBytes() >= caps.maxRecordBytes()) {
              // No key limit of its own: a long key is just a large record.
              expect(
                  ErrorCode.RECORD_TOO_LARGE,
                  producer.send("k".repeat(caps.maxRecordBytes() + 1), "v"));
            } else {
              expect(
                  ErrorCode.INVALID_ARGUMENT,
                  producer.send("k".repeat(caps.maxKeyBytes() + 1), "v"));
            }
          });
      cases.put(
          "an empty header name: INVALID_ARGUMENT",
          () ->
              expect(
                  ErrorCode.INVALID_ARGUMENT,
                  producer.send(Record.builder("k", "v").header("", "x").build())));
      cases.put(
          "a header name with a control character: INVALID_ARGUMENT",
          () ->
              expect(
                  ErrorCode.INVALID_ARGUMENT,
                  producer.send(Record.builder("k", "v").header("a\u0000b", "x").build())));
      cases.put(
          "more headers than the backend carries, or a header name over its limit: INVALID_ARGUMENT",
          () -> {
            Headers.Builder many = Headers.builder();
            int count = Math.min(caps.maxHeaders(), 10_000) + 1;
            for (int i = 0; i < count; i++) {
              many.add("h" + i, "");
            }
            if (caps.maxHeaders() <= 10_000) {
              expect(
                  ErrorCode.INVALID_ARGUMENT,
                  producer.send(Record.builder("k", "v").headers(many.build()).build()));
            } else {
              int nameBytes = Math.min(caps.maxHeaderNameBytes(), caps.maxRecordBytes()) + 1;
              expect(
                  nameBytes > caps.maxHeaderNameBytes()
                      ? ErrorCode.INVALID_ARGUMENT
                      : ErrorCode.RECORD_TOO_LARGE,
                  producer.send(
                      Record.builder("k", "v").header("n".repeat(nameBytes), "x").build()));
            }
          });
      cases.put(
          "a target shard the stream does not have: INVALID_ARGUMENT or NOT_FOUND",
          () -> {
            SluiceException e =
                failureOf(
                    producer.send(
                        Record.builder("k", "v").shard(Shard.of("shardId-999999999")).build()));
            assertThat(e.code()).isIn(ErrorCode.INVALID_ARGUMENT, ErrorCode.NOT_FOUND);
            assertThat(e.getMessage()).isNotBlank();
          });
      cases.put(
          "a value the serde cannot write: SERIALIZATION",
          () -> {
            Producer<String, Object> json =
                track(sluice().producer(stream, Serde.string(), Serde.json(Object.class)));
            expect(ErrorCode.SERIALIZATION, json.send("k", new Object()));
          });
      // Streams and admin.
      cases.put(
          "an empty stream name: INVALID_ARGUMENT",
          () -> expect(ErrorCode.INVALID_ARGUMENT, () -> sluice().producer("")));
      cases.put(
          "a stream name over 128 characters: INVALID_ARGUMENT",
          () ->
              expect(
                  ErrorCode.INVALID_ARGUMENT,
                  () -> sluice().admin().createStream("s".repeat(129), StreamSpec.withShards(1))));
      cases.put(
          "a stream name with illegal characters: INVALID_ARGUMENT",
          () ->
              expect(
                  ErrorCode.INVALID_ARGUMENT,
                  () ->
                      sluice()
                          .admin()
                          .createStream("has space/and slash", StreamSpec.withShards(1))));
      cases.put(
          "creating a stream that exists: ALREADY_EXISTS",
          () ->
              expect(
                  ErrorCode.ALREADY_EXISTS,
                  () -> sluice().admin().createStream(stream, StreamSpec.withShards(2))));
      cases.put(
          "deleting a stream that does not exist: NOT_FOUND",
          () -> expect(ErrorCode.NOT_FOUND, () -> sluice().admin().deleteStream(missing)));
      cases.put(
          "describing a stream that does not exist: NOT_FOUND",
          () -> expect(ErrorCode.NOT_FOUND, () -> sluice().admin().describeStream(missing)));
      cases.put(
          "sending to a stream that does not exist: NOT_FOUND",
          () ->
              expect(
                  ErrorCode.NOT_FOUND,
                  track(sluice().producer(missing, Serde.string(), Serde.string()))
                      .send("k", "v")));
      cases.put(
          "consuming a stream that does not exist: NOT_FOUND",
          () -> {
            SluiceException e;
            try {
              e = terminationError(track(consumerOf(missing).open()));
            } catch (SluiceException thrownAtStart) {
              e = thrownAtStart;
            }
            assertThat(e).hasCode(ErrorCode.NOT_FOUND);
          });
      cases.put(
          "a stream with zero shards: INVALID_ARGUMENT",
          () ->
              expect(
                  ErrorCode.INVALID_ARGUMENT,
                  () ->
                      sluice()
                          .admin()
                          .createStream(harnessNow().newStreamName(), StreamSpec.withShards(0))));
      cases.put(
          "a shard count of zero: INVALID_ARGUMENT",
          () ->
              expect(ErrorCode.INVALID_ARGUMENT, () -> sluice().admin().setShardCount(stream, 0)));
      cases.put(
          "merging a shard with itself: INVALID_ARGUMENT",
          () ->
              expect(
                  ErrorCode.INVALID_ARGUMENT,
                  () -> sluice().admin().mergeShards(stream, first, first)));
      // Consumers.
      cases.put(
          "a start timestamp in the future: INVALID_ARGUMENT",
          () ->
              expect(
                  ErrorCode.INVALID_ARGUMENT,
                  () ->
                      consumerOf(stream)
                          .startPosition(
                              StartPosition.atTimestamp(Instant.now().plus(1, ChronoUnit.HOURS)))
                          .open()));
      cases.put(
          "a start position naming a shard the stream does not have: INVALID_ARGUMENT",
          () -> {
            SluiceException e;
            try {
              e =
                  terminationError(
                      track(
                          consumerOf(stream)
                              .startPosition(
                                  StartPosition.at(Shard.of("shardId-999999999"), Position.of(0)))
                              .open()));
            } catch (SluiceException thrownAtStart) {
              e = thrownAtStart;
            }
            assertThat(e).hasCode(ErrorCode.INVALID_ARGUMENT);
          });
      cases.put(
          "an invalid group name: INVALID_ARGUMENT",
          () ->
              expect(
                  ErrorCode.INVALID_ARGUMENT,
                  () -> consumerOf(stream).group("no spaces allowed").open()));
      cases.put(
          "a buffer of zero records: INVALID_ARGUMENT",
          () -> expect(ErrorCode.INVALID_ARGUMENT, () -> consumerOf(stream).maxBufferedRecords(0)));
      cases.put(
          "checkpointing a position not yet delivered: INVALID_ARGUMENT",
          () -> {
            PullConsumer<String, String> c = track(consumerOf(stream).open());
            Await.until("the consumer owns a shard", timeout(), () -> !c.assignment().isEmpty());
            Shard owned = c.assignment().iterator().next();
            expect(
                ErrorCode.INVALID_ARGUMENT,
                () -> c.checkpoint(owned, Position.of("99999999999999999999999")));
          });
      cases.put(
          "poll after close: CLOSED",
          () -> {
            PullConsumer<String, String> c = consumerOf(stream).open();
            c.close();
            expect(ErrorCode.CLOSED, () -> c.poll(Duration.ZERO));
          });
      cases.put(
          "checkpoint after close: CLOSED",
          () -> {
            PullConsumer<String, String> c = consumerOf(stream).open();
            c.close();
            expect(ErrorCode.CLOSED, () -> c.checkpoint(first, Position.of(0)));
          });
      cases.put(
          "send after the producer closed: CLOSED",
          () -> {
            Producer<String, String> p = sluice().producer(stream, Serde.string(), Serde.string());
            p.close();
            expect(ErrorCode.CLOSED, p.send("k", "v"));
          });
      cases.put(
          "a malformed position string: INVALID_ARGUMENT",
          () -> expect(ErrorCode.INVALID_ARGUMENT, () -> Position.parse("not-a-position")));
      // Configuration.
      cases.put(
          "an unknown backend: INVALID_CONFIG",
          () ->
              expect(
                  ErrorCode.INVALID_CONFIG,
                  () -> harnessNow().builder().backend("no-such-backend").open()));
      cases.put(
          "a misspelled key: INVALID_CONFIG with a hint",
          () -> {
            SluiceException e =
                thrown(() -> harnessNow().builder().set("sluice.backnd", "memory").open());
            assertThat(e).hasCode(ErrorCode.INVALID_CONFIG);
            assertThat(e.getMessage()).contains("did you mean");
          });
      cases.put(
          "requiring a capability the backend lacks: UNSUPPORTED, or opening if it has them all",
          () -> {
            EnumSet<Capability> lacking = EnumSet.allOf(Capability.class);
            lacking.removeAll(caps.features());
            if (lacking.isEmpty()) {
              closeQuietly(harnessNow().builder().require(Capability.values()).open());
            } else {
              expect(
                  ErrorCode.UNSUPPORTED,
                  () -> harnessNow().builder().require(lacking.toArray(new Capability[0])).open());
            }
          });
      cases.put(
          "admin on a closed Sluice: CLOSED",
          () -> {
            Sluice closed = harnessNow().open();
            closed.close();
            expect(ErrorCode.CLOSED, () -> closed.admin().listStreams());
          });

      List<DynamicTest> tests = new ArrayList<>();
      int[] n = {0};
      cases.forEach(
          (name, bad) ->
              tests.add(
                  DynamicTest.dynamicTest(
                      name,
                      () -> {
                        bad.call();
                        String value = "good-" + n[0]++;
                        await(producer.send("k", value));
                        good.add(value);
                      })));
      tests.add(
          DynamicTest.dynamicTest(
              "afterwards, a new consumer reads every good record, in order",
              () -> {
                List<Record<String, String>> got =
                    collect(consumerOf(stream)).awaitCount(good.size(), timeout());
                assertThat(collectorValues(got)).containsExactlyElementsOf(good);
              }));
      assertThat(cases).hasSizeGreaterThanOrEqualTo(30);
      return tests;
    }

    private void expect(ErrorCode code, CompletableFuture<?> future) {
      SluiceException e = failureOf(future);
      assertThat(e).hasCode(code);
      assertThat(e.getMessage()).isNotBlank();
    }

    private void expect(ErrorCode code, ThrowingCallable call) {
      SluiceException e = thrown(call);
      assertThat(e).hasCode(code);
      assertThat(e.getMessage()).isNotBlank();
    }
  }

  // ------------------------------------------------------------------------------ metrics

  @Nested
  @DisplayName("Metrics")
  class Metrics {
    @Test
    @DisplayName(
        "producer and consumer meters move as records flow, with the same names and tags on every backend")
    void metersMove() {
      SimpleMeterRegistry registry = new SimpleMeterRegistry();
      Sluice metered = harnessNow().builder().meterRegistry(registry).open();
      opened.add(metered);
      String stream = stream(2);
      String group = group();
      int count = 20;
      try (Producer<String, String> p =
          track(metered.producer(stream, Serde.string(), Serde.string()))) {
        List<CompletableFuture<SendResult>> sends = new ArrayList<>();
        for (int i = 0; i < count; i++) {
          sends.add(p.send("k" + i, "v" + i));
        }
        awaitAll(sends);
        failureOf(p.send(Record.of("k", "x".repeat(caps().maxRecordBytes() + 1))));
      }
      RecordCollector<String, String> c = collect(consumerOf(metered, stream).group(group));
      c.awaitCount(count, timeout());

      Tags tags = Tags.of("backend", backend(), "stream", stream);
      assertThat(registry.get("sluice.send.records").tags(tags).counter().count()).isEqualTo(count);
      assertThat(registry.get("sluice.send.bytes").tags(tags).counter().count())
          .isGreaterThanOrEqualTo(count * 4);
      assertThat(registry.get("sluice.send.latency").tags(tags).timer().count()).isEqualTo(count);
      assertThat(
              registry
                  .get("sluice.send.errors")
                  .tags(tags)
                  .tag("code", "RECORD_TOO_LARGE")
                  .counter()
                  .count())
          .isEqualTo(1);

      Tags consumerTags = tags.and("group", group);
      Await.until(
          "every record counted as received and handled",
          timeout(),
          () ->
              registry.get("sluice.receive.records").tags(consumerTags).counters().stream()
                          .mapToDouble(Counter::count)
                          .sum()
                      == count
                  && registry.get("sluice.handler.latency").tags(consumerTags).timer().count()
                      == count);
      long keyAndValueBytes = 0;
      for (int i = 0; i < count; i++) {
        keyAndValueBytes += ("k" + i).length() + ("v" + i).length();
      }
      assertThat(
              registry.get("sluice.receive.bytes").tags(consumerTags).counters().stream()
                  .mapToDouble(Counter::count)
                  .sum())
          .as("received bytes: the keys and values of the records")
          .isEqualTo((double) keyAndValueBytes);
      Await.until(
          "a checkpoint written",
          timeout(),
          () -> registry.get("sluice.checkpoints").tags(consumerTags).counter().count() >= 1);
      assertThat(registry.get("sluice.assigned.shards").tags(consumerTags).gauge().value())
          .isEqualTo(c.consumer().assignment().size());
      assertThat(
              registry
                  .get("sluice.rebalances")
                  .tags(consumerTags)
                  .tag("event", "assigned")
                  .counter()
                  .count())
          .isGreaterThanOrEqualTo(1);
      for (Gauge lag : registry.get("sluice.consumer.lag.millis").tags(consumerTags).gauges()) {
        assertThat(lag.value()).as("time lag is known on every backend").isGreaterThanOrEqualTo(0);
      }
      for (Gauge lag : registry.get("sluice.consumer.lag.records").tags(consumerTags).gauges()) {
        assertThat(lag.value())
            .as("record lag is 0 when caught up, or -1 where unknown")
            .isIn(0.0, -1.0);
      }
    }

    @Test
    @DisplayName(
        "a consumer closed and opened again in the same registry: the shard gauge follows the live"
            + " consumer, and the checkpoints written on close are counted")
    void consumerReopenedInSameRegistry() {
      SimpleMeterRegistry registry = new SimpleMeterRegistry();
      String stream = stream(2);
      String group = group();
      Set<Shard> all = new HashSet<>(sluice().admin().describeStream(stream).openShards());
      Tags tags = Tags.of("backend", backend(), "stream", stream, "group", group);
      Keyed first = keyed("first", 8, 5);
      awaitAll(strings(stream).sendAll(first.records));

      // No timed checkpoint within the test: every checkpoint is written when shards are given up.
      RecordingListener l1 = new RecordingListener();
      RecordCollector<String, String> c1 =
          collect(
              consumerOf(metered(registry), stream)
                  .group(group)
                  .checkpointInterval(Duration.ofHours(1))
                  .listener(l1));
      c1.awaitCount(first.records.size(), timeout());
      Await.until(
          "the gauge reads the shards the consumer owns",
          timeout(),
          () -> assignedShards(registry, tags),
          n -> n == c1.consumer().assignment().size() && n == all.size());
      c1.close();

      assertThat(l1.lost.get()).as("a clean close loses no shard").isFalse();
      assertThat(l1.checkpointsReported.get())
          .as("checkpoints the listener was told were written on close")
          .isGreaterThanOrEqualTo(1);
      assertThat(checkpointsCounted(registry, tags))
          .as("sluice.checkpoints counts the checkpoints written on close")
          .isEqualTo(l1.checkpointsReported.get());
      assertThat(assignedShards(registry, tags)).as("no shard owned after close").isZero();

      Keyed second = keyed("second", 8, 5);
      awaitAll(strings(stream).sendAll(second.records));
      RecordingListener l2 = new RecordingListener();
      RecordCollector<String, String> c2 =
          collect(
              consumerOf(metered(registry), stream)
                  .group(group)
                  .checkpointInterval(Duration.ofHours(1))
                  .listener(l2));
      c2.await(
          "the second batch", timeout(), rs -> collectorValues(rs).containsAll(second.values()));
      Await.until(
          "the gauge follows the consumer opened again",
          timeout(),
          () -> assignedShards(registry, tags),
          n -> n == c2.consumer().assignment().size() && n == all.size());
      c2.close();

      assertThat(l2.checkpointsReported.get()).isGreaterThanOrEqualTo(1);
      assertThat(checkpointsCounted(registry, tags))
          .as("both consumers' checkpoints written on close, in one counter")
          .isEqualTo(l1.checkpointsReported.get() + l2.checkpointsReported.get());
      assertThat(assignedShards(registry, tags)).isZero();
    }

    @Test
    @DisplayName(
        "two live consumers of one group in one registry: the shard gauge reads the shards they own"
            + " together, and checkpoints written when a shard is handed over are counted")
    void twoConsumersInOneRegistry() {
      SimpleMeterRegistry registry = new SimpleMeterRegistry();
      String stream = stream(4);
      String group = group();
      Set<Shard> all = new HashSet<>(sluice().admin().describeStream(stream).openShards());
      Tags tags = Tags.of("backend", backend(), "stream", stream, "group", group);
      // A record in every shard, so that each shard handed over has a checkpoint to write.
      Producer<String, String> producer = strings(stream);
      List<CompletableFuture<SendResult>> sends = new ArrayList<>();
      for (Shard shard : all) {
        sends.add(producer.send(Record.builder("k", "in " + shard.id()).shard(shard).build()));
      }
      awaitAll(sends);

      RecordingListener l1 = new RecordingListener();
      RecordCollector<String, String> c1 =
          collect(
              consumerOf(metered(registry), stream)
                  .group(group)
                  .checkpointInterval(Duration.ofHours(1))
                  .listener(l1));
      c1.awaitCount(all.size(), timeout());
      Await.until(
          "the first consumer owns every shard",
          timeout(),
          () -> c1.consumer().assignment().equals(all));

      RecordingListener l2 = new RecordingListener();
      RecordCollector<String, String> c2 =
          collect(
              consumerOf(metered(registry), stream)
                  .group(group)
                  .checkpointInterval(Duration.ofHours(1))
                  .listener(l2));
      Await.until(
          "both consumers own shards, together all",
          timeout(),
          () -> {
            Set<Shard> a1 = c1.consumer().assignment();
            Set<Shard> a2 = c2.consumer().assignment();
            Set<Shard> union = new HashSet<>(a1);
            union.addAll(a2);
            return !a1.isEmpty() && !a2.isEmpty() && union.equals(all);
          });

      Await.until(
          "the gauge reads the shards both consumers own",
          timeout(),
          () -> assignedShards(registry, tags),
          n ->
              n == c1.consumer().assignment().size() + c2.consumer().assignment().size()
                  && n == all.size());
      if (!l1.lost.get()) {
        assertThat(l1.checkpointsReported.get())
            .as("the shards handed over had records processed: their checkpoints were written")
            .isGreaterThanOrEqualTo(1);
      }
      Await.until(
          "sluice.checkpoints counts the checkpoints written on hand-over",
          timeout(),
          () -> checkpointsCounted(registry, tags),
          n -> n == l1.checkpointsReported.get() + l2.checkpointsReported.get());
    }
  }

  private Sluice metered(SimpleMeterRegistry registry) {
    Sluice s = harnessNow().builder().meterRegistry(registry).open();
    opened.add(s);
    return s;
  }

  private static int assignedShards(SimpleMeterRegistry registry, Tags tags) {
    return (int) registry.get("sluice.assigned.shards").tags(tags).gauge().value();
  }

  private static int checkpointsCounted(SimpleMeterRegistry registry, Tags tags) {
    Counter c = registry.find("sluice.checkpoints").tags(tags).counter();
    return c == null ? 0 : (int) c.count();
  }

  // ------------------------------------------------------------------------------ resharding

  @Nested
  @DisplayName("Resharding")
  class Resharding {
    @Test
    @DisplayName("split and merge work with SPLIT_AND_MERGE, else fail with UNSUPPORTED")
    void splitAndMergeOrUnsupported() {
      String stream = stream(2);
      List<Shard> open = sluice().admin().describeStream(stream).openShards();
      if (!caps().supports(Capability.SPLIT_AND_MERGE)) {
        assertThat(thrown(() -> sluice().admin().splitShard(stream, open.get(0))))
            .hasCode(ErrorCode.UNSUPPORTED);
        assertThat(thrown(() -> sluice().admin().mergeShards(stream, open.get(0), open.get(1))))
            .hasCode(ErrorCode.UNSUPPORTED);
        assertThat(sluice().admin().describeStream(stream).openShards()).isEqualTo(open);
        return;
      }
      Shard parent = open.get(0);

      sluice().admin().splitShard(stream, parent);

      StreamDescription d = sluice().admin().describeStream(stream);
      assertThat(d.shard(parent)).isNotNull().satisfies(p -> assertThat(p.isOpen()).isFalse());
      List<ShardDescription> children =
          d.shards().stream()
              .filter(s -> s.parents().contains(parent))
              .collect(Collectors.toList());
      assertThat(children).hasSize(2).allSatisfy(s -> assertThat(s.isOpen()).isTrue());
      assertThat(d.openShards()).hasSize(3);
    }

    @Test
    @DisplayName(
        "after a split, records of a key sent before it are consumed before those sent after")
    void splitKeepsKeyOrder() {
      requireSplitAndMerge();
      String stream = stream(1);
      Shard parent = sluice().admin().describeStream(stream).openShards().get(0);
      RecordCollector<String, String> c = collect(consumerOf(stream).group(group()));
      Producer<String, String> producer = strings(stream);
      Keyed before = keyed("k", 8, 10, 0);
      awaitAll(producer.sendAll(before.records));

      sluice().admin().splitShard(stream, parent);
      Keyed after = keyed("k", 8, 10, 10);
      awaitAll(producer.sendAll(after.records));

      List<Record<String, String>> got =
          c.await("every record", timeout(), rs -> collectorValues(rs).containsAll(after.values()));
      assertThat(got).haveValuesInOrderPerKey(before.concat(after).perKey);
      assertThat(got.stream().map(Record::shard).collect(Collectors.toSet()))
          .as("children were read")
          .hasSizeGreaterThan(1);
    }

    @Test
    @DisplayName(
        "after a merge, records of a key sent before it are consumed before those sent after")
    void mergeKeepsKeyOrder() {
      requireSplitAndMerge();
      String stream = stream(2);
      List<ShardDescription> shards =
          new ArrayList<>(sluice().admin().describeStream(stream).shards());
      shards.sort(
          Comparator.comparing(
              s -> s.hashKeyRange() == null ? BigInteger.ZERO : s.hashKeyRange().start()));
      Producer<String, String> producer = strings(stream);
      Keyed before = keyed("m", 8, 10, 0);
      awaitAll(producer.sendAll(before.records));
      RecordCollector<String, String> c = collect(consumerOf(stream));

      sluice().admin().mergeShards(stream, shards.get(0).shard(), shards.get(1).shard());
      Keyed after = keyed("m", 8, 10, 10);
      awaitAll(producer.sendAll(after.records));

      assertThat(sluice().admin().describeStream(stream).openShards()).hasSize(1);
      List<Record<String, String>> got =
          c.await("every record", timeout(), rs -> collectorValues(rs).containsAll(after.values()));
      assertThat(got).haveValuesInOrderPerKey(before.concat(after).perKey);
    }
  }

  // ------------------------------------------------------------------------------ configuration

  @Nested
  @DisplayName("Configuration and capabilities")
  class Configuration {
    @Test
    @DisplayName("requiring a capability the backend lacks fails at open with UNSUPPORTED")
    void requireMissingCapability() {
      Set<Capability> missing = EnumSet.allOf(Capability.class);
      missing.removeAll(caps().features());
      Assumptions.assumeFalse(
          missing.isEmpty(), backend() + " supports every Capability, so none can be missing");

      SluiceException e =
          thrown(() -> harnessNow().builder().require(missing.toArray(new Capability[0])).open());

      assertThat(e)
          .hasCode(ErrorCode.UNSUPPORTED)
          .hasMessageContaining(missing.iterator().next().name());
    }

    @Test
    @DisplayName("requiring the capabilities the backend declares opens normally")
    void requireSupportedCapabilities() {
      Sluice s =
          track(
              harnessNow().builder().require(caps().features().toArray(new Capability[0])).open());

      assertThat(s.capabilities().features()).isEqualTo(caps().features());
      assertThat(s.backend()).isEqualTo(backend());
    }

    @Test
    @DisplayName("an unknown backend fails with INVALID_CONFIG naming the backends found")
    void unknownBackend() {
      SluiceException e =
          thrown(() -> Sluice.builder().ignoreEnvironment().backend("no-such-backend").open());

      assertThat(e)
          .hasCode(ErrorCode.INVALID_CONFIG)
          .hasMessageContaining("no-such-backend")
          .hasMessageContaining(backend());
    }

    @Test
    @DisplayName("a misspelled key fails with INVALID_CONFIG and a \"did you mean\" hint")
    void misspelledKey() {
      SluiceException e =
          thrown(() -> harnessNow().builder().set("sluice.backnd", backend()).open());

      assertThat(e)
          .hasCode(ErrorCode.INVALID_CONFIG)
          .hasMessageContaining("sluice.backnd")
          .hasMessageContaining("did you mean")
          .hasMessageContaining("sluice.backend");
    }

    @Test
    @DisplayName("the declared capabilities are consistent")
    void capabilitiesConsistent() {
      Capabilities c = caps();

      assertThat(c.maxRecordBytes()).isPositive();
      assertThat(c.maxKeyBytes()).isPositive();
      assertThat(c.maxHeaders()).isPositive();
      assertThat(c.maxHeaderNameBytes()).isPositive();
      if (c.minRetention() != null && c.maxRetention() != null) {
        assertThat(c.minRetention()).isLessThanOrEqualTo(c.maxRetention());
      }
      assertThat(c.supports(Capability.UNLIMITED_RETENTION))
          .as("UNLIMITED_RETENTION iff no maxRetention")
          .isEqualTo(c.maxRetention() == null);
      assertThat(c.nativeHeaders()).isEqualTo(c.supports(Capability.NATIVE_HEADERS));
      assertThat(c.canShrinkShards()).isEqualTo(c.supports(Capability.SHRINK_SHARDS));
    }
  }

  // ============================================================================== helpers

  private ConformanceHarness harnessNow() {
    ConformanceHarness h = harness;
    if (h == null) {
      throw new IllegalStateException("No test is running");
    }
    return h;
  }

  /** The Sluice opened for the running test. */
  protected final Sluice sluice() {
    Sluice s = sluice;
    if (s == null) {
      throw new IllegalStateException("No test is running");
    }
    return s;
  }

  /** Opens another Sluice for the backend (a restart); closed after the test. */
  protected final Sluice open() {
    Sluice s = harnessNow().open();
    opened.add(s);
    return s;
  }

  private Capabilities caps() {
    return sluice().capabilities();
  }

  private String backend() {
    return sluice().backend();
  }

  private Duration timeout() {
    return harnessNow().deliveryTimeout();
  }

  private Duration quietPeriod() {
    return harnessNow().quietPeriod();
  }

  /** Creates a stream with a fresh name; deleted after the test. */
  protected final String stream(int shards) {
    String name = harnessNow().newStreamName();
    streams.add(name);
    sluice().admin().createStream(name, StreamSpec.withShards(shards));
    return name;
  }

  private String group() {
    return harnessNow().newGroupName();
  }

  private <T extends AutoCloseable> T track(T resource) {
    resources.add(resource);
    return resource;
  }

  private Producer<String, String> strings(String stream) {
    return track(sluice().producer(stream, Serde.string(), Serde.string()));
  }

  private ConsumerBuilder<String, String> consumerOf(String stream) {
    return consumerOf(sluice(), stream);
  }

  private ConsumerBuilder<String, String> consumerOf(Sluice s, String stream) {
    return s.consumer(stream, Serde.string(), Serde.string());
  }

  private <K, V> RecordCollector<K, V> collect(ConsumerBuilder<K, V> builder) {
    return track(RecordCollector.of(builder));
  }

  private <K, V> RecordCollector<K, V> collect(
      ConsumerBuilder<K, V> builder, dev.sluice.RecordHandler<K, V> then) {
    return track(RecordCollector.of(builder, then));
  }

  private RecordCollector<byte[], byte[]> bytesCollector(String stream) {
    return track(RecordCollector.of(sluice(), stream));
  }

  private List<SendResult> sendValues(String stream, String prefix, int count) {
    return sendValuesList(
        stream, IntStream.range(0, count).mapToObj(i -> prefix + i).collect(Collectors.toList()));
  }

  /** Sends values one by one with one key, each stored before the next is sent. */
  private List<SendResult> sendValuesList(String stream, List<String> values) {
    Producer<String, String> producer = strings(stream);
    List<SendResult> results = new ArrayList<>();
    for (String v : values) {
      results.add(await(producer.send("the-key", v)));
    }
    return results;
  }

  private void sendRaw(String stream, String... values) {
    Producer<byte[], byte[]> producer = track(sluice().producer(stream));
    for (String v : values) {
      await(
          producer.send("k".getBytes(StandardCharsets.UTF_8), v.getBytes(StandardCharsets.UTF_8)));
    }
  }

  private SendResult await(CompletableFuture<SendResult> send) {
    try {
      return send.get(timeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new AssertionError("The send failed: " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      throw new AssertionError("The send did not complete within " + timeout(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("Interrupted", e);
    }
  }

  private List<SendResult> awaitAll(List<CompletableFuture<SendResult>> sends) {
    List<SendResult> out = new ArrayList<>(sends.size());
    for (CompletableFuture<SendResult> f : sends) {
      out.add(await(f));
    }
    return out;
  }

  /** The error a future failed with; fails the test if it succeeds or does not finish in time. */
  private SluiceException failureOf(CompletableFuture<?> future) {
    try {
      Object result = future.get(timeout().toMillis(), TimeUnit.MILLISECONDS);
      throw new AssertionError("Expected a failure but it succeeded with " + result);
    } catch (ExecutionException e) {
      return sluiceError(e.getCause());
    } catch (TimeoutException e) {
      throw new AssertionError(
          "Expected a failure within " + timeout() + " but the future is pending", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("Interrupted", e);
    }
  }

  /**
   * The error a send fails with, through its future or thrown, within {@code limit}; fails the test
   * if the send succeeds or is still pending then.
   */
  private static SluiceException failureWithin(
      Duration limit, Supplier<CompletableFuture<?>> send) {
    long deadline = System.nanoTime() + limit.toNanos();
    CompletableFuture<?> future;
    try {
      future = send.get();
    } catch (RuntimeException e) {
      return sluiceError(e);
    }
    try {
      Object result = future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      throw new AssertionError("Expected a failure but it succeeded with " + result);
    } catch (ExecutionException e) {
      return sluiceError(e.getCause());
    } catch (TimeoutException e) {
      throw new AssertionError(
          "Expected a failure within " + limit + " but the send is still pending", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("Interrupted", e);
    }
  }

  /** The error a call threw; fails the test if it returns normally. */
  private static SluiceException thrown(ThrowingCallable call) {
    Throwable t = catchThrowable(call);
    if (t == null) {
      fail("Expected a SluiceException but the call returned normally");
    }
    return sluiceError(t);
  }

  private static SluiceException sluiceError(@Nullable Throwable t) {
    assertThat(t).as("the error").isInstanceOf(SluiceException.class);
    return (SluiceException) t;
  }

  /** The error a consumer stopped with; fails if it does not stop with an error in time. */
  private SluiceException terminationError(Consumer<?, ?> consumer) {
    try {
      consumer.termination().get(timeout().toMillis(), TimeUnit.MILLISECONDS);
      throw new AssertionError(
          "Expected the consumer to stop with an error but it stopped normally");
    } catch (ExecutionException e) {
      return sluiceError(e.getCause());
    } catch (TimeoutException e) {
      throw new AssertionError(
          "Expected the consumer to stop with an error within " + timeout(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("Interrupted", e);
    }
  }

  /**
   * A consumer of a missing stream may fail when it is started or, as the backend finds out,
   * through {@link Consumer#termination()}: the API allows both, the error code is the same.
   */
  private SluiceException consumerFailure(
      java.util.function.Supplier<Consumer<String, String>> start) {
    Consumer<String, String> consumer;
    try {
      consumer = start.get();
    } catch (SluiceException e) {
      return e;
    }
    track(consumer);
    return terminationError(consumer);
  }

  /**
   * The latest timestamp a record sent now keeps: maxTimestamp, or a minute short of now + ahead.
   */
  private Instant latestTimestamp() {
    Duration ahead = caps().maxTimestampAhead();
    if (ahead == null) {
      return caps().maxTimestamp();
    }
    Instant soon =
        Instant.now().plus(ahead).minus(Duration.ofMinutes(1)).truncatedTo(ChronoUnit.MILLIS);
    return soon.isBefore(caps().maxTimestamp()) ? soon : caps().maxTimestamp();
  }

  private Duration allowedRetention(Duration wanted) {
    Duration min = caps().minRetention();
    Duration max = caps().maxRetention();
    Duration r = wanted;
    if (min != null && r.compareTo(min) < 0) {
      r = min;
    }
    if (max != null && r.compareTo(max) > 0) {
      r = max;
    }
    return r;
  }

  private void requireSplitAndMerge() {
    Assumptions.assumeTrue(
        caps().supports(Capability.SPLIT_AND_MERGE),
        backend()
            + " cannot split or merge shards (no SPLIT_AND_MERGE): it has no hash-key ranges");
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

  private static <K, V> List<V> collectorValues(List<Record<K, V>> records) {
    return records.stream().map(Record::value).collect(Collectors.toList());
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

  private static List<String> withRepeats(List<String> head, String repeated, int times) {
    List<String> out = new ArrayList<>(head);
    for (int i = 0; i < times; i++) {
      out.add(repeated);
    }
    return out;
  }

  /** A position after {@code p} in the same shard, that no record has reached. */
  private static Position beyond(Position p) {
    BigInteger later = new BigInteger(p.sequenceNumber()).add(BigInteger.valueOf(1_000_000));
    return Position.of(later.toString());
  }

  /** Bytes from hex digits; spaces are ignored. */
  private static byte[] hexBytes(String hex) {
    return HexFormat.of().parseHex(hex.replace(" ", ""));
  }

  /** A KPL aggregate's data: magic, the protobuf message, then the message's MD5. */
  private static byte[] kplAggregate(byte[] message) {
    byte[] magic = hexBytes("F3899AC2");
    byte[] digest;
    try {
      digest = java.security.MessageDigest.getInstance("MD5").digest(message);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    byte[] data = Arrays.copyOf(magic, magic.length + message.length + digest.length);
    System.arraycopy(message, 0, data, magic.length, message.length);
    System.arraycopy(digest, 0, data, magic.length + message.length, digest.length);
    return data;
  }

  /** A null where the API wants a value, to check it is refused (the compiler cannot tell). */
  private static String nullString() {
    return null;
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception ignored) {
      // Cleaning up after a test: the test's outcome is what matters.
    }
  }

  private Keyed keyed(String prefix, int keys, int perKey) {
    return keyed(prefix, keys, perKey, 0);
  }

  private static Keyed keyed(String prefix, int keys, int perKey, int from) {
    List<Record<String, String>> records = new ArrayList<>();
    Map<String, List<String>> perKeyValues = new LinkedHashMap<>();
    for (int i = from; i < from + perKey; i++) {
      for (int k = 0; k < keys; k++) {
        String key = prefix + "-" + k;
        String value = String.format("%s#%05d", key, i);
        records.add(Record.of(key, value));
        perKeyValues.computeIfAbsent(key, x -> new ArrayList<>()).add(value);
      }
    }
    return new Keyed(records, perKeyValues);
  }

  /** Records interleaved across keys, in send order, and the values each key must arrive with. */
  private static final class Keyed {
    final List<Record<String, String>> records;
    final Map<String, List<String>> perKey;

    Keyed(List<Record<String, String>> records, Map<String, List<String>> perKey) {
      this.records = records;
      this.perKey = perKey;
    }

    List<String> values() {
      return collectorValues(records);
    }

    Keyed concat(Keyed other) {
      List<Record<String, String>> all = new ArrayList<>(records);
      all.addAll(other.records);
      Map<String, List<String>> merged = new LinkedHashMap<>();
      perKey.forEach((k, v) -> merged.put(k, new ArrayList<>(v)));
      other.perKey.forEach((k, v) -> merged.computeIfAbsent(k, x -> new ArrayList<>()).addAll(v));
      return new Keyed(all, merged);
    }
  }

  /** Remembers what a {@link ShardListener} was told. */
  private static final class RecordingListener implements ShardListener {
    private final Set<Shard> assigned = ConcurrentHashMap.newKeySet();
    private final Set<Shard> revoked = ConcurrentHashMap.newKeySet();
    final Map<Shard, Position> checkpointed = new ConcurrentHashMap<>();
    final AtomicBoolean lost = new AtomicBoolean();

    /** Checkpoints reported written, over every revocation (a shard may count more than once). */
    final AtomicInteger checkpointsReported = new AtomicInteger();

    @Override
    public void onAssigned(Assigned event) {
      assigned.addAll(event.shards());
    }

    @Override
    public void onRevoked(Revoked event) {
      revoked.addAll(event.shards());
      checkpointed.putAll(event.checkpointed());
      checkpointsReported.addAndGet(event.checkpointed().size());
      if (event.lost()) {
        lost.set(true);
      }
    }

    Set<Shard> assigned() {
      return new HashSet<>(assigned);
    }

    Set<Shard> revoked() {
      return new HashSet<>(revoked);
    }
  }

  /** A JSON value for the serde tests. */
  public static final class Payload {
    /** A number. */
    public int n;

    /** Some text. */
    public @Nullable String text;

    /** For Jackson. */
    public Payload() {}

    Payload(int n, String text) {
      this.n = n;
      this.text = text;
    }
  }
}
