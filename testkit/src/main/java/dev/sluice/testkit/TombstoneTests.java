package dev.sluice.testkit;

import static dev.sluice.testkit.SluiceAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Capabilities.Capability;
import dev.sluice.ErrorCode;
import dev.sluice.Producer;
import dev.sluice.Record;
import dev.sluice.SendResult;
import dev.sluice.StreamDescription;
import dev.sluice.StreamSpec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Records without a value (tombstones) and compacted streams, or UNSUPPORTED where the backend has
 * neither.
 */
abstract class TombstoneTests extends ConformanceArea {
  @Test
  @DisplayName(
      "a record with a key and no value arrives with value() == null, distinct from an empty"
          + " value, where the backend has TOMBSTONES; elsewhere the send fails with UNSUPPORTED")
  void tombstoneRoundTrip() {
    String stream = stream(1);
    Producer<String, String> producer = strings(stream);
    Producer<byte[], byte[]> bytes = track(sluice().producer(stream));
    byte[] key = "k".getBytes(StandardCharsets.UTF_8);
    if (!caps().supports(Capability.TOMBSTONES)) {
      for (CompletableFuture<SendResult> send :
          List.of(producer.send("k", nullString()), bytes.send(key, null))) {
        assertThat(failureOf(send))
            .hasCode(ErrorCode.UNSUPPORTED)
            .hasMessageContaining("TOMBSTONES");
      }
      return;
    }
    await(producer.send("k", "v1"));
    await(producer.send("k", ""));
    await(producer.send(Record.<String, String>builder("k", null).header("why", "gone").build()));
    await(bytes.send(key, null));

    List<Record<String, String>> got = collect(consumerOf(stream)).awaitCount(4, timeout());

    assertThat(got.stream().map(Record::value).collect(Collectors.toList()))
        .containsExactly("v1", "", null, null);
    assertThat(got.get(1).isTombstone()).as("an empty value is not a tombstone").isFalse();
    assertThat(got.get(2).isTombstone()).isTrue();
    assertThat(got.get(2).key()).isEqualTo("k");
    assertThat(got.get(2).headers().lastString("why")).isEqualTo("gone");
    Record<byte[], byte[]> raw = bytesCollector(stream).awaitCount(4, timeout()).get(3);
    assertThat(raw.value()).isNull();
    assertThat(raw.key()).isEqualTo(key);
  }

  @Test
  @DisplayName(
      "a stream is described with the cleanup policy it was created with: DELETE by default,"
          + " COMPACT where the backend has COMPACTION; elsewhere COMPACT fails with UNSUPPORTED"
          + " and creates nothing")
  void cleanupPolicy() {
    String plain = stream(1);
    assertThat(sluice().admin().describeStream(plain).cleanupPolicy())
        .isEqualTo(StreamSpec.CleanupPolicy.DELETE);

    String compacted = harnessNow().newStreamName();
    StreamSpec spec = StreamSpec.withShards(2).cleanupPolicy(StreamSpec.CleanupPolicy.COMPACT);
    if (!caps().supports(Capability.COMPACTION)) {
      assertThat(thrown(() -> sluice().admin().createStream(compacted, spec)))
          .hasCode(ErrorCode.UNSUPPORTED)
          .hasMessageContaining("COMPACTION");
      assertThat(sluice().admin().exists(compacted)).isFalse();
      return;
    }
    streams.add(compacted);
    sluice().admin().createStream(compacted, spec);

    StreamDescription d = sluice().admin().describeStream(compacted);
    assertThat(d.cleanupPolicy()).isEqualTo(StreamSpec.CleanupPolicy.COMPACT);
    assertThat(d.openShards()).hasSize(2);
  }

  @Test
  @DisplayName(
      "on a compacted stream, every key's latest record is readable, a tombstone included"
          + " (whether superseded ones are still there is the backend's choice)")
  void compactedStreamKeepsLatest() {
    Assumptions.assumeTrue(
        caps().supports(Capability.COMPACTION), backend() + " cannot compact (no COMPACTION)");
    String stream = harnessNow().newStreamName();
    streams.add(stream);
    sluice()
        .admin()
        .createStream(
            stream, StreamSpec.withShards(1).cleanupPolicy(StreamSpec.CleanupPolicy.COMPACT));
    Producer<String, String> producer = strings(stream);
    for (String[] kv :
        new String[][] {{"a", "a1"}, {"b", "b1"}, {"a", "a2"}, {"b", null}, {"c", "c1"}}) {
      await(producer.send(kv[0], kv[1]));
    }

    List<Record<String, String>> got =
        collect(consumerOf(stream))
            .await(
                "the latest record of a, b and c",
                timeout(),
                rs -> rs.stream().anyMatch(r -> "c1".equals(r.value())));
    Map<String, String> latest = new java.util.HashMap<>();
    got.forEach(r -> latest.put(r.key(), r.value()));
    assertThat(latest).containsEntry("a", "a2").containsEntry("b", null).containsEntry("c", "c1");
  }

  @Test
  @DisplayName("a compacted stream with a retention fails with INVALID_ARGUMENT")
  void compactWithRetention() {
    Assumptions.assumeTrue(
        caps().supports(Capability.COMPACTION), backend() + " cannot compact (no COMPACTION)");
    String stream = harnessNow().newStreamName();
    assertThat(
            thrown(
                () ->
                    sluice()
                        .admin()
                        .createStream(
                            stream,
                            StreamSpec.withShards(1)
                                .retention(allowedRetention(Duration.ofHours(48)))
                                .cleanupPolicy(StreamSpec.CleanupPolicy.COMPACT))))
        .hasCode(ErrorCode.INVALID_ARGUMENT);
    assertThat(sluice().admin().exists(stream)).isFalse();
  }
}
