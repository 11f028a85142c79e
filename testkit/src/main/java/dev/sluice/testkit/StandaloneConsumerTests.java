package dev.sluice.testkit;

import static dev.sluice.testkit.SluiceAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.ErrorCode;
import dev.sluice.Position;
import dev.sluice.Producer;
import dev.sluice.PullConsumer;
import dev.sluice.Record;
import dev.sluice.Shard;
import dev.sluice.StartPosition;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** A consumer without a group: owns every shard, resumes from the positions it processed, polls. */
abstract class StandaloneConsumerTests extends ConformanceArea {
  @Test
  @DisplayName("owns and reads every shard")
  void readsEveryShard() {
    String stream = stream(4);
    List<Shard> open = sluice().admin().describeStream(stream).openShards();
    Producer<String, String> producer = strings(stream);
    for (Shard s : open) {
      await(producer.send(Record.<String, String>builder(null, "on-" + s).shard(s).build()));
    }

    RecordCollector<String, String> c = collect(consumerOf(stream));
    List<Record<String, String>> got = c.awaitCount(4, timeout());

    assertThat(got.stream().map(Record::shard).collect(Collectors.toSet()))
        .containsExactlyInAnyOrderElementsOf(open);
    assertThat(c.consumer().group()).isNull();
    Await.until(
        "the consumer owns every shard",
        timeout(),
        () -> c.consumer().assignment().equals(new HashSet<>(open)));
  }

  @Test
  @DisplayName("resumes from processedPositions() with after(...): nothing lost, nothing repeated")
  void resumesFromProcessedPositions() {
    String stream = stream(2);
    Keyed first = keyed("first", 4, 10);
    Producer<String, String> producer = strings(stream);
    awaitAll(producer.sendAll(first.records));
    RecordCollector<String, String> c1 = collect(consumerOf(stream));
    c1.awaitCount(40, timeout());
    c1.close();
    Map<Shard, Position> positions = c1.consumer().processedPositions();
    assertThat(positions).hasSize(2);

    Keyed second = keyed("second", 4, 10);
    awaitAll(producer.sendAll(second.records));
    RecordCollector<String, String> c2 =
        collect(consumerOf(stream).startPosition(StartPosition.after(positions)));
    List<Record<String, String>> got =
        c2.await(
            "the second batch", timeout(), rs -> collectorValues(rs).containsAll(second.values()));

    assertThat(got).hasValuesExactlyOnce(second.values()).haveValuesInOrderPerKey(second.perKey);
  }

  @Test
  @DisplayName("in pull style, poll returns the records in order")
  void poll() {
    String stream = stream(2);
    Keyed batch = keyed("pull", 4, 25);
    awaitAll(strings(stream).sendAll(batch.records));
    PullConsumer<String, String> consumer = track(consumerOf(stream).maxPollRecords(30).open());

    List<Record<String, String>> got = new ArrayList<>();
    Await.until(
        "100 records polled",
        timeout(),
        () -> {
          List<Record<String, String>> polled = consumer.poll(Duration.ofMillis(100));
          assertThat(polled.size()).isLessThanOrEqualTo(30);
          got.addAll(polled);
          return got.size() >= 100;
        });

    assertThat(got).haveValuesInOrderPerKey(batch.perKey);
  }

  @Test
  @DisplayName("poll after close fails with CLOSED")
  void pollAfterClose() {
    String stream = stream(1);
    PullConsumer<String, String> consumer = consumerOf(stream).open();
    consumer.close();

    assertThat(thrown(() -> consumer.poll(Duration.ofMillis(10)))).hasCode(ErrorCode.CLOSED);
  }
}
