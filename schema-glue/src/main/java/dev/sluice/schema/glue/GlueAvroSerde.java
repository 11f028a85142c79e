package dev.sluice.schema.glue;

import dev.sluice.ErrorCode;
import dev.sluice.Serde;
import dev.sluice.SluiceException;
import dev.sluice.schema.glue.internal.GlueAvroCodec;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.jspecify.annotations.Nullable;

/**
 * Avro serdes backed by the AWS {@link GlueSchemaRegistry}, in Glue's wire format: header version
 * byte {@code 3}, a compression byte ({@code 0} none, {@code 5} zlib), the writer schema's 16-byte
 * schema-version UUID, then the record in Avro's binary encoding. The framing, the registry calls
 * and their caches are AWS's own {@code schema-registry-serde} library, so Glue's Kafka
 * deserializer and its Kinesis/KCL deserializer read what these serdes write, on Kafka or Kinesis
 * alike (the UUID travels in the value, not in a header).
 *
 * <p>Schema names: {@code <stream>} for values (the name Glue's own Kafka serializer uses), {@code
 * <stream>-key} for keys, or {@link Builder#schemaName(String)}. When writing, a schema version the
 * registry lacks is registered (Glue checks it against the schema's compatibility mode; a schema
 * that does not exist yet is created with {@link GlueSchemaRegistry.Builder#compatibility}) unless
 * auto-registration is off. When reading, the writer's schema is fetched by UUID and the value is
 * resolved into the reader's schema.
 *
 * <pre>{@code
 * GlueSchemaRegistry glue = GlueSchemaRegistry.builder().region("eu-west-1").build();
 * Serde<GenericRecord> values = GlueAvroSerde.forStream(glue, "orders").generic(orderSchema);
 * Serde<Order> specific = GlueAvroSerde.forStream(glue, "orders").autoRegister(false)
 *     .specific(Order.class);
 * }</pre>
 *
 * <p>Failures are {@link SluiceException}s: a schema Glue refuses or does not know, bytes not in
 * the wire format, an unknown UUID or an unreadable record are {@link ErrorCode#SERIALIZATION}; an
 * unreachable registry is {@link ErrorCode#UNAVAILABLE} or {@link ErrorCode#TIMEOUT} (retryable),
 * missing permissions {@link ErrorCode#PERMISSION_DENIED}. On a consumer they go through its {@link
 * dev.sluice.FailurePolicy}, so a dead letter keeps the raw bytes and an outage loses nothing.
 */
public final class GlueAvroSerde {
  private GlueAvroSerde() {}

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

  /** Options of a Glue Avro serde; {@link #generic} and {@link #specific} build it. */
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
     * Whether a schema version the registry lacks is registered (the default), or refused with a
     * {@code SERIALIZATION} error.
     *
     * @param autoRegister true to register missing versions
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
     * A serde of generic records, written with their own schema and read into {@code readerSchema}.
     *
     * @param readerSchema the schema records are read into, or null for the writer's
     * @return the serde
     */
    public Serde<GenericRecord> generic(@Nullable Schema readerSchema) {
      return new GlueAvroCodec<>(
          registry.clients(),
          stream,
          schemaName(),
          autoRegister,
          GenericRecord::getSchema,
          readerSchema,
          GenericDatumReader::new,
          "GlueAvroSerde.generic");
    }

    /**
     * A serde of records of a class generated by Avro's compiler, written and read in the class's
     * schema.
     *
     * @param <T> the record class
     * @param type the record class
     * @return the serde
     * @throws SluiceException {@code INVALID_ARGUMENT} when the class has no Avro schema
     */
    public <T extends SpecificRecord> Serde<T> specific(Class<T> type) {
      if (type == null) {
        throw new SluiceException(ErrorCode.INVALID_ARGUMENT, "type must not be null");
      }
      SpecificData data = trusting(type);
      Schema schema;
      try {
        schema = data.getSchema(type);
      } catch (RuntimeException e) {
        throw new SluiceException(
            ErrorCode.INVALID_ARGUMENT, type.getName() + " has no Avro schema: " + e, e);
      }
      return new GlueAvroCodec<T>(
          registry.clients(),
          stream,
          schemaName(),
          autoRegister,
          value -> schema,
          schema,
          (writer, reader) -> new SpecificDatumReader<>(writer, reader, data),
          "GlueAvroSerde.specific(" + type.getSimpleName() + ")");
    }

    /**
     * The class's own model, except that the class itself is trusted: Avro 1.12 refuses to
     * instantiate classes a schema names unless listed in {@code
     * org.apache.avro.SERIALIZABLE_PACKAGES}, and the application named this one explicitly.
     */
    private static <T extends SpecificRecord> SpecificData trusting(Class<T> type) {
      SpecificData model = SpecificData.getForClass(type);
      SpecificData data =
          new SpecificData(type.getClassLoader()) {
            @Override
            @SuppressWarnings("rawtypes")
            public Class getClass(Schema schema) {
              if (schema.getType() == Schema.Type.RECORD
                  && schema.getFullName().equals(type.getName())) {
                return type;
              }
              return super.getClass(schema);
            }
          };
      model.getConversions().forEach(data::addLogicalTypeConversion);
      return data;
    }
  }
}
