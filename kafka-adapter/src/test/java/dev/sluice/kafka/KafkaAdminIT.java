package dev.sluice.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.ErrorCode;
import dev.sluice.Producer;
import dev.sluice.Serde;
import dev.sluice.Shard;
import dev.sluice.SluiceException;
import dev.sluice.StreamDescription;
import dev.sluice.StreamSpec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Kafka topics through the portable admin: create, describe, grow, retention, compaction. */
class KafkaAdminIT extends KafkaTestSupport {
  @Test
  @DisplayName("admin: create with retention, describe, list, grow, refuse to shrink, delete")
  void admin() {
    String stream = fresh("admin");
    sluice.admin().createStream(stream, StreamSpec.withShards(2).retention(Duration.ofHours(5)));
    assertThatThrownBy(() -> sluice.admin().createStream(stream, StreamSpec.withShards(2)))
        .isInstanceOfSatisfying(
            SluiceException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.ALREADY_EXISTS));

    StreamDescription d = sluice.admin().describeStream(stream);
    assertThat(d.openShards()).containsExactly(Shard.of(0), Shard.of(1));
    assertThat(d.retention()).isEqualTo(Duration.ofHours(5));
    assertThat(d.shards()).allMatch(s -> s.parents().isEmpty() && s.hashKeyRange() == null);
    assertThat(sluice.admin().listStreams()).contains(stream).noneMatch(n -> n.startsWith("__"));

    sluice.admin().setShardCount(stream, 2); // no-op
    sluice.admin().setShardCount(stream, 4);
    assertThat(sluice.admin().describeStream(stream).openShards()).hasSize(4);
    assertThatThrownBy(() -> sluice.admin().setShardCount(stream, 3))
        .isInstanceOfSatisfying(
            SluiceException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNSUPPORTED))
        .hasMessageContaining("cannot reduce");
    assertThatThrownBy(() -> sluice.admin().splitShard(stream, Shard.of(0)))
        .isInstanceOfSatisfying(
            SluiceException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNSUPPORTED));

    String forever = fresh("forever");
    sluice.admin().createStream(forever, StreamSpec.withShards(1));
    sluice.unwrap(Admin.class); // the shared native client is reachable
    sluice.admin().deleteStream(stream);
    sluice.admin().deleteStream(forever);
    assertThat(sluice.admin().exists(stream)).isFalse();
    assertThatThrownBy(() -> sluice.admin().describeStream(stream))
        .isInstanceOfSatisfying(
            SluiceException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
    assertThatThrownBy(() -> sluice.admin().deleteStream(stream))
        .isInstanceOfSatisfying(
            SluiceException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
    // Recreating right after deletion works.
    sluice.admin().createStream(stream, StreamSpec.withShards(1));
    sluice.admin().deleteStream(stream);
  }

  @Test
  @DisplayName(
      "setRetention writes the topic's retention.ms; a retention finer than a millisecond is"
          + " refused, at creation and when changed")
  void retentionMs() throws Exception {
    String stream = stream(1);
    sluice.admin().setRetention(stream, Duration.ofMinutes(90));
    org.apache.kafka.common.config.ConfigResource topic =
        new org.apache.kafka.common.config.ConfigResource(
            org.apache.kafka.common.config.ConfigResource.Type.TOPIC, stream);
    assertThat(
            sluice
                .unwrap(Admin.class)
                .describeConfigs(List.of(topic))
                .values()
                .get(topic)
                .get(30, TimeUnit.SECONDS)
                .get("retention.ms")
                .value())
        .isEqualTo(Long.toString(Duration.ofMinutes(90).toMillis()));

    Duration fine = Duration.ofMillis(1500).plusNanos(1);
    assertThatThrownBy(() -> sluice.admin().setRetention(stream, fine))
        .isInstanceOfSatisfying(
            SluiceException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
        .hasMessageContaining(fine.toString());
    assertThat(sluice.admin().describeStream(stream).retention()).isEqualTo(Duration.ofMinutes(90));
    String refused = fresh("fine");
    assertThatThrownBy(
            () -> sluice.admin().createStream(refused, StreamSpec.withShards(1).retention(fine)))
        .isInstanceOfSatisfying(
            SluiceException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
    assertThat(sluice.admin().exists(refused)).isFalse();
  }

  @Test
  @DisplayName(
      "a COMPACT stream is a topic with cleanup.policy=compact, a default one cleanup.policy=delete,"
          + " and a tombstone is a Kafka record with a null value")
  void compactedTopic() throws Exception {
    String compacted = fresh("compacted");
    String plain = fresh("plain");
    sluice
        .admin()
        .createStream(
            compacted, StreamSpec.withShards(1).cleanupPolicy(StreamSpec.CleanupPolicy.COMPACT));
    sluice.admin().createStream(plain, StreamSpec.withShards(1));
    Admin admin = sluice.unwrap(Admin.class);
    for (Map.Entry<String, String> e : Map.of(compacted, "compact", plain, "delete").entrySet()) {
      org.apache.kafka.common.config.ConfigResource topic =
          new org.apache.kafka.common.config.ConfigResource(
              org.apache.kafka.common.config.ConfigResource.Type.TOPIC, e.getKey());
      assertThat(
              admin
                  .describeConfigs(List.of(topic))
                  .values()
                  .get(topic)
                  .get(30, TimeUnit.SECONDS)
                  .get("cleanup.policy")
                  .value())
          .as("cleanup.policy of %s", e.getKey())
          .isEqualTo(e.getValue());
    }

    try (Producer<String, String> p = sluice.producer(compacted, Serde.string(), Serde.string())) {
      p.send("k", null).get(30, TimeUnit.SECONDS);
    }
    try (org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]> raw =
        new org.apache.kafka.clients.consumer.KafkaConsumer<>(
            Map.of(
                "bootstrap.servers", broker.bootstrapServers(),
                "key.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer",
                "value.deserializer",
                    "org.apache.kafka.common.serialization.ByteArrayDeserializer"))) {
      org.apache.kafka.common.TopicPartition tp =
          new org.apache.kafka.common.TopicPartition(compacted, 0);
      raw.assign(List.of(tp));
      raw.seekToBeginning(List.of(tp));
      List<org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]>> got =
          new ArrayList<>();
      await(
          "the tombstone",
          Duration.ofSeconds(30),
          () -> {
            raw.poll(Duration.ofMillis(200)).forEach(got::add);
            return !got.isEmpty();
          });
      assertThat(got.get(0).key()).isEqualTo("k".getBytes(StandardCharsets.UTF_8));
      assertThat(got.get(0).value()).as("Kafka's own tombstone: a null value").isNull();
    }
    sluice.admin().deleteStream(compacted);
    sluice.admin().deleteStream(plain);
  }
}
