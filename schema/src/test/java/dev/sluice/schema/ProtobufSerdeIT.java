package dev.sluice.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.EnumDescriptorProto;
import com.google.protobuf.DescriptorProtos.EnumValueDescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto.Label;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto.Type;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.DynamicMessage;
import dev.sluice.ErrorCode;
import dev.sluice.Producer;
import dev.sluice.Record;
import dev.sluice.Serde;
import dev.sluice.Sluice;
import dev.sluice.SluiceException;
import dev.sluice.StreamSpec;
import dev.sluice.testbrokers.SchemaRegistryServer;
import dev.sluice.testkit.RecordCollector;
import java.time.Duration;
import java.util.Arrays;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The Protobuf serde on memory against the real registry. The messages are built from descriptors
 * (DynamicMessage), as generated classes would describe them, so the build needs no protoc.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ProtobufSerdeIT {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static FileDescriptor shop;
  private static Descriptor order;
  private static Descriptor line;
  private static Descriptor refund;
  private static SchemaRegistry registry;
  private static RegistryHttp registryHttp;

  private final Sluice sluice = Sluice.builder().ignoreEnvironment().backend("memory").open();

  @BeforeAll
  static void setUp() throws Exception {
    SchemaRegistryServer server = SchemaRegistryServer.shared();
    registry = SchemaRegistry.at(server.confluentApiUrl());
    registryHttp = new RegistryHttp(server.confluentApiUrl());
    FileDescriptorProto file =
        FileDescriptorProto.newBuilder()
            .setName("shop.proto")
            .setSyntax("proto3")
            .setPackage("shop")
            .addEnumType(
                EnumDescriptorProto.newBuilder()
                    .setName("Currency")
                    .addValue(EnumValueDescriptorProto.newBuilder().setName("EUR").setNumber(0))
                    .addValue(EnumValueDescriptorProto.newBuilder().setName("USD").setNumber(1)))
            .addMessageType(
                DescriptorProto.newBuilder()
                    .setName("Order")
                    .addField(field("id", 1, Type.TYPE_STRING, null))
                    .addField(field("amount", 2, Type.TYPE_INT64, null))
                    .addField(field("currency", 3, Type.TYPE_ENUM, ".shop.Currency"))
                    .addField(
                        field("lines", 4, Type.TYPE_MESSAGE, ".shop.Order.Line")
                            .setLabel(Label.LABEL_REPEATED))
                    .addNestedType(
                        DescriptorProto.newBuilder()
                            .setName("Line")
                            .addField(field("sku", 1, Type.TYPE_STRING, null))))
            .addMessageType(
                DescriptorProto.newBuilder()
                    .setName("Refund")
                    .addField(field("order_id", 1, Type.TYPE_STRING, null)))
            .build();
    shop = FileDescriptor.buildFrom(file, new FileDescriptor[0]);
    order = shop.findMessageTypeByName("Order");
    line = order.findNestedTypeByName("Line");
    refund = shop.findMessageTypeByName("Refund");
  }

  @AfterEach
  void close() {
    sluice.close();
  }

  private static FieldDescriptorProto.Builder field(
      String name, int number, Type type, String typeName) {
    FieldDescriptorProto.Builder f =
        FieldDescriptorProto.newBuilder()
            .setName(name)
            .setNumber(number)
            .setType(type)
            .setLabel(Label.LABEL_OPTIONAL);
    if (typeName != null) {
      f.setTypeName(typeName);
    }
    return f;
  }

  private String stream() {
    String name = "shop-" + UUID.randomUUID().toString().substring(0, 8);
    sluice.admin().createStream(name, StreamSpec.withShards(1));
    return name;
  }

  private static DynamicMessage anOrder() {
    DynamicMessage sku =
        DynamicMessage.newBuilder(line).setField(line.findFieldByName("sku"), "sku-1").build();
    return DynamicMessage.newBuilder(order)
        .setField(order.findFieldByName("id"), "o-1")
        .setField(order.findFieldByName("amount"), 1234L)
        .setField(
            order.findFieldByName("currency"),
            shop.findEnumTypeByName("Currency").findValueByName("USD"))
        .addRepeatedField(order.findFieldByName("lines"), sku)
        .build();
  }

  @Test
  @DisplayName(
      "a message round trips; its .proto is registered as PROTOBUF; indexes [0] are one 0 byte")
  void roundTrip() throws Exception {
    String stream = stream();
    Serde<DynamicMessage> serde =
        ProtobufSerde.forStream(registry, stream).message(DynamicMessage.getDefaultInstance(order));
    Producer<String, DynamicMessage> producer = sluice.producer(stream, Serde.string(), serde);
    producer.send("k", anOrder()).get(30, TimeUnit.SECONDS);

    Record<String, DynamicMessage> got =
        RecordCollector.of(sluice, stream, Serde.string(), serde).awaitCount(1, TIMEOUT).get(0);
    byte[] raw = RecordCollector.of(sluice, stream).awaitCount(1, TIMEOUT).get(0).value();

    assertThat(got.value()).isEqualTo(anOrder());
    int id = registryHttp.latestId(stream + "-value");
    assertThat(registryHttp.schemaTypeById(id)).isEqualTo("PROTOBUF");
    assertThat(PlainConfluentDecoder.schemaId(raw)).isEqualTo(id);
    assertThat(raw[5]).isEqualTo((byte) 0);
    assertThat(DynamicMessage.parseFrom(order, Arrays.copyOfRange(raw, 6, raw.length)))
        .isEqualTo(anOrder());
  }

  @Test
  @DisplayName(
      "the second message of the file is framed with indexes [1], a nested one with [0, 0]")
  void messageIndexes() throws Exception {
    String stream = stream();
    DynamicMessage aRefund =
        DynamicMessage.newBuilder(refund)
            .setField(refund.findFieldByName("order_id"), "o-1")
            .build();
    Serde<DynamicMessage> refunds =
        ProtobufSerde.forStream(registry, stream)
            .message(DynamicMessage.getDefaultInstance(refund));
    Serde<DynamicMessage> lines =
        ProtobufSerde.forStream(registry, stream).message(DynamicMessage.getDefaultInstance(line));

    byte[] refundBytes = refunds.serialize(aRefund);
    byte[] lineBytes =
        lines.serialize(
            DynamicMessage.newBuilder(line).setField(line.findFieldByName("sku"), "s").build());

    // Zig-zag varints: count 1 -> 2, index 1 -> 2; count 2 -> 4, then 0, 0.
    assertThat(Arrays.copyOfRange(refundBytes, 5, 7)).containsExactly(2, 2);
    assertThat(Arrays.copyOfRange(lineBytes, 5, 8)).containsExactly(4, 0, 0);
    assertThat(refunds.deserialize(refundBytes)).isEqualTo(aRefund);
    assertThatThrownBy(() -> lines.deserialize(refundBytes))
        .isInstanceOfSatisfying(
            SluiceException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.SERIALIZATION))
        .hasMessageContaining("indexes [1]");
  }

  @Test
  @DisplayName("an Avro schema id read as Protobuf is SERIALIZATION, naming both types")
  void avroIdReadAsProtobuf() {
    String stream = stream();
    byte[] avro =
        AvroSerde.forStream(registry, stream + "-avro")
            .generic(null)
            .serialize(Schemas.orderV1("a", 1));

    assertThatThrownBy(
            () ->
                ProtobufSerde.forStream(registry, stream)
                    .message(DynamicMessage.getDefaultInstance(order))
                    .deserialize(avro))
        .isInstanceOfSatisfying(
            SluiceException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.SERIALIZATION))
        .hasMessageContaining("is AVRO, not PROTOBUF");
  }
}
