package dev.sluice.testkit;

import static dev.sluice.testkit.SluiceAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.sluice.Capabilities.Capability;
import dev.sluice.Consumer;
import dev.sluice.ErrorCode;
import dev.sluice.Position;
import dev.sluice.Record;
import dev.sluice.Shard;
import dev.sluice.Sluice;
import dev.sluice.SluiceException;
import dev.sluice.spi.Backend;
import dev.sluice.spi.ProducerDriver;
import dev.sluice.spi.ProducerSpec;
import dev.sluice.spi.SendCallback;
import dev.sluice.spi.WriteId;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Deduplicating consumers ({@code ConsumerBuilder.deduplicate()}), on backends that declare {@code
 * DEDUPLICATION}: a write sent twice with the same write id (what a retried send after a lost
 * acknowledgement, or a processor re-processing its input, does) is delivered once, also across a
 * restart and a hand-over of the group; records keep their per-key order. The second copies are
 * written below the API, with the backend's producer driver ({@code Sluice.unwrap(Backend.class)})
 * and ids of the test's own, so that every copy is certain to be in the stream.
 */
abstract class DeduplicationTests extends ConformanceArea {
  private static final int KEYS = 4;

  @Test
  @DisplayName("deduplicate() is refused with UNSUPPORTED on a backend without DEDUPLICATION")
  void refusedWithoutCapability() {
    Assumptions.assumeFalse(caps().supports(Capability.DEDUPLICATION), "the backend has it");
    String stream = stream(1);
    Throwable refused =
        catchThrowable(() -> consumerOf(stream).group(group()).deduplicate().start(r -> {}));
    assertThat(refused).isInstanceOf(SluiceException.class);
    assertThat(((SluiceException) refused).code()).isEqualTo(ErrorCode.UNSUPPORTED);
    assertThat(refused).hasMessageContaining("DEDUPLICATION");
  }

  @Test
  @DisplayName("deduplicate() without a group is refused with UNSUPPORTED")
  void refusedWithoutGroup() {
    String stream = stream(1);
    Throwable refused = catchThrowable(() -> consumerOf(stream).deduplicate().start(r -> {}));
    assertThat(refused).isInstanceOf(SluiceException.class);
    assertThat(((SluiceException) refused).code()).isEqualTo(ErrorCode.UNSUPPORTED);
    assertThat(refused).hasMessageContaining("group");
  }

  @Test
  @DisplayName("every record a plain producer sends reaches a deduplicating consumer once")
  void plainRecordsAllArrive() {
    requireDeduplication();
    String stream = stream(2);
    Keyed batch = keyed("plain", KEYS, 25);
    awaitAll(strings(stream).sendAll(batch.records));
    RecordCollector<String, String> got = collect(consumerOf(stream).group(group()).deduplicate());
    assertThat(got.awaitCount(100, timeout())).haveValuesInOrderPerKey(batch.perKey);
    Await.holdsFor("nothing more arrives", quietPeriod(), () -> got.records().size() == 100);
  }

  @Test
  @DisplayName(
      "writes sent twice with the same ids are delivered once, in per-key order; a consumer that"
          + " does not deduplicate gets both copies")
  void resentIdsDeliveredOnce() {
    requireDeduplication();
    String stream = stream(2);
    Keyed batch = keyed("twice", KEYS, 25);
    sendWithIds(stream, "writer-a", batch.records, 0);
    sendWithIds(stream, "writer-a", batch.records, 0);

    RecordCollector<String, String> dedup =
        collect(consumerOf(stream).group(group()).deduplicate());
    RecordCollector<String, String> plain = collect(consumerOf(stream).group(group()));

    assertThat(plain.awaitCount(200, timeout())).hasSize(200);
    assertThat(dedup.awaitCount(100, timeout())).haveValuesInOrderPerKey(batch.perKey);
    Await.holdsFor("no second copy arrives", quietPeriod(), () -> dedup.records().size() == 100);
  }

