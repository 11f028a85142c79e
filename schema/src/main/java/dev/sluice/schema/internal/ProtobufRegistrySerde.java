package dev.sluice.schema.internal;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import dev.sluice.ErrorCode;
import dev.sluice.Serde;
import dev.sluice.SluiceException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A Protobuf serde in the Confluent wire format: the 5-byte header, then the message indexes (the
 * message's path in its {@code .proto} file as zig-zag varints: their count, then each; the common
 * {@code [0]} as the single byte 0), then the message's own bytes. The schema registered is the
 * message's {@code .proto} file as text, schema type PROTOBUF.
 *
 * @param <M> the message type
 */
public final class ProtobufRegistrySerde<M extends Message> implements Serde<M> {
  private final RegistryClient registry;
  private final String subject;
  private final boolean autoRegister;
  private final Descriptor descriptor;
  private final Parser<? extends Message> parser;
  private final List<Integer> indexes;
  private final byte[] indexBytes;
  private volatile int id = -1;

  /**
   * A serde of the messages {@code defaultInstance} is one of.
   *
   * @param registry the registry client
   * @param subject the subject the message's file is registered under
   * @param autoRegister whether to register it when the subject lacks it
   * @param defaultInstance any message of the type (its parser and descriptor are used)
   */
  public ProtobufRegistrySerde(
      RegistryClient registry, String subject, boolean autoRegister, M defaultInstance) {
    this.registry = registry;
    this.subject = subject;
    this.autoRegister = autoRegister;
    this.descriptor = defaultInstance.getDescriptorForType();
    this.parser = defaultInstance.getParserForType();
    this.indexes = ProtoSchemaText.indexes(descriptor);
    this.indexBytes = encodeIndexes(indexes);
  }

  @Override
  public byte[] serialize(M value) {
    if (value == null) {
      throw new SluiceException(ErrorCode.INVALID_ARGUMENT, "value must not be null");
    }
    if (!value.getDescriptorForType().getFullName().equals(descriptor.getFullName())) {
      throw new SluiceException(
          ErrorCode.INVALID_ARGUMENT,
          "This serde writes "
              + descriptor.getFullName()
              + ", not "
              + value.getDescriptorForType().getFullName());
    }
    int schemaId = id;
    if (schemaId < 0) {
      schemaId =
          registry.idOf(
              subject,
              RegistryClient.PROTOBUF,
              ProtoSchemaText.of(descriptor.getFile()),
              autoRegister);
      id = schemaId;
    }
    int size = value.getSerializedSize();
    byte[] out = new byte[ConfluentFraming.HEADER_LENGTH + indexBytes.length + size];
    ConfluentFraming.writeHeader(out, schemaId);
    System.arraycopy(indexBytes, 0, out, ConfluentFraming.HEADER_LENGTH, indexBytes.length);
    CodedOutputStream coded =
        CodedOutputStream.newInstance(
            out, ConfluentFraming.HEADER_LENGTH + indexBytes.length, size);
    try {
      value.writeTo(coded);
      coded.checkNoSpaceLeft();
    } catch (IOException | RuntimeException e) {
      throw new SluiceException(
          ErrorCode.SERIALIZATION, "Cannot write " + descriptor.getFullName() + ": " + e, e);
    }
    return out;
  }

  @Override
  @SuppressWarnings("unchecked")
  public M deserialize(byte[] bytes) {
    if (bytes == null) {
      throw new SluiceException(ErrorCode.INVALID_ARGUMENT, "bytes must not be null");
    }
    int schemaId = ConfluentFraming.readSchemaId(bytes);
    // The writer's schema must be a Protobuf schema the registry knows (cached after once).
    registry.schemaById(schemaId, RegistryClient.PROTOBUF);
    try {
      CodedInputStream in =
          CodedInputStream.newInstance(
              bytes, ConfluentFraming.HEADER_LENGTH, bytes.length - ConfluentFraming.HEADER_LENGTH);
      List<Integer> written = readIndexes(in);
      if (!written.equals(indexes)) {
        throw new SluiceException(
            ErrorCode.SERIALIZATION,
            "The record holds the message at indexes "
                + written
                + " of schema id "
                + schemaId
                + ", not "
                + descriptor.getFullName()
                + " (indexes "
                + indexes
                + ")");
      }
      return (M) parser.parseFrom(in);
    } catch (InvalidProtocolBufferException e) {
      throw new SluiceException(
          ErrorCode.SERIALIZATION,
          "Cannot read "
              + descriptor.getFullName()
              + " written with schema id "
              + schemaId
              + ": "
              + e.getMessage(),
          e);
    } catch (IOException e) {
      throw new SluiceException(
          ErrorCode.SERIALIZATION, "Cannot read the message indexes: " + e.getMessage(), e);
    }
  }

  static byte[] encodeIndexes(List<Integer> indexes) {
    if (indexes.equals(List.of(0))) {
      return new byte[] {0};
    }
    byte[] buffer = new byte[5 * (indexes.size() + 1)];
    CodedOutputStream out = CodedOutputStream.newInstance(buffer);
    try {
      out.writeSInt32NoTag(indexes.size());
      for (int index : indexes) {
        out.writeSInt32NoTag(index);
      }
      out.flush();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    byte[] result = new byte[out.getTotalBytesWritten()];
    System.arraycopy(buffer, 0, result, 0, result.length);
    return result;
  }

  private static List<Integer> readIndexes(CodedInputStream in) throws IOException {
    int count = in.readSInt32();
    if (count == 0) {
      return List.of(0);
    }
    if (count < 0 || count > 100) {
      throw new SluiceException(
          ErrorCode.SERIALIZATION,
          "Not a Protobuf record in the Confluent format: " + count + " message indexes");
    }
    List<Integer> indexes = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      indexes.add(in.readSInt32());
    }
    return indexes;
  }

  @Override
  public String toString() {
    return "ProtobufSerde("
        + descriptor.getFullName()
        + ", "
        + subject
        + " at "
        + registry.baseUrl()
        + ")";
  }
}
