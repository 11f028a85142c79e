package dev.sluice.kinesis;

import dev.sluice.Headers;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The envelope that carries headers in a Kinesis record's data, since Kinesis has none. Written
 * only when a record has headers; a record without headers is its value, byte for byte. Layout (all
 * integers big-endian, see {@code docs/kinesis-envelope.md}):
 *
 * <pre>
 * magic      4 bytes  0xC1 0x53 0x4C 0x55   (0xC1 never starts valid UTF-8 text)
 * version    1 byte   0x01
 * count      1 byte   number of headers, 1..255
 * count × {
 *   nameLen  1 byte   1..255
 *   name     nameLen bytes of UTF-8
 *   valueLen 4 bytes  unsigned, 0..2^31-1
 *   value    valueLen bytes
 * }
 * value      every remaining byte
 * </pre>
 *
 * <p>Reading is forgiving: data that does not start with the magic, or starts with it but is not a
 * well-formed version-1 envelope, is returned as a plain value with no headers.
 */
final class Envelope {
  static final byte[] MAGIC = {(byte) 0xC1, 0x53, 0x4C, 0x55};
  static final byte VERSION = 1;
  static final int MAX_HEADERS = 255;
  static final int MAX_HEADER_NAME_BYTES = 255;

  /** Fixed bytes: magic, version, count. */
  static final int FIXED_OVERHEAD = MAGIC.length + 2;

  /** Bytes per header besides its name and value. */
  static final int PER_HEADER_OVERHEAD = 1 + 4;

  private static final Logger LOG = LoggerFactory.getLogger(Envelope.class);

  private Envelope() {}

  /** A decoded record body. */
  static final class Body {
    final Headers headers;
    final byte[] value;

    Body(Headers headers, byte[] value) {
      this.headers = headers;
      this.value = value;
    }
  }

  /**
   * The bytes to put in the record's data: the value itself, or an envelope if there are headers.
   */
  static byte[] encode(Headers headers, byte[] value) {
    if (headers.isEmpty()) {
      return value;
    }
    if (headers.size() > MAX_HEADERS) {
      throw new IllegalArgumentException("At most " + MAX_HEADERS + " headers fit the envelope");
    }
    int size = FIXED_OVERHEAD + value.length;
    byte[][] names = new byte[headers.size()][];
    int i = 0;
    for (Headers.Header h : headers) {
      byte[] name = h.name().getBytes(StandardCharsets.UTF_8);
      if (name.length == 0 || name.length > MAX_HEADER_NAME_BYTES) {
        throw new IllegalArgumentException(
            "A header name must be 1 to " + MAX_HEADER_NAME_BYTES + " bytes: " + h.name());
      }
      names[i++] = name;
      size += PER_HEADER_OVERHEAD + name.length + h.valueLength();
    }
    ByteBuffer out = ByteBuffer.allocate(size);
    out.put(MAGIC).put(VERSION).put((byte) headers.size());
    i = 0;
    for (Headers.Header h : headers) {
      byte[] name = names[i++];
      out.put((byte) name.length).put(name);
      byte[] v = h.value();
      out.putInt(v.length).put(v);
    }
    out.put(value);
    return out.array();
  }

  /** The extra bytes the envelope adds to a record with these headers (0 without headers). */
  static int overhead(Headers headers) {
    if (headers.isEmpty()) {
      return 0;
    }
    return FIXED_OVERHEAD + headers.size() * PER_HEADER_OVERHEAD;
  }

  /** Headers and value of a record's data; plain data comes back as it is with no headers. */
  static Body decode(byte[] data) {
    if (!hasMagic(data)) {
      return new Body(Headers.empty(), data);
    }
    try {
      return parse(data);
    } catch (MalformedEnvelope e) {
      LOG.debug("Data starts with the Sluice envelope magic but {}; read as a plain value", e.why);
      return new Body(Headers.empty(), data);
    }
  }

  static boolean hasMagic(byte[] data) {
    if (data.length < MAGIC.length) {
      return false;
    }
    for (int i = 0; i < MAGIC.length; i++) {
      if (data[i] != MAGIC[i]) {
        return false;
      }
    }
    return true;
  }

  private static Body parse(byte[] data) throws MalformedEnvelope {
    ByteBuffer in = ByteBuffer.wrap(data);
    in.position(MAGIC.length);
    if (in.remaining() < 2) {
      throw new MalformedEnvelope("it is cut short after the magic");
    }
    byte version = in.get();
    if (version != VERSION) {
      throw new MalformedEnvelope("its version " + (version & 0xFF) + " is unknown");
    }
    int count = in.get() & 0xFF;
    if (count == 0) {
      throw new MalformedEnvelope("it has no headers (Sluice never writes that)");
    }
    Headers.Builder headers = Headers.builder();
    var decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    for (int i = 0; i < count; i++) {
      if (in.remaining() < 1) {
        throw new MalformedEnvelope("header " + i + " is cut short");
      }
      int nameLength = in.get() & 0xFF;
      if (nameLength == 0 || in.remaining() < nameLength + 4) {
        throw new MalformedEnvelope("header " + i + " has a bad name length");
      }
      ByteBuffer nameBytes = in.slice().limit(nameLength);
      in.position(in.position() + nameLength);
      String name;
      try {
        name = decoder.reset().decode(nameBytes).toString();
      } catch (CharacterCodingException e) {
        throw new MalformedEnvelope("header " + i + " has a name that is not UTF-8");
      }
      int valueLength = in.getInt();
      if (valueLength < 0 || valueLength > in.remaining()) {
        throw new MalformedEnvelope("header " + i + " has a bad value length");
      }
      byte[] value = new byte[valueLength];
      in.get(value);
      headers.add(name, value);
    }
    byte[] value = new byte[in.remaining()];
    in.get(value);
    return new Body(headers.build(), value);
  }

  private static final class MalformedEnvelope extends Exception {
    private static final long serialVersionUID = 1L;
    final String why;

    MalformedEnvelope(String why) {
      super(why, null, false, false);
      this.why = why;
    }
  }
}
