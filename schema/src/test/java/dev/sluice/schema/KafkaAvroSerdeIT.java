package dev.sluice.schema;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Serde;
import dev.sluice.Sluice;
import dev.sluice.kafka.KafkaOptions;
import dev.sluice.testbrokers.KafkaBroker;
import dev.sluice.testbrokers.KafkaBrokerExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The Avro serdes on a real KRaft Kafka broker. */
@ExtendWith(KafkaBrokerExtension.class)
class KafkaAvroSerdeIT extends AvroSerdeContract {
  static KafkaBroker broker;

  @Override
  Sluice openSluice() {
    return Sluice.builder()
        .ignoreEnvironment()
        .properties(
            KafkaOptions.builder().bootstrapServers(broker.bootstrapServers()).build().asMap())
        .open();
  }

  @Test
  @DisplayName(
      "what Sluice wrote is read by a plain Kafka consumer and a Confluent-framing decoder written"
          + " from the format's documentation")
  void plainKafkaConsumerReadsTheWireFormat() throws Exception {
    String stream = stream();
    Serde<GenericRecord> serde = AvroSerde.forStream(registry, stream).generic(null);
    track(sluice.producer(stream, Serde.string(), serde))
        .send("k", Schemas.orderV2("plain", 42, "read elsewhere"))
        .get(30, TimeUnit.SECONDS);

    List<ConsumerRecord<byte[], byte[]>> got = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                broker.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG,
                "plain-" + stream,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest"),
            new ByteArrayDeserializer(),
            new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(stream));
      long deadline = System.nanoTime() + TIMEOUT.toNanos();
      while (got.isEmpty() && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(got::add);
      }
    }

    assertThat(got).hasSize(1);
    byte[] value = got.get(0).value();
    assertThat(value[0]).isEqualTo((byte) 0);
    assertThat(PlainConfluentDecoder.schemaId(value))
        .isEqualTo(registryHttp.latestId(stream + "-value"));
    GenericRecord decoded = new PlainConfluentDecoder(registryHttp).decode(value);
    assertThat(decoded.get("id").toString()).isEqualTo("plain");
    assertThat(decoded.get("amount")).isEqualTo(42L);
    assertThat(decoded.get("note").toString()).isEqualTo("read elsewhere");
  }
}
