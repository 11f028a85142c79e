package dev.sluice.schema.glue;

import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.schemaregistry.common.Schema;
import com.amazonaws.services.schemaregistry.common.configs.GlueSchemaRegistryConfiguration;
import com.amazonaws.services.schemaregistry.deserializers.GlueSchemaRegistryDeserializerImpl;
import com.amazonaws.services.schemaregistry.serializers.GlueSchemaRegistrySerializerImpl;
import dev.sluice.Serde;
import dev.sluice.Sluice;
import dev.sluice.kinesis.KinesisOptions;
import dev.sluice.testbrokers.DynamoDbEmulator;
import dev.sluice.testbrokers.KinesisEmulator;
import dev.sluice.testbrokers.KinesisEmulatorExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;

/**
 * The Glue serdes on the Kinesis emulator. The schema-version UUID travels in the value (Kinesis
 * has no headers), so the bytes are the same Glue frame as on Kafka.
 */
@ExtendWith(KinesisEmulatorExtension.class)
class KinesisGlueSerdeIT extends GlueSerdeContract {
  private static KinesisEmulator kinesis;
  private static DynamoDbEmulator dynamo;

  @BeforeAll
  static void emulators(KinesisEmulator emulator, DynamoDbEmulator dynamoDb) {
    kinesis = emulator;
    dynamo = dynamoDb;
  }

  @Override
  Sluice openSluice() {
    return open(true);
  }

  private static Sluice open(boolean writeIds) {
    return Sluice.builder()
        .ignoreEnvironment()
        .properties(
            KinesisOptions.builder()
                .region(kinesis.region())
                .endpoint(kinesis.endpoint())
                .dynamoDbEndpoint(dynamo.endpoint())
                .staticCredentials(kinesis.accessKeyId(), kinesis.secretAccessKey())
                .writeIds(writeIds)
                .build()
                .toMap())
        .open();
  }

  @Test
  @DisplayName(
      "with write ids off, the Kinesis data is the bare Glue frame: Glue's own Kinesis-side API"
          + " reads what Sluice wrote, and Sluice reads what that API encoded, through a plain"
          + " Kinesis client")
  void gluesKinesisApiInteroperates() throws Exception {
    String stream = stream();
    GlueSchemaRegistryConfiguration config =
        new GlueSchemaRegistryConfiguration(
            Map.of(
                "region",
                GlueStandIn.REGION,
                "endpoint",
                standIn.endpoint(),
                "registry.name",
                "sluice-tests",
                "avroRecordType",
                "GENERIC_RECORD"));
    StaticCredentialsProvider glueCredentials =
        StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test"));
    Serde<GenericRecord> serde = GlueAvroSerde.forStream(registry, stream).generic(null);
    try (Sluice bare = open(false);
        KinesisClient plain =
            KinesisClient.builder()
                .endpointOverride(kinesis.endpoint())
                .region(Region.of(kinesis.region()))
                .credentialsProvider(
                    StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(
                            kinesis.accessKeyId(), kinesis.secretAccessKey())))
                .httpClient(UrlConnectionHttpClient.create())
                .build()) {
      track(bare.producer(stream, Serde.string(), serde))
          .send("s", Schemas.orderV1("from-sluice", 1))
          .get(30, TimeUnit.SECONDS);
      byte[] encoded =
          new GlueSchemaRegistrySerializerImpl(glueCredentials, config)
              .encode(
                  stream,
                  new Schema(Schemas.ORDER_V1.toString(), "AVRO", stream),
                  Schemas.avroBinary(Schemas.orderV1("from-glue", 2)));
      plain.putRecord(
          r -> r.streamName(stream).partitionKey("g").data(SdkBytes.fromByteArray(encoded)));

      String shard = plain.listShards(r -> r.streamName(stream)).shards().get(0).shardId();
      String iterator =
          plain
              .getShardIterator(
                  r ->
                      r.streamName(stream)
                          .shardId(shard)
                          .shardIteratorType(ShardIteratorType.TRIM_HORIZON))
              .shardIterator();
      List<byte[]> data = new ArrayList<>();
      long deadline = System.nanoTime() + TIMEOUT.toNanos();
      while (data.size() < 2 && System.nanoTime() < deadline) {
        String from = iterator;
        GetRecordsResponse page = plain.getRecords(r -> r.shardIterator(from));
        page.records().forEach(r -> data.add(r.data().asByteArray()));
        iterator = page.nextShardIterator();
      }
      GlueSchemaRegistryDeserializerImpl glue =
          new GlueSchemaRegistryDeserializerImpl(glueCredentials, config);
      List<String> byGlue = new ArrayList<>();
      for (byte[] d : data) {
        assertThat(glue.canDeserialize(d)).isTrue();
        org.apache.avro.Schema writer =
            new org.apache.avro.Schema.Parser().parse(glue.getSchema(d).getSchemaDefinition());
        byGlue.add(Schemas.fromAvroBinary(glue.getData(d), writer).get("id").toString());
      }

      assertThat(byGlue).containsExactly("from-sluice", "from-glue");
      assertThat(read(stream, serde, 2))
          .extracting(r -> r.value().get("id").toString())
          .containsExactly("from-sluice", "from-glue");
    }
  }
}
