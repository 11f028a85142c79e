package dev.sluice.schema;

import com.google.protobuf.Message;
import dev.sluice.ErrorCode;
import dev.sluice.Serde;
import dev.sluice.SluiceException;
import dev.sluice.schema.internal.ProtobufRegistrySerde;

/**
 * Protobuf serdes backed by a {@link SchemaRegistry}, in the Confluent wire format: the magic byte
 * {@code 0}, the schema id (4 bytes, big-endian), the message indexes (the message's place in its
 * {@code .proto} file, as Confluent writes them), then the message's bytes. The schema registered
 * under {@code <stream>-value} (or {@code -key}) is the message's {@code .proto} file, schema type
 * PROTOBUF. Needs {@code com.google.protobuf:protobuf-java} on the class path.
 *
 * <pre>{@code
 * Serde<Order> orders = ProtobufSerde.forStream(registry, "orders").message(Order.getDefaultInstance());
 * }</pre>
 *
 * <p>A message is read with the application's own type (Protobuf's unknown-field rules make old and
 * new readers tolerant); the registry is asked once per id that the writer's schema is a Protobuf
 * schema it knows. Not supported yet: {@code .proto} files that import others (registry schema
 * references) fail with {@code UNSUPPORTED}. Errors are as for {@link AvroSerde}.
 */
public final class ProtobufSerde {
  private ProtobufSerde() {}

  /**
   * Serdes for the values of {@code stream}; call {@link Builder#forKeys()} for its keys.
   *
   * @param registry the registry
   * @param stream the stream the records go to
   * @return a builder with auto-registration on
   * @throws SluiceException {@code INVALID_ARGUMENT} when an argument is null or the stream blank
   */
  public static Builder forStream(SchemaRegistry registry, String stream) {
    if (registry == null) {
      throw new SluiceException(ErrorCode.INVALID_ARGUMENT, "registry must not be null");
    }
    if (stream == null || stream.isBlank()) {
      throw new SluiceException(ErrorCode.INVALID_ARGUMENT, "stream must not be blank");
    }
    return new Builder(registry, stream);
  }

  /** Options of a Protobuf serde; {@link #message} builds it. */
  public static final class Builder {
    private final SchemaRegistry registry;
    private final String stream;
    private boolean key;
    private boolean autoRegister = true;

    private Builder(SchemaRegistry registry, String stream) {
      this.registry = registry;
      this.stream = stream;
    }

    /**
     * Serializes keys: the subject is {@code <stream>-key}.
     *
     * @return this builder
     */
    public Builder forKeys() {
      this.key = true;
      return this;
    }

    /**
     * Whether the message's file is registered when the subject lacks it (the default).
     *
     * @param autoRegister true to register
     * @return this builder
     */
    public Builder autoRegister(boolean autoRegister) {
      this.autoRegister = autoRegister;
      return this;
    }

    /**
     * The subject this builder's serdes use.
     *
     * @return {@code <stream>-value} or {@code <stream>-key}
     */
    public String subject() {
      return stream + (key ? "-key" : "-value");
    }

    /**
     * A serde of the messages {@code defaultInstance} is one of: a generated class's {@code
     * getDefaultInstance()}, or a {@code DynamicMessage.getDefaultInstance(descriptor)}.
     *
     * @param <M> the message type
     * @param defaultInstance a message of the type
     * @return the serde
     */
    public <M extends Message> Serde<M> message(M defaultInstance) {
      if (defaultInstance == null) {
        throw new SluiceException(ErrorCode.INVALID_ARGUMENT, "defaultInstance must not be null");
      }
      return new ProtobufRegistrySerde<>(
          registry.client(), subject(), autoRegister, defaultInstance);
    }
  }
}
