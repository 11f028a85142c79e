package dev.sluice.schema.glue.internal;

import com.amazonaws.services.schemaregistry.common.AWSSerializerInput;
import com.amazonaws.services.schemaregistry.common.Schema;
import com.amazonaws.services.schemaregistry.deserializers.GlueSchemaRegistryDeserializerDataParser;
import dev.sluice.ErrorCode;
import dev.sluice.Serde;
import dev.sluice.SluiceException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.SchemaParseException;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DecoderFactory;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.services.glue.model.DataFormat;

/**
 * An Avro serde in Glue's wire format, through AWS's library. Writing: the library looks up (or
 * registers) the value's schema under the schema name once, then frames each value: header version
 * byte 3, the compression byte, the 16-byte schema-version UUID, the Avro binary (zlib-deflated
 * when compression is on). Reading: the library parses the header, inflates, and fetches the
 * writer's schema by UUID once; the value is then resolved into the reader's schema with Avro's
 * schema resolution (the library itself would read it in the writer's schema only), so readers on
 * an older or newer schema read an evolved stream while the change is compatible.
 *
 * @param <T> GenericRecord or a SpecificRecord class
 */
public final class GlueAvroCodec<T> implements Serde<T> {
  private final GlueClients glue;
  private final String stream;
  private final String schemaName;
  private final boolean autoRegister;
  private final Function<T, org.apache.avro.Schema> schemaOf;
  private final org.apache.avro.@Nullable Schema readerSchema;
  private final BiFunction<org.apache.avro.Schema, org.apache.avro.Schema, DatumReader<T>>
      readerFactory;
  private final String description;

  private final Map<org.apache.avro.Schema, UUID> versions = new ConcurrentHashMap<>();
  private final Map<UUID, DatumReader<T>> readers = new ConcurrentHashMap<>();

  /**
   * A serde for one schema name.
   *
   * @param glue the registry's library objects (shared, with their caches)
   * @param stream the stream, the library's "transport name"
   * @param schemaName the Glue schema the versions belong to
   * @param autoRegister whether a schema version the registry lacks is registered, or refused
   * @param schemaOf the schema of a value to write
   * @param readerSchema the schema values are read into; null to read into the writer's schema
   * @param readerFactory a datum reader for (writer schema, reader schema)
   * @param description what {@link #toString()} says
   */
  public GlueAvroCodec(
      GlueClients glue,
      String stream,
      String schemaName,
      boolean autoRegister,
      Function<T, org.apache.avro.Schema> schemaOf,
      org.apache.avro.@Nullable Schema readerSchema,
      BiFunction<org.apache.avro.Schema, org.apache.avro.Schema, DatumReader<T>> readerFactory,
      String description) {
    this.glue = glue;
    this.stream = stream;
    this.schemaName = schemaName;
    this.autoRegister = autoRegister;
    this.schemaOf = schemaOf;
    this.readerSchema = readerSchema;
    this.readerFactory = readerFactory;
    this.description = description;
  }

  @Override
  public byte[] serialize(T value) {
    if (value == null) {
      throw new SluiceException(ErrorCode.INVALID_ARGUMENT, "value must not be null");
    }
    org.apache.avro.Schema schema = schemaOf.apply(value);
    UUID version = versions.get(schema);
    try {
      if (version == null) {
        // Outside computeIfAbsent: a registry call must not hold a lock of the map.
        version =
            glue.writer(autoRegister)
                .getOrRegisterSchemaVersion(
                    AWSSerializerInput.builder()
                        .schemaDefinition(schema.toString())
                        .schemaName(schemaName)
                        .dataFormat(DataFormat.AVRO.name())
                        .transportName(stream)
                        .build());
        versions.putIfAbsent(schema, version);
      }
      return glue.writer(autoRegister).serialize(DataFormat.AVRO, value, version);
    } catch (RuntimeException e) {
      throw GlueErrors.translate(e, "write " + description + " for Glue schema " + schemaName);
    }
  }

  @Override
  public T deserialize(byte[] bytes) {
    if (bytes == null) {
      throw new SluiceException(ErrorCode.INVALID_ARGUMENT, "bytes must not be null");
    }
    byte[] data;
    UUID version;
    DatumReader<T> reader;
    try {
      data = glue.reader().getActualData(bytes);
      version =
          GlueSchemaRegistryDeserializerDataParser.getInstance()
              .getSchemaVersionId(ByteBuffer.wrap(bytes));
      reader = readers.get(version);
      if (reader == null) {
        reader = readerFor(version, glue.reader().getSchema(bytes));
        readers.putIfAbsent(version, reader);
      }
    } catch (SluiceException e) {
      throw e;
    } catch (RuntimeException e) {
      throw GlueErrors.translate(e, "read " + description + " from stream " + stream);
    }
    try {
      BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(data, null);
      return reader.read(null, decoder);
    } catch (IOException | RuntimeException e) {
      throw new SluiceException(
          ErrorCode.SERIALIZATION,
          "Cannot read " + description + " written with schema version " + version + ": " + e,
          e);
    }
  }

  private DatumReader<T> readerFor(UUID version, Schema written) {
    if (!DataFormat.AVRO.name().equals(written.getDataFormat())) {
      throw new SluiceException(
          ErrorCode.SERIALIZATION,
          "Schema version "
              + version
              + " ("
              + written.getSchemaName()
              + ") is "
              + written.getDataFormat()
              + ", not AVRO");
    }
    org.apache.avro.Schema writer;
    try {
      writer = new org.apache.avro.Schema.Parser().parse(written.getSchemaDefinition());
    } catch (SchemaParseException e) {
      throw new SluiceException(
          ErrorCode.SERIALIZATION,
          "Schema version " + version + " is not a valid Avro schema: " + e,
          e);
    }
    org.apache.avro.Schema reader = readerSchema == null ? writer : readerSchema;
    try {
      return readerFactory.apply(writer, reader);
    } catch (AvroRuntimeException e) {
      throw new SluiceException(
          ErrorCode.SERIALIZATION,
          "Schema version " + version + " cannot be read as " + reader.getFullName() + ": " + e,
          e);
    }
  }

  @Override
  public String toString() {
    return description + "(Glue schema " + schemaName + ")";
  }
}
