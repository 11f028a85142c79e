package dev.sluice.kafka.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.ErrorCode;
import dev.sluice.SluiceException;
import java.util.Map;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class KafkaSettingsTest {
  private static final Map<String, String> MINIMAL = Map.of("bootstrap.servers", "127.0.0.1:9092");

  @Test
  @DisplayName("accepts real Kafka client settings and Sluice's own keys, nothing else")
  void acceptsOnlyRealKeys() {
    assertThat(KafkaSettings.accepts("sluice.kafka.bootstrap.servers")).isTrue();
    assertThat(KafkaSettings.accepts("sluice.kafka.linger.ms")).isTrue();
    assertThat(KafkaSettings.accepts("sluice.kafka.max.poll.interval.ms")).isTrue();
    assertThat(KafkaSettings.accepts("sluice.kafka.sasl.jaas.config")).isTrue();
    assertThat(KafkaSettings.accepts("sluice.kafka.ssl.truststore.location")).isTrue();
    assertThat(KafkaSettings.accepts("sluice.kafka.retries")).isTrue();
    assertThat(KafkaSettings.accepts("sluice.kafka.partition.discovery.interval.ms")).isTrue();
    assertThat(KafkaSettings.accepts("sluice.kafka.producer.client.id")).isTrue();
    assertThat(KafkaSettings.accepts("sluice.kafka.consumer.max.poll.records")).isTrue();
    assertThat(KafkaSettings.accepts("sluice.kafka.admin.request.timeout.ms")).isTrue();

    assertThat(KafkaSettings.accepts("sluice.kafka.bootstrap.server")).isFalse();
    assertThat(KafkaSettings.accepts("sluice.kafka.lingerms")).isFalse();
    assertThat(KafkaSettings.accepts("sluice.kafka.producer.max.poll.records")).isFalse();
    assertThat(KafkaSettings.accepts("sluice.kafka.consumer.linger.ms")).isFalse();
    assertThat(KafkaSettings.accepts("sluice.kinesis.region")).isFalse();
  }

  @Test
  @DisplayName("lists every known key with its full name, for did-you-mean hints")
  void knownKeys() {
    assertThat(KafkaSettings.knownKeys())
        .contains(
            "sluice.kafka.bootstrap.servers",
            "sluice.kafka.acks",
            "sluice.kafka.session.timeout.ms",
            "sluice.kafka.partition.discovery.interval.ms")
        .doesNotContain("sluice.kafka.key.serializer", "sluice.kafka.group.id")
        .allMatch(k -> k.startsWith("sluice.kafka."));
  }

  @Test
  @DisplayName("requires bootstrap.servers")
  void requiresBootstrapServers() {
    assertThatThrownBy(() -> KafkaSettings.from(Map.of("linger.ms", "5")))
        .isInstanceOfSatisfying(
            SluiceException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_CONFIG))
        .hasMessageContaining("sluice.kafka.bootstrap.servers")
        .hasMessageContaining("required");
  }

  @Test
  @DisplayName("refuses settings Sluice owns, saying what to do instead")
  void refusesReserved() {
    assertThatThrownBy(
            () ->
                KafkaSettings.from(
                    Map.of("bootstrap.servers", "x:1", "value.serializer", "com.example.Mine")))
        .isInstanceOfSatisfying(
            SluiceException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_CONFIG))
        .hasMessageContaining("Serde");
    assertThatThrownBy(
            () ->
                KafkaSettings.from(
                    Map.of("bootstrap.servers", "x:1", "consumer.enable.auto.commit", "true")))
        .isInstanceOf(SluiceException.class)
        .hasMessageContaining("enable.auto.commit");
  }

  @Test
  @DisplayName("refuses a transactional.id: the identity is given to sluice.transactionalProducer")
  void refusesTransactionalId() {
    for (String key : new String[] {"transactional.id", "producer.transactional.id"}) {
      assertThatThrownBy(
              () -> KafkaSettings.from(Map.of("bootstrap.servers", "x:1", key, "orders-tx")))
          .isInstanceOfSatisfying(
              SluiceException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_CONFIG))
          .hasMessageContaining("sluice.kafka." + key)
          .hasMessageContaining("Sluice manages it")
          .hasMessageContaining("sluice.transactionalProducer");
    }
  }

  @Test
  @DisplayName("refuses a value Kafka would refuse, when Sluice opens")
  void checksValues() {
    assertThatThrownBy(() -> KafkaSettings.from(Map.of("bootstrap.servers", "x:1", "acks", "most")))
        .isInstanceOfSatisfying(
            SluiceException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_CONFIG))
        .hasMessageContaining("acks");
    assertThatThrownBy(
            () ->
                KafkaSettings.from(
                    Map.of("bootstrap.servers", "x:1", "partition.discovery.interval.ms", "soon")))
        .isInstanceOf(SluiceException.class)
        .hasMessageContaining("partition.discovery.interval.ms");
  }

  @Test
  @DisplayName("with group.protocol=consumer, refuses the settings the broker owns")
  void consumerProtocolSettings() {
    assertThatThrownBy(
            () ->
                KafkaSettings.from(
                    Map.of(
                        "bootstrap.servers", "x:1",
                        "group.protocol", "consumer",
                        "session.timeout.ms", "6000")))
        .isInstanceOfSatisfying(
            SluiceException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_CONFIG))
        .hasMessageContaining("session.timeout.ms")
        .hasMessageContaining("classic");
  }

  @Test
  @DisplayName("makes producers idempotent with acks=all unless told otherwise")
  void producerDefaults() {
    Map<String, Object> p = KafkaSettings.from(MINIMAL).producerProperties("p-1");
    assertThat(p)
        .containsEntry("acks", "all")
        .containsEntry("enable.idempotence", "true")
        .containsEntry("bootstrap.servers", "127.0.0.1:9092")
        .containsEntry("client.id", "p-1");

    Map<String, Object> weak =
        KafkaSettings.from(Map.of("bootstrap.servers", "x:1", "acks", "1")).producerProperties("p");
    assertThat(weak).containsEntry("acks", "1").doesNotContainKey("enable.idempotence");
  }

  @Test
  @DisplayName("gives each client only the settings it knows; prefixed keys win")
  void splitsSettingsPerClient() {
    KafkaSettings s =
        KafkaSettings.from(
            Map.of(
                "bootstrap.servers", "x:1",
                "linger.ms", "7",
                "max.poll.records", "10",
                "consumer.max.poll.records", "20",
                "client.id", "orders",
                "security.protocol", "PLAINTEXT"));
    assertThat(s.producerProperties("p"))
        .containsEntry("linger.ms", "7")
        .containsEntry("security.protocol", "PLAINTEXT")
        .containsEntry("client.id", "orders-p")
        .doesNotContainKey("max.poll.records");
    assertThat(s.consumerProperties("c", "g", 500))
        .containsEntry("max.poll.records", "20")
        .containsEntry("group.id", "g")
        .containsEntry("enable.auto.commit", "false")
        .containsEntry("partition.assignment.strategy", CooperativeStickyAssignor.class.getName())
        .doesNotContainKey("linger.ms");
    assertThat(s.adminProperties("a")).doesNotContainKey("linger.ms");
  }

  @Test
  @DisplayName("standalone consumers have no group; the consumer protocol gets no assignor")
  void consumerModes() {
    KafkaSettings s = KafkaSettings.from(MINIMAL);
    assertThat(s.consumerProperties("c", null, 100))
        .doesNotContainKeys("group.id", "partition.assignment.strategy")
        .containsEntry("max.poll.records", "100");
    KafkaSettings modern =
        KafkaSettings.from(Map.of("bootstrap.servers", "x:1", "group.protocol", "consumer"));
    assertThat(modern.consumerProperties("c", "g", 100))
        .doesNotContainKey("partition.assignment.strategy");
  }

  @Test
  @DisplayName("consumers wait at most 100 ms per fetch unless the application says otherwise")
  void fetchMaxWait() {
    assertThat(KafkaSettings.from(MINIMAL).consumerProperties("c", "g", 500))
        .containsEntry("fetch.max.wait.ms", "100");
    assertThat(
            KafkaSettings.from(Map.of("bootstrap.servers", "x:1", "fetch.max.wait.ms", "500"))
                .consumerProperties("c", "g", 500))
        .containsEntry("fetch.max.wait.ms", "500");
  }

  @Test
  @DisplayName("sizes records so the broker's default message.max.bytes never refuses them")
  void recordLimit() {
    assertThat(KafkaBackend.capabilities(KafkaSettings.from(MINIMAL)).maxRecordBytes())
        .isEqualTo(1_048_576 - KafkaSettings.RECORD_OVERHEAD_BYTES)
        .isLessThan(1_048_588 - 61 - 40);
    assertThat(
            KafkaBackend.capabilities(
                    KafkaSettings.from(
                        Map.of("bootstrap.servers", "x:1", "max.request.size", "2000000")))
                .maxRecordBytes())
        .isEqualTo(2_000_000 - KafkaSettings.RECORD_OVERHEAD_BYTES);
    assertThat(
            KafkaBackend.capabilities(
                    KafkaSettings.from(
                        Map.of("bootstrap.servers", "x:1", "compression.type", "lz4")))
                .maxRecordBytes())
        .isLessThan(1_048_576 - KafkaSettings.RECORD_OVERHEAD_BYTES - 10_000);
    assertThat(KafkaBackend.capabilities(KafkaSettings.from(MINIMAL)).maxKeyBytes())
        .isEqualTo(Integer.MAX_VALUE);
  }
}
