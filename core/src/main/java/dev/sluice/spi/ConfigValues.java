package dev.sluice.spi;

import dev.sluice.ErrorCode;
import dev.sluice.SluiceException;
import java.util.Collection;
import org.jspecify.annotations.Nullable;

/**
 * Helpers for a backend reading its own {@code sluice.<backend>.*} settings, so that every backend
 * checks a value, and words what is wrong with it, the way core and the other backends do.
 */
public final class ConfigValues {
  private ConfigValues() {}

  /**
   * A yes/no setting: {@code defaultValue} if {@code value} is null, else {@code value}
   * (surrounding blanks and case ignored) if it is {@code true} or {@code false}.
   *
   * @param key the full key, for the message
   * @param value the configured value, or null if the key is not set
   * @param defaultValue the value when the key is not set
   * @return the setting
   * @throws SluiceException {@code INVALID_CONFIG}, naming the key and the value
   */
  public static boolean bool(String key, @Nullable String value, boolean defaultValue) {
    if (value == null) {
      return defaultValue;
    }
    String v = value.trim();
    if (v.equalsIgnoreCase("true")) {
      return true;
    }
    if (v.equalsIgnoreCase("false")) {
      return false;
    }
    throw new SluiceException(
        ErrorCode.INVALID_CONFIG, key + " must be 'true' or 'false', not '" + value + "'");
  }

  /**
   * A whole-number setting: {@code defaultValue} if {@code value} is null, else {@code value}
   * (surrounding blanks ignored) if it is a whole number from {@code min} to {@code max}.
   *
   * @param key the full key ({@code sluice.<backend>.<name>}), for the message
   * @param value the configured value, or null if the key is not set
   * @param max {@link Long#MAX_VALUE} for no upper bound
   * @param defaultValue the default value
   * @param min the lower bound
   * @return a whole-number setting: {@code defaultValue} if {@code value} is null, else {@code
   *     value} (surrounding blanks ignored) if it is a whole number from {@code min} to {@code max}
   * @throws SluiceException {@code INVALID_CONFIG}, naming the key, the range and the value
   */
  public static long wholeNumber(
      String key, @Nullable String value, long defaultValue, long min, long max) {
    if (value == null) {
      return defaultValue;
    }
    long parsed;
    try {
      parsed = Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      throw new SluiceException(ErrorCode.INVALID_CONFIG, notWholeNumber(key, value, min, max), e);
    }
    if (parsed < min || parsed > max) {
      throw new SluiceException(ErrorCode.INVALID_CONFIG, notWholeNumber(key, value, min, max));
    }
    return parsed;
  }

  private static String notWholeNumber(String key, String value, long min, long max) {
    return "'"
        + key
        + "' must be a whole number "
        + (max == Long.MAX_VALUE ? "of at least " + min : "between " + min + " and " + max)
        + ", not '"
        + value
        + "'";
  }

  /**
   * The known value closest to {@code value}, for a "did you mean" hint, or null if none is close
   * enough to be a likely misspelling.
   *
   * @param value the record's value, or null
   * @param known the valid values
   * @return the known value closest to {@code value}, for a "did you mean" hint, or null if none is
   *     close enough to be a likely misspelling
   */
  public static @Nullable String closest(String value, Collection<String> known) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String candidate : known) {
      int d = editDistance(value, candidate);
      if (d < bestDistance) {
        bestDistance = d;
        best = candidate;
      }
    }
    return best != null && bestDistance <= Math.max(2, value.length() / 4) ? best : null;
  }

  /**
   * Levenshtein distance: the fewest one-character edits that turn {@code a} into {@code b}.
   *
   * @param a one string
   * @param b the other
   * @return the number of single-character edits from one to the other
   */
  public static int editDistance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
