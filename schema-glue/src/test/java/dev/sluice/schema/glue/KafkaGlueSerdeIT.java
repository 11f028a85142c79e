package dev.sluice.schema.glue;

import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.schemaregistry.deserializers.GlueSchemaRegistryKafkaDeserializer;
import com.amazonaws.services.schemaregistry.serializers.GlueSchemaRegistryKafkaSerializer;
import dev.sluice.Record;
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
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/** The Glue serdes on a real KRaft Kafka broker: the UUID travels in the value, as on Kinesis. */
@ExtendWith(KafkaBrokerExtension.class)
class KafkaGlueSerdeIT extends GlueSerdeContract {
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
      "Glue's own Kafka deserializer reads what Sluice wrote, and Sluice reads what Glue's own"
          + " Kafka serializer wrote, on one topic under one Glue schema")
  void gluesKafkaSerdesInteroperate() throws Exception {
    String stream = stream();
    Map<String, Object> glue =
        Map.of(
            "region", GlueStandIn.REGION,
            "endpoint", standIn.endpoint(),
            "registry.name", "sluice-tests",
            "dataFormat", "AVRO",
            "avroRecordType", "GENERIC_RECORD",
            "schemaAutoRegistrationEnabled", "true");
    StaticCredentialsProvider credentials =
        StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test"));
    Serde<GenericRecord> serde = GlueAvroSerde.forStream(registry, stream).generic(null);
    track(sluice.producer(stream, Serde.string(), serde))
        .send("s", Schemas.orderV1("from-sluice", 1))
        .get(30, TimeUnit.SECONDS);
    try (KafkaProducer<String, Object> producer =
        new KafkaProducer<>(
            Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()),
            new StringSerializer(),
            new GlueSchemaRegistryKafkaSerializer(credentials, glue))) {
      producer.send(new ProducerRecord<>(stream, "g", Schemas.orderV1("from-glue", 2))).get();
    }

    List<Object> byGlue = new ArrayList<>();
    try (KafkaConsumer<String, Object> consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                broker.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG,
                "glue-" + stream,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest"),
            new StringDeserializer(),
            new GlueSchemaRegistryKafkaDeserializer(credentials, glue))) {
      consumer.subscribe(List.of(stream));
      long deadline = System.nanoTime() + TIMEOUT.toNanos();
      while (byGlue.size() < 2 && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(r -> byGlue.add(r.value()));
      }
    }
    List<Record<String, GenericRecord>> bySluice = read(stream, serde, 2);

    assertThat(byGlue)
        .extracting(r -> ((GenericRecord) r).get("id").toString())
        .containsExactly("from-sluice", "from-glue");
    assertThat(bySluice)
        .extracting(r -> r.value().get("id").toString())
        .containsExactly("from-sluice", "from-glue");
  }
}
