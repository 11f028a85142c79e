package dev.sluice.schema.glue.internal;

import com.amazonaws.services.schemaregistry.common.AWSDeserializerInput;
import com.amazonaws.services.schemaregistry.common.AWSSerializerInput;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import dev.sluice.ErrorCode;
import dev.sluice.Serde;
import dev.sluice.SluiceException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import software.amazon.awssdk.services.glue.model.DataFormat;

/**
 * A Protobuf serde in Glue's wire format, through AWS's library: the schema registered is the
 * message's {@code .proto} file (printed by {@link ProtoSchemaText}: the library's own printer
 * fails on protobuf-java 4), the record after Glue's header is the library's Protobuf encoding (the
 * message's index in its file, then the message). Reading goes through the library's Protobuf
 * deserializer, which yields a {@code DynamicMessage} of the writer's file; it is re-read as the
 * application's type, so unknown fields follow Protobuf's usual rules.
 *
 * @param <M> the message type
 */
public final class GlueProtobufCodec<M extends Message> implements Serde<M> {
  private final GlueClients glue;
  private final String stream;
  private final String schemaName;
  private final boolean autoRegister;
  private final M defaultInstance;

  private final Map<Descriptor, UUID> versions = new ConcurrentHashMap<>();

  /**
   * A serde for one schema name.
   *
   * @param glue the registry's library objects
   * @param stream the stream, the library's "transport name"
   * @param schemaName the Glue schema the versions belong to
   * @param autoRegister whether a schema version the registry lacks is registered, or refused
   * @param defaultInstance a message of the type
   */
  public GlueProtobufCodec(
      GlueClients glue, String stream, String schemaName, boolean autoRegister, M defaultInstance) {
    this.glue = glue;
    this.stream = stream;
    this.schemaName = schemaName;
    this.autoRegister = autoRegister;
    this.defaultInstance = defaultInstance;
  }

  @Override
  public byte[] serialize(M value) {
    if (value == null) {
      throw new SluiceException(ErrorCode.INVALID_ARGUMENT, "value must not be null");
    }
    Descriptor type = value.getDescriptorForType();
    try {
      UUID version = versions.get(type);
      if (version == null) {
        String definition = ProtoSchemaText.of(type.getFile());
        version =
            glue.writer(autoRegister)
                .getOrRegisterSchemaVersion(
                    AWSSerializerInput.builder()
                        .schemaDefinition(definition)
                        .schemaName(schemaName)
                        .dataFormat(DataFormat.PROTOBUF.name())
                        .transportName(stream)
                        .build());
        versions.putIfAbsent(type, version);
      }
      return glue.writer(autoRegister).serialize(DataFormat.PROTOBUF, value, version);
    } catch (RuntimeException e) {
      throw GlueErrors.translate(
          e, "write " + type.getFullName() + " for Glue schema " + schemaName);
    }
  }

  @Override
  @SuppressWarnings("unchecked")
  public M deserialize(byte[] bytes) {
    if (bytes == null) {
      throw new SluiceException(ErrorCode.INVALID_ARGUMENT, "bytes must not be null");
    }
    String expected = defaultInstance.getDescriptorForType().getFullName();
    Object read;
    try {
      read =
          glue.reader()
              .deserialize(
                  AWSDeserializerInput.builder()
                      .buffer(ByteBuffer.wrap(bytes))
                      .transportName(stream)
                      .build());
    } catch (RuntimeException e) {
      throw GlueErrors.translate(e, "read " + expected + " from stream " + stream);
    }
    if (!(read instanceof Message message)) {
      throw new SluiceException(
          ErrorCode.SERIALIZATION,
          "Cannot read "
              + expected
              + ": the record was written as "
              + (read == null ? "null" : read.getClass().getName())
              + ", not Protobuf");
    }
    String written = message.getDescriptorForType().getFullName();
    if (!written.equals(expected)) {
      throw new SluiceException(
          ErrorCode.SERIALIZATION,
          "Cannot read " + expected + ": the record is a " + written + " message");
    }
    if (defaultInstance.getClass().isInstance(message)
        && message.getDescriptorForType() == defaultInstance.getDescriptorForType()) {
      return (M) message;
    }
    try {
      return (M) defaultInstance.getParserForType().parseFrom(message.toByteString());
    } catch (InvalidProtocolBufferException e) {
      throw new SluiceException(
          ErrorCode.SERIALIZATION, "Cannot read " + expected + ": " + e.getMessage(), e);
    }
  }

  @Override
  public String toString() {
    return "GlueProtobufSerde(" + defaultInstance.getDescriptorForType().getFullName() + ")";
  }
}
