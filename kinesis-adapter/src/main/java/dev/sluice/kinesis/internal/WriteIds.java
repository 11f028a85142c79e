package dev.sluice.kinesis.internal;

import dev.sluice.Position;
import dev.sluice.spi.StoredWriteId;
import dev.sluice.spi.WriteId;
import dev.sluice.spi.WriteIdChain;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * The write id part of a version-2 envelope ({@code docs/kinesis-envelope.md}, "Write ids"):
 *
 * <pre>
 * writerLen  1 byte   1..255
 * writer     writerLen bytes of UTF-8
 * position   the id's position (below)
 * index      unsigned LEB128 varint
 * previous   only with flag bit 2: a position and an index varint, of the same writer
 * </pre>
 *
 * A position is a tag byte then, for tag 0, an offset as an unsigned LEB128 varint, or for tag 1, a
 * length byte and that many ASCII bytes of the position's text ({@code "<sequence>[:<sub>]"}). Flag
 * bit 3 instead of bit 2 says that the previous id is the offset one below this one with index 0,
 * as a producer's own counter gives, at no cost in bytes.
 */
final class WriteIds {
  static final int FLAG_WRITE_ID = 2;
  static final int FLAG_PREVIOUS = 4;
  static final int FLAG_PREVIOUS_IS_LAST_COUNT = 8;
  static final int FLAGS = FLAG_WRITE_ID | FLAG_PREVIOUS | FLAG_PREVIOUS_IS_LAST_COUNT;
  static final int MAX_WRITER_BYTES = 255;

  private static final int TAG_OFFSET = 0;
  private static final int TAG_TEXT = 1;

  /**
   * At most the bytes a producer's own id takes ({@link #maxBytes} with a null id): its writer,
   * made by {@link WriteIdChain}, always has the same length.
   */
  static final int OWN_ID_MAX_BYTES = maxBytes(null, new WriteIdChain().producerWriter());

  private WriteIds() {}

  /**
   * At most the bytes an id part takes: for {@code given}, or (null) for a producer's own id of
   * {@code producerWriter}, with a previous id like the id.
   */
  static int maxBytes(@Nullable WriteId given, String producerWriter) {
    if (given == null) {
      return 1 + producerWriter.length() + 1 + 10 + 1;
    }
    int position = 2 + given.position().toString().length();
    return 1 + given.writer().getBytes(StandardCharsets.UTF_8).length + 2 * (position + 5);
  }

  static int flags(StoredWriteId id) {
    if (id.previous() == null) {
      return FLAG_WRITE_ID;
    }
    return FLAG_WRITE_ID | (isLastCount(id) ? FLAG_PREVIOUS_IS_LAST_COUNT : FLAG_PREVIOUS);
  }

  /** The id part's bytes (the flags say which parts follow: {@link #flags}). */
  static byte[] encode(StoredWriteId stored) {
    WriteId id = stored.id();
    byte[] writer = id.writer().getBytes(StandardCharsets.UTF_8);
    if (writer.length == 0 || writer.length > MAX_WRITER_BYTES) {
      throw new IllegalArgumentException("A writer must be 1 to 255 bytes: " + id.writer());
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(writer.length + 16);
    out.write(writer.length);
    out.write(writer, 0, writer.length);
    position(out, id.position());
    varint(out, id.index());
    WriteId previous = stored.previous();
    if (previous != null && !isLastCount(stored)) {
      position(out, previous.position());
      varint(out, previous.index());
    }
    return out.toByteArray();
  }

  /** Reads the id part, or null if it is malformed. */
  static @Nullable StoredWriteId decode(ByteBuffer in, int flags) {
    try {
      int writerLength = in.get() & 0xFF;
      if (writerLength == 0 || in.remaining() < writerLength) {
        return null;
      }
      byte[] writerBytes = new byte[writerLength];
      in.get(writerBytes);
      String writer = new String(writerBytes, StandardCharsets.UTF_8);
      Position position = position(in);
      int index = (int) varint(in);
      WriteId id = new WriteId(writer, position, index);
      WriteId previous = null;
      if ((flags & FLAG_PREVIOUS) != 0 && (flags & FLAG_PREVIOUS_IS_LAST_COUNT) != 0) {
        return null;
      }
      if ((flags & FLAG_PREVIOUS) != 0) {
        previous = new WriteId(writer, position(in), (int) varint(in));
      } else if ((flags & FLAG_PREVIOUS_IS_LAST_COUNT) != 0) {
        if (!position.isOffset() || position.offset() < 1 || index != 0) {
          return null;
        }
        previous = new WriteId(writer, Position.of(position.offset() - 1), 0);
      }
      return new StoredWriteId(id, previous);
    } catch (RuntimeException e) {
      return null;
    }
  }

  private static boolean isLastCount(StoredWriteId stored) {
    WriteId id = stored.id();
    WriteId previous = stored.previous();
    return previous != null
        && id.index() == 0
        && previous.index() == 0
        && id.position().isOffset()
        && previous.position().isOffset()
        && id.position().offset() >= 1
        && previous.position().offset() == id.position().offset() - 1
        && id.position().equals(Position.of(id.position().offset()));
  }

  private static void position(ByteArrayOutputStream out, Position p) {
    if (p.isOffset() && p.equals(Position.of(p.offset()))) {
      out.write(TAG_OFFSET);
      varint(out, p.offset());
    } else {
      byte[] text = p.toString().getBytes(StandardCharsets.US_ASCII);
      out.write(TAG_TEXT);
      out.write(text.length);
      out.write(text, 0, text.length);
    }
  }

  private static Position position(ByteBuffer in) {
    int tag = in.get() & 0xFF;
    if (tag == TAG_OFFSET) {
      return Position.of(varint(in));
    }
    if (tag != TAG_TEXT) {
      throw new IllegalArgumentException("unknown position tag " + tag);
    }
    int length = in.get() & 0xFF;
    byte[] text = new byte[length];
    in.get(text);
    return Position.parse(new String(text, StandardCharsets.US_ASCII));
  }

  private static void varint(ByteArrayOutputStream out, long value) {
    long v = value;
    while ((v & ~0x7FL) != 0) {
      out.write((int) ((v & 0x7F) | 0x80));
      v >>>= 7;
    }
    out.write((int) v);
  }

  private static long varint(ByteBuffer in) {
    long value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      byte b = in.get();
      value |= (long) (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        if (value < 0) {
          throw new IllegalArgumentException("negative varint");
        }
        return value;
      }
    }
    throw new IllegalArgumentException("varint too long");
  }
}
