package dev.sluice.testkit;

import static dev.sluice.testkit.SluiceAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Producer;
import dev.sluice.Record;
import dev.sluice.SendResult;
import dev.sluice.Serde;
import dev.sluice.Shard;
import dev.sluice.Sluice;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Micrometer meters: the same names and tags on every backend, moving as records flow. */
abstract class MetricsTests extends ConformanceArea {
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
    c2.await("the second batch", timeout(), rs -> collectorValues(rs).containsAll(second.values()));
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
}
