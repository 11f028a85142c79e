package dev.sluice.schema.glue;

import com.google.protobuf.Message;
import dev.sluice.ErrorCode;
import dev.sluice.Serde;
import dev.sluice.SluiceException;
import dev.sluice.schema.glue.internal.GlueProtobufCodec;
import org.jspecify.annotations.Nullable;

/**
 * Protobuf serdes backed by the AWS {@link GlueSchemaRegistry}, in Glue's wire format (the same
 * header as {@link GlueAvroSerde}, data format PROTOBUF), through AWS's own library: the schema
 * registered is the message's {@code .proto} file, the record is the library's Protobuf encoding.
 * Glue's own Protobuf deserializers read it.
 *
 * <pre>{@code
 * Serde<Order> orders = GlueProtobufSerde.forStream(glue, "orders").message(Order.getDefaultInstance());
 * }</pre>
 *
 * <p>Schema names and errors are as for {@link GlueAvroSerde}.
 */
public final class GlueProtobufSerde {
  private GlueProtobufSerde() {}

  /**
   * Serdes for the values of {@code stream}; call {@link Builder#forKeys()} for its keys.
   *
   * @param registry the Glue registry
   * @param stream the stream the records go to
   * @return a builder with auto-registration on
   * @throws SluiceException {@code INVALID_ARGUMENT} when an argument is null or the stream blank
   */
  public static Builder forStream(GlueSchemaRegistry registry, String stream) {
    if (registry == null) {
      throw new SluiceException(ErrorCode.INVALID_ARGUMENT, "registry must not be null");
    }
    if (stream == null || stream.isBlank()) {
      throw new SluiceException(ErrorCode.INVALID_ARGUMENT, "stream must not be blank");
    }
    return new Builder(registry, stream);
  }

  /** Options of a Glue Protobuf serde; {@link #message} builds it. */
  public static final class Builder {
    private final GlueSchemaRegistry registry;
    private final String stream;
    private boolean key;
    private @Nullable String schemaName;
    private boolean autoRegister = true;

    private Builder(GlueSchemaRegistry registry, String stream) {
      this.registry = registry;
      this.stream = stream;
    }

    /**
     * Serializes keys: the schema name is {@code <stream>-key} unless set.
     *
     * @return this builder
     */
    public Builder forKeys() {
      this.key = true;
      return this;
    }

    /**
     * The Glue schema the versions are registered under, instead of the stream's.
     *
     * @param schemaName the schema's name in the registry
     * @return this builder
     */
    public Builder schemaName(String schemaName) {
      if (schemaName == null || schemaName.isBlank()) {
        throw new SluiceException(ErrorCode.INVALID_ARGUMENT, "schemaName must not be blank");
      }
      this.schemaName = schemaName;
      return this;
    }

    /**
     * Whether a schema version the registry lacks is registered (the default).
     *
     * @param autoRegister true to register
     * @return this builder
     */
    public Builder autoRegister(boolean autoRegister) {
      this.autoRegister = autoRegister;
      return this;
    }

    /**
     * The Glue schema this builder's serdes use.
     *
     * @return the name set, or {@code <stream>} for values and {@code <stream>-key} for keys
     */
    public String schemaName() {
      return schemaName != null ? schemaName : stream + (key ? "-key" : "");
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
      return new GlueProtobufCodec<>(
          registry.clients(), stream, schemaName(), autoRegister, defaultInstance);
    }
  }
}