  @Test
  @DisplayName("a group restarted after its checkpoint still drops second copies of what it passed")
  void acrossRestart() {
    requireDeduplication();
    String stream = stream(2);
    String group = group();
    Keyed first = keyed("restart", KEYS, 20);
    Keyed second = keyed("restart", KEYS, 20, 20);
    sendWithIds(stream, "writer-r", first.records, 0);

    RecordCollector<String, String> before = RecordCollector.detached();
    Consumer<String, String> c1 =
        consumerOf(stream).group(group).deduplicate().start(before.handler());
    before.awaitCount(80, timeout());
    c1.close();

    // The first batch again (same ids), then a new one.
    sendWithIds(stream, "writer-r", first.records, 0);
    sendWithIds(stream, "writer-r", second.records, first.records.size());

    RecordCollector<String, String> after =
        collect(consumerOf(open(), stream).group(group).deduplicate());
    assertThat(after.awaitCount(80, timeout())).haveValuesInOrderPerKey(second.perKey);
    Await.holdsFor("no second copy arrives", quietPeriod(), () -> after.records().size() == 80);
  }

  @Test
  @DisplayName("a group member that takes the shards over drops second copies its peer had passed")
  void acrossHandOver() {
    requireDeduplication();
    String stream = stream(2);
    String group = group();
    Keyed first = keyed("handover", KEYS, 20);
    Keyed second = keyed("handover", KEYS, 20, 20);
    sendWithIds(stream, "writer-h", first.records, 0);

    RecordCollector<String, String> received = RecordCollector.detached();
    Consumer<String, String> c1 =
        consumerOf(stream).group(group).deduplicate().start(received.handler());
    received.awaitCount(80, timeout());
    Sluice other = open();
    Consumer<String, String> c2 =
        track(consumerOf(other, stream).group(group).deduplicate().start(received.handler()));
    c1.close();
    int shards = sluice().admin().describeStream(stream).openShards().size();
    Await.until(
        "the second member owns every shard", timeout(), () -> c2.assignment().size() == shards);

    sendWithIds(stream, "writer-h", first.records, 0);
    sendWithIds(stream, "writer-h", second.records, first.records.size());

    List<Record<String, String>> all = received.awaitCount(160, timeout());
    assertThat(all.subList(80, 160)).haveValuesInOrderPerKey(second.perKey);
    Await.holdsFor("no second copy arrives", quietPeriod(), () -> received.records().size() == 160);
  }

  private void requireDeduplication() {
    Assumptions.assumeTrue(
        caps().supports(Capability.DEDUPLICATION), "the backend does not declare DEDUPLICATION");
  }

  /**
   * Sends the records through the backend's producer driver, record {@code i} with id {@code
   * (writer, from + i, 0)}, and waits until all are stored.
   */
  private void sendWithIds(
      String stream, String writer, List<Record<String, String>> records, int from) {
    Backend backend = sluice().unwrap(Backend.class);
    List<CompletableFuture<Void>> sent = new ArrayList<>();
    try (ProducerDriver driver = backend.producer(new ProducerSpec(stream, "kit-dedup-producer"))) {
      for (int i = 0; i < records.size(); i++) {
        Record<String, String> r = records.get(i);
        Record<byte[], byte[]> raw =
            Record.of(
                r.key().getBytes(StandardCharsets.UTF_8),
                r.value().getBytes(StandardCharsets.UTF_8));
        CompletableFuture<Void> done = new CompletableFuture<>();
        driver.send(
            raw,
            new WriteId(writer, Position.of(from + i), 0),
            new SendCallback() {
              @Override
              public void sent(Shard shard, Position position, long timestampMillis) {
                done.complete(null);
              }

              @Override
              public void failed(Throwable error) {
                done.completeExceptionally(error);
              }
            });
        sent.add(done);
      }
      CompletableFuture.allOf(sent.toArray(new CompletableFuture<?>[0]))
          .get(timeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new AssertionError("sending with write ids failed", e);
    }
  }
}
