package dev.sluice.schema.internal;

import dev.sluice.ErrorCode;
import dev.sluice.SluiceException;

/**
 * The Confluent wire format's header: a magic byte {@code 0}, then the schema id as a 4-byte
 * big-endian integer, then the payload (for Avro, the record in Avro's binary encoding with no
 * container around it).
 */
public final class ConfluentFraming {
  /** The magic byte of the Confluent wire format. */
  public static final byte MAGIC = 0;

  /** The bytes before the payload. */
  public static final int HEADER_LENGTH = 5;

  private ConfluentFraming() {}

  /** Writes the header for {@code schemaId} into the first five bytes of {@code target}. */
  static void writeHeader(byte[] target, int schemaId) {
    target[0] = MAGIC;
    target[1] = (byte) (schemaId >>> 24);
    target[2] = (byte) (schemaId >>> 16);
    target[3] = (byte) (schemaId >>> 8);
    target[4] = (byte) schemaId;
  }

  /**
   * The schema id in the header of {@code bytes}.
   *
   * @throws SluiceException {@code SERIALIZATION} when the bytes are not in the Confluent format
   */
  static int readSchemaId(byte[] bytes) {
    if (bytes.length < HEADER_LENGTH) {
      throw new SluiceException(
          ErrorCode.SERIALIZATION,
          "Not in the Confluent wire format: "
              + bytes.length
              + " bytes, fewer than the 5-byte header (magic byte 0 and a schema id)");
    }
    if (bytes[0] != MAGIC) {
      throw new SluiceException(
          ErrorCode.SERIALIZATION,
          "Not in the Confluent wire format: the first byte is "
              + (bytes[0] & 0xff)
              + ", not the magic byte 0");
    }
    return ((bytes[1] & 0xff) << 24)
        | ((bytes[2] & 0xff) << 16)
        | ((bytes[3] & 0xff) << 8)
        | (bytes[4] & 0xff);
  }
}
