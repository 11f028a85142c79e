package dev.sluice.internal;

import dev.sluice.Capabilities;
import dev.sluice.ErrorCode;
import dev.sluice.Headers;
import dev.sluice.Record;
import dev.sluice.SluiceException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.regex.Pattern;

/** Checks done once in core, before anything reaches a backend. */
public final class Validation {
  /**
   * Stream names every backend accepts: Kafka allows [a-zA-Z0-9._-] up to 249 characters, Kinesis
   * [a-zA-Z0-9_.-] up to 128. Sluice takes the intersection so a name is portable.
   */
  public static final int MAX_STREAM_NAME_LENGTH = 128;

  private static final Pattern STREAM_NAME = Pattern.compile("[a-zA-Z0-9._-]+");

  private Validation() {}

  /**
   * Returns {@code value}, or throws {@code INVALID_ARGUMENT} naming the parameter if it is null:
   * every public entry point checks its parameters with this, so a null fails the same way
   * everywhere, before anything reaches a backend.
   */
  public static <T> T notNull(T value, String parameter) {
    if (value == null) {
      throw new SluiceException(ErrorCode.INVALID_ARGUMENT, "'" + parameter + "' must not be null");
    }
    return value;
  }

  public static void streamName(String stream) {
    if (stream == null) {
      throw new SluiceException(
          ErrorCode.INVALID_ARGUMENT, "'stream' (a stream name) must not be null");
    }
    if (stream.isEmpty()) {
      throw new SluiceException(ErrorCode.INVALID_ARGUMENT, "A stream name must not be empty");
    }
    if (stream.length() > MAX_STREAM_NAME_LENGTH) {
      throw new SluiceException(
          ErrorCode.INVALID_ARGUMENT,
          "Stream name '"
              + stream.substring(0, 20)
              + "...' is "
              + stream.length()
              + " characters; the limit is "
              + MAX_STREAM_NAME_LENGTH);
    }
    if (!STREAM_NAME.matcher(stream).matches() || stream.equals(".") || stream.equals("..")) {
      throw new SluiceException(
          ErrorCode.INVALID_ARGUMENT,
          "Stream name '"
              + stream
              + "' is not valid: use letters, digits, '.', '_' and '-' (and not only dots)");
    }
  }

  public static void groupName(String group) {
    if (group.isBlank() || group.length() > 255) {
      throw new SluiceException(
          ErrorCode.INVALID_ARGUMENT, "A consumer group name must be 1 to 255 characters");
    }
    if (!STREAM_NAME.matcher(group).matches()) {
      throw new SluiceException(
          ErrorCode.INVALID_ARGUMENT,
          "Consumer group '" + group + "' is not valid: use letters, digits, '.', '_' and '-'");
    }
  }

  /** Checks a name that identifies a writer ({@code what}: "transactional id"). */
  public static void identity(String id, String what) {
    if (id.isBlank() || id.length() > 255 || !STREAM_NAME.matcher(id).matches()) {
      throw new SluiceException(
          ErrorCode.INVALID_ARGUMENT,
          "A " + what + " must be 1 to 255 letters, digits, '.', '_' and '-', not '" + id + "'");
    }
  }

  /** Checks a serialized record against the backend's limits. */
  public static void record(Record<byte[], byte[]> record, Capabilities caps) {
    byte[] key = record.key();
    byte[] value = record.value();
    if (value == null) {
      if (key == null) {
        throw new SluiceException(
            ErrorCode.INVALID_ARGUMENT,
            "A record value must not be null (a tombstone, a record with no value, needs a key)");
      }
      if (!caps.supports(Capabilities.Capability.TOMBSTONES)) {
        throw new SluiceException(
            ErrorCode.UNSUPPORTED,
            "A record value must not be null: this backend has no tombstones (no TOMBSTONES"
                + " capability), so a record with no value cannot be stored");
      }
    }
    long millis = record.timestampMillis();
    if (millis != Record.NO_TIMESTAMP) {
      checkTimestamp(millis, caps);
    }
    if (key != null) {
      if (key.length > caps.maxKeyBytes()) {
        throw new SluiceException(
            ErrorCode.INVALID_ARGUMENT,
            "Key is " + key.length + " bytes; the backend's limit is " + caps.maxKeyBytes());
      }
    }
    Headers headers = record.headers();
    if (headers.size() > caps.maxHeaders()) {
      throw new SluiceException(
          ErrorCode.INVALID_ARGUMENT,
          "Record has " + headers.size() + " headers; the backend's limit is " + caps.maxHeaders());
    }
    for (Headers.Header h : headers) {
      String name = h.name();
      if (name.isEmpty()) {
        throw new SluiceException(ErrorCode.INVALID_ARGUMENT, "A header name must not be empty");
      }
      int nameBytes = name.getBytes(StandardCharsets.UTF_8).length;
      if (nameBytes > caps.maxHeaderNameBytes()) {
        throw new SluiceException(
            ErrorCode.INVALID_ARGUMENT,
            "Header name '"
                + name.substring(0, Math.min(20, name.length()))
                + "...' is "
                + nameBytes
                + " bytes; the limit is "
                + caps.maxHeaderNameBytes());
      }
      for (int i = 0; i < name.length(); i++) {
        if (Character.isISOControl(name.charAt(i))) {
          throw new SluiceException(
              ErrorCode.INVALID_ARGUMENT,
              "Header name '" + name + "' contains a control character");
        }
      }
    }
    // The backend's own count (Kinesis: partition key + data with the envelope), so that a record
    // accepted here is one the broker stores.
    long size = caps.recordSize(record);
    if (size > caps.maxRecordBytes()) {
      throw new SluiceException(
          ErrorCode.RECORD_TOO_LARGE,
          "Record is "
              + size
              + " bytes as the backend counts it (key + value + headers + "
              + caps.headerOverheadBytes()
              + " per header"
              + (caps.recordOverheadBytes() > 0
                  ? " + up to " + caps.recordOverheadBytes() + " per record"
                  : "")
              + "); the backend's limit is "
              + caps.maxRecordBytes());
    }
  }

  /** A timestamp the backend would refuse or store differently fails here, naming its range. */
  private static void checkTimestamp(long millis, Capabilities caps) {
    if (millis < caps.minTimestamp().toEpochMilli()
        || millis > caps.maxTimestamp().toEpochMilli()) {
      throw new SluiceException(
          ErrorCode.INVALID_ARGUMENT,
          describeTimestamp(millis)
              + " is outside the range the backend stores: "
              + caps.minTimestamp()
              + " to "
              + caps.maxTimestamp());
    }
    Duration ahead = caps.maxTimestampAhead();
    if (ahead != null) {
      long now = System.currentTimeMillis();
      if (millis > now && millis - now > ahead.toMillis()) {
        throw new SluiceException(
            ErrorCode.INVALID_ARGUMENT,
            describeTimestamp(millis)
                + " is more than "
                + ahead
                + " after now ("
                + Instant.ofEpochMilli(now)
                + "), the latest the backend stores");
      }
    }
  }

  /**
   * The timestamp as an error message names it; made only for a refused record, as formatting an
   * {@code Instant} costs more per send than the rest of the checks together.
   */
  private static String describeTimestamp(long millis) {
    return "Timestamp " + Instant.ofEpochMilli(millis) + " (" + millis + " ms)";
  }
}
