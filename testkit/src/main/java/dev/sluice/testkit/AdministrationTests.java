package dev.sluice.testkit;

import static dev.sluice.testkit.SluiceAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Capabilities.Capability;
import dev.sluice.ErrorCode;
import dev.sluice.HashKeyRange;
import dev.sluice.Producer;
import dev.sluice.Record;
import dev.sluice.Shard;
import dev.sluice.ShardDescription;
import dev.sluice.Sluice;
import dev.sluice.SluiceException;
import dev.sluice.StreamDescription;
import dev.sluice.StreamSpec;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Creating, describing, deleting streams; their retention and shard count. */
abstract class AdministrationTests extends ConformanceArea {
  @Test
  @DisplayName("creates, lists, describes and deletes a stream")
  void lifecycle() {
    String stream = harnessNow().newStreamName();
    streams.add(stream);

    sluice().admin().createStream(stream, StreamSpec.withShards(3));

    assertThat(sluice().admin().exists(stream)).isTrue();
    List<String> listed = sluice().admin().listStreams();
    assertThat(listed).contains(stream);
    assertThat(listed).as("listStreams is sorted").isSorted();
    StreamDescription d = sluice().admin().describeStream(stream);
    assertThat(d.name()).isEqualTo(stream);
    assertThat(d.openShards()).hasSize(3).doesNotHaveDuplicates();
    assertThat(d.shards()).allSatisfy(s -> assertThat(s.parents()).isEmpty());

    sluice().admin().deleteStream(stream);

    assertThat(sluice().admin().exists(stream)).isFalse();
    assertThat(sluice().admin().listStreams()).doesNotContain(stream);
    assertThat(thrown(() -> sluice().admin().describeStream(stream))).hasCode(ErrorCode.NOT_FOUND);
  }

  @Test
  @DisplayName("a new stream is visible to another Sluice instance at once")
  void visibleAcrossInstances() {
    String stream = stream(2);
    Sluice other = open();

    assertThat(other.admin().exists(stream)).isTrue();
    assertThat(other.admin().describeStream(stream).openShards()).hasSize(2);
  }

  @Test
  @DisplayName("describes the shards in id order, and hash-key ranges (where given) cover all keys")
  void describeShards() {
    String stream = stream(4);

    StreamDescription d = sluice().admin().describeStream(stream);

    List<Shard> shards =
        d.shards().stream().map(ShardDescription::shard).collect(Collectors.toList());
    assertThat(shards).hasSize(4).isSorted();
    assertThat(d.shards()).allSatisfy(s -> assertThat(s.isOpen()).isTrue());
    List<HashKeyRange> ranges = new ArrayList<>();
    d.shards()
        .forEach(
            s -> {
              if (s.hashKeyRange() != null) {
                ranges.add(s.hashKeyRange());
              }
            });
    if (!ranges.isEmpty()) {
      assertThat(ranges).as("every open shard has a range, or none has").hasSize(4);
      ranges.sort(Comparator.comparing(HashKeyRange::start));
      assertThat(ranges.get(0).start()).isEqualTo(BigInteger.ZERO);
      for (int i = 1; i < ranges.size(); i++) {
        assertThat(ranges.get(i).start())
            .as("range %s follows %s without gap or overlap", ranges.get(i), ranges.get(i - 1))
            .isEqualTo(ranges.get(i - 1).end().add(BigInteger.ONE));
      }
      assertThat(ranges.get(ranges.size() - 1).end()).isEqualTo(HashKeyRange.MAX);
    }
  }

  @Test
  @DisplayName("describes the retention a stream was created with")
  void retention() {
    Duration wanted = allowedRetention(Duration.ofHours(48));
    String stream = harnessNow().newStreamName();
    streams.add(stream);

    sluice().admin().createStream(stream, StreamSpec.withShards(1).retention(wanted));

    assertThat(sluice().admin().describeStream(stream).retention()).isEqualTo(wanted);
  }

  @Test
  @DisplayName("changing the retention up and then down shows in the description")
  void changeRetention() {
    Duration created = allowedRetention(Duration.ofHours(48));
    Duration longer = allowedRetention(Duration.ofHours(96));
    Duration shorter = allowedRetention(Duration.ofHours(36));
    String stream = harnessNow().newStreamName();
    streams.add(stream);
    sluice().admin().createStream(stream, StreamSpec.withShards(1).retention(created));
    await(strings(stream).send("k", "kept"));

    sluice().admin().setRetention(stream, longer);
    assertThat(sluice().admin().describeStream(stream).retention()).isEqualTo(longer);

    sluice().admin().setRetention(stream, shorter);
    assertThat(sluice().admin().describeStream(stream).retention()).isEqualTo(shorter);
    assertThat(collect(consumerOf(stream)).awaitCount(1, timeout()))
        .as("a record younger than the new retention stays")
        .hasValuesInOrder("kept");
  }

  @Test
  @DisplayName(
      "a retention not positive or outside the backend's bounds fails with INVALID_ARGUMENT and"
          + " leaves the stream's retention as it was")
  void retentionOutOfRange() {
    Duration created = allowedRetention(Duration.ofHours(48));
    String stream = harnessNow().newStreamName();
    streams.add(stream);
    sluice().admin().createStream(stream, StreamSpec.withShards(1).retention(created));
    List<Duration> refused = new ArrayList<>(List.of(Duration.ZERO, Duration.ofHours(-1)));
    Duration min = caps().minRetention();
    if (min != null) {
      refused.add(min.minusHours(1));
    }
    Duration max = caps().maxRetention();
    if (max != null) {
      refused.add(max.plusHours(1));
    }

    for (Duration bad : refused) {
      SluiceException e = thrown(() -> sluice().admin().setRetention(stream, bad));
      assertThat(e).as("retention %s", bad).hasCode(ErrorCode.INVALID_ARGUMENT);
      assertThat(e.getMessage()).as("the message names the value").contains(bad.toString());
      assertThat(sluice().admin().describeStream(stream).retention())
          .as("retention after %s was refused", bad)
          .isEqualTo(created);
    }
  }

