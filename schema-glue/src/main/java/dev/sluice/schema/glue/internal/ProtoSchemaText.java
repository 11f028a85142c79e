package dev.sluice.schema.glue.internal;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.OneofDescriptor;
import dev.sluice.ErrorCode;
import dev.sluice.SluiceException;
import java.util.ArrayList;
import java.util.List;

/**
 * A message's {@code .proto} file as text, the form a registry takes a Protobuf schema in. A copy
 * of sluice-schema's printer (this module does not depend on that one): AWS's Glue library 1.1.27
 * has a printer, but it calls {@code FileOptions.hasPhpGenericServices()}, which protobuf-java 4
 * removed, so it fails on the Protobuf Sluice uses. protobuf-java has descriptors but no printer of
 * {@code .proto} syntax, so this writes the subset a data schema uses: syntax, package, messages
 * (nested), enums, scalar, message and enum fields, repeated, proto3 {@code optional}, oneofs and
 * maps. Options are left out (they do not change the wire format). A file importing others is
 * refused: those would be registry references.
 */
public final class ProtoSchemaText {
  private ProtoSchemaText() {}

  /**
   * The file as {@code .proto} text.
   *
   * @param file the file
   * @return its text
   * @throws SluiceException {@code UNSUPPORTED} when it imports other files
   */
  public static String of(FileDescriptor file) {
    if (!file.getDependencies().isEmpty()) {
      throw new SluiceException(
          ErrorCode.UNSUPPORTED,
          file.getName()
              + " imports other files; schema references are not supported yet: put the"
              + " messages in one file");
    }
    StringBuilder out = new StringBuilder();
    boolean proto3 = "proto3".equals(file.toProto().getSyntax());
    out.append("syntax = \"").append(proto3 ? "proto3" : "proto2").append("\";\n");
    if (!file.getPackage().isEmpty()) {
      out.append("package ").append(file.getPackage()).append(";\n");
    }
    for (EnumDescriptor e : file.getEnumTypes()) {
      enumType(out, e, "");
    }
    for (Descriptor m : file.getMessageTypes()) {
      message(out, m, "", proto3);
    }
    return out.toString();
  }

  private static void message(StringBuilder out, Descriptor m, String indent, boolean proto3) {
    out.append(indent).append("message ").append(m.getName()).append(" {\n");
    String inner = indent + "  ";
    for (EnumDescriptor e : m.getEnumTypes()) {
      enumType(out, e, inner);
    }
    for (Descriptor nested : m.getNestedTypes()) {
      if (!nested.getOptions().getMapEntry()) {
        message(out, nested, inner, proto3);
      }
    }
    List<OneofDescriptor> printedOneofs = new ArrayList<>();
    for (FieldDescriptor f : m.getFields()) {
      OneofDescriptor oneof = f.getRealContainingOneof();
      if (oneof != null) {
        if (!printedOneofs.contains(oneof)) {
          printedOneofs.add(oneof);
          out.append(inner).append("oneof ").append(oneof.getName()).append(" {\n");
          for (FieldDescriptor member : oneof.getFields()) {
            field(out, member, inner + "  ", proto3, false);
          }
          out.append(inner).append("}\n");
        }
        continue;
      }
      field(out, f, inner, proto3, true);
    }
    out.append(indent).append("}\n");
  }

  private static void field(
      StringBuilder out, FieldDescriptor f, String indent, boolean proto3, boolean withLabel) {
    out.append(indent);
    if (f.isMapField()) {
      Descriptor entry = f.getMessageType();
      out.append("map<")
          .append(typeName(entry.findFieldByNumber(1)))
          .append(", ")
          .append(typeName(entry.findFieldByNumber(2)))
          .append("> ");
    } else {
      if (withLabel) {
        if (f.isRepeated()) {
          out.append("repeated ");
        } else if (!proto3 && f.isRequired()) {
          out.append("required ");
        } else if (!proto3 || f.toProto().getProto3Optional()) {
          out.append("optional ");
        }
      }
      out.append(typeName(f)).append(' ');
    }
    out.append(f.getName()).append(" = ").append(f.getNumber()).append(";\n");
  }

  private static String typeName(FieldDescriptor f) {
    switch (f.getType()) {
      case MESSAGE:
      case GROUP:
        return "." + f.getMessageType().getFullName();
      case ENUM:
        return "." + f.getEnumType().getFullName();
      default:
        return f.getType()
            .toProto()
            .name()
            .substring("TYPE_".length())
            .toLowerCase(java.util.Locale.ROOT);
    }
  }

  private static void enumType(StringBuilder out, EnumDescriptor e, String indent) {
    out.append(indent).append("enum ").append(e.getName()).append(" {\n");
    for (EnumValueDescriptor v : e.getValues()) {
      out.append(indent)
          .append("  ")
          .append(v.getName())
          .append(" = ")
          .append(v.getNumber())
          .append(";\n");
    }
    out.append(indent).append("}\n");
  }
}
