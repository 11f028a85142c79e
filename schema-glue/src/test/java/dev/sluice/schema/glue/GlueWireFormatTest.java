package dev.sluice.schema.glue;

import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.schemaregistry.common.Schema;
import com.amazonaws.services.schemaregistry.common.configs.GlueSchemaRegistryConfiguration;
import com.amazonaws.services.schemaregistry.deserializers.GlueSchemaRegistryDeserializerDataParser;
import com.amazonaws.services.schemaregistry.deserializers.avro.AvroDeserializer;
import com.amazonaws.services.schemaregistry.deserializers.protobuf.ProtobufDeserializer;
import com.amazonaws.services.schemaregistry.serializers.SerializationDataEncoder;
import com.amazonaws.services.schemaregistry.serializers.avro.AvroSerializer;
import com.amazonaws.services.schemaregistry.serializers.protobuf.ProtobufSerializer;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Message;
import dev.sluice.Serde;
import dev.sluice.schema.glue.internal.ProtoSchemaText;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Glue's wire format, byte for byte against AWS's own library, offline: for a given schema-version
 * UUID, what Sluice writes equals what the library's encoder ({@code SerializationDataEncoder} over
 * its {@code AvroSerializer} / {@code ProtobufSerializer}) writes, the library's
 * deserialization-side classes ({@code GlueSchemaRegistryDeserializerDataParser}, {@code
 * AvroDeserializer}, {@code ProtobufDeserializer}) read Sluice's bytes, and Sluice reads the
 * library's. The UUID is preloaded into the {@link GlueStandIn} (Sluice's serde asks a registry for
 * it); the library's classes used for checking call no registry.
 */
class GlueWireFormatTest {
  private static GlueStandIn standIn;

  @BeforeAll
  static void start() throws Exception {
    standIn = new GlueStandIn();
  }

  @AfterAll
  static void stop() {
    standIn.close();
  }

  private static GlueSchemaRegistryConfiguration libraryConfig(Compression compression) {
    return new GlueSchemaRegistryConfiguration(
        Map.of(
            "region",
            GlueStandIn.REGION,
            "compression",
            compression.name(),
            "avroRecordType",
            "GENERIC_RECORD",
            "protobufMessageType",
            "DYNAMIC_MESSAGE"));
  }

  private static byte[] uuidBytes(UUID id) {
    return ByteBuffer.allocate(16)
        .putLong(id.getMostSignificantBits())
        .putLong(id.getLeastSignificantBits())
        .array();
  }

  private static byte[] avroBinary(GenericRecord record) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
    new GenericDatumWriter<GenericRecord>(record.getSchema()).write(record, encoder);
    encoder.flush();
    return out.toByteArray();
  }

  @ParameterizedTest
  @EnumSource(Compression.class)
  @DisplayName("Avro: Sluice writes the library's exact bytes, and each reads the other's")
  void avroMatchesTheLibrary(Compression compression) throws Exception {
    String stream = "wire-avro-" + compression.name().toLowerCase(java.util.Locale.ROOT);
    UUID id = UUID.fromString("5d3c9b7e-0a1f-4c2b-9d8e-0123456789ab");
    standIn.preload("sluice-tests", stream, "AVRO", Schemas.ORDER_V1.toString(), id);
    Serde<GenericRecord> serde =
        GlueAvroSerde.forStream(standIn.registry(compression), stream)
            .autoRegister(false)
            .generic(null);
    GenericRecord order = Schemas.orderV1("o-1", 4242);

    byte[] sluice = serde.serialize(order);
    GlueSchemaRegistryConfiguration config = libraryConfig(compression);
    byte[] library =
        new SerializationDataEncoder(config).write(new AvroSerializer().serialize(order), id);

    // The header as Glue documents it: version 3, compression 0 (none) or 5 (zlib), the UUID.
    assertThat(sluice[0]).isEqualTo((byte) 3);
    assertThat(sluice[1]).isEqualTo(compression == Compression.NONE ? (byte) 0 : (byte) 5);
    assertThat(Arrays.copyOfRange(sluice, 2, 18)).isEqualTo(uuidBytes(id));
    if (compression == Compression.NONE) {
      assertThat(Arrays.copyOfRange(sluice, 18, sluice.length)).isEqualTo(avroBinary(order));
    }
    assertThat(sluice).isEqualTo(library);

    GlueSchemaRegistryDeserializerDataParser parser =
        GlueSchemaRegistryDeserializerDataParser.getInstance();
    assertThat(parser.getSchemaVersionId(ByteBuffer.wrap(sluice))).isEqualTo(id);
    assertThat(parser.getPlainData(ByteBuffer.wrap(sluice))).isEqualTo(avroBinary(order));
    Object byLibrary =
        new AvroDeserializer(config)
            .deserialize(
                ByteBuffer.wrap(sluice), new Schema(Schemas.ORDER_V1.toString(), "AVRO", stream));
    assertThat(byLibrary).isEqualTo(order);
    assertThat(serde.deserialize(library)).isEqualTo(order);
  }

  @ParameterizedTest
  @EnumSource(Compression.class)
  @DisplayName("Protobuf: Sluice writes the library's exact bytes, and each reads the other's")
  void protobufMatchesTheLibrary(Compression compression) throws Exception {
    String stream = "wire-proto-" + compression.name().toLowerCase(java.util.Locale.ROOT);
    UUID id = UUID.fromString("0f1e2d3c-4b5a-4697-8877-665544332211");
    GlueSchemaRegistryConfiguration config = libraryConfig(compression);
    DynamicMessage order = Schemas.protoOrder("p-1", 77);
    // The library's own .proto printer fails on protobuf-java 4 (see ProtoSchemaText); its parser
    // (the reading side) takes this text.
    String definition = ProtoSchemaText.of(Schemas.PROTO_ORDER.getFile());
    standIn.preload("sluice-tests", stream, "PROTOBUF", definition, id);
    Serde<DynamicMessage> serde =
        GlueProtobufSerde.forStream(standIn.registry(compression), stream)
            .autoRegister(false)
            .message(DynamicMessage.getDefaultInstance(Schemas.PROTO_ORDER));

    byte[] sluice = serde.serialize(order);
    byte[] library =
        new SerializationDataEncoder(config)
            .write(new ProtobufSerializer(config).serialize(order), id);

    assertThat(sluice[0]).isEqualTo((byte) 3);
    assertThat(sluice[1]).isEqualTo(compression == Compression.NONE ? (byte) 0 : (byte) 5);
    assertThat(Arrays.copyOfRange(sluice, 2, 18)).isEqualTo(uuidBytes(id));
    assertThat(sluice).isEqualTo(library);

    assertThat(
            GlueSchemaRegistryDeserializerDataParser.getInstance()
                .getSchemaVersionId(ByteBuffer.wrap(sluice)))
        .isEqualTo(id);
    Message byLibrary =
        (Message)
            new ProtobufDeserializer(config)
                .deserialize(ByteBuffer.wrap(sluice), new Schema(definition, "PROTOBUF", stream));
    assertThat(byLibrary.getDescriptorForType().getFullName()).isEqualTo("shop.Order");
    assertThat(byLibrary.toByteString()).isEqualTo(order.toByteString());
    DynamicMessage bySluice = serde.deserialize(library);
    assertThat(bySluice.getField(Schemas.PROTO_ORDER.findFieldByName("id"))).isEqualTo("p-1");
    assertThat(bySluice.getField(Schemas.PROTO_ORDER.findFieldByName("amount"))).isEqualTo(77L);
  }
}
