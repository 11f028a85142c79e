package dev.sluice.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.Capabilities.Capability;
import dev.sluice.ErrorCode;
import dev.sluice.Sluice;
import dev.sluice.SluiceException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class KafkaOptionsTest {
  @Test
  @DisplayName("builds sluice.kafka.* keys and selects the kafka backend")
  void buildsKeys() {
    KafkaOptions options =
        KafkaOptions.builder()
            .bootstrapServers("b:9092")
            .linger(Duration.ofMillis(5))
            .compression("zstd")
            .set("consumer.max.poll.records", "50")
            .build();
    assertThat(options.asMap())
        .containsEntry("sluice.backend", "kafka")
        .containsEntry("sluice.kafka.bootstrap.servers", "b:9092")
        .containsEntry("sluice.kafka.linger.ms", "5")
        .containsEntry("sluice.kafka.compression.type", "zstd")
        .containsEntry("sluice.kafka.consumer.max.poll.records", "50");
  }

  @Test
  @DisplayName("opens the kafka backend found by ServiceLoader, with honest capabilities")
  void opens() {
    try (Sluice sluice =
        Sluice.builder()
            .ignoreEnvironment()
            .properties(KafkaOptions.builder().bootstrapServers("127.0.0.1:1").build().asMap())
            .open()) {
      assertThat(sluice.backend()).isEqualTo("kafka");
      assertThat(sluice.capabilities().features())
          .containsExactlyInAnyOrder(
              Capability.NATIVE_HEADERS,
              Capability.TRANSACTIONS,
              Capability.ORDERED_RETRIES,
              Capability.SEEK_BY_TIMESTAMP,
              Capability.SEEK,
              Capability.SEEK_IN_GROUP,
              Capability.UNLIMITED_RETENTION,
              Capability.TOMBSTONES,
              Capability.COMPACTION);
      assertThat(sluice.capabilities().minTimestamp()).isEqualTo(java.time.Instant.EPOCH);
      assertThat(sluice.capabilities().maxTimestampAhead()).isEqualTo(Duration.ofHours(1));
      assertThat(sluice.capabilities().maxRetention()).isNull();
      assertThat(sluice.unwrap(org.apache.kafka.clients.admin.Admin.class)).isNotNull();
      assertThatThrownBy(() -> sluice.unwrap(String.class))
          .isInstanceOfSatisfying(
              SluiceException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNSUPPORTED));
    }
  }

  @Test
  @DisplayName(
      "ORDERED_RETRIES is declared only while producers are idempotent: not with acks=1 or"
          + " enable.idempotence=false")
  void orderedRetriesFollowsIdempotence() {
    for (Map.Entry<String, String> weaker :
        Map.of(
                "sluice.kafka.acks", "1",
                "sluice.kafka.producer.enable.idempotence", "false")
            .entrySet()) {
      try (Sluice sluice =
          Sluice.builder()
              .ignoreEnvironment()
              .properties(KafkaOptions.builder().bootstrapServers("127.0.0.1:1").build().asMap())
              .set(weaker.getKey(), weaker.getValue())
              .open()) {
        assertThat(sluice.capabilities().supports(Capability.ORDERED_RETRIES))
            .as(weaker.toString())
            .isFalse();
      }
    }
  }

  @Test
  @DisplayName("a misspelled key fails with a did-you-mean hint")
  void misspelledKey() {
    assertThatThrownBy(
            () ->
                Sluice.builder()
                    .ignoreEnvironment()
                    .backend("kafka")
                    .set("sluice.kafka.bootstrap.server", "127.0.0.1:1")
                    .open())
        .isInstanceOfSatisfying(
            SluiceException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_CONFIG))
        .hasMessageContaining("did you mean 'sluice.kafka.bootstrap.servers'");
  }

  @Test
  @DisplayName("a missing bootstrap.servers fails with INVALID_CONFIG and says what to set")
  void missingBootstrap() {
    assertThatThrownBy(() -> Sluice.builder().ignoreEnvironment().backend("kafka").open())
        .isInstanceOfSatisfying(
            SluiceException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_CONFIG))
        .hasMessageContaining("sluice.kafka.bootstrap.servers");
  }
}
