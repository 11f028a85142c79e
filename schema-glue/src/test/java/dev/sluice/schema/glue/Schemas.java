package dev.sluice.schema.glue;

import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto.Label;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto.Type;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.DynamicMessage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;

/**
 * The test schemas: an Avro order, its compatible evolution and an incompatible change; and a
 * Protobuf {@code shop.Order} message built from a descriptor (as generated code would describe
 * it), so the build needs no protoc.
 */
final class Schemas {
  /** Version 1: id and amount. */
  static final Schema ORDER_V1 =
      parse(
          "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"test\",\"fields\":["
              + "{\"name\":\"id\",\"type\":\"string\"},{\"name\":\"amount\",\"type\":\"long\"}]}");

  /** Version 2: an optional note added (a union with null, default null): backward compatible. */
  static final Schema ORDER_V2 =
      parse(
          "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"test\",\"fields\":["
              + "{\"name\":\"id\",\"type\":\"string\"},{\"name\":\"amount\",\"type\":\"long\"},"
              + "{\"name\":\"note\",\"type\":[\"null\",\"string\"],\"default\":null}]}");

  /** A required field without a default: a reader on it cannot read version 1 records. */
  static final Schema ORDER_INCOMPATIBLE =
      parse(
          "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"test\",\"fields\":["
              + "{\"name\":\"id\",\"type\":\"string\"},{\"name\":\"amount\",\"type\":\"long\"},"
              + "{\"name\":\"currency\",\"type\":\"string\"}]}");

  /** Protobuf: {@code package shop; message Order { string id = 1; int64 amount = 2; }}. */
  static final Descriptor PROTO_ORDER = protoOrder();

  private Schemas() {}

  /** A record in Avro's binary encoding, written by Avro's own encoder. */
  static byte[] avroBinary(GenericRecord record) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
      new GenericDatumWriter<GenericRecord>(record.getSchema()).write(record, encoder);
      encoder.flush();
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Avro binary read by Avro's own decoder. */
  static GenericRecord fromAvroBinary(byte[] data, Schema schema) {
    try {
      return new GenericDatumReader<GenericRecord>(schema)
          .read(null, DecoderFactory.get().binaryDecoder(data, null));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static DynamicMessage protoOrder(String id, long amount) {
    return DynamicMessage.newBuilder(PROTO_ORDER)
        .setField(PROTO_ORDER.findFieldByName("id"), id)
        .setField(PROTO_ORDER.findFieldByName("amount"), amount)
        .build();
  }

  private static Descriptor protoOrder() {
    FileDescriptorProto file =
        FileDescriptorProto.newBuilder()
            .setName("shop/order.proto")
            .setPackage("shop")
            .setSyntax("proto3")
            .addMessageType(
                DescriptorProto.newBuilder()
                    .setName("Order")
                    .addField(field("id", 1, Type.TYPE_STRING))
                    .addField(field("amount", 2, Type.TYPE_INT64)))
            .build();
    try {
      return FileDescriptor.buildFrom(file, new FileDescriptor[0]).findMessageTypeByName("Order");
    } catch (DescriptorValidationException e) {
      throw new IllegalStateException(e);
    }
  }

  private static FieldDescriptorProto.Builder field(String name, int number, Type type) {
    return FieldDescriptorProto.newBuilder()
        .setName(name)
        .setNumber(number)
        .setType(type)
        .setLabel(Label.LABEL_OPTIONAL);
  }

  static GenericRecord orderV1(String id, long amount) {
    GenericRecord r = new GenericData.Record(ORDER_V1);
    r.put("id", id);
    r.put("amount", amount);
    return r;
  }

  static GenericRecord orderV2(String id, long amount, String note) {
    GenericRecord r = new GenericData.Record(ORDER_V2);
    r.put("id", id);
    r.put("amount", amount);
    r.put("note", note);
    return r;
  }

  static GenericRecord incompatible(String id) {
    GenericRecord r = new GenericData.Record(ORDER_INCOMPATIBLE);
    r.put("id", id);
    r.put("amount", 1L);
    r.put("currency", "EUR");
    return r;
  }

  private static Schema parse(String json) {
    return new Schema.Parser().parse(json);
  }
}
