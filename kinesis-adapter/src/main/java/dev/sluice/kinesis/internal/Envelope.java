package dev.sluice.kinesis.internal;

import dev.sluice.Headers;
import dev.sluice.Record;
import dev.sluice.spi.StoredWriteId;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The envelope that carries headers (and a producer's timestamp) in a Kinesis record's data, since
 * Kinesis has neither. Written when a record has headers or an explicit timestamp, or when its
 * value begins with this envelope's magic or a KPL aggregate's (a reader would take such a value
 * for an envelope or an aggregate and change it); any other record is its value, byte for byte.
 * Layout (all integers big-endian, see {@code docs/kinesis-envelope.md}):
 *
 * <pre>
 * magic      4 bytes  0xC1 0x53 0x4C 0x55   (0xC1 never starts valid UTF-8 text)
 * version    1 byte   0x01
 * flags      1 byte   bit 0: a timestamp follows; the other bits are 0
 * timestamp  8 bytes  signed epoch milliseconds; only if flag bit 0 is set
 * count      1 byte   number of headers, 0..255
 * count × {
 *   nameLen  1 byte   1..255
 *   name     nameLen bytes of UTF-8
 *   valueLen 4 bytes  0..2^31-1
 *   value    valueLen bytes
 * }
 * value      every remaining byte
 * </pre>
 *
 * <p>Version 2 (magic, {@code 0x02}, flags) is the same with a write id after the timestamp (flag
 * bit 1; {@link WriteIds}); it is written only for records that carry one, so version-1 readers
 * still read every record written without ids.
 *
 * <p>Reading is forgiving: data that does not start with the magic, or starts with it but is not a
 * well-formed version-1 envelope, is returned as a plain value with no headers.
 */
final class Envelope {
  static final byte[] MAGIC = {(byte) 0xC1, 0x53, 0x4C, 0x55};

  /** The first bytes of a KPL aggregate, which readers split into the records it holds. */
  static final byte[] KPL_MAGIC = {(byte) 0xF3, (byte) 0x89, (byte) 0x9A, (byte) 0xC2};

  static final byte VERSION = 1;

  /** The version that carries a write id; written only for records that have one. */
  static final byte VERSION_2 = 2;

  static final int MAX_HEADERS = 255;
  static final int MAX_HEADER_NAME_BYTES = 255;

  /** Fixed bytes: magic, version, flags, count. */
  static final int FIXED_OVERHEAD = MAGIC.length + 3;

  /** Bytes a timestamp adds. */
  static final int TIMESTAMP_BYTES = 8;

  /** Bytes per header besides its name and value. */
  static final int PER_HEADER_OVERHEAD = 1 + 4;

  private static final int FLAG_TIMESTAMP = 1;
  private static final Logger LOG = LoggerFactory.getLogger(Envelope.class);

  private Envelope() {}

  /** A decoded record body. */
  static final class Body {
    final Headers headers;
    final byte[] value;

    /** The producer's timestamp, or {@link Record#NO_TIMESTAMP}. */
    final long timestampMillis;

    /** The write id (version 2), or null. */
    final @Nullable StoredWriteId writeId;

    Body(Headers headers, byte[] value, long timestampMillis) {
      this(headers, value, timestampMillis, null);
    }

    Body(Headers headers, byte[] value, long timestampMillis, @Nullable StoredWriteId writeId) {
      this.headers = headers;
      this.value = value;
      this.timestampMillis = timestampMillis;
      this.writeId = writeId;
    }
  }

  /**
   * The bytes to put in a record's data: the value itself, or an envelope if there are headers or a
   * timestamp ({@link Record#NO_TIMESTAMP} for none), or if the value itself would be read as an
   * envelope or a KPL aggregate.
   */
  static byte[] encode(Headers headers, byte[] value, long timestampMillis) {
    return encode(headers, value, timestampMillis, null);
  }

  /**
   * As {@link #encode(Headers, byte[], long)}; with a write id, always a version-2 envelope that
   * carries it (see the class comment).
   */
  static byte[] encode(
      Headers headers, byte[] value, long timestampMillis, @Nullable StoredWriteId writeId) {
    if (writeId == null && !needsEnvelope(headers, value, timestampMillis)) {
      return value;
    }
    boolean timestamp = timestampMillis != Record.NO_TIMESTAMP;
    if (headers.size() > MAX_HEADERS) {
      throw new IllegalArgumentException("At most " + MAX_HEADERS + " headers fit the envelope");
    }
    byte[] id = writeId == null ? null : WriteIds.encode(writeId);
    byte[][] names = new byte[headers.size()][];
    int i = 0;
    for (Headers.Header h : headers) {
      byte[] name = h.name().getBytes(StandardCharsets.UTF_8);
      if (name.length == 0 || name.length > MAX_HEADER_NAME_BYTES) {
        throw new IllegalArgumentException(
            "A header name must be 1 to " + MAX_HEADER_NAME_BYTES + " bytes: " + h.name());
      }
      names[i++] = name;
    }
    ByteBuffer out =
        ByteBuffer.allocate(
            (int) size(headers, value, timestampMillis, id == null ? 0 : id.length));
    int flags = (timestamp ? FLAG_TIMESTAMP : 0) | (id == null ? 0 : WriteIds.flags(writeId));
    out.put(MAGIC).put(id == null ? VERSION : VERSION_2).put((byte) flags);
    if (timestamp) {
      out.putLong(timestampMillis);
    }
    if (id != null) {
      out.put(id);
    }
    out.put((byte) headers.size());
    i = 0;
    for (Headers.Header h : headers) {
      byte[] name = names[i++];
      out.put((byte) name.length).put(name);
      byte[] v = h.value();
      out.putInt(v.length).put(v);
    }
    out.put(value);
    if (out.hasRemaining()) {
      throw new IllegalStateException("Envelope.size disagrees with encode"); // a bug, not input
    }
    return out.array();
  }

  /**
   * The length of what {@link #encode} writes for these: the one place the envelope's size is
   * computed, used for the Kinesis record-size check ({@code Capabilities.recordSize}), for a
   * pending record's buffer estimate and for allocation, so a change to the layout changes all.
   *
   * @param value the value; null counts as empty
   * @param writeIdBytes the length of the write id part ({@link WriteIds#encode}), or an upper
   *     bound of it; 0 for a record without one (then no envelope may be needed at all)
   */
  static long size(
      Headers headers, byte @Nullable [] value, long timestampMillis, int writeIdBytes) {
    byte[] v = value == null ? new byte[0] : value;
    long size =
        writeIdBytes > 0
            ? FIXED_OVERHEAD
                + (timestampMillis != Record.NO_TIMESTAMP ? TIMESTAMP_BYTES : 0)
                + (long) headers.size() * PER_HEADER_OVERHEAD
                + writeIdBytes
            : overhead(headers, v, timestampMillis);
    if (size == 0) {
      return v.length; // no envelope
    }
    for (Headers.Header h : headers) {
      size += h.name().getBytes(StandardCharsets.UTF_8).length + h.valueLength();
    }
    return size + v.length;
  }

  /** {@link #size(Headers, byte[], long, int)} of a record without a write id. */
  static long size(Headers headers, byte @Nullable [] value, long timestampMillis) {
    return size(headers, value, timestampMillis, 0);
  }

  /** The bytes the envelope adds besides header names and values (0 when none is written). */
  static int overhead(Headers headers, byte[] value, long timestampMillis) {
    if (!needsEnvelope(headers, value, timestampMillis)) {
      return 0;
    }
    boolean timestamp = timestampMillis != Record.NO_TIMESTAMP;
    return FIXED_OVERHEAD
        + (timestamp ? TIMESTAMP_BYTES : 0)
        + headers.size() * PER_HEADER_OVERHEAD;
  }

  /** Headers, timestamp and value of a record's data; plain data comes back as it is. */
  static Body decode(byte[] data) {
    if (!hasMagic(data)) {
      return new Body(Headers.empty(), data, Record.NO_TIMESTAMP);
    }
    try {
      return parse(data);
    } catch (MalformedEnvelope e) {
      LOG.debug("Data starts with the Sluice envelope magic but {}; read as a plain value", e.why);
      return new Body(Headers.empty(), data, Record.NO_TIMESTAMP);
    }
  }

  /**
   * Whether a record needs an envelope: it has headers or a timestamp, or its value begins with a
   * magic that readers act on. Wrapping such a value keeps it byte for byte: a reader parses the
   * envelope (which starts with the magic itself) and gets the value back whole, where the bare
   * value might parse as an envelope, or be split as a KPL aggregate (or vanish, if the aggregate
   * holds no record). Readers compare all four bytes of a magic, so a shorter prefix is safe bare.
   */
  private static boolean needsEnvelope(Headers headers, byte[] value, long timestampMillis) {
    return !headers.isEmpty()
        || timestampMillis != Record.NO_TIMESTAMP
        || startsWith(value, MAGIC)
        || startsWith(value, KPL_MAGIC);
  }

  static boolean hasMagic(byte[] data) {
    return startsWith(data, MAGIC);
  }

  private static boolean startsWith(byte[] data, byte[] magic) {
    if (data.length < magic.length) {
      return false;
    }
    for (int i = 0; i < magic.length; i++) {
      if (data[i] != magic[i]) {
        return false;
      }
    }
    return true;
  }

  private static Body parse(byte[] data) throws MalformedEnvelope {
    ByteBuffer in = ByteBuffer.wrap(data);
    in.position(MAGIC.length);
    if (in.remaining() < 3) {
      throw new MalformedEnvelope("it is cut short after the magic");
    }
    byte version = in.get();
    if (version != VERSION && version != VERSION_2) {
      throw new MalformedEnvelope("its version " + (version & 0xFF) + " is unknown");
    }
    int flags = in.get() & 0xFF;
    int known = version == VERSION ? FLAG_TIMESTAMP : FLAG_TIMESTAMP | WriteIds.FLAGS;
    if ((flags & ~known) != 0) {
      throw new MalformedEnvelope("it has unknown flags " + flags);
    }
    if (version == VERSION_2 && (flags & WriteIds.FLAG_WRITE_ID) == 0) {
      throw new MalformedEnvelope("it is version 2 without a write id");
    }
    long timestampMillis = Record.NO_TIMESTAMP;
    if ((flags & FLAG_TIMESTAMP) != 0) {
      if (in.remaining() < TIMESTAMP_BYTES + 1) {
        throw new MalformedEnvelope("its timestamp is cut short");
      }
      timestampMillis = in.getLong();
      if (timestampMillis == Record.NO_TIMESTAMP) {
        throw new MalformedEnvelope("its timestamp is the no-timestamp marker");
      }
    } else if (in.remaining() < 1) {
      throw new MalformedEnvelope("it is cut short after the flags");
    }
    StoredWriteId writeId = null;
    if ((flags & WriteIds.FLAG_WRITE_ID) != 0) {
      writeId = WriteIds.decode(in, flags);
      if (writeId == null || in.remaining() < 1) {
        throw new MalformedEnvelope("its write id is malformed");
      }
    }
    // No headers and no timestamp is valid: it wraps a value that begins with a magic.
    int count = in.get() & 0xFF;
    Headers.Builder headers = Headers.builder();
    CharsetDecoder decoder =
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
    return new Body(headers.build(), value, timestampMillis, writeId);
  }

  static final class MalformedEnvelope extends Exception {
    private static final long serialVersionUID = 1L;
    final String why;

    MalformedEnvelope(String why) {
      super(why, null, false, false);
      this.why = why;
    }
  }
}
