package dev.sluice.testkit;

import static dev.sluice.testkit.SluiceAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Capabilities;
import dev.sluice.Capabilities.Capability;
import dev.sluice.ErrorCode;
import dev.sluice.Headers;
import dev.sluice.Position;
import dev.sluice.Producer;
import dev.sluice.PullConsumer;
import dev.sluice.Record;
import dev.sluice.SendResult;
import dev.sluice.Serde;
import dev.sluice.Shard;
import dev.sluice.Sluice;
import dev.sluice.SluiceException;
import dev.sluice.StartPosition;
import dev.sluice.StreamSpec;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** Bad input of every kind gets a typed error and leaves the client usable. */
abstract class BadInputLeavesClientUsableTests extends ConformanceArea {
  /**
   * Each case gets a typed error with a message; after each, the same producer sends a good record.
   * At the end, a fresh consumer reads every good record: nothing accepted was lost.
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
                ErrorCode.INVALID_ARGUMENT, producer.send("k".repeat(caps.maxKeyBytes() + 1), "v"));
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
                producer.send(Record.builder("k", "v").header("n".repeat(nameBytes), "x").build()));
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
                track(sluice().producer(missing, Serde.string(), Serde.string())).send("k", "v")));
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
        () -> expect(ErrorCode.INVALID_ARGUMENT, () -> sluice().admin().setShardCount(stream, 0)));
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
