package dev.sluice.schema;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.DecoderFactory;

/**
 * A decoder of the Confluent wire format written from its documentation ("Wire format": byte 0 is
 * the magic byte 0, bytes 1-4 the schema id as a big-endian int, then the data in Avro's binary
 * encoding), with no Sluice code: what any other Confluent-compatible consumer does with a record.
 */
final class PlainConfluentDecoder {
  private final RegistryHttp registry;

  PlainConfluentDecoder(RegistryHttp registry) {
    this.registry = registry;
  }

  /** The schema id in the record's header. */
  static int schemaId(byte[] value) {
    ByteBuffer buffer = ByteBuffer.wrap(value);
    byte magic = buffer.get();
    if (magic != 0) {
      throw new IllegalArgumentException("Unknown magic byte " + magic);
    }
    return buffer.getInt();
  }

  GenericRecord decode(byte[] value) throws IOException {
    int id = schemaId(value);
    Schema writer = new Schema.Parser().parse(registry.schemaById(id));
    byte[] avro = Arrays.copyOfRange(value, 5, value.length);
    return new GenericDatumReader<GenericRecord>(writer)
        .read(null, DecoderFactory.get().binaryDecoder(avro, null));
  }
}
