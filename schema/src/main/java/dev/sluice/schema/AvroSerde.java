package dev.sluice.schema;

import dev.sluice.ErrorCode;
import dev.sluice.Serde;
import dev.sluice.SluiceException;
import dev.sluice.schema.internal.AvroRegistrySerde;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.jspecify.annotations.Nullable;

/**
 * Avro serdes backed by a {@link SchemaRegistry}, in the Confluent wire format: a magic byte {@code
 * 0}, the writer schema's registry id as a 4-byte big-endian integer, then the record in Avro's
 * binary encoding. Any Confluent-compatible consumer reads what these serdes write, on Kafka or
 * Kinesis alike (the id travels in the value, not in a header).
 *
 * <p>Subjects follow Confluent's TopicNameStrategy: {@code <stream>-value} for values, {@code
 * <stream>-key} for keys. When writing, a schema the subject lacks is registered (the registry
 * checks it against the subject's compatibility level) unless auto-registration is off, in which
 * case it must have been registered beforehand. When reading, the writer's schema is fetched by id
 * and the value is resolved into the reader's schema, so old and new readers both read an evolved
 * stream while the change is compatible.
 *
 * <pre>{@code
 * SchemaRegistry registry = SchemaRegistry.at("http://localhost:8080/apis/ccompat/v7");
 * Serde<GenericRecord> values = AvroSerde.forStream(registry, "orders").generic(orderSchema);
 * Serde<Order> specific = AvroSerde.forStream(registry, "orders").autoRegister(false)
 *     .specific(Order.class);
 * Producer<String, GenericRecord> producer = sluice.producer("orders", Serde.string(), values);
 * }</pre>
 *
 * <p>Failures are {@link SluiceException}s: a schema the registry refuses or does not know, bytes
 * not in the wire format, an unknown id or an unreadable record are {@link
 * ErrorCode#SERIALIZATION}; an unreachable registry is {@link ErrorCode#UNAVAILABLE} or {@link
 * ErrorCode#TIMEOUT}, both retryable. On a consumer they go through its {@link
 * dev.sluice.FailurePolicy}: retried in place, then stopped without a checkpoint or sent to a dead
 * letter stream with the raw bytes, so a registry outage never loses a record.
 */
public final class AvroSerde {
  private AvroSerde() {}

  /**
   * Serdes for the values of {@code stream} (subject {@code <stream>-value}); call {@link
   * Builder#forKeys()} for its keys.
   *
   * @param registry the registry schemas are registered in and read from
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

  /** Options of an Avro serde; {@link #generic} and {@link #specific} build it. */
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
     * Whether a writer schema the subject lacks is registered (the default), or refused with a
     * {@code SERIALIZATION} error. Turn it off where schemas are registered by a deployment step
     * and producers must not change them.
     *
     * @param autoRegister true to register missing schemas
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
     * A serde of generic records. A record is written with its own schema ({@code
     * record.getSchema()}); a record read is resolved into {@code readerSchema}.
     *
     * @param readerSchema the schema records are read into, or null to read each record in the
     *     schema it was written with
     * @return the serde
     */
    public Serde<GenericRecord> generic(@Nullable Schema readerSchema) {
      return new AvroRegistrySerde<>(
          registry.client(),
          subject(),
          autoRegister,
          GenericRecord::getSchema,
          readerSchema,
          GenericDatumWriter::new,
          GenericDatumReader::new,
          "AvroSerde.generic");
    }

    /**
     * The class's own model (its logical-type conversions), except that the class itself is
     * trusted: Avro 1.12 refuses to instantiate classes named by a schema unless they are listed in
     * {@code org.apache.avro.SERIALIZABLE_PACKAGES}, and the application named this one explicitly.
     * Nested record classes still follow Avro's rule.
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

    /**
     * A serde of records of a class generated by Avro's compiler (or written alike, with a static
     * {@code SCHEMA$}). Records are written and read in the class's schema.
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
      return new AvroRegistrySerde<T>(
          registry.client(),
          subject(),
          autoRegister,
          value -> schema,
          schema,
          s -> new SpecificDatumWriter<>(s, data),
          (writer, reader) -> new SpecificDatumReader<>(writer, reader, data),
          "AvroSerde.specific(" + type.getSimpleName() + ")");
    }
  }
}
