package dev.sluice.schema.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto.Label;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto.Type;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.MessageOptions;
import com.google.protobuf.DescriptorProtos.OneofDescriptorProto;
import com.google.protobuf.Descriptors.FileDescriptor;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ProtoSchemaTextTest {
  @Test
  @DisplayName("prints maps, oneofs, proto3 optional and repeated fields as .proto syntax")
  void printsAProto3File() throws Exception {
    FileDescriptorProto file =
        FileDescriptorProto.newBuilder()
            .setName("p.proto")
            .setSyntax("proto3")
            .setPackage("p")
            .addMessageType(
                DescriptorProto.newBuilder()
                    .setName("M")
                    .addField(field("tags", 1, Type.TYPE_STRING).setLabel(Label.LABEL_REPEATED))
                    .addField(
                        field("note", 2, Type.TYPE_STRING).setProto3Optional(true).setOneofIndex(1))
                    .addField(field("a", 3, Type.TYPE_INT32).setOneofIndex(0))
                    .addField(field("b", 4, Type.TYPE_BOOL).setOneofIndex(0))
                    .addField(
                        field("counts", 5, Type.TYPE_MESSAGE)
                            .setTypeName(".p.M.CountsEntry")
                            .setLabel(Label.LABEL_REPEATED))
                    .addOneofDecl(OneofDescriptorProto.newBuilder().setName("choice"))
                    .addOneofDecl(OneofDescriptorProto.newBuilder().setName("_note"))
                    .addNestedType(
                        DescriptorProto.newBuilder()
                            .setName("CountsEntry")
                            .setOptions(MessageOptions.newBuilder().setMapEntry(true))
                            .addField(field("key", 1, Type.TYPE_STRING))
                            .addField(field("value", 2, Type.TYPE_INT64))))
            .build();
    FileDescriptor descriptor = FileDescriptor.buildFrom(file, new FileDescriptor[0]);

    assertThat(ProtoSchemaText.of(descriptor))
        .isEqualTo(
            "syntax = \"proto3\";\n"
                + "package p;\n"
                + "message M {\n"
                + "  repeated string tags = 1;\n"
                + "  optional string note = 2;\n"
                + "  oneof choice {\n"
                + "    int32 a = 3;\n"
                + "    bool b = 4;\n"
                + "  }\n"
                + "  map<string, int64> counts = 5;\n"
                + "}\n");
    assertThat(ProtoSchemaText.indexes(descriptor.findMessageTypeByName("M")))
        .isEqualTo(List.of(0));
  }

  private static FieldDescriptorProto.Builder field(String name, int number, Type type) {
    return FieldDescriptorProto.newBuilder()
        .setName(name)
        .setNumber(number)
        .setType(type)
        .setLabel(Label.LABEL_OPTIONAL);
  }
}
