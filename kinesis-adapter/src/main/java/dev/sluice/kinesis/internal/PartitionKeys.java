package dev.sluice.kinesis.internal;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.jspecify.annotations.Nullable;

/**
 * Maps Sluice keys (bytes, or none) to Kinesis partition keys (Unicode strings of 1 to 256
 * characters) and back. See {@code docs/kinesis-envelope.md}.
 *
 * <ul>
 *   <li>A key that is valid UTF-8, not empty, free of control characters and not starting with
 *       {@code ~} is used as it is, so other Kinesis producers and consumers see the same key.
 *   <li>Any other key is {@code ~b64:} followed by its bytes in unpadded base64url (RFC 4648 §5).
 *   <li>No key is {@code ~null} (the producer spreads such records with a random explicit hash
 *       key).
 * </ul>
 *
 * Reading reverses this; a partition key that none of these rules produced (another producer's key
 * starting with {@code ~}, say) is read as its UTF-8 bytes.
 */
final class PartitionKeys {
  static final String ENCODED_PREFIX = "~b64:";
  static final String NO_KEY = "~null";

  /**
   * The longest Kinesis partition key, in characters. Kinesis does not say whether it counts code
   * points or UTF-16 units; the check below counts UTF-16 units, the stricter (and a key within
   * {@link #MAX_KEY_BYTES} is shorter by both counts anyway).
   */
  static final int MAX_PARTITION_KEY_CHARS = 256;

  /**
   * The longest Sluice key: the longest whose base64url form still fits 256 characters with the
   * prefix (5 + ceil(4 × 188 / 3) = 256).
   */
  static final int MAX_KEY_BYTES = 188;

  private static final ThreadLocal<CharsetDecoder> STRICT_UTF8 =
      ThreadLocal.withInitial(
          () ->
              StandardCharsets.UTF_8
                  .newDecoder()
                  .onMalformedInput(CodingErrorAction.REPORT)
                  .onUnmappableCharacter(CodingErrorAction.REPORT));

  private PartitionKeys() {}

  /** The partition key for a Sluice key, or {@link #NO_KEY} for none. */
  static String toPartitionKey(byte @Nullable [] key) {
    if (key == null) {
      return NO_KEY;
    }
    String text = plainText(key);
    if (text != null) {
      return text;
    }
    return ENCODED_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(key);
  }

  /** The Sluice key a partition key stands for; null for {@link #NO_KEY}. */
  static byte @Nullable [] fromPartitionKey(String partitionKey) {
    if (partitionKey.equals(NO_KEY)) {
      return null;
    }
    if (partitionKey.startsWith(ENCODED_PREFIX)) {
      try {
        return Base64.getUrlDecoder().decode(partitionKey.substring(ENCODED_PREFIX.length()));
      } catch (IllegalArgumentException e) {
        // Not one of ours: someone else's key that happens to start with the prefix.
      }
    }
    return partitionKey.getBytes(StandardCharsets.UTF_8);
  }

  /** The key as text if it can travel as it is, else null. */
  private static @Nullable String plainText(byte[] key) {
    if (key.length == 0 || key.length > MAX_PARTITION_KEY_CHARS || key[0] == '~') {
      return null;
    }
    String text;
    try {
      CharBuffer chars = STRICT_UTF8.get().reset().decode(ByteBuffer.wrap(key));
      text = chars.toString();
    } catch (CharacterCodingException e) {
      return null;
    }
    if (text.length() > MAX_PARTITION_KEY_CHARS) {
      return null;
    }
    for (int i = 0; i < text.length(); i++) {
      if (Character.isISOControl(text.charAt(i))) {
        return null;
      }
    }
    return text;
  }
}
