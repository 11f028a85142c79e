package dev.sluice.testkit;

import static dev.sluice.testkit.SluiceAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Capabilities.Capability;
import dev.sluice.ErrorCode;
import dev.sluice.Producer;
import dev.sluice.Record;
import dev.sluice.Shard;
import dev.sluice.ShardDescription;
import dev.sluice.StreamDescription;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Splitting and merging shards (SPLIT_AND_MERGE), and key order across them. */
abstract class ReshardingTests extends ConformanceArea {
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
        d.shards().stream().filter(s -> s.parents().contains(parent)).collect(Collectors.toList());
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

  @Test
  @DisplayName(
      "merging a shard with itself fails with INVALID_ARGUMENT, whether or not the backend merges")
  void mergeShardWithItself() {
    String stream = stream(2);
    Shard first = sluice().admin().describeStream(stream).openShards().get(0);

    assertThat(thrown(() -> sluice().admin().mergeShards(stream, first, first)))
        .hasCode(ErrorCode.INVALID_ARGUMENT)
        .message()
        .isNotBlank();
  }

  private void requireSplitAndMerge() {
    Assumptions.assumeTrue(
        caps().supports(Capability.SPLIT_AND_MERGE),
        backend()
            + " cannot split or merge shards (no SPLIT_AND_MERGE): it has no hash-key ranges");
  }
}
