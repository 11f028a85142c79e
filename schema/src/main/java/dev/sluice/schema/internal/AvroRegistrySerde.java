package dev.sluice.schema.internal;

import dev.sluice.ErrorCode;
import dev.sluice.Serde;
import dev.sluice.SluiceException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.jspecify.annotations.Nullable;

/**
 * An Avro serde in the Confluent wire format. Writing: the value's schema is registered (or looked
 * up) under the subject once, then each value is the 5-byte header and Avro binary. Reading: the
 * writer's schema is fetched by the id in the header once, and the value is decoded into the
 * reader's schema with Avro's schema resolution, so a reader on an older or newer schema reads what
 * an evolved writer wrote as long as the two are compatible.
 *
 * @param <T> GenericRecord or a SpecificRecord class
 */
public final class AvroRegistrySerde<T> implements Serde<T> {
  private final RegistryClient registry;
  private final String subject;
  private final boolean autoRegister;
  private final Function<T, Schema> schemaOf;
  private final @Nullable Schema readerSchema;
  private final Function<Schema, DatumWriter<T>> writerFactory;
  private final BiFunction<Schema, Schema, DatumReader<T>> readerFactory;
  private final String description;

  private final Map<Schema, Written<T>> writers = new ConcurrentHashMap<>();
  private final Map<Integer, DatumReader<T>> readers = new ConcurrentHashMap<>();

  /**
   * A serde for one subject.
   *
   * @param registry the registry client (shared, with its id cache)
   * @param subject the subject writer schemas are registered under
   * @param autoRegister whether a schema the subject lacks is registered, or refused
   * @param schemaOf the schema of a value to write
   * @param readerSchema the schema values are read into; null to read into the writer's schema
   * @param writerFactory a datum writer for a schema
   * @param readerFactory a datum reader for (writer schema, reader schema)
   * @param description what {@link #toString()} says
   */
  public AvroRegistrySerde(
      RegistryClient registry,
      String subject,
      boolean autoRegister,
      Function<T, Schema> schemaOf,
      @Nullable Schema readerSchema,
      Function<Schema, DatumWriter<T>> writerFactory,
      BiFunction<Schema, Schema, DatumReader<T>> readerFactory,
      String description) {
    this.registry = registry;
    this.subject = subject;
    this.autoRegister = autoRegister;
    this.schemaOf = schemaOf;
    this.readerSchema = readerSchema;
    this.writerFactory = writerFactory;
    this.readerFactory = readerFactory;
    this.description = description;
  }

  @Override
  public byte[] serialize(T value) {
    if (value == null) {
      throw new SluiceException(ErrorCode.INVALID_ARGUMENT, "value must not be null");
    }
    Schema schema = schemaOf.apply(value);
    Written<T> written = writers.get(schema);
    if (written == null) {
      // Outside computeIfAbsent: a registry call must not hold a lock of the map.
      int id = registry.idOf(subject, schema.toString(), autoRegister);
      written = new Written<>(id, writerFactory.apply(schema));
      writers.putIfAbsent(schema, written);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(64);
    byte[] header = new byte[ConfluentFraming.HEADER_LENGTH];
    ConfluentFraming.writeHeader(header, written.id());
    out.write(header, 0, header.length);
    try {
      BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
      written.writer().write(value, encoder);
      encoder.flush();
    } catch (IOException | RuntimeException e) {
      throw new SluiceException(
          ErrorCode.SERIALIZATION,
          "Cannot write " + description + " for subject " + subject + ": " + e.getMessage(),
          e);
    }
    return out.toByteArray();
  }

  @Override
  public T deserialize(byte[] bytes) {
    if (bytes == null) {
      throw new SluiceException(ErrorCode.INVALID_ARGUMENT, "bytes must not be null");
    }
    int id = ConfluentFraming.readSchemaId(bytes);
    DatumReader<T> reader = readers.get(id);
    if (reader == null) {
      reader = readerFor(id);
      readers.putIfAbsent(id, reader);
    }
    try {
      BinaryDecoder decoder =
          DecoderFactory.get()
              .binaryDecoder(
                  bytes,
                  ConfluentFraming.HEADER_LENGTH,
                  bytes.length - ConfluentFraming.HEADER_LENGTH,
                  null);
      return reader.read(null, decoder);
    } catch (IOException | RuntimeException e) {
      throw new SluiceException(
          ErrorCode.SERIALIZATION,
          "Cannot read " + description + " written with schema id " + id + ": " + e,
          e);
    }
  }

  private DatumReader<T> readerFor(int id) {
    Schema writer;
    try {
      writer = new Schema.Parser().parse(registry.schemaById(id));
    } catch (SchemaParseException e) {
      throw new SluiceException(
          ErrorCode.SERIALIZATION, "Schema id " + id + " is not a valid Avro schema: " + e, e);
    }
    Schema reader = readerSchema == null ? writer : readerSchema;
    try {
      return readerFactory.apply(writer, reader);
    } catch (AvroRuntimeException e) {
      throw new SluiceException(
          ErrorCode.SERIALIZATION,
          "Schema id " + id + " cannot be read as " + reader.getFullName() + ": " + e,
          e);
    }
  }

  @Override
  public String toString() {
    return description + "(" + subject + " at " + registry.baseUrl() + ")";
  }

  private record Written<T>(int id, DatumWriter<T> writer) {}
}
