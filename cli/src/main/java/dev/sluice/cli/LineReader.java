package dev.sluice.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import org.jspecify.annotations.Nullable;

/**
 * Reads lines as bytes, split at {@code \n} only, so what a line holds (a {@code \r}, bytes that
 * are not UTF-8) is sent as it is.
 */
final class LineReader {
  private final InputStream in;
  private final byte[] buffer = new byte[64 * 1024];
  private int pos;
  private int end;
  private boolean eof;

  LineReader(InputStream in) {
    this.in = in;
  }

  /** The next line without its {@code \n}, or null at the end of the input. */
  byte @Nullable [] next() throws IOException {
    ByteArrayOutputStream line = null;
    while (true) {
      if (pos == end) {
        if (eof) {
          return line == null || line.size() == 0 ? null : line.toByteArray();
        }
        end = in.read(buffer);
        pos = 0;
        if (end <= 0) {
          end = 0;
          eof = true;
          continue;
        }
      }
      int start = pos;
      while (pos < end && buffer[pos] != '\n') {
        pos++;
      }
      if (line == null) {
        line = new ByteArrayOutputStream(Math.max(16, pos - start));
      }
      line.write(buffer, start, pos - start);
      if (pos < end) {
        pos++; // the \n
        return line.toByteArray();
      }
    }
  }
}