  @Test
  @DisplayName("changing the retention of a compacted stream fails with INVALID_ARGUMENT")
  void retentionOfCompactedStream() {
    Assumptions.assumeTrue(
        caps().supports(Capability.COMPACTION), backend() + " cannot compact (no COMPACTION)");
    String stream = harnessNow().newStreamName();
    streams.add(stream);
    sluice()
        .admin()
        .createStream(
            stream, StreamSpec.withShards(1).cleanupPolicy(StreamSpec.CleanupPolicy.COMPACT));
    Duration before = sluice().admin().describeStream(stream).retention();

    assertThat(
            thrown(
                () ->
                    sluice().admin().setRetention(stream, allowedRetention(Duration.ofHours(48)))))
        .hasCode(ErrorCode.INVALID_ARGUMENT);
    StreamDescription after = sluice().admin().describeStream(stream);
    assertThat(after.cleanupPolicy()).isEqualTo(StreamSpec.CleanupPolicy.COMPACT);
    assertThat(after.retention()).isEqualTo(before);
  }

  @Test
  @DisplayName("creating a stream that exists fails with ALREADY_EXISTS and leaves it as it was")
  void alreadyExists() {
    String stream = stream(2);

    assertThat(thrown(() -> sluice().admin().createStream(stream, StreamSpec.withShards(3))))
        .hasCode(ErrorCode.ALREADY_EXISTS);
    assertThat(sluice().admin().describeStream(stream).openShards()).hasSize(2);
  }

  @Test
  @DisplayName("a shard count below one or a negative retention fails with INVALID_ARGUMENT")
  void badSpecs() {
    String stream = harnessNow().newStreamName();
    streams.add(stream);

    assertThat(thrown(() -> sluice().admin().createStream(stream, StreamSpec.withShards(0))))
        .hasCode(ErrorCode.INVALID_ARGUMENT);
    assertThat(
            thrown(
                () ->
                    sluice()
                        .admin()
                        .createStream(
                            stream, StreamSpec.withShards(1).retention(Duration.ofHours(-1)))))
        .hasCode(ErrorCode.INVALID_ARGUMENT);
    assertThat(sluice().admin().exists(stream)).isFalse();
  }

  @Test
  @DisplayName("a deleted stream created again starts empty")
  void recreateAfterDelete() {
    String stream = stream(1);
    await(strings(stream).send("k", "old"));
    sluice().admin().deleteStream(stream);
    sluice().admin().createStream(stream, StreamSpec.withShards(1));
    await(strings(stream).send("k", "new"));

    List<Record<String, String>> got = collect(consumerOf(stream)).awaitCount(1, timeout());

    Await.holdsFor(
        "no record of the deleted stream arrives",
        quietPeriod(),
        () -> collectorValues(got).equals(List.of("new")));
    assertThat(got).hasValuesInOrder("new");
  }

  @Test
  @DisplayName("raising the shard count adds open shards that take records")
  void growShards() {
    String stream = stream(2);

    sluice().admin().setShardCount(stream, 3);

    List<Shard> open = sluice().admin().describeStream(stream).openShards();
    assertThat(open).hasSize(3);
    Producer<String, String> producer = strings(stream);
    for (Shard s : open) {
      assertThat(
              await(producer.send(Record.<String, String>builder(null, "to-" + s).shard(s).build()))
                  .shard())
          .isEqualTo(s);
    }
    List<Record<String, String>> got = collect(consumerOf(stream)).awaitCount(3, timeout());
    assertThat(got).containsValues(open.stream().map(s -> "to-" + s).collect(Collectors.toList()));
    for (Record<String, String> r : got) {
      assertThat(r.value()).isEqualTo("to-" + r.shard());
    }
  }

  @Test
  @DisplayName("lowering the shard count works, or fails with UNSUPPORTED without SHRINK_SHARDS")
  void shrinkShards() {
    String stream = stream(2);
    await(strings(stream).send("before", "before"));

    if (!caps().supports(Capability.SHRINK_SHARDS)) {
      assertThat(thrown(() -> sluice().admin().setShardCount(stream, 1)))
          .hasCode(ErrorCode.UNSUPPORTED);
      assertThat(sluice().admin().describeStream(stream).openShards()).hasSize(2);
      return;
    }
    sluice().admin().setShardCount(stream, 1);

    assertThat(sluice().admin().describeStream(stream).openShards()).hasSize(1);
    await(strings(stream).send("after", "after"));
    assertThat(collect(consumerOf(stream)).awaitCount(2, timeout()))
        .containsValues("before", "after");
  }

  @Test
  @DisplayName("setting the shard count to zero fails with INVALID_ARGUMENT")
  void zeroShardCount() {
    String stream = stream(2);

    assertThat(thrown(() -> sluice().admin().setShardCount(stream, 0)))
        .hasCode(ErrorCode.INVALID_ARGUMENT)
        .message()
        .isNotBlank();
  }
}
