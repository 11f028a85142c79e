package dev.sluice.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.ErrorCode;
import dev.sluice.Headers;
import dev.sluice.Record;
import dev.sluice.SluiceException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * How {@code sluice consume} prints a record: a kcat-like format string, or one JSON object per
 * line. Keys, values and header values are written as the bytes they are (JSON: as UTF-8 text).
 *
 * <p>Format: {@code %k} key, {@code %v} value, {@code %h} headers ({@code name=value,...}), {@code
 * %s} shard, {@code %p} position, {@code %T} timestamp (ms since the epoch), {@code %t} stream,
 * {@code %K} key length, {@code %S} value length, {@code %%} a percent sign; {@code \n}, {@code
 * \t}, {@code \r} and {@code \\} are escapes. A missing key or value prints nothing.
 */
final class RecordFormat {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One piece of the format: a literal, or a field letter. */
  private record Part(byte[] literal, char field) {}

  private final List<Part> parts;
  private final boolean json;

  private RecordFormat(List<Part> parts, boolean json) {
    this.parts = parts;
    this.json = json;
  }

  static RecordFormat json() {
    return new RecordFormat(List.of(), true);
  }

  static RecordFormat parse(String format) {
    List<Part> parts = new ArrayList<>();
    StringBuilder literal = new StringBuilder();
    for (int i = 0; i < format.length(); i++) {
      char c = format.charAt(i);
      if ((c == '%' || c == '\\') && i + 1 < format.length()) {
        char n = format.charAt(++i);
        if (c == '\\') {
          switch (n) {
            case 'n' -> literal.append('\n');
            case 't' -> literal.append('\t');
            case 'r' -> literal.append('\r');
            case '\\' -> literal.append('\\');
            default -> literal.append('\\').append(n);
          }
        } else if (n == '%') {
          literal.append('%');
        } else if ("kvhspTtKS".indexOf(n) >= 0) {
          parts.add(new Part(literal.toString().getBytes(StandardCharsets.UTF_8), '\0'));
          literal.setLength(0);
          parts.add(new Part(new byte[0], n));
        } else {
          throw new SluiceException(
              ErrorCode.INVALID_ARGUMENT,
              "Unknown format field %" + n + " (known: %k %v %h %s %p %T %t %K %S %%)");
        }
      } else {
        literal.append(c);
      }
    }
    parts.add(new Part(literal.toString().getBytes(StandardCharsets.UTF_8), '\0'));
    return new RecordFormat(parts, false);
  }

  void write(Record<byte[], byte[]> r, OutputStream out) throws IOException {
    if (json) {
      out.write(JSON.writeValueAsBytes(toJson(r)));
      out.write('\n');
      return;
    }
    for (Part p : parts) {
      if (p.field == '\0') {
        out.write(p.literal);
        continue;
      }
      switch (p.field) {
        case 'k' -> writeBytes(out, r.key());
        case 'v' -> writeBytes(out, r.value());
        case 'h' -> out.write(headers(r.headers()));
        case 's' -> ascii(out, String.valueOf(r.shard()));
        case 'p' -> ascii(out, String.valueOf(r.position()));
        case 'T' -> ascii(out, Long.toString(r.timestampMillis()));
        case 't' -> ascii(out, String.valueOf(r.stream()));
        case 'K' -> ascii(out, Integer.toString(r.key() == null ? -1 : r.key().length));
        case 'S' -> ascii(out, Integer.toString(r.value() == null ? -1 : r.value().length));
        default -> throw new IllegalStateException("field " + p.field);
      }
    }
  }

  private static ObjectNode toJson(Record<byte[], byte[]> r) {
    ObjectNode o = JSON.createObjectNode();
    o.put("stream", r.stream());
    o.put("shard", String.valueOf(r.shard()));
    o.put("position", String.valueOf(r.position()));
    o.put("timestamp", r.timestampMillis());
    o.put("key", r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8));
    o.put("value", r.value() == null ? null : new String(r.value(), StandardCharsets.UTF_8));
    ArrayNode hs = o.putArray("headers");
    for (Headers.Header h : r.headers()) {
      hs.addObject().put("name", h.name()).put("value", h.valueAsString());
    }
    return o;
  }

  private static byte[] headers(Headers headers) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    boolean first = true;
    for (Headers.Header h : headers) {
      if (!first) {
        b.write(',');
      }
      first = false;
      b.write(h.name().getBytes(StandardCharsets.UTF_8));
      b.write('=');
      b.write(h.value());
    }
    return b.toByteArray();
  }

  private static void writeBytes(OutputStream out, byte[] bytes) throws IOException {
    if (bytes != null) {
      out.write(bytes);
    }
  }

  private static void ascii(OutputStream out, String s) throws IOException {
    out.write(s.getBytes(StandardCharsets.UTF_8));
  }
}
